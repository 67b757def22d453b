"""Bring a service's database to its newest revision at start, under a lock.

The whole run is one transaction that first takes a lock: ``pg_advisory_xact_lock`` on a key fixed
per service on PostgreSQL; on SQLite the service's writer engine begins with ``BEGIN IMMEDIATE``,
which already excludes every other writer. A replica that starts meanwhile waits, then finds the
database at the newest revision and does nothing. Both databases run DDL inside a transaction, so a
run that fails leaves the database as it found it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, MetaData, inspect, text
from sqlmodel import SQLModel

from ..db import Database
from ..inbox import InboxRecord
from ..leases import LeaseRecord
from ..outbox import OutboxRecord

# One lock for every service's migrations: services may share a database (wave 1 let them, and an
# operator may give all of them one PostgreSQL database), and their first revisions all make the
# outbox and the inbox. PostgreSQL scopes advisory locks to a database, so other databases never wait.
LOCK_KEY = int.from_bytes(hashlib.blake2b(b"quickon-migrations", digest_size=8).digest(), "big", signed=True)


def version_table(service: str) -> str:
    """Each service keeps its revision in a table of its own, so that services sharing a database
    each know where their own tables stand."""
    return f"alembic_version_{service}"


class MigrationError(RuntimeError):
    """The database cannot be brought to the newest revision; the message says why and what to do."""


@dataclass(frozen=True)
class Migrations:
    """A service's Alembic scripts and the models whose tables they must make.

    ``folder`` holds ``env.py`` and ``versions/``; ``models`` are the service's own table models as they
    are today (the outbox, the inbox and the leases are every service's and added here).
    """

    service: str
    folder: Path
    models: tuple[type[SQLModel], ...] = ()

    def metadata(self) -> MetaData:
        """The tables the newest revision must have made, as the models describe them today."""
        metadata = MetaData()
        for model in (OutboxRecord, InboxRecord, LeaseRecord, *self.models):
            model.__table__.to_metadata(metadata)  # type: ignore[attr-defined]
        return metadata

    def config(self, connection: Connection) -> Config:
        """An Alembic configuration of these scripts on ``connection`` (no alembic.ini on disk)."""
        config = Config()
        config.set_main_option("script_location", str(self.folder))
        config.set_main_option("file_template", "rev_%%(rev)s_%%(slug)s")  # an importable module name
        config.attributes["connection"] = connection
        config.attributes["migrations"] = self
        return config

    @property
    def version_table(self) -> str:
        return version_table(self.service)

    def made_before_migrations(self, tables: set[str]) -> bool:
        """Whether a database without this service's version table was made by wave 1 (``create_all``):
        it holds some of the service's own tables, or (for a service with none) the outbox."""
        own = {model.__tablename__ for model in self.models}
        return bool(own & tables) if own else OutboxRecord.__tablename__ in tables


async def migrate(db: Database, migrations: Migrations) -> None:
    """Bring ``db`` to the newest revision of ``migrations``: an empty database gets every table, a
    database wave 1 made (its tables, no version table) is stamped at the first revision and
    upgraded, one already migrated gets the revisions it lacks. Raises :class:`MigrationError`."""
    async with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        await connection.run_sync(upgrade_to_head, migrations)


def upgrade_to_head(connection: Connection, migrations: Migrations) -> None:
    """:func:`migrate`'s work on a connection whose transaction the caller holds (and has locked)."""
    config = migrations.config(connection)
    tables = set(inspect(connection).get_table_names())
    try:
        if migrations.version_table not in tables and migrations.made_before_migrations(tables):
            command.stamp(config, first_revision(migrations))
        command.upgrade(config, "head")
    except CommandError as error:
        raise MigrationError(
            f"cannot migrate the {migrations.service} database: {error}. A revision it does not know means "
            "a newer QuickOn migrated it: run that release again, or restore the database from a backup."
        ) from error
    missing = sorted(set(migrations.metadata().tables) - set(inspect(connection).get_table_names()))
    if missing:
        raise MigrationError(
            f"the {migrations.service} database lacks {', '.join(missing)} after migrating: it holds only some "
            f"of the {migrations.service}'s tables, without their revision. Give the {migrations.service} a "
            f"database of its own (QC_{migrations.service.upper()}_DATABASE_URL; an empty one is fine: it creates "
            "its tables), or restore this one from a backup."
        )


def first_revision(migrations: Migrations) -> str:
    """The revision that creates the schema as wave 1 made it (the scripts' single base)."""
    script = ScriptDirectory(str(migrations.folder))
    (base,) = script.get_bases()
    return base
