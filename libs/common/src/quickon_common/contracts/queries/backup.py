"""The backup service's queries (``qc.query.backup.<name>``): backups of a service, one backup with its parts
and jobs, schedules."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import Caller, QueryReply, QueryRequest, query


class BackupsRequest(QueryRequest):
    namespace: str = "default"
    service: str | None = Field(default=None, max_length=63)
    include_deleted: bool = False
    limit: int = Field(default=100, ge=1, le=1000)
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class BackupRequest(QueryRequest):
    backup_id: str = Field(min_length=1, max_length=64)
    parts: bool = Field(default=False, description="read the manifest from the store for the parts")
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class SchedulesRequest(QueryRequest):
    namespace: str | None = None
    service: str | None = Field(default=None, max_length=63)
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class Backup(QueryReply):
    backup_id: str
    service: str
    namespace: str
    team: str | None = None
    trigger: str = Field(description="manual, schedule or pre-upgrade")
    status: str
    reason: str | None = None
    app: str | None = None
    version: str | None = None
    revision: int | None = None
    size_bytes: int | None = None
    parts: int | None = None
    location: str | None = None
    created_by: str | None = None
    created_at: str | None = None
    completed_at: str | None = None
    verified_at: str | None = None


class BackupList(QueryReply):
    backups: list[Backup]


class Job(QueryReply):
    """A backup, restore, verification or deletion run on a backup."""

    job: str
    kind: str
    backup_id: str | None = None
    service: str | None = None
    target: str | None = None
    operation_id: str | None = None
    state: str
    step: str | None = None
    steps: list[dict[str, Any]] = []
    error: str | None = None
    created_at: str | None = None
    finished_at: str | None = None


class BackupDetail(Backup):
    jobs: list[Job] = []
    manifest: dict[str, Any] | None = Field(
        default=None, description="the parts, their sizes and SHA-256 (asked with parts, once completed)"
    )


class Schedule(QueryReply):
    service: str
    namespace: str
    cron: str
    timezone: str
    keep_last: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    drill: bool = False
    next_run_at: str | None = None
    last_run_at: str | None = None


class Schedules(QueryReply):
    schedules: list[Schedule]


BACKUPS = query("backup", "backups", BackupsRequest, BackupList, "A service's backups, newest first")
BACKUP = query("backup", "backup", BackupRequest, BackupDetail, "One backup: its parts and what ran on it")
SCHEDULES = query("backup", "schedules", SchedulesRequest, Schedules, "Backup schedules")
