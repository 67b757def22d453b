"""The gateway's users and tokens. A token is kept only as its SHA-256 digest: a stolen database
gives no working token, and a password only as its Argon2id hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

TIMESTAMP = DateTime(timezone=True)


class UserRecord(SQLModel, table=True):
    __tablename__ = "gateway_users"

    id: str = Field(primary_key=True, max_length=36)
    username: str = Field(unique=True, index=True, max_length=64)
    password_hash: str = Field(max_length=256)
    is_admin: bool = False
    # Before teams: unused since (a user's teams are their gateway_team_members rows); kept, as columns are.
    team: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=TIMESTAMP)
    password_changed_at: datetime = Field(sa_type=TIMESTAMP)
    disabled_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)  # a disabled user's tokens stop working


class TokenRecord(SQLModel, table=True):
    __tablename__ = "gateway_tokens"

    id: str = Field(primary_key=True, max_length=36)
    digest: str = Field(unique=True, index=True, max_length=64)
    user_id: str = Field(index=True, max_length=36)
    kind: str = Field(max_length=16)  # "session" (a login) or "api" (a personal token for scripts)
    name: str = Field(max_length=100)
    created_at: datetime = Field(sa_type=TIMESTAMP)
    expires_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
    revoked_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
    last_used_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
