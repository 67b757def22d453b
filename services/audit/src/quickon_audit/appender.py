"""Appending to the log: one transaction per batch, serialised on the head row, exactly once per id.

Every append locks the single ``audit_head`` row first (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite the transaction began IMMEDIATE and holds the write lock), so replicas running at once take
turns and the chain never forks. Under that lock it skips ids already in the log, numbers the new
entries after the head, hashes each onto the one before, writes them and moves the head; a
checkpoint is made in the same transaction when enough entries wait for one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from quickon_common.contracts.audit import AuditCheckpointCreated
from quickon_common.outbox import Outbox, UnitOfWork

from . import canonical, merkle
from .intake import Incoming
from .models import AuditCheckpoint, AuditEntry, AuditHead
from .signing import Signer

log = logging.getLogger(__name__)

APPENDED = Counter("quickon_audit_appended_total", "Entries appended to the audit log")
DUPLICATES = Counter("quickon_audit_duplicates_total", "Messages already in the audit log")
CHECKPOINTS = Counter("quickon_audit_checkpoints_total", "Checkpoints made")
ID_CHUNK = 500  # ids per IN (…) lookup: well under SQLite's parameter limit
CHECKPOINT_TYPE = AuditCheckpointCreated.ce_type()

entries = AuditEntry.__table__  # type: ignore[attr-defined]
heads = AuditHead.__table__  # type: ignore[attr-defined]
checkpoints = AuditCheckpoint.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    entry_hash: bytes
    checkpoint_seq: int


async def lock_head(connection: AsyncConnection) -> Head:
    """The head, locked until the transaction ends (the one place appends wait for each other)."""
    lock = " FOR UPDATE" if connection.dialect.name == "postgresql" else ""
    row = (
        await connection.execute(text(f"SELECT seq, entry_hash, checkpoint_seq FROM audit_head WHERE id = 1{lock}"))
    ).one()
    return Head(int(row[0]), bytes(row[1]), int(row[2]))


async def ensure_head(connection: AsyncConnection) -> None:
    """The head row of an empty log (idempotent: a second replica finds it there)."""
    if (await connection.execute(select(heads.c.id))).first() is None:
        await connection.execute(insert(heads).values(id=1, seq=0, entry_hash=canonical.GENESIS, checkpoint_seq=0))


class AuditLog:
    """Appends to the log and makes checkpoints; the one writer of ``audit_log``."""

    def __init__(self, outbox: Outbox, signer: Signer, *, checkpoint_every: int, clock: Callable[[], datetime]) -> None:
        self.outbox = outbox
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self.clock = clock
        self.on_checkpoint: list[Callable[[], None]] = []

    async def append(self, batch: Sequence[Incoming]) -> list[int | None]:
        """Append what is not in the log yet; each item's sequence, or None for a repeat."""
        async with self.outbox.transaction() as session:
            connection = await session.connection()
            head = await lock_head(connection)
            known = await self._known(connection, [item.event_id for item in batch])
            seq, previous = head.seq, head.entry_hash
            rows: list[dict[str, Any]] = []
            assigned: list[int | None] = []
            for item in batch:
                if item.event_id in known:
                    assigned.append(None)
                    continue
                known.add(item.event_id)
                seq += 1
                stored = canonical.record(previous, canonical.encode({**item.document, "seq": seq}))
                digest = canonical.entry_hash(stored)
                rows.append(_row(item, seq=seq, digest=digest, stored=stored))
                assigned.append(seq)
                previous = digest
            if rows:
                await _insert(connection, rows)
                await connection.execute(update(heads).where(heads.c.id == 1).values(seq=seq, entry_hash=previous))
                if seq - head.checkpoint_seq >= self.checkpoint_every:
                    await self._checkpoint(connection, self.outbox.unit(session), head.checkpoint_seq, seq, previous)
        APPENDED.inc(len(rows))
        DUPLICATES.inc(len(batch) - len(rows))
        return assigned

    async def checkpoint_now(self) -> int | None:
        """A checkpoint of everything not covered yet, unless that is only checkpoint events (so that
        timed checkpoints do not beget each other); its sequence, or None."""
        async with self.outbox.transaction() as session:
            connection = await session.connection()
            head = await lock_head(connection)
            if head.seq == head.checkpoint_seq:
                return None
            other = await connection.execute(
                select(entries.c.seq)
                .where(entries.c.seq > head.checkpoint_seq, entries.c.type != CHECKPOINT_TYPE)
                .limit(1)
            )
            if other.first() is None:
                return None
            await self._checkpoint(
                connection, self.outbox.unit(session), head.checkpoint_seq, head.seq, head.entry_hash
            )
            return head.seq

    async def _known(self, connection: AsyncConnection, ids: list[str]) -> set[str]:
        found: set[str] = set()
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), ID_CHUNK):
            chunk = unique[start : start + ID_CHUNK]
            result = await connection.execute(select(entries.c.event_id).where(entries.c.event_id.in_(chunk)))
            found.update(result.scalars())
        return found

    async def _checkpoint(
        self, connection: AsyncConnection, uow: UnitOfWork, after: int, seq: int, head_hash: bytes
    ) -> None:
        result = await connection.execute(
            select(entries.c.entry_hash).where(entries.c.seq > after, entries.c.seq <= seq).order_by(entries.c.seq)
        )
        leaves = [bytes(h) for h in result.scalars()]
        moment = self.clock().astimezone(UTC).isoformat().replace("+00:00", "Z")
        fields = {
            "first_sequence": after + 1,
            "sequence": seq,
            "head_hash": head_hash.hex(),
            "merkle_root": merkle.root(leaves).hex(),
            "time": moment,
            "key_id": self.signer.key_id,
        }
        signature = self.signer.sign(
            canonical.checkpoint_payload(
                first_sequence=after + 1, sequence=seq, head_hash=head_hash.hex(),
                merkle_root=str(fields["merkle_root"]), time=moment, key_id=self.signer.key_id,
            )
        )  # fmt: skip
        await connection.execute(
            insert(checkpoints).values(
                seq=seq, first_seq=after + 1, head_hash=fields["head_hash"], merkle_root=fields["merkle_root"],
                time=moment, key_id=self.signer.key_id, signature=signature, leaves=b"".join(leaves), stored=False,
            )
        )  # fmt: skip
        await connection.execute(update(heads).where(heads.c.id == 1).values(checkpoint_seq=seq))
        uow.emit(
            AuditCheckpointCreated(
                sequence=seq, head_hash=head_hash.hex(), merkle_root=str(fields["merkle_root"]), signature=signature,
                key_id=self.signer.key_id, first_sequence=after + 1, time=moment,
            ),
            subject=f"audit/checkpoints/{seq}",
        )  # fmt: skip
        for listener in self.on_checkpoint:
            uow.after_commit(listener)
        CHECKPOINTS.inc()


async def _insert(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    # psycopg runs an executemany row by row; COPY in the same transaction is several times faster.
    # On SQLite, SQLAlchemy's per-row parameter processing costs more than sqlite3's executemany itself.
    if connection.dialect.name == "sqlite":  # straight to sqlite3's executemany, in SQLAlchemy's formats
        columns = list(rows[0])
        statement = f"INSERT INTO audit_log ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        await connection.exec_driver_sql(statement, [tuple(_sqlite_value(row[c]) for c in columns) for row in rows])
        return
    raw = await connection.get_raw_connection()
    columns = list(rows[0])
    statement = f"COPY audit_log ({', '.join(columns)}) FROM STDIN"
    cursor = raw.driver_connection.cursor()  # type: ignore[union-attr]
    async with cursor, cursor.copy(statement) as copy:
        for row in rows:
            await copy.write_row([row[c] for c in columns])


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):  # as SQLAlchemy's SQLite DateTime stores it (UTC, no offset)
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def _row(item: Incoming, *, seq: int, digest: bytes, stored: bytes) -> dict[str, Any]:
    return {
        "seq": seq, "event_id": item.event_id, "stream_seq": item.stream_seq, "type": item.type,
        "subject": item.subject, "source": item.source, "actor": item.actor, "team": item.team,
        "service": item.service, "correlation_id": item.correlation_id, "time": item.time,
        "flagged": item.flagged, "entry_hash": digest, "record": stored,
    }  # fmt: skip
