"""How each service is reached: its exposure settings, their secrets (sealed) and its web entry.

A frozen picture: it imports no model. No downgrade.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Three columns of deployer_service; a service from before has no domain and no protection."""
    with op.batch_alter_table("deployer_service") as table:
        table.add_column(sa.Column("exposure", sa.JSON(), nullable=False, server_default="{}"))
        table.add_column(sa.Column("exposure_secrets", sa.String(), nullable=True))
        table.add_column(sa.Column("web", sa.String(length=128), nullable=True))
