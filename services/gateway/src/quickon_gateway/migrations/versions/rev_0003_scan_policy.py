"""The platform's scan policy (``gateway_scan_policy``): one row once a platform admin sets it; until then
the default (nothing blocks, CRITICAL warns).

A frozen picture: it imports no model. No downgrade.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table of the scan policy."""
    op.create_table(
        "gateway_scan_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block", sa.JSON(), nullable=False),
        sa.Column("warn", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
