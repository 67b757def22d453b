"""Schema migrations: every service's database is created and upgraded by its own Alembic scripts.

A service package ships ``migrations/`` (``env.py``, ``versions/``, and a :class:`Migrations` in its
``__init__``); :func:`migrate` runs them to the newest revision when the service starts, under a lock
so that replicas starting together do not race. Schema changes are new revisions, never
``create_all``: an operator upgrading QuickOn keeps their data.

To change a schema, change the models and add ``versions/rev_<NNNN>_<what>.py`` beside the first
revision: ``revision = "<NNNN>"``, ``down_revision`` the one before, and an ``upgrade()`` of explicit
``op`` calls (``op.batch_alter_table`` to alter a table: SQLite copies it). Revisions never import
models, which move on. A revision never commits on its own (no ``autocommit_block``): the lock
lasts as long as the one transaction that runs every revision. ``tests/integration/test_migrations.py``
checks on SQLite and PostgreSQL that the newest revision makes what the models describe, and that
rows written before it are kept.
"""

from .environment import run_environment
from .runner import MigrationError, Migrations, migrate
from .shared_tables import add_saga_owner, create_lease_table, create_outbox_and_inbox

__all__ = [
    "MigrationError",
    "Migrations",
    "add_saga_owner",
    "create_lease_table",
    "create_outbox_and_inbox",
    "migrate",
    "run_environment",
]
