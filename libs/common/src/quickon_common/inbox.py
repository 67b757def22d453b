"""The inbox: which events each consumer has already applied (exactly-once effects).

The consumer claims ``(consumer, event id)`` in the same transaction as the handler's
effects; a repeat delivery finds the claim taken and is acknowledged without effect.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


class InboxRecord(SQLModel, table=True):
    """An event a consumer has applied."""

    __tablename__ = "qc_inbox"

    consumer: str = Field(primary_key=True, max_length=128)
    event_id: str = Field(primary_key=True, max_length=64)
    processed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


async def claim(session: AsyncSession, *, consumer: str, event_id: str) -> bool:
    """Record that ``consumer`` applies ``event_id`` in this transaction; False if it already did.

    The insert is flushed at once so that a repeat is known before any effect is written;
    on PostgreSQL a concurrent claim of the same event waits for the first to finish.
    """
    try:
        async with session.begin_nested():  # a savepoint: a refused claim leaves the transaction usable
            session.add(InboxRecord(consumer=consumer, event_id=event_id, processed_at=datetime.now(UTC)))
    except IntegrityError:
        return False
    return True
