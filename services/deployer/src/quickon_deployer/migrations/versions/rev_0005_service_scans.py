"""The security scan of each service's manifests (``deployer_service_scan``), one per manifest digest.

A frozen picture: it imports no model. No downgrade.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the table of the services' scans; the services from before are scanned by the worker."""
    op.create_table(
        "deployer_service_scan",
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("manifest_digest", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "manifest_digest"),
    )
