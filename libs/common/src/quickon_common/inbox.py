"""The inbox: which events each consumer has already applied (exactly-once effects).

The consumer claims ``(consumer, event id)`` in the same transaction as the handler's
effects; a repeat delivery finds the claim taken and is acknowledged without effect.
Claims older than the stream's retention are pruned: the stream no longer holds their events,
so they cannot be delivered again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, String, bindparam, delete, text, tuple_
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from .db import Database

log = logging.getLogger(__name__)

PRUNE_BATCH = 1000  # claims one pruning transaction deletes at most: the write lock is held briefly


class InboxRecord(SQLModel, table=True):
    """An event a consumer has applied."""

    __tablename__ = "qc_inbox"

    consumer: str = Field(primary_key=True, max_length=128)
    event_id: str = Field(primary_key=True, max_length=64)
    processed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


async def claim(session: AsyncSession, *, consumer: str, event_ids: Sequence[str]) -> set[str]:
    """Record that ``consumer`` applies ``event_ids`` in this transaction; return those it had not.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING`` for the whole group: repeats are known
    before any effect is written, the transaction stays usable, and on PostgreSQL a
    concurrent claim of the same event waits for the first transaction and then finds it taken.
    The ids go as one parameter (an array on PostgreSQL, a JSON list on SQLite) that the database
    unpacks into rows: with three parameters per row instead, building and binding them took
    more of a consumer's time than anything else it does.
    """
    ids = list(dict.fromkeys(event_ids))
    if not ids:
        return set()
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    parameters = {"consumer": consumer, "now": datetime.now(UTC), "ids": ids if postgres else json.dumps(ids)}
    result = await connection.execute(_CLAIM_POSTGRES if postgres else _CLAIM_SQLITE, parameters)
    return set(result.scalars().all())  # psycopg reports no rowcount here; the returned rows are the answer


_COLUMNS = f"{InboxRecord.__tablename__} (consumer, event_id, processed_at)"
_TYPES = (bindparam("consumer", type_=String), bindparam("now", type_=DateTime(timezone=True)))
_CLAIM_POSTGRES = text(
    f"INSERT INTO {_COLUMNS} SELECT :consumer, id, :now FROM unnest(:ids) AS ids(id) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
).bindparams(*_TYPES, bindparam("ids", type_=postgresql.ARRAY(String)))
# "WHERE true": SQLite reads ON CONFLICT after a bare SELECT … FROM as a join's ON clause.
_CLAIM_SQLITE = text(
    f"INSERT INTO {_COLUMNS} SELECT :consumer, value, :now FROM json_each(:ids) WHERE true "
    "ON CONFLICT DO NOTHING RETURNING event_id"
).bindparams(*_TYPES, bindparam("ids", type_=String))


async def prune(db: Database, *, older_than: datetime, batch_size: int = PRUNE_BATCH) -> int:
    """Delete the claims made before ``older_than``, ``batch_size`` per transaction; return how many.

    Safe on every replica at once: each batch is a plain bounded ``DELETE``, and a claim deleted
    twice is simply not there the second time.
    """
    deleted = 0
    while True:
        oldest = (
            select(col(InboxRecord.consumer), col(InboxRecord.event_id))
            .where(col(InboxRecord.processed_at) < older_than)
            .limit(batch_size)
        )
        statement = delete(InboxRecord).where(tuple_(col(InboxRecord.consumer), col(InboxRecord.event_id)).in_(oldest))
        async with db.session() as session:
            result = await (await session.connection()).execute(statement)
            await session.commit()
        deleted += result.rowcount
        if result.rowcount < batch_size:
            return deleted


async def prune_older_than_the_stream(db: Database, *, retention_s: float) -> None:
    """Prune the claims older than ``retention_s`` (the stream's max age): a periodic job of the leading
    replica (``Service.periodically``)."""
    deleted = await prune(db, older_than=datetime.now(UTC) - timedelta(seconds=retention_s))
    if deleted:
        log.info("pruned %d inbox claims older than the stream's retention", deleted)
