"""Notification channels, their deliveries and the attempts of each (the delivery log).

A frozen picture, written out table by table: it imports no model. There is no downgrade: restore a
backup to go back.

Revision ID: 0003
Revises: 0001 (chained after 0002, the alert tables, when both land)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the channel, delivery and attempt tables."""
    op.create_table(
        "monitor_channel",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("team", sa.String(128), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("sealed_target", sa.String(), nullable=False),
        sa.Column("failing", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_monitor_channel_team", "monitor_channel", ["team"])
    op.create_table(
        "monitor_delivery",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("notice", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("channel_id", "event_id", name="uq_monitor_delivery_event"),
    )
    op.create_index("ix_monitor_delivery_channel_id", "monitor_delivery", ["channel_id"])
    op.create_index("ix_monitor_delivery_due", "monitor_delivery", ["state", "next_at"])
    op.create_table(
        "monitor_delivery_attempt",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(1000), nullable=False),
    )
    op.create_index("ix_monitor_delivery_attempt_delivery_id", "monitor_delivery_attempt", ["delivery_id"])
