"""The deployer database as wave 1 made it.

Its tables: installed services, their revisions, operations, and the pre-upgrade backups' outcomes.

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
        "deployer_backup_outcome",
        sa.Column("backup_id", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("location", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("backup_id"),
    )
    op.create_table(
        "deployer_operation",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("namespace", sa.String(length=63), nullable=False),
        sa.Column("service", sa.String(length=53), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deployer_operation_service", "deployer_operation", ["namespace", "service"], unique=False)
    op.create_index("ix_deployer_operation_state", "deployer_operation", ["state"], unique=False)
    op.create_table(
        "deployer_revision",
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("sealed_secrets", sa.String(), nullable=True),
        sa.Column("manifest_digest", sa.String(length=64), nullable=False),
        sa.Column("manifests", sa.LargeBinary(), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "number"),
    )
    op.create_table(
        "deployer_service",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("namespace", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=53), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=True),
        sa.Column("app", sa.String(length=130), nullable=False),
        sa.Column("repository", sa.String(length=63), nullable=True),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("sealed_secrets", sa.String(), nullable=True),
        sa.Column("secret_paths", sa.JSON(), nullable=False),
        sa.Column("operation_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("namespace", "name", name="uq_deployer_service_name"),
    )
