"""SQLite through quickon_common.sqlite: the same answers as plain aiosqlite, in fewer trips to its thread."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from quickon_common import inbox
from quickon_common.db import Database
from quickon_common.migrations import migrate
from quickon_common.outbox import Outbox
from quickon_monitor.migrations import MIGRATIONS
from support.together import together


@pytest.fixture
async def engines(tmp_path: Path) -> AsyncIterator[dict[str, AsyncEngine]]:
    """Ours, and SQLAlchemy's plain aiosqlite engine, each on a database file of its own."""
    ours = Database(f"sqlite:///{tmp_path / 'ours.db'}")
    plain = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}")
    yield {"ours": ours.engine, "plain": plain}
    await ours.dispose()
    await plain.dispose()


async def _session_of_statements(engine: AsyncEngine) -> list[Any]:
    """Every kind of statement SQLAlchemy sends, and what each answers."""
    seen: list[Any] = []
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER)"))
        inserted = await connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
        seen.append(("lastrowid", inserted.lastrowid, inserted.rowcount))
        many = await connection.execute(
            text("INSERT INTO t (name, n) VALUES (:name, :n)"), [{"name": "b", "n": 2}, {"name": "c", "n": 3}]
        )
        seen.append(("executemany", many.rowcount))
        returned = await connection.execute(text("INSERT INTO t (name, n) VALUES ('d', 4) RETURNING id, name"))
        seen.append(("returning", [tuple(r) for r in returned], list(returned.keys())))
        updated = await connection.execute(text("UPDATE t SET n = n + 10 WHERE n > 1"))
        seen.append(("update", updated.rowcount))
        rows = await connection.execute(text("SELECT id, name, n FROM t ORDER BY id"))
        seen.append(("select", list(rows.keys()), [tuple(r) for r in rows]))
        empty = await connection.execute(text("SELECT id FROM t WHERE n < 0"))
        seen.append(("empty", empty.first()))
    async with engine.connect() as connection:  # a transaction rolled back leaves nothing
        await connection.execute(text("INSERT INTO t (name, n) VALUES ('gone', 0)"))
        await connection.rollback()
        seen.append(("after rollback", (await connection.execute(text("SELECT count(*) FROM t"))).scalar()))
    with pytest.raises(IntegrityError) as refused:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (name, n) VALUES ('a', 0)"))
    seen.append(("error", str(refused.value.orig)))
    async with engine.connect() as connection:  # the connection of the failed transaction is usable again
        seen.append(("streamed", [r async for r in await connection.stream(text("SELECT name FROM t ORDER BY id"))]))
    return seen


async def test_statements_answer_as_with_plain_aiosqlite(engines: dict[str, AsyncEngine]) -> None:
    ours, plain = await _session_of_statements(engines["ours"]), await _session_of_statements(engines["plain"])
    assert ours == plain
    assert ("select", ["id", "name", "n"], [(1, "a", 1), (2, "b", 12), (3, "c", 13), (4, "d", 14)]) in ours


async def test_a_transaction_left_open_is_rolled_back_when_its_connection_goes_back(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'open.db'}")
    async with db.engine.connect() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        await connection.commit()
    connection = await db.engine.connect()
    await connection.execute(text("INSERT INTO t DEFAULT VALUES"))  # BEGIN IMMEDIATE: the write lock is held
    await connection.close()  # back to the pool mid-transaction
    async with db.session() as session:  # would wait out busy_timeout if the lock were still held
        await session.exec(text("INSERT INTO t DEFAULT VALUES"))  # type: ignore[call-overload]
        await session.commit()
        assert (await session.exec(text("SELECT count(*) FROM t"))).one() == (1,)  # type: ignore[call-overload]
    await db.dispose()


async def test_a_consumer_group_crosses_to_the_sqlite_thread_three_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BEGIN, the inbox claim and COMMIT: one trip each (plain aiosqlite through SQLAlchemy made nine)."""
    db = Database(f"sqlite:///{tmp_path / 'trips.db'}")
    await migrate(db, MIGRATIONS)
    outbox = Outbox(db, source="test")
    async with outbox.transaction() as session:  # the pool has its connection ready, as in a running service
        await inbox.claim(session, consumer="warm", event_ids=["0"])
    trips: Counter[str] = Counter()
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips[getattr(fn, "__name__", repr(fn))] += 1
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    async with outbox.transaction() as session:
        assert await inbox.claim(session, consumer="c", event_ids=[str(i) for i in range(100)]) == {
            str(i) for i in range(100)
        }
    monkeypatch.undo()
    assert sum(trips.values()) == 3, trips
    await db.dispose()


def _open_and_write(url: str) -> str:
    """A Database of its own opens ``url``, writes to it and reads its journal mode (in a loop of its own)."""

    async def run() -> str:
        db = Database(url)
        try:
            async with db.engine.begin() as connection:
                await connection.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY)"))
                await connection.execute(text("INSERT INTO t DEFAULT VALUES"))
            async with db.read_engine.connect() as connection:
                return str((await connection.execute(text("PRAGMA journal_mode"))).scalar_one())
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_connections_opening_a_new_file_at_once_all_find_it_in_wal_mode(tmp_path: Path) -> None:
    # Replicas starting together on a new file each switch it to WAL; SQLite refuses all but one at
    # once ("database is locked", no busy wait), which failed a replica's migration in CI.
    for round_ in range(8):
        modes, failures = together(6, partial(_open_and_write, f"sqlite:///{tmp_path / f'new-{round_}.db'}"))
        assert failures == []
        assert modes == ["wal"] * 6
