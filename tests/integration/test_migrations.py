"""Every service's database is made and upgraded by its migrations, and its data survives an upgrade.

Each test runs on SQLite and on PostgreSQL (the ``database_url`` fixture), for every service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlmodel import SQLModel, select

from quickon_audit.migrations import MIGRATIONS as AUDIT
from quickon_backup.migrations import MIGRATIONS as BACKUP
from quickon_common.db import Database
from quickon_common.inbox import InboxRecord
from quickon_common.migrations import MigrationError, Migrations, migrate
from quickon_common.migrations.runner import first_revision
from quickon_common.outbox import OutboxRecord
from quickon_deployer.migrations import MIGRATIONS as DEPLOYER
from quickon_gateway.migrations import MIGRATIONS as GATEWAY
from quickon_market.migrations import MIGRATIONS as MARKET
from quickon_monitor.migrations import MIGRATIONS as MONITOR
from support.together import together

SERVICES = [MARKET, DEPLOYER, BACKUP, MONITOR, AUDIT, GATEWAY]
Rows = dict[str, list[dict[str, Any]]]

by_service = pytest.mark.parametrize("migrations", SERVICES, ids=lambda m: m.service)


async def on_connection(db: Database, work: Callable[[Connection], Any]) -> Any:
    """Run ``work`` on a sync connection to ``db`` in one committed transaction."""
    async with db.engine.begin() as connection:
        return await connection.run_sync(work)


def upgrade_to(migrations: Migrations, revision: str) -> Callable[[Connection], None]:
    return lambda connection: command.upgrade(migrations.config(connection), revision)


def value(column: dict[str, Any], table: str, row: int) -> Any:
    """A value of the column's type, distinct per row (so that primary keys differ)."""
    python_type = column["type"].python_type
    if python_type is bool:
        return row % 2 == 0
    if python_type is int:
        return 1000 + row
    if python_type is datetime:
        return datetime(2026, 1, 2, 3, 4, row, 123456, tzinfo=UTC)
    if python_type is bytes:
        return bytes([0, row, 255]) + b"kept"
    if python_type is str:
        length = getattr(column["type"], "length", None) or 200
        return f"{row}-{table}.{column['name']}"[:length]
    return {"row": row, "kept": ["a", 1, None]}  # JSON


def insert_rows(connection: Connection) -> Rows:
    """Two rows in every table the database has (but the version table), read back as stored."""
    inspector = sa.inspect(connection)
    rows: Rows = {}
    for table in inspector.get_table_names():
        if table.startswith("alembic_version"):
            continue
        columns = inspector.get_columns(table)
        written = [{c["name"]: value(c, table, row) for c in columns} for row in (1, 2)]
        connection.execute(sa.Table(table, sa.MetaData(), autoload_with=connection).insert(), written)
        rows[table] = read_rows(connection, table, [c["name"] for c in columns])
    return rows


def read_rows(connection: Connection, table: str, columns: list[str]) -> list[dict[str, Any]]:
    """The rows of ``table`` (those columns), in a stable order, datetimes compared as UTC instants."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=connection)
    found = connection.execute(sa.select(*(reflected.c[name] for name in columns))).mappings().all()
    return sorted((normal(dict(row)) for row in found), key=repr)


def normal(row: dict[str, Any]) -> dict[str, Any]:
    # SQLite keeps a naive UTC time, PostgreSQL an aware one: the instant is what must survive.
    return {k: v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v
            for k, v in row.items()}  # fmt: skip


def rows_now(rows: Rows) -> Callable[[Connection], Rows]:
    return lambda connection: {table: read_rows(connection, table, list(kept[0])) for table, kept in rows.items()}


def versions(migrations: Migrations) -> Callable[[Connection], list[str]]:
    query = sa.text(f"SELECT version_num FROM {migrations.version_table}")
    return lambda connection: list(connection.execute(query).scalars())


def head(migrations: Migrations) -> str | None:
    return ScriptDirectory(str(migrations.folder)).get_current_head()


def differences(migrations: Migrations) -> Callable[[Connection], list[Any]]:
    def compare(connection: Connection) -> list[Any]:
        opts = {"compare_type": True, "version_table": migrations.version_table}
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, migrations.metadata()))

    return compare


@by_service
async def test_rows_written_at_the_first_revision_are_found_at_head(migrations: Migrations, database_url: str) -> None:
    db = Database(database_url)
    await on_connection(db, upgrade_to(migrations, first_revision(migrations)))
    written = await on_connection(db, insert_rows)
    assert {OutboxRecord.__tablename__, InboxRecord.__tablename__} <= written.keys()

    await migrate(db, migrations)

    assert await on_connection(db, rows_now(written)) == written
    assert await on_connection(db, versions(migrations)) == [head(migrations)]
    async with db.read_session() as session:  # and the service's models read them
        for model in (OutboxRecord, InboxRecord, *migrations.models):
            if model.__tablename__ in written:  # type: ignore[attr-defined]  # (later tables start as their revision made them)
                assert len((await session.exec(select(model))).all()) == 2, model.__name__
    await db.dispose()


@by_service
async def test_migrations_make_the_tables_the_models_describe(migrations: Migrations, database_url: str) -> None:
    db = Database(database_url)
    await migrate(db, migrations)
    assert await on_connection(db, differences(migrations)) == []
    await db.dispose()


@by_service
async def test_a_database_made_by_create_all_is_stamped_and_upgraded_with_its_data(
    migrations: Migrations, database_url: str
) -> None:
    # Made as wave 1 made it: the first revision's tables (what create_all made then), no version table.
    db = Database(database_url)
    await on_connection(db, upgrade_to(migrations, first_revision(migrations)))
    await on_connection(db, lambda connection: connection.execute(sa.text(f"DROP TABLE {migrations.version_table}")))
    written = await on_connection(db, insert_rows)

    await migrate(db, migrations)

    assert await on_connection(db, versions(migrations)) == [head(migrations)]
    assert await on_connection(db, rows_now(written)) == written
    assert await on_connection(db, differences(migrations)) == []
    await db.dispose()


def _migrated(database_url: str) -> None:
    """A replica starting: a Database of its own migrated (in a loop of its own)."""

    async def start() -> None:
        db = Database(database_url)
        try:
            await migrate(db, GATEWAY)
        finally:
            await db.dispose()

    asyncio.run(start())


async def test_two_replicas_migrating_at_once_both_succeed_and_leave_one_version(database_url: str) -> None:
    _, failures = await asyncio.to_thread(together, 2, partial(_migrated, database_url))

    assert failures == []
    db = Database(database_url)
    assert await on_connection(db, versions(GATEWAY)) == [head(GATEWAY)]
    assert await on_connection(db, differences(GATEWAY)) == []
    await db.dispose()


async def test_a_database_with_only_some_tables_is_refused_and_left_unchanged(database_url: str) -> None:
    # Some of the market's tables and no revision: not a database wave 1 made whole.
    db = Database(database_url)
    some = [OutboxRecord.__table__, MARKET.models[0].__table__]  # type: ignore[attr-defined]
    await on_connection(db, lambda connection: SQLModel.metadata.create_all(connection, tables=some))
    before = await on_connection(db, lambda connection: sorted(sa.inspect(connection).get_table_names()))

    with pytest.raises(MigrationError, match=r"lacks .*market_version.*QC_MARKET_DATABASE_URL"):
        await migrate(db, MARKET)

    assert await on_connection(db, lambda connection: sorted(sa.inspect(connection).get_table_names())) == before
    await db.dispose()


async def test_services_sharing_a_database_each_keep_their_own_revision(database_url: str) -> None:
    # Wave 1 let services share one database (and an operator may give them one PostgreSQL database):
    # the second finds the outbox and the inbox made, adds its own tables and its own version table.
    db = Database(database_url)
    await migrate(db, AUDIT)
    await migrate(db, GATEWAY)
    await migrate(db, AUDIT)  # and again at the next start: nothing to do

    for migrations in (AUDIT, GATEWAY):
        assert await on_connection(db, versions(migrations)) == [head(migrations)]
    tables = set(await on_connection(db, lambda connection: sa.inspect(connection).get_table_names()))
    assert set(AUDIT.metadata().tables) | set(GATEWAY.metadata().tables) <= tables
    await db.dispose()


async def test_a_database_a_newer_quickon_migrated_is_refused_with_what_to_do(database_url: str) -> None:
    db = Database(database_url)
    await migrate(db, MONITOR)
    await on_connection(
        db, lambda connection: connection.execute(sa.text(f"UPDATE {MONITOR.version_table} SET version_num = 'f00d'"))
    )

    with pytest.raises(MigrationError, match=r"f00d.*newer QuickOn migrated it"):
        await migrate(db, MONITOR)

    assert await on_connection(db, versions(MONITOR)) == ["f00d"]
    await db.dispose()


async def test_what_was_there_before_teams_lands_in_the_default_team(database_url: str) -> None:
    """Upgrading keeps users and services working: a default team owns namespace 'default', users who are not
    admins are admins of it, and the services and backups of no team are its own."""
    db = Database(database_url)
    now = datetime(2026, 1, 2, tzinfo=UTC)
    await on_connection(db, upgrade_to(GATEWAY, first_revision(GATEWAY)))
    users = sa.table("gateway_users", *(sa.column(c) for c in ("id", "username", "password_hash", "is_admin",
                                                                 "created_at", "password_changed_at")))  # fmt: skip
    rows = [{"id": f"u{i}", "username": name, "password_hash": "x", "is_admin": name == "admin", "created_at": now,
             "password_changed_at": now} for i, name in enumerate(("admin", "bob"))]  # fmt: skip
    await on_connection(db, lambda connection: connection.execute(users.insert(), rows))
    await migrate(db, GATEWAY)

    def read(connection: Connection) -> tuple[Any, ...]:
        return (
            connection.execute(sa.text("SELECT id, name FROM gateway_teams")).all(),
            connection.execute(sa.text("SELECT namespace, team_id FROM gateway_team_namespaces")).all(),
            connection.execute(sa.text("SELECT team_id, user_id, role FROM gateway_team_members")).all(),
        )

    assert await on_connection(db, read) == (
        [("default", "default")],
        [("default", "default")],
        [("default", "u1", "admin")],
    )
    # The deployer's and the backup service's own tables (beside the gateway's: names never collide).
    for migrations, table in ((DEPLOYER, "deployer_service"), (BACKUP, "backup_backup")):
        await on_connection(db, upgrade_to(migrations, first_revision(migrations)))
        columns = await on_connection(db, lambda c, t=table: sa.inspect(c).get_columns(t))
        row = {c["name"]: value(c, table, 1) for c in columns} | {"team": None}
        await on_connection(db, lambda connection, t=table, r=row: connection.execute(
            sa.Table(t, sa.MetaData(), autoload_with=connection).insert(), [r]))  # fmt: skip
        await migrate(db, migrations)
        teams = await on_connection(db, lambda c, t=table: c.execute(sa.text(f"SELECT team FROM {t}")).scalars().all())
        assert teams == ["default"], table
    await db.dispose()
