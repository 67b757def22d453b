"""Leases: which replica of a service does what only one may do at a time.

A lease is a row (``qc_lease``: name, holder, expiry) that its holder renews before it expires; another
replica takes it once it has expired (its holder died or stalled). Two uses:

- :class:`Leadership`: one replica of each service leads, and runs the periodic jobs (backup schedules,
  market refresh, audit checkpoints and retention, rule evaluation, inbox pruning, the status watch).
  It renews every third of the lease; a replica that could not renew in time stops leading by itself
  (it knows its lease may have passed to another), so two never lead at once while clocks agree.
- :class:`PassLock`: the outbox relay's pass, on PostgreSQL, under ``FOR UPDATE SKIP LOCKED`` of
  the service's relay row: one replica publishes at a time (in order), the others skip that pass.

Sagas have a lease of their own, in their own row (:mod:`quickon_common.saga.runner`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, delete, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlmodel import Field, SQLModel, col

from .db import Database

log = logging.getLogger(__name__)


class LeaseRecord(SQLModel, table=True):
    """A lease: who holds it, until when."""

    __tablename__ = "qc_lease"

    name: str = Field(primary_key=True, max_length=128)
    holder: str = Field(max_length=128)
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


async def take(db: Database, *, name: str, holder: str, ttl_s: float, now: datetime | None = None) -> bool:
    """Hold (or keep holding) the lease ``name`` until ``now + ttl_s``; False when another holder has it.

    The row is read for update, so two replicas taking an expired lease at once queue on PostgreSQL (and
    SQLite has one writer): the second sees the first's renewal. Two first inserts at once: one fails on
    the primary key, and its caller tries again at its next renewal."""
    now = now or datetime.now(UTC)
    async with db.session() as session:
        lease = await session.get(LeaseRecord, name, with_for_update=True)
        if lease is not None and lease.holder != holder and _aware(lease.expires_at) > now:
            return False
        lease = lease or LeaseRecord(name=name, holder=holder, expires_at=now)
        lease.holder, lease.expires_at = holder, now + timedelta(seconds=ttl_s)
        session.add(lease)
        await session.commit()
    return True


async def release(db: Database, *, name: str, holder: str) -> None:
    """Give up the lease ``name`` if ``holder`` has it, so that another replica takes it at once."""
    async with db.session() as session:
        await session.exec(delete(LeaseRecord).where(col(LeaseRecord.name) == name, col(LeaseRecord.holder) == holder))
        await session.commit()


class Leadership:
    """Whether this replica leads its service: it holds the lease ``<service>:leader``."""

    def __init__(self, db: Database, *, service: str, holder: str, ttl_s: float) -> None:
        self.db = db
        self.name = f"{service}:leader"
        self.holder = holder
        self.ttl_s = ttl_s
        self._renewed_at: float | None = None  # monotonic time of the last renewal that committed
        self._gained = asyncio.Event()
        self._asked = asyncio.Event()  # the first try to take the lease has ended, whatever its answer

    @property
    def leads(self) -> bool:
        """True while the last renewal is younger than the lease: past that, another replica may lead."""
        return self._renewed_at is not None and time.monotonic() - self._renewed_at < self.ttl_s

    async def run(self) -> None:
        """Take or renew the lease every third of its length until cancelled; then give it up."""
        try:
            while True:
                asked_at = time.monotonic()  # counted from before the renewal: it may take a while
                try:
                    held = await take(self.db, name=self.name, holder=self.holder, ttl_s=self.ttl_s)
                except Exception as error:  # the database away: keep leading only while the lease lasts
                    log.warning("cannot renew the %s lease now: %s: %s", self.name, type(error).__name__, error)
                    held = None
                if held is not None:
                    was = self.leads
                    self._renewed_at = asked_at if held else None
                    if held and not was:
                        log.info("this replica (%s) now leads: it runs the periodic jobs", self.holder)
                        self._gained.set()
                    elif was and not held:
                        log.info("another replica took the lead from %s", self.holder)
                    if not held:
                        self._gained.clear()
                self._asked.set()
                await asyncio.sleep(self.ttl_s / 3)
        finally:
            if self.leads:
                self._renewed_at = None
                await asyncio.shield(self._give_up())

    async def _give_up(self) -> None:
        try:
            await asyncio.wait_for(release(self.db, name=self.name, holder=self.holder), 5)
        except Exception as error:  # it expires by itself
            log.warning("could not give up the %s lease: %s", self.name, error)

    async def asked(self) -> None:
        """Return once this replica knows whether it leads (its first try to take the lease has ended)."""
        await self._asked.wait()

    async def every(
        self, every_s: float, job: Callable[[], Awaitable[object]], *, what: str, at_once: bool = True
    ) -> None:
        """Run ``job`` every ``every_s`` while this replica leads (a failure is logged and tried at the next
        period), until cancelled. A replica that comes to lead runs it at once (unless ``at_once`` is False:
        then the first run is a period after the first lead), then every period."""
        waited = at_once
        while True:
            if not self.leads:  # (a lead that lapsed without another taking it leaves the event set: clear it)
                self._gained.clear()
                await self._gained.wait()
                continue
            if not waited:
                waited = True
                await asyncio.sleep(every_s)
                continue
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("%s failed, tried again in %.0fs: %s: %s", what, every_s, type(error).__name__, error)
            await asyncio.sleep(every_s)


class PassLock:
    """Whether this replica may do a pass of ``name`` now (the outbox relay's): on PostgreSQL, the lease
    row ``name`` locked ``FOR UPDATE SKIP LOCKED`` until the pass ends, so one replica publishes at a time
    and in order, and a replica that finds it locked skips the pass; elsewhere (SQLite: one process
    writes) always."""

    def __init__(self, db: Database, name: str) -> None:
        self.db = db
        self.name = name
        self._row_made = False

    @asynccontextmanager
    async def held(self) -> AsyncIterator[bool]:
        if self.db.engine.dialect.name != "postgresql":
            yield True
            return
        async with self.db.session() as session:
            connection = await session.connection()
            if not self._row_made:  # a lock needs a row; a pass lock's row is never held as a lease
                far = datetime(2000, 1, 1, tzinfo=UTC)
                row = postgres_insert(LeaseRecord).values(name=self.name, holder="", expires_at=far)
                await connection.execute(row.on_conflict_do_nothing())
                await session.commit()
                self._row_made = True
                connection = await session.connection()  # the commit gave the first one back
            locked = select(col(LeaseRecord.name)).where(col(LeaseRecord.name) == self.name)
            got = (await connection.execute(locked.with_for_update(skip_locked=True))).first() is not None
            try:
                yield got
            finally:
                await session.rollback()  # the lock goes with the transaction; nothing was written in it
