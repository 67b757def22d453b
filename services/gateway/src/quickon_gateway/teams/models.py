"""Teams, their members (a role each) and the namespaces each owns.

A team's ``id`` is its name when it was made and never changes (services, backups and events name
their team by it), so a team can be renamed without touching what it owns; ``name`` is what people
see and type. The default team (id ``default``) holds what was there before teams existed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

TIMESTAMP = DateTime(timezone=True)
DEFAULT_TEAM = "default"


class TeamRecord(SQLModel, table=True):
    __tablename__ = "gateway_teams"

    id: str = Field(primary_key=True, max_length=63)
    name: str = Field(unique=True, index=True, max_length=63)
    created_at: datetime = Field(sa_type=TIMESTAMP)


class MemberRecord(SQLModel, table=True):
    __tablename__ = "gateway_team_members"

    team_id: str = Field(primary_key=True, max_length=63)
    user_id: str = Field(primary_key=True, index=True, max_length=36)
    role: str = Field(max_length=16)  # viewer, operator, admin, owner
    added_at: datetime = Field(sa_type=TIMESTAMP)


class NamespaceRecord(SQLModel, table=True):
    """A Kubernetes namespace and the one team whose services may be installed there."""

    __tablename__ = "gateway_team_namespaces"

    namespace: str = Field(primary_key=True, max_length=63)
    team_id: str = Field(index=True, max_length=63)
    assigned_at: datetime = Field(sa_type=TIMESTAMP)
