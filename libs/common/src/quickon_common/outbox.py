"""The transactional outbox and the unit of work that writes to it.

A handler changes its state and records the events it wants published in one database
transaction (:meth:`Outbox.begin`); the relay (:mod:`quickon_common.relay`) publishes them
afterwards and deletes them: the stream keeps them, the outbox holds only what is owed. A
crash anywhere loses nothing: an uncommitted transaction published nothing, and a committed
one is published by the next relay run.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, LargeBinary, delete, insert
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from .contracts import Event
from .db import Database
from .envelope import Envelope, encode

PENDING = "qc_outbox_pending"
AFTER_COMMIT = "qc_after_commit"
PIGGYBACK_DELETES = 500  # published rows one transaction deletes at most


def pending_rows(session: AsyncSession) -> list[dict[str, Any]]:
    """The outbox rows emitted in this session's transaction and not yet written."""
    rows: list[dict[str, Any]] = session.info.setdefault(PENDING, [])
    return rows


class OutboxRecord(SQLModel, table=True):
    """One event committed and not yet published; the relay deletes it once the stream has it."""

    __tablename__ = "qc_outbox"

    position: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=64)
    subject: str = Field(max_length=255)
    headers: str
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class UnitOfWork:
    """One transaction: the session for the service's own state, and :meth:`emit` for events."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        source: str,
        cause: Envelope | None,
        actor: str | None,
        team: str | None,
    ) -> None:
        self.session = session
        self.source = source
        self.cause = cause
        self.actor = actor
        self.team = team

    def emit(self, event: Event, *, subject: str | None = None) -> Envelope:
        """Record ``event`` for publication when this transaction commits.

        ``subject`` is the CloudEvents subject: the resource the event is about.
        """
        envelope = Envelope.new(
            event, source=self.source, subject=subject, cause=self.cause, actor=self.actor, team=self.team
        )
        nats_subject, headers, body = encode(event, envelope)
        pending_rows(self.session).append(
            {
                "event_id": envelope.id,
                "subject": nats_subject,
                "headers": json.dumps(headers, separators=(",", ":")),
                "body": body,
                "created_at": envelope.time,
            }
        )
        return envelope

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once this transaction has committed (never if it rolls back).

        For effects outside the database that must not run before the data is there, such
        as waking a worker that will read it.
        """
        self.session.info.setdefault(AFTER_COMMIT, []).append(callback)


class Outbox:
    """Opens units of work for one service and tells listeners (the relay) of new events."""

    def __init__(self, db: Database, *, source: str, published: set[str] | None = None) -> None:
        self.db = db
        self.source = source
        self._listeners: list[Callable[[], None]] = []
        # Ids of the events the relay has published (its set). On SQLite each transaction deletes some of
        # them, so that deleting costs no transaction of its own and never queues for the one write
        # lock. Not on PostgreSQL: rows locked in another order by the relay's own delete could
        # deadlock with the service's transaction, and there writers do not queue anyway.
        self._published = published if published is not None and db.is_sqlite else set()

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every commit that recorded events."""
        self._listeners.append(listener)

    def unit(
        self, session: AsyncSession, *, cause: Envelope | None = None, actor: str | None = None, team: str | None = None
    ) -> UnitOfWork:
        """A unit of work inside a transaction opened by :meth:`transaction`.

        Events emitted under a ``cause`` inherit its correlation id, actor and team.
        """
        return UnitOfWork(session, source=self.source, cause=cause, actor=actor, team=team)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction committed when the block ends, rolled back if it raises.

        Several units of work may share it (a consumer applying a batch commits once).
        """
        async with self.db.session() as session:
            yield session
            # One multi-row INSERT at the end: the ORM would insert row by row to read back
            # each generated position, which nobody here needs.
            rows = session.info.pop(PENDING, [])
            if rows:
                await session.exec(insert(OutboxRecord), params=rows)
            gone = sorted(self._published)[:PIGGYBACK_DELETES]
            if gone:
                await session.exec(delete(OutboxRecord).where(col(OutboxRecord.event_id).in_(gone)))
            callbacks = session.info.pop(AFTER_COMMIT, [])
            await session.commit()
            self._published.difference_update(gone)
        if rows:
            callbacks = [*self._listeners, *callbacks]
        for callback in callbacks:
            callback()

    @asynccontextmanager
    async def begin(
        self, *, cause: Envelope | None = None, actor: str | None = None, team: str | None = None
    ) -> AsyncIterator[UnitOfWork]:
        """One unit of work in a transaction of its own."""
        async with self.transaction() as session:
            yield self.unit(session, cause=cause, actor=actor, team=team)
