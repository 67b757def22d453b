"""Where a runner keeps its sagas: the rows of one table, written through the outbox.

The runner asks for no more than this (the sagas to resume, a transaction with a unit of work, saving
what steps wrote, a guarded update of a saga's row, and taking, renewing and giving up the lease of a
saga), so a test can run it on a store in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any, Generic, Protocol

from sqlalchemy import or_
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
        """Change the saga's row, unless it is no longer in the state ``record`` has or has another owner:
        then :class:`RecordTaken` (another run got there first, or another replica took it over)."""
        ...

    async def claim(self, record: R, *, owner: str, until: datetime, now: datetime) -> bool:
        """Make ``owner`` the running saga's owner until ``until``, if it has none, is ``owner``'s already,
        or its lease passed before ``now``; whether it did."""
        ...

    async def renew(self, ids: Collection[str], *, owner: str, until: datetime) -> set[str]:
        """Extend ``owner``'s lease of the sagas ``ids`` to ``until``; those it still owns."""
        ...

    async def release(self, ids: Collection[str], *, owner: str) -> None:
        """Give up ``owner``'s sagas ``ids``, so that another replica takes them over at once."""
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
            update(table)
            .where(col(table.id) == record.id, col(table.state) == record.state, col(table.owner) == record.owner)
            .values(**values)
        )
        if result.rowcount != 1:
            raise RecordTaken(record.id)

    async def claim(self, record: R, *, owner: str, until: datetime, now: datetime) -> bool:
        table = self.table
        free = or_(col(table.owner).is_(None), col(table.owner) == owner, col(table.lease_until) < now)
        statement = (
            update(table)
            .where(col(table.id) == record.id, col(table.state).in_(RUNNING_STATES), free)
            .values(owner=owner, lease_until=until)
        )
        async with self.outbox.db.session() as session:
            result = await session.exec(statement)
            await session.commit()
        return bool(result.rowcount == 1)

    async def renew(self, ids: Collection[str], *, owner: str, until: datetime) -> set[str]:
        table = self.table
        statement = (
            update(table)
            .where(col(table.id).in_(list(ids)), col(table.owner) == owner, col(table.state).in_(RUNNING_STATES))
            .values(lease_until=until)
            .returning(col(table.id))
        )
        async with self.outbox.db.session() as session:
            renewed = set((await session.exec(statement)).scalars().all())
            await session.commit()
        return renewed

    async def release(self, ids: Collection[str], *, owner: str) -> None:
        table = self.table
        statement = (
            update(table)
            .where(col(table.id).in_(list(ids)), col(table.owner) == owner)
            .values(lease_until=None, owner=None)
        )
        async with self.outbox.db.session() as session:
            await session.exec(statement)
            await session.commit()
