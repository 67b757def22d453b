"""Replicas share the work: the leases table (``qc_lease``), as every service's second wave has it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from quickon_common.migrations import create_lease_table

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    create_lease_table()
