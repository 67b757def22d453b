"""The gateway's record of the operations users asked for, kept up to date from the events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel

TIMESTAMP = DateTime(timezone=True)


class OperationRecord(SQLModel, table=True):
    """One command: what it acts on, how far it got, how it ended, and who asked."""

    __tablename__ = "gateway_operations"
    __table_args__ = (
        Index("ix_gateway_operations_created", "created_at"),
        Index("ix_gateway_operations_service", "namespace", "service"),
    )

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=32)  # install, upgrade, ..., add_repository, refresh_repository, remove_repository
    service: str | None = Field(default=None, max_length=63)
    namespace: str | None = Field(default=None, max_length=63)
    repository: str | None = Field(default=None, max_length=63)
    state: str = Field(default="pending", max_length=16)  # pending, running, succeeded, failed
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    actor: str | None = Field(default=None, max_length=64)
    team: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=TIMESTAMP)
    updated_at: datetime = Field(sa_type=TIMESTAMP)
    finished_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
