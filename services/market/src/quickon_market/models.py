"""The market's tables: repositories and the chart versions each one offers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel


class Repository(SQLModel, table=True):
    """A chart repository: a local directory or an HTTP(S) URL holding an index.yaml."""

    __tablename__ = "market_repository"

    name: str = Field(primary_key=True, max_length=63)
    url: str = Field(max_length=2048)
    builtin: bool = False
    status: str = Field(default="pending", max_length=16)  # pending, ok, failed
    last_error: str | None = None
    index_digest: str | None = Field(default=None, max_length=64)
    synced_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))  # last good sync
    checked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))  # last attempt
    # A refresh is due while wanted > done; a request during a sync is not lost.
    refresh_wanted: int = 1
    refresh_done: int = 0
    # Bumped whenever this repository's versions change, so readers know to reload them.
    generation: int = 0


class SyncWaiter(SQLModel, table=True):
    """An operation (add, refresh) waiting for its repository's next sync: that sync's outcome event
    carries its id, so the one who asked learns when the catalog is read (or why it is not)."""

    __tablename__ = "market_sync_waiter"

    operation_id: str = Field(primary_key=True, max_length=64)
    repository: str = Field(index=True, max_length=63)
    # The refresh count the operation asked for: any sync that reads at least that one serves it.
    wanted: int


class CatalogVersion(SQLModel, table=True):
    """One version of one chart in one repository, as its index described it."""

    __tablename__ = "market_version"
    __table_args__ = (Index("ix_market_version_app", "repository", "app"),)

    repository: str = Field(primary_key=True, max_length=63)
    app: str = Field(primary_key=True, max_length=63)
    version: str = Field(primary_key=True, max_length=128)
    app_version: str | None = Field(default=None, max_length=128)
    created: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    digest: str = Field(max_length=64)
    urls: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    deprecated: bool = False
    meta: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fingerprint: str = Field(max_length=64)
    written_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ChartScan(SQLModel, table=True):
    """A chart version's security scan, kept per package digest: an unchanged version is never scanned
    again, and a version whose package changed is scanned anew (its old report is dropped)."""

    __tablename__ = "market_scan"

    repository: str = Field(primary_key=True, max_length=63)
    app: str = Field(primary_key=True, max_length=63)
    version: str = Field(primary_key=True, max_length=128)
    digest: str = Field(primary_key=True, max_length=64)
    state: str = Field(max_length=16)  # done, failed (the chart does not render)
    report: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = None
    scanned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
