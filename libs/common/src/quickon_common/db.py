"""Database engines: a SQLite file by default, PostgreSQL when the URL says so.

Every service owns its own database; its migrations make its tables (:mod:`.migrations`).
Engines are async (aiosqlite, psycopg 3) so that a handler never blocks the event loop on a commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from . import sqlite
from .files import owner_only_file

SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")  # the files SQLite keeps beside a database


class DatabaseURLError(ValueError):
    """The database URL names a backend QuickOn does not run on."""


def async_url(url: str) -> str:
    """The async-driver form of a plain ``sqlite://`` or ``postgresql://`` URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise DatabaseURLError(f"unsupported database URL {parsed!r}: use sqlite:///PATH or postgresql://…")


def _configure_sqlite(engine: AsyncEngine, synchronous: str, *, immediate: bool) -> None:
    # quickon_common.sqlite.connect put the file in WAL mode. Writers BEGIN IMMEDIATE: they take the write
    # lock at the start, so two writers queue on busy_timeout instead of one failing with
    # "database is locked" when it upgrades from a read (SQLAlchemy's pysqlite recipe).
    # Readers BEGIN DEFERRED and never wait for a writer.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """An async engine and its sessions, for one service's database."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            database = make_url(self.url).database
            if database and database != ":memory:":
                # Made owner-only before SQLite opens it: its journals take the database file's mode.
                owner_only_file(Path(database), *SQLITE_COMPANIONS)
            # One trip to the connection's thread per statement (see quickon_common.sqlite).
            connect = partial(sqlite.connect, database or ":memory:")
            self.engine = create_async_engine(self.url, async_creator=connect)
            _configure_sqlite(self.engine, sqlite_synchronous, immediate=True)
            self.read_engine = create_async_engine(self.url, async_creator=connect)
            _configure_sqlite(self.read_engine, sqlite_synchronous, immediate=False)
        else:
            self.engine = create_async_engine(self.url, pool_pre_ping=True, pool_size=10)
            self.read_engine = self.engine

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for writing, whose transaction the caller commits; rolled back if it raises."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only: on SQLite it never waits for a writer."""
        async with AsyncSession(self.read_engine, expire_on_commit=False) as session:
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        await self.read_engine.dispose()
