"""Teams, their members and namespaces; users can be disabled.

What was there before teams keeps working: a team ``default`` owns the namespace ``default``, and
every user who is not a platform admin becomes an ``admin`` of it (before teams, every user could
install and uninstall), and the operations on services of no team are the default team's. Services
and backups of no team are given to it by their own
services' migrations. There is no downgrade: restore a backup to go back.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

DEFAULT = "default"


def upgrade() -> None:
    """Add the team tables and the users' disabled time; make the default team."""
    op.create_table(
        "gateway_teams",
        sa.Column("id", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_gateway_teams_name"), "gateway_teams", ["name"], unique=True)
    op.create_table(
        "gateway_team_members",
        sa.Column("team_id", sa.String(length=63), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id"),
    )
    op.create_index(op.f("ix_gateway_team_members_user_id"), "gateway_team_members", ["user_id"], unique=False)
    op.create_table(
        "gateway_team_namespaces",
        sa.Column("namespace", sa.String(length=63), nullable=False),
        sa.Column("team_id", sa.String(length=63), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("namespace"),
    )
    op.create_index(op.f("ix_gateway_team_namespaces_team_id"), "gateway_team_namespaces", ["team_id"], unique=False)
    with op.batch_alter_table("gateway_users") as batch:
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))

    now = datetime.now(UTC)
    teams = sa.table("gateway_teams", sa.column("id"), sa.column("name"), sa.column("created_at"))
    spaces = sa.table("gateway_team_namespaces", sa.column("namespace"), sa.column("team_id"), sa.column("assigned_at"))
    op.bulk_insert(teams, [{"id": DEFAULT, "name": DEFAULT, "created_at": now}])
    op.bulk_insert(spaces, [{"namespace": DEFAULT, "team_id": DEFAULT, "assigned_at": now}])
    op.execute(  # operations on services (not on repositories) were of no team: the default team's now
        sa.text("UPDATE gateway_operations SET team = :team WHERE team IS NULL AND service IS NOT NULL").bindparams(
            team=DEFAULT
        )
    )
    op.execute(
        sa.text(
            "INSERT INTO gateway_team_members (team_id, user_id, role, added_at) "
            "SELECT :team, id, 'admin', :now FROM gateway_users WHERE NOT is_admin"
        ).bindparams(team=DEFAULT, now=now)
    )
