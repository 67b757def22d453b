"""The market database as wave 1 made it.

Its tables: repositories, the chart versions each offers, and the operations waiting for a sync.

A frozen picture, written out table by table: it imports no model, so later changes to the models
do not change it. A database wave 1 made (these tables, no alembic_version) is stamped at this
revision instead of running it. There is no downgrade: restore a backup to go back.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from quickon_common.migrations import create_outbox_and_inbox

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the outbox, the inbox and the service's own tables."""
    create_outbox_and_inbox()
    op.create_table(
        "market_repository",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("index_digest", sa.String(length=64), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_wanted", sa.Integer(), nullable=False),
        sa.Column("refresh_done", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "market_sync_waiter",
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("repository", sa.String(length=63), nullable=False),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("operation_id"),
    )
    op.create_index(op.f("ix_market_sync_waiter_repository"), "market_sync_waiter", ["repository"], unique=False)
    op.create_table(
        "market_version",
        sa.Column("repository", sa.String(length=63), nullable=False),
        sa.Column("app", sa.String(length=63), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("app_version", sa.String(length=128), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("deprecated", sa.Boolean(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("repository", "app", "version"),
    )
    op.create_index("ix_market_version_app", "market_version", ["repository", "app"], unique=False)
