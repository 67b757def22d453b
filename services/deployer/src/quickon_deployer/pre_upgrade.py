"""The backup an upgrade asks for before it changes anything, and waits for (a step of the upgrade saga).

The request goes out in a transaction of its own, since the step's own record would only be written
once the step ends; its backup id is the operation's, so asking again after a crash is answered by
the backup service with the outcome it had. The outcome comes back through the consumers here, into
``deployer_backup_outcome``, which wakes the waiting step.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from quickon_common.consumer import Handling
from quickon_common.contracts.backup import BackupCompleted, BackupFailed, BackupRequested
from quickon_common.outbox import Outbox
from quickon_common.service import Service

from .saga import Run, StepFailed, service_subject

WAKE_CHECK_S = 2.0


class BackupOutcomeRecord(SQLModel, table=True):
    """How a backup an upgrade asked for ended."""

    __tablename__ = "deployer_backup_outcome"

    backup_id: str = Field(primary_key=True, max_length=64)
    succeeded: bool
    reason: str | None = None
    location: str | None = None
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def backup_id_of(operation_id: str) -> str:
    """The pre-upgrade backup's id: the operation's, made a valid backup id."""
    cleaned = "".join(c if c.isalnum() else "-" for c in operation_id.lower()).strip("-")
    return f"pre-upgrade-{cleaned}"[:64].rstrip("-")


class PreUpgradeBackup:
    """The ``backup`` step of an upgrade, and the consumers that hear how the backup ended."""

    def __init__(self, service: Service, outbox: Outbox) -> None:
        self.outbox = outbox
        self._waiting: dict[str, asyncio.Event] = {}
        service.handles(BackupCompleted, name="pre_upgrade_backup_completed")(self._completed)
        service.handles(BackupFailed, name="pre_upgrade_backup_failed")(self._failed)

    async def step(self, run: Run) -> None:
        """Ask for a backup of the service and wait for it, unless the upgrade opted out."""
        op, plan = run.op, run.plan
        if not plan.get("backup_first"):
            return
        backup_id = plan.setdefault("backup_id", backup_id_of(op.id))
        wake = self._waiting.setdefault(backup_id, asyncio.Event())
        try:
            if await self._outcome(backup_id) is None:
                async with self.outbox.begin(cause=run.cause()) as uow:
                    request = BackupRequested(
                        backup_id=backup_id, service=op.service, namespace=op.namespace, trigger="pre_upgrade"
                    )
                    uow.emit(request, subject=service_subject(op.namespace, op.service))
            while (outcome := await self._outcome(backup_id)) is None:
                if run.deadline_passed:
                    raise StepFailed(
                        f"the backup before the upgrade ({backup_id}) did not finish by the deadline; is the backup "
                        "service running? Upgrade with backup_first=false to upgrade without one"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), WAKE_CHECK_S)
                wake.clear()
        finally:
            self._waiting.pop(backup_id, None)
        if not outcome.succeeded:
            raise StepFailed(
                f"the backup before the upgrade failed: {outcome.reason}; nothing was upgraded "
                "(upgrade with backup_first=false to upgrade without a backup)"
            )
        plan["backup_location"] = outcome.location

    async def _outcome(self, backup_id: str) -> BackupOutcomeRecord | None:
        async with self.outbox.db.read_session() as session:
            return await session.get(BackupOutcomeRecord, backup_id)

    async def _completed(self, event: BackupCompleted, handling: Handling[BackupCompleted]) -> None:
        """Note a pre-upgrade backup's success (other backups are not the deployer's business)."""
        await self._note(handling, event.backup_id, succeeded=True, reason=None, location=event.location)

    async def _failed(self, event: BackupFailed, handling: Handling[BackupFailed]) -> None:
        """Note a pre-upgrade backup's failure."""
        await self._note(handling, event.backup_id, succeeded=False, reason=event.reason, location=None)

    async def _note(
        self, handling: Handling[BackupCompleted] | Handling[BackupFailed], backup_id: str, *, succeeded: bool,
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
        handling.uow.after_commit(lambda: self._wake(backup_id))

    def _wake(self, backup_id: str) -> None:
        if (event := self._waiting.get(backup_id)) is not None:
            event.set()
