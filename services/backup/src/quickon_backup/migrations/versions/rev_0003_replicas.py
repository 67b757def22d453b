"""Replicas share the work: the leases table (``qc_lease``), and an owner and a lease on every saga
(``backup_job``), so that a saga runs in one replica and another takes it over when that one dies.

A frozen picture: it imports no model. No downgrade.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from quickon_common.migrations import add_saga_owner, create_lease_table

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    create_lease_table()
    add_saga_owner("backup_job")
