"""Where a runner keeps its sagas: the rows of one table, written through the outbox.

The runner asks for no more than this (the sagas to resume, a transaction with a unit of work, saving
what steps wrote, a guarded update of a saga's row), so a test can run it on a store in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Generic, Protocol

from sqlmodel import SQLModel, col, select, update

from ..envelope import Envelope
from ..outbox import Outbox, UnitOfWork
from .errors import RecordTaken
from .record import RUNNING_STATES
from .run import R


class SagaStore(Protocol[R]):
    """What the runner needs of its sagas' table."""

    def transaction(self, cause: Envelope) -> AbstractAsyncContextManager[UnitOfWork]:
        """A unit of work in a transaction of its own; events it emits follow from ``cause``."""
        ...

    async def running(self) -> Sequence[R]:
        """The sagas running or compensating, oldest first."""
        ...

    async def save(self, uow: UnitOfWork, rows: Sequence[SQLModel]) -> None:
        """Rows steps wrote, into the unit of work's transaction."""
        ...

    async def update(self, uow: UnitOfWork, record: R, values: dict[str, Any]) -> None:
        """Change the saga's row, unless it is no longer in the state ``record`` has: then
        :class:`RecordTaken` (another run got there first)."""
        ...


class SqlSagaStore(Generic[R]):
    """The sagas of ``table`` (a :class:`SagaRecord` table) in the service's database."""

    def __init__(self, outbox: Outbox, table: type[R]) -> None:
        self.outbox = outbox
        self.table = table

    @asynccontextmanager
    async def transaction(self, cause: Envelope) -> AsyncIterator[UnitOfWork]:
        async with self.outbox.begin(cause=cause) as uow:
            yield uow

    async def running(self) -> Sequence[R]:
        table = self.table
        async with self.outbox.db.read_session() as session:
            found = await session.exec(
                select(table).where(col(table.state).in_(RUNNING_STATES)).order_by(col(table.created_at))
            )
            return found.all()

    async def save(self, uow: UnitOfWork, rows: Sequence[SQLModel]) -> None:
        for row in rows:
            await uow.session.merge(row)

    async def update(self, uow: UnitOfWork, record: R, values: dict[str, Any]) -> None:
        table = self.table
        result = await uow.session.exec(
            update(table).where(col(table.id) == record.id, col(table.state) == record.state).values(**values)
        )
        if result.rowcount != 1:
            raise RecordTaken(record.id)
