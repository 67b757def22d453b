"""The backup an upgrade asks for before it changes anything, and waits for (a step of the upgrade saga).

The ask (``UpgradeBackupAsked``, in the deploy context: only the gateway sends requests) goes out in a
transaction of its own (``quickon_common.saga.Outcomes.ask``), since the step's own record is only written
once the step ends; its backup id is the operation's, so asking again after a crash is answered by the
backup service with the outcome it had. The outcome comes back through the
consumers here, into ``deployer_backup_outcome``, which wakes the waiting step.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from quickon_common.consumer import Handling
from quickon_common.contracts.asks import UpgradeBackupAsked, UpgradeRestoreAsked
from quickon_common.contracts.backup import BackupCompleted, BackupFailed, RestoreCompleted, RestoreFailed
from quickon_common.outbox import Outbox
from quickon_common.saga import Outcomes
from quickon_common.service import Service

from .domain import backup_id_of, service_subject
from .plans import UpgradePlan
from .saga import Run, StepFailed
from .steps import Steps

__all__ = ["BackupOutcomeRecord", "PreUpgradeBackup", "backup_id_of"]


class BackupOutcomeRecord(SQLModel, table=True):
    """How a backup an upgrade asked for ended (or the data restore of its compensation, under its id)."""

    __tablename__ = "deployer_backup_outcome"

    backup_id: str = Field(primary_key=True, max_length=64)
    succeeded: bool
    reason: str | None = None
    location: str | None = None
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class PreUpgradeBackup:
    """The ``backup`` step of an upgrade, its ``restore_data`` compensation, and the consumers that hear how
    the backup and the data restore ended."""

    def __init__(self, service: Service, outbox: Outbox, steps: Steps) -> None:
        self.outbox = outbox
        self.steps = steps
        self.outcomes = Outcomes(outbox, BackupOutcomeRecord)
        service.handles(BackupCompleted, name="pre_upgrade_backup_completed")(self._completed)
        service.handles(BackupFailed, name="pre_upgrade_backup_failed")(self._failed)
        service.handles(RestoreCompleted, name="pre_upgrade_restore_completed")(self._restored)
        service.handles(RestoreFailed, name="pre_upgrade_restore_failed")(self._not_restored)

    async def step(self, run: Run) -> None:
        """Ask for a backup of the service and wait for it, unless the upgrade opted out."""
        op, plan = run.record, run.plan
        assert isinstance(plan, UpgradePlan)
        if not plan.backup_first:
            return
        backup_id = plan.backup_id or backup_id_of(op.id)
        run.plan = plan = plan.model_copy(update={"backup_id": backup_id})
        request = UpgradeBackupAsked(
            backup_id=backup_id, service=op.service, namespace=op.namespace, trigger="pre_upgrade"
        )
        outcome = await self._ask(run, backup_id, request, until=run.deadline)
        if not outcome.succeeded:
            raise StepFailed(
                f"the backup before the upgrade failed: {outcome.reason}; nothing was upgraded "
                "(upgrade with backup_first=false to upgrade without a backup)"
            )
        run.plan = plan.model_copy(update={"backup_location": outcome.location})

    async def restore_data(self, run: Run) -> None:
        """After a failed upgrade was rolled back, when asked: the service stopped, its volumes' data put back
        from the pre-upgrade backup, started again."""
        op, plan = run.record, run.plan
        assert isinstance(plan, UpgradePlan)
        if not plan.restore_data or plan.backup_location is None or plan.rolled_back_revision is None:
            return  # not asked, no backup, or the upgrade never reached the cluster (nor the data)
        assert plan.backup_id is not None and run.compensation_deadline is not None
        restore_id = f"{plan.backup_id}-data"
        until = run.compensation_deadline
        release = {"namespace": op.namespace, "release": op.service}
        if await self.outcomes.find(restore_id) is None:
            await self.steps.runtime.stop(**release)
            await self.steps._wait(run, lambda h: h.stopped and h.gone, "stopped for its data restore",
                                   deadline=until, fail_fast=False)  # fmt: skip
        request = UpgradeRestoreAsked(
            backup_id=plan.backup_id, service=op.service, namespace=op.namespace, data_only=True,
            operation_id=restore_id,
        )  # fmt: skip
        outcome = await self._ask(run, restore_id, request, until=until)
        await self.steps.runtime.start(**release)
        if not outcome.succeeded:
            raise StepFailed(f"its data could not be restored from backup {plan.backup_id}: {outcome.reason}")
        await self.steps._wait(run, lambda h: h.ready, "ready after its data restore", deadline=until)
        run.plan = plan.model_copy(update={"data_restored": True})

    async def _ask(
        self, run: Run, key: str, request: UpgradeBackupAsked | UpgradeRestoreAsked, *, until: float
    ) -> BackupOutcomeRecord:
        """Ask ``request`` unless its outcome is known, and wait for the outcome noted under ``key``."""
        late = (
            f"the backup service did not answer {type(request).__name__} ({key}) in time; is it running? "
            "Upgrade with backup_first=false to upgrade without a backup"
        )
        subject = service_subject(run.record.namespace, run.record.service)
        return await self.outcomes.ask(run, key, request, subject=subject, until=until, late=late)

    async def _completed(self, event: BackupCompleted, handling: Handling[BackupCompleted]) -> None:
        """Note a pre-upgrade backup's success (other backups are not the deployer's business)."""
        await self._note(handling, event.backup_id, succeeded=True, reason=None, location=event.location)

    async def _failed(self, event: BackupFailed, handling: Handling[BackupFailed]) -> None:
        """Note a pre-upgrade backup's failure."""
        await self._note(handling, event.backup_id, succeeded=False, reason=event.reason, location=None)

    async def _restored(self, event: RestoreCompleted, handling: Handling[RestoreCompleted]) -> None:
        """Note a data restore the upgrade's compensation asked for."""
        if event.operation_id:
            await self._note(handling, event.operation_id, succeeded=True, reason=None, location=None)

    async def _not_restored(self, event: RestoreFailed, handling: Handling[RestoreFailed]) -> None:
        if event.operation_id:
            await self._note(handling, event.operation_id, succeeded=False, reason=event.reason, location=None)

    async def _note(
        self, handling: Handling[Any], backup_id: str, *, succeeded: bool,
        reason: str | None, location: str | None,
    ) -> None:  # fmt: skip
        if not backup_id.startswith("pre-upgrade-"):
            return
        session = handling.uow.session
        if await session.get(BackupOutcomeRecord, backup_id) is None:
            session.add(
                BackupOutcomeRecord(
                    backup_id=backup_id, succeeded=succeeded, reason=reason, location=location, at=datetime.now(UTC)
                )
            )
        handling.uow.after_commit(lambda: self.outcomes.arrived(backup_id))
