"""The backup service's tables: backups, schedules, jobs (the sagas of backups, restores and
verifications), and the outcomes of the deployer operations a restore waits for.

JSON columns are replaced, never changed in place: SQLAlchemy only notices a new value.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from quickon_common.saga import SagaRecord


class BackupRecord(SQLModel, table=True):
    """One backup of one service; ``completed`` once its manifest is in the store."""

    __tablename__ = "backup_backup"
    __table_args__ = (Index("ix_backup_backup_service", "namespace", "service"),)

    id: str = Field(primary_key=True, max_length=64)
    namespace: str = Field(max_length=63)
    service: str = Field(max_length=53)
    team: str | None = Field(default=None, max_length=128)
    trigger: str = Field(max_length=16)  # manual, schedule, pre_upgrade, drill
    status: str = Field(max_length=16)  # running, completed, failed, deleted
    reason: str | None = None
    app: str | None = Field(default=None, max_length=130)
    version: str | None = Field(default=None, max_length=128)
    revision: int | None = None
    size_bytes: int = 0
    parts: int = 0
    location: str | None = None  # the store and the manifest's key, for messages
    verified_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_by: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class ScheduleRecord(SQLModel, table=True):
    """A service's backup schedule and retention policy."""

    __tablename__ = "backup_schedule"
    __table_args__ = (UniqueConstraint("namespace", "service", name="uq_backup_schedule_service"),)

    id: str = Field(primary_key=True, max_length=36)
    namespace: str = Field(max_length=63)
    service: str = Field(max_length=53)
    team: str | None = Field(default=None, max_length=128)
    cron: str = Field(max_length=128)
    timezone: str = Field(default="UTC", max_length=64)
    keep_last: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    drill: bool = False  # a restore drill after each scheduled backup
    next_run_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_run_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_by: str | None = Field(default=None, max_length=255)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class JobRecord(SagaRecord, table=True):
    """One backup, restore or verification, run as a saga: each step recorded, a deadline, an outcome
    (the saga's columns are :class:`SagaRecord`'s)."""

    __tablename__ = "backup_job"
    __table_args__ = (Index("ix_backup_job_state", "state"),)

    id: str = Field(primary_key=True, max_length=80)  # "<kind>-<backup or operation id>"
    # kind: backup, restore, verify, drill, delete
    backup_id: str = Field(max_length=64)
    namespace: str = Field(max_length=63)
    service: str = Field(max_length=53)
    target: str | None = Field(default=None, max_length=53)  # a restore's target service
    operation_id: str | None = Field(default=None, max_length=64)


class DeployOutcomeRecord(SQLModel, table=True):
    """How a deployer operation a restore asked for ended (its id is the restore's, plus the step)."""

    __tablename__ = "backup_deploy_outcome"

    operation_id: str = Field(primary_key=True, max_length=64)
    succeeded: bool
    event: str = Field(max_length=64)
    reason: str | None = None
    revision: int | None = None
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
