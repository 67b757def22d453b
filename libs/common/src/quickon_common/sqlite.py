"""SQLite connections that cross to their thread once per statement.

aiosqlite runs each sqlite3 call on the connection's own thread, and SQLAlchemy's adapter
makes one call per step: a cursor, execute, fetchall, close, then a rollback when the pool
takes the connection back. Each crossing wakes that thread and then the event loop; a
consumer's group (BEGIN, inbox claim, commit) made about nine of them, and they were the
largest share of its time. Here a statement is one crossing (cursor, execute, fetch every
row, close, all on the thread) and a rollback with no transaction open is none: a group
takes three.

This leans on ``aiosqlite.Connection._execute`` (run a function on the connection's
thread) and ``_thread``, which are private; SQLAlchemy's own aiosqlite dialect uses the same
internals, and pyproject.toml keeps aiosqlite below the next minor version.
Importing this module fails on an aiosqlite without ``_execute``, and
tests/integration/test_sqlite_statements.py checks results, errors and transactions against
plain aiosqlite, and the three trips of a group.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

if not callable(getattr(aiosqlite.Connection, "_execute", None)):  # pragma: no cover - a guard for upgrades
    raise ImportError(f"aiosqlite {aiosqlite.__version__} has no Connection._execute: see quickon_common.sqlite")

# Tries to switch a new file to WAL while another connection switches it (about 2 s in all).
WAL_SWITCH_TRIES = 14

Row = tuple[Any, ...]
Outcome = tuple[Any, int, int | None, list[Row]]  # description, rowcount, lastrowid, rows


def _run(connection: aiosqlite.Connection, method: str, sql: str, parameters: Any) -> Outcome:
    """On the connection's thread: one statement from cursor to close, every row fetched."""
    cursor = connection._conn.cursor()
    try:
        getattr(cursor, method)(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor:
    """The cursor SQLAlchemy's adapter drives: each execute is one trip and brings every row back."""

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: deque[Row] = deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def _trip(self, method: str, sql: str, parameters: Any) -> OneTripCursor:
        outcome: Outcome = await self._connection._execute(  # type: ignore[no-untyped-call]  # aiosqlite's, untyped
            _run, self._connection, method, sql, parameters
        )
        self.description, self.rowcount, self.lastrowid, rows = outcome
        self._rows = deque(rows)
        return self

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> OneTripCursor:
        return await self._trip("execute", sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        return await self._trip("executemany", sql, parameters)

    async def fetchone(self) -> Row | None:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        return [self._rows.popleft() for _ in range(min(size or self.arraysize, len(self._rows)))]

    async def fetchall(self) -> list[Row]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()  # the sqlite3 cursor was closed on the thread already

    async def __aiter__(self) -> AsyncIterator[Row]:
        while self._rows:
            yield self._rows.popleft()


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors make one trip per statement (see the module)."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        # No trip: the sqlite3 cursor is made on the thread with its statement. Used as
        # ``async with connection.cursor()`` (what SQLAlchemy does), like aiosqlite's.
        return OneTripCursor(self)

    async def rollback(self) -> None:
        # The pool rolls back every connection it takes back, even after a commit. Whether a
        # transaction is open is a flag of the connection (aiosqlite reads it from this thread too).
        if self.in_transaction:
            await super().rollback()


async def connect(database: str) -> OneTripConnection:
    """A connection to the SQLite file ``database``, as SQLAlchemy's aiosqlite dialect would open it."""
    connection = OneTripConnection(partial(sqlite3.connect, database, check_same_thread=False), iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy does: a connection left open must not hold up the exit
    await connection  # opens the sqlite3 connection on its thread
    await _write_ahead_log(connection)
    return connection


async def _write_ahead_log(connection: OneTripConnection) -> None:
    """Put the file in WAL mode, which lets readers run beside the writer (the file keeps it).

    Two connections opening a new file at once both try to switch it, and SQLite answers the
    loser "database is locked" at once, without waiting on busy_timeout (each holds the shared
    lock the other needs released, so waiting could deadlock). The loser tries again a moment
    later and finds the file in WAL mode already; seen when two replicas migrated a new database.
    """
    for attempt in itertools.count(1):
        try:
            await connection.cursor().execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt >= WAL_SWITCH_TRIES:
                raise
            await asyncio.sleep(0.02 * attempt)
