"""The backups and schedules of no team (made before teams existed) belong to the default team.

The gateway's own migration makes that team (id ``default``, owning the namespace ``default``), so
requests about them, which now name their team, keep being accepted. Data only; no downgrade.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

DEFAULT_TEAM = "default"
TABLES = ("backup_backup", "backup_schedule")


def upgrade() -> None:
    """Give the default team what belongs to none."""
    for table in TABLES:
        op.execute(sa.text(f"UPDATE {table} SET team = :team WHERE team IS NULL").bindparams(team=DEFAULT_TEAM))
