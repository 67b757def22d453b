"""The audit database's Alembic migrations, run at start (see :mod:`quickon_common.migrations`).

``MIGRATIONS.models`` are the tables the newest revision must make; a test checks that they agree.
A schema change is a new revision in ``versions/``, next to the change of the models.

The append-only triggers (:mod:`quickon_audit.triggers`) are in no revision: the service installs them
(idempotently) at every start, right after migrating. SQLite alters a table by copying it, which drops
its triggers; installing them after every upgrade keeps them whatever a later revision does to
``audit_log``, where a trigger in the first revision would silently vanish with such a change.
"""

from __future__ import annotations

from pathlib import Path

from quickon_common.migrations import Migrations

from ..models import MODELS

MIGRATIONS = Migrations(service="audit", folder=Path(__file__).parent, models=(*MODELS,))
