"""Backup context: backups, schedules, retention and restores (owned by the backup service)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import secret
from .common import Failure, OperationEvent, Success

BackupTrigger = Literal["manual", "schedule", "pre_upgrade", "drill", "export", "import"]
ExportFormat = Literal["quickon", "helm"]


class BackupEvent(OperationEvent):
    """An event about one backup of one service."""

    backup_id: str
    service: str
    namespace: str = "default"


class BackupRequested(BackupEvent):
    subject = "qc.backup.backup.requested"
    trigger: BackupTrigger = "manual"


class BackupStarted(BackupEvent):
    subject = "qc.backup.backup.started"


class BackupCompleted(BackupEvent, Success):
    subject = "qc.backup.backup.completed"
    size_bytes: int
    parts: int
    location: str


class BackupFailed(BackupEvent, Failure):
    subject = "qc.backup.backup.failed"


class BackupVerifyRequested(BackupEvent):
    subject = "qc.backup.verify.requested"
    # Also a restore drill: the backup restored as a throwaway service, its data checked, then removed.
    drill: bool = False


class BackupVerified(BackupEvent, Success):
    subject = "qc.backup.verify.completed"
    parts_checked: int
    drilled: bool = False  # restored into a throwaway service that started with the same data


class BackupVerifyFailed(BackupEvent, Failure):
    subject = "qc.backup.verify.failed"


class BackupDeleteRequested(BackupEvent):
    subject = "qc.backup.backup.delete_requested"


class BackupDeleted(BackupEvent, Success):
    subject = "qc.backup.backup.deleted"


class BackupDeleteFailed(BackupEvent, Failure):
    subject = "qc.backup.backup.delete_failed"


class BackupPruned(OperationEvent):
    subject = "qc.backup.retention.pruned"
    service: str
    namespace: str = "default"
    backup_ids: list[str]


class RestoreRequested(BackupEvent):
    subject = "qc.backup.restore.requested"
    target_service: str | None = None  # None: restore in place
    # Only the volumes' data, in place, asking the deployer nothing: the deployer's own request while it
    # holds the service stopped (the data rollback of a failed upgrade).
    data_only: bool = False


class RestoreStarted(BackupEvent):
    subject = "qc.backup.restore.started"
    target_service: str


class RestoreCompleted(BackupEvent, Success):
    subject = "qc.backup.restore.completed"
    target_service: str


class RestoreFailed(BackupEvent, Failure):
    subject = "qc.backup.restore.failed"
    target_service: str | None = None


class BackupScheduleSet(OperationEvent, Success):
    subject = "qc.backup.schedule.set"
    service: str
    namespace: str = "default"
    cron: str
    timezone: str = "UTC"
    keep_last: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    drill: bool = False
    next_run_at: str | None = None  # ISO 8601, UTC


class BackupScheduleRemoved(OperationEvent, Success):
    subject = "qc.backup.schedule.removed"
    service: str
    namespace: str = "default"


class BackupStepRecorded(BackupEvent):
    """Progress of a backup, restore, verification or deletion, for live displays (``qc backup --wait``)."""

    subject = "qc.backup.job.step"
    job: Literal["backup", "restore", "verify", "drill", "delete", "export", "import"]
    step: str
    state: Literal["started", "progress", "completed", "failed", "compensated"]
    detail: str | None = None


class BackupScheduleRequested(OperationEvent):
    """Set a service's schedule and retention (``cron`` None: remove the schedule)."""

    subject = "qc.backup.schedule.requested"
    service: str
    namespace: str = "default"
    cron: str | None = None
    timezone: str = "UTC"
    keep_last: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None
    drill: bool = False  # a restore drill after each scheduled backup


class BackupScheduleFailed(OperationEvent, Failure):
    subject = "qc.backup.schedule.failed"
    service: str
    namespace: str = "default"


# -- export and import -------------------------------------------------------------------------------
# A bundle (.qcb) is one file holding a service whole: its chart package, its values (the secret ones
# encrypted under a passphrase the user gives), its settings (domains, access, firewall) and a fresh
# backup's data, with a manifest of SHA-256 sums (quickon_backup.bundle). Bundles cross the bus through
# the blob bucket (quickon_common.blobs), named by their SHA-256: the gateway downloads and uploads them.
# The passphrase travels sealed under the platform key, as every secret value does.


class ServiceExportRequested(BackupEvent):
    """Export a service: a fresh backup (``backup_id``) and a bundle made of it (``helm``: the chart and
    its values without secrets or data, for use without QuickOn)."""

    subject = "qc.backup.export.requested"
    format: ExportFormat = "quickon"
    sealed_passphrase: str | None = secret(default=None)


class ServiceExported(BackupEvent, Success):
    subject = "qc.backup.export.completed"
    format: ExportFormat = "quickon"
    bundle: str = Field(description="the bundle's SHA-256: its name in the blob bucket, kept a day")
    size_bytes: int
    filename: str = Field(description="a name to save it under, such as gitea-1.21.0.qcb")


class ServiceExportFailed(BackupEvent, Failure):
    subject = "qc.backup.export.failed"


class ServiceImportRequested(BackupEvent):
    """Import a bundle as a new service ``service`` in ``namespace``: checked whole first (passphrase, sums,
    length: a bad bundle installs nothing), its chart published where its version is missing, then
    installed and its data restored. ``backup_id`` names the backup the bundle's data is kept as."""

    subject = "qc.backup.import.requested"
    bundle: str = Field(description="the bundle's SHA-256, its name in the blob bucket")
    sealed_passphrase: str | None = secret(default=None)
    domains: bool = Field(default=True, description="false: leave the bundle's custom domains out")


class ServiceImported(BackupEvent, Success):
    subject = "qc.backup.import.completed"
    app: str
    version: str
    source_service: str = Field(description="the service the bundle was exported from")


class ServiceImportFailed(BackupEvent, Failure):
    subject = "qc.backup.import.failed"
