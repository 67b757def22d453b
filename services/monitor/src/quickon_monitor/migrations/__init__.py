"""The monitor database's Alembic migrations, run at start (see :mod:`quickon_common.migrations`).

``MIGRATIONS.models`` are the tables the newest revision must make; a test checks that they agree.
A schema change is a new revision in ``versions/``, next to the change of the models.
"""

from __future__ import annotations

from pathlib import Path

from quickon_common.migrations import Migrations

from ..models import AlertRecord, HitRecord, RuleRecord, SilenceRecord, TeamNamespaceRecord
from ..notify.models import AttemptRecord, ChannelRecord, DeliveryRecord

MIGRATIONS = Migrations(
    service="monitor",
    folder=Path(__file__).parent,
    models=(
        RuleRecord,
        AlertRecord,
        SilenceRecord,
        HitRecord,
        TeamNamespaceRecord,
        ChannelRecord,
        DeliveryRecord,
        AttemptRecord,
    ),
)
