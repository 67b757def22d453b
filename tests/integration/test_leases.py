"""Leases on a real database: one replica of a service leads at a time and runs the periodic jobs, another
takes the lead once the leader stops or stalls; the outbox relays of two replicas publish one at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlmodel import SQLModel

from quickon_common.db import Database
from quickon_common.leases import Leadership, LeaseRecord, PassLock, take

TTL_S = 1.0


@asynccontextmanager
async def database(url: str) -> AsyncIterator[Database]:
    db = Database(url)
    async with db.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.create_all, tables=[LeaseRecord.__table__])  # type: ignore[list-item]
    try:
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def leading(db: Database, holder: str, ran: list[str]) -> AsyncIterator[asyncio.Task[None]]:
    """A replica's leadership with a periodic job that notes ``holder`` in ``ran`` each period."""
    leadership = Leadership(db, service="tally", holder=holder, ttl_s=TTL_S)

    async def job() -> None:
        ran.append(holder)

    tasks = [asyncio.create_task(leadership.run()), asyncio.create_task(leadership.every(0.1, job, what="noting"))]
    try:
        yield tasks[0]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def until(check: object, timeout_s: float = 10) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_one_replica_leads_and_another_takes_over_when_it_stops_or_stalls(database_url: str) -> None:
    async with database(database_url) as db:
        ran: list[str] = []
        async with leading(db, "one", ran) as first:
            await until(lambda: "one" in ran)
            async with leading(db, "two", ran):
                await asyncio.sleep(3 * TTL_S)
                assert set(ran) == {"one"}, "the second replica runs nothing while the first leads"
                # The first stops cleanly: it gives up the lead, and the second takes it at its next renewal.
                first.cancel()
                await asyncio.gather(first, return_exceptions=True)
                ran.clear()
                await until(lambda: "two" in ran, timeout_s=2 * TTL_S)
                await asyncio.sleep(3 * 0.1)
                assert "one" not in ran[ran.index("two") :], "the first replica's jobs stopped with its lead"

        # A leader that stalls (a SIGSTOP, a long pause) keeps the lead until its lease passes, not longer.
        ran.clear()
        assert await take(db, name="tally:leader", holder="stalled", ttl_s=TTL_S)  # took the lead, then froze
        async with leading(db, "four", ran):
            await asyncio.sleep(TTL_S / 2)
            assert "four" not in ran, "the lead is not taken before its holder's lease passes"
            await until(lambda: "four" in ran, timeout_s=3 * TTL_S)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_relays_passes_run_one_at_a_time_on_postgresql(database_url: str) -> None:
    async with database(database_url) as db:
        first, second = PassLock(db, "tally:relay"), PassLock(db, "tally:relay")
        async with first.held() as mine:
            assert mine
            async with second.held() as theirs:
                assert not theirs, "a pass while another replica's runs is skipped"
        async with second.held() as theirs:
            assert theirs, "the lock went with the first pass's transaction"
