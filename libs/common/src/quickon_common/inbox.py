"""The inbox: which events each consumer has already applied (exactly-once effects).

The consumer claims ``(consumer, event id)`` in the same transaction as the handler's
effects; a repeat delivery finds the claim taken and is acknowledged without effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


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
    """
    now = datetime.now(UTC)
    rows = [{"consumer": consumer, "event_id": event_id, "processed_at": now} for event_id in dict.fromkeys(event_ids)]
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(InboxRecord)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(InboxRecord.event_id)  # psycopg reports no rowcount here; the returned rows are the answer
    )
    return set((await session.exec(statement)).scalars().all())
