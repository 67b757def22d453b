"""Replicas share the work: the leases table (``qc_lease``), where the leading replica, which runs the
periodic jobs, holds its lease.

A frozen picture: it imports no model. No downgrade.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from quickon_common.migrations import create_lease_table

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    create_lease_table()
