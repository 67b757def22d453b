"""Asks: the work a service's saga asks of another service, each published in the asker's own context.

Only the gateway publishes requests; a service that needs another's work publishes one of these (see
:class:`~.common.Ask`), and only the service named below accepts it. Their subjects read
``qc.<asker's context>.<its saga>.<what it needs>_asked``. They live apart from the context modules
because each derives from a request of the other context.
"""

from __future__ import annotations

from .backup import BackupRequested, BackupVerifyRequested, RestoreRequested
from .common import Ask
from .deploy import (
    AppInstallRequested,
    AppRollbackRequested,
    AppUninstallRequested,
    ServiceStartRequested,
    ServiceStopRequested,
)
from .exposure import ServiceExposureRequested

# -- the deployer asks the backup service ------------------------------------------------------------


class UpgradeBackupAsked(BackupRequested, Ask):
    """An upgrade needs a backup of its service before it changes anything (keyed by ``backup_id``)."""

    subject = "qc.deploy.upgrade.backup_asked"


class UpgradeRestoreAsked(RestoreRequested, Ask):
    """A failed upgrade, rolled back, needs its service's data back from its backup (``data_only``)."""

    subject = "qc.deploy.upgrade.restore_asked"


# -- the backup service asks the deployer ------------------------------------------------------------


class RestoreInstallAsked(AppInstallRequested, Ask):
    """A restore as a new service (or a drill) needs the backup's release installed under the new name."""

    subject = "qc.backup.restore.install_asked"


class RestoreStopAsked(ServiceStopRequested, Ask):
    """A restore in place needs its service stopped while the data is swapped."""

    subject = "qc.backup.restore.stop_asked"


class RestoreStartAsked(ServiceStartRequested, Ask):
    """A restore in place needs its service started again (after its data, or after a failure)."""

    subject = "qc.backup.restore.start_asked"


class RestoreRollbackAsked(AppRollbackRequested, Ask):
    """A restore in place needs its service at the backup's revision (or back at its own, undoing)."""

    subject = "qc.backup.restore.rollback_asked"


class RestoreUninstallAsked(AppUninstallRequested, Ask):
    """A restore as new that failed, or a drill that ended, needs the service it installed removed."""

    subject = "qc.backup.restore.uninstall_asked"


class ImportExposeAsked(ServiceExposureRequested, Ask):
    """An import needs the bundle's domains, access rules and firewall set on the service it installed."""

    subject = "qc.backup.restore.import_expose_asked"  # the prefix the deployer accepts asks on


# -- the backup service asks itself ------------------------------------------------------------------


class ScheduleBackupAsked(BackupRequested, Ask):
    """A schedule is due: a backup of its service (``trigger`` ``schedule``)."""

    subject = "qc.backup.schedule.backup_asked"


class ScheduleDrillAsked(BackupVerifyRequested, Ask):
    """A scheduled backup was taken and its schedule drills: the backup restored as a throwaway service."""

    subject = "qc.backup.schedule.drill_asked"


# Who accepts each ask (the service that owns the request it stands for).
ACCEPTED_BY: dict[type[Ask], str] = {
    UpgradeBackupAsked: "backup",
    UpgradeRestoreAsked: "backup",
    RestoreInstallAsked: "deployer",
    RestoreStopAsked: "deployer",
    RestoreStartAsked: "deployer",
    RestoreRollbackAsked: "deployer",
    RestoreUninstallAsked: "deployer",
    ImportExposeAsked: "deployer",
    ScheduleBackupAsked: "backup",
    ScheduleDrillAsked: "backup",
}
