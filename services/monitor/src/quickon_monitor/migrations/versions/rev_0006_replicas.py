"""Replicas share the work: the leases table (``qc_lease``), where the leading replica, which evaluates
the rules among the other periodic jobs, holds its lease; the evaluator's own lease table goes.

A frozen picture: it imports no model. No downgrade.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

from quickon_common.migrations import create_lease_table

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    create_lease_table()
    op.drop_table("monitor_lease")
