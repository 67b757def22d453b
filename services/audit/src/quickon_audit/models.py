"""The audit database: the log, its head, its checkpoints and the record of retention.

``audit_log`` is append-only (see :mod:`.triggers`). ``record`` holds the exact bytes that were
hashed: the previous entry's hash (32 bytes) then the entry's canonical JSON, so that verification
reads one column and hashes it as it is. The other columns repeat some of its fields so that queries
can use indexes; a reader is always shown what ``record`` says.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(SQLModel, table=True):
    """One event that crossed the bus, chained to the one before it."""

    __tablename__ = "audit_log"

    # On SQLite an INTEGER PRIMARY KEY is the rowid: verification's ordered scan reads the table itself.
    seq: int = Field(sa_column=Column(SEQUENCE, primary_key=True, autoincrement=False))
    # Nats-Msg-Id (= ce-id for our events), else ce-id, else the stream sequence: one entry per id.
    event_id: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    stream_seq: int | None = Field(default=None, sa_column=Column(BigInteger))
    type: str = Field(sa_column=Column(String(255), index=True, nullable=False))
    subject: str = Field(sa_column=Column(String(255), index=True, nullable=False))
    source: str | None = Field(default=None, sa_column=Column(String(255), index=True))
    actor: str | None = Field(default=None, sa_column=Column(String(255), index=True))
    team: str | None = Field(default=None, sa_column=Column(String(255), index=True))
    service: str | None = Field(default=None, sa_column=Column(String(255), index=True))
    correlation_id: str | None = Field(default=None, sa_column=Column(String(255), index=True))
    time: datetime = Field(sa_column=Column(DateTime(timezone=True), index=True, nullable=False))
    flagged: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    entry_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # SHA-256(record)
    record: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # previous hash || canonical JSON


class AuditHead(SQLModel, table=True):
    """The single row every append locks: the last sequence and its hash (serialises replicas)."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, sa_column=Column(Integer, primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    entry_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    checkpoint_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement of the log up to ``seq``, with the entry hashes of its segment."""

    __tablename__ = "audit_checkpoints"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    first_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    head_hash: str = Field(sa_column=Column(String(64), nullable=False))
    merkle_root: str = Field(sa_column=Column(String(64), nullable=False))
    time: str = Field(sa_column=Column(String(40), nullable=False))
    key_id: str = Field(sa_column=Column(String(32), nullable=False))
    signature: str = Field(sa_column=Column(String(128), nullable=False))
    leaves: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the segment's entry hashes, 32 bytes each
    stored: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, index=True))


class AuditRetention(SQLModel, table=True):
    """Segments removed by retention. ``open`` is true only inside the transaction that deletes:
    the delete trigger allows deleting entries up to ``up_to_seq`` only then."""

    __tablename__ = "audit_retention"

    id: int | None = Field(default=None, primary_key=True)
    up_to_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    removed: int = Field(sa_column=Column(BigInteger, nullable=False))
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    open: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))


MODELS: list[type[SQLModel]] = [AuditEntry, AuditHead, AuditCheckpoint, AuditRetention]
