"""The body of every service's ``migrations/env.py``: Alembic runs it for each command."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from .runner import Migrations


def run_environment(migrations: Migrations) -> None:
    """Run the command on the connection :func:`~quickon_common.migrations.migrate` holds.

    SQLite alters a table by copying it (``render_as_batch``), so later revisions' ALTERs work there.
    The models' metadata is the target that autogenerate compares with.
    """
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            f"the {migrations.service} migrations run through quickon_common.migrations (the service runs "
            "them when it starts), which passes the database connection; the alembic command alone has none"
        )
    context.configure(
        connection=connection,
        target_metadata=migrations.metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,  # on SQLite too: the runner's transaction holds every revision's DDL
        compare_type=True,
        version_table=migrations.version_table,
    )
    with context.begin_transaction():
        context.run_migrations()
