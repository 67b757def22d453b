"""Every job's saga, and how each ends: what success records and announces, what a failure says.

Each ending runs inside the job's last transaction, so the backup's new state and the outcome event
are written together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from quickon_common.contracts.backup import (
    BackupCompleted,
    BackupDeleted,
    BackupDeleteFailed,
    BackupFailed,
    BackupPruned,
    BackupVerified,
    BackupVerifyFailed,
    BackupVerifyRequested,
    RestoreCompleted,
    RestoreFailed,
)
from quickon_common.outbox import UnitOfWork

from .backing import BackupSteps
from .jobs import Job, Saga, subject_of
from .models import BackupRecord
from .restoring import RestoreSteps


def _ids(job: Job) -> dict[str, Any]:
    r = job.record
    return {"backup_id": r.backup_id, "service": r.service, "namespace": r.namespace, "operation_id": r.operation_id}


def _emit(uow: UnitOfWork, job: Job, event: Any) -> None:
    uow.emit(event, subject=subject_of(job.record))


async def _backup(uow: UnitOfWork, job: Job) -> BackupRecord | None:
    return await uow.session.get(BackupRecord, job.record.backup_id)


def build_sagas(backups: BackupSteps, restores: RestoreSteps) -> dict[str, Saga]:
    """The sagas of backup, restore, verify and delete jobs."""

    async def backed_up(job: Job, uow: UnitOfWork) -> None:
        plan, now = job.plan, datetime.now(UTC)
        backup = await _backup(uow, job)
        if backup is not None:
            release = plan["release"]
            backup.status, backup.completed_at, backup.location = "completed", now, plan["location"]
            backup.size_bytes, backup.parts = plan["size"], len(plan["parts"])
            backup.app, backup.version, backup.revision = release["app"], release["version"], release["revision"]
            uow.session.add(backup)
        _emit(uow, job, BackupCompleted(**_ids(job), size_bytes=plan["size"], parts=len(plan["parts"]),
                                        location=plan["location"]))  # fmt: skip
        if plan.get("drill"):  # the schedule asks for a restore drill of each of its backups
            r = job.record
            _emit(uow, job, BackupVerifyRequested(backup_id=r.backup_id, service=r.service, namespace=r.namespace,
                                                  drill=True))  # fmt: skip
        pruned = plan.get("pruned") or []
        for backup_id in pruned:
            if (gone := await uow.session.get(BackupRecord, backup_id)) is not None:
                gone.status, gone.reason = "deleted", f"pruned by retention after backup {job.record.backup_id}"
                uow.session.add(gone)
        if pruned:
            r = job.record
            event = BackupPruned(
                service=r.service, namespace=r.namespace, backup_ids=pruned, operation_id=r.operation_id
            )
            _emit(uow, job, event)

    async def backup_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        backup = await _backup(uow, job)
        if backup is not None:
            backup.status, backup.reason, backup.completed_at = "failed", reason, datetime.now(UTC)
            uow.session.add(backup)
        _emit(uow, job, BackupFailed(**_ids(job), reason=reason, step=job.plan.get("failed_step")))

    async def verified(job: Job, uow: UnitOfWork) -> None:
        backup = await _backup(uow, job)
        if backup is not None:
            backup.verified_at = datetime.now(UTC)
            uow.session.add(backup)
        _emit(uow, job, BackupVerified(**_ids(job), parts_checked=job.plan["parts_checked"]))

    async def drilled(job: Job, uow: UnitOfWork) -> None:
        backup = await _backup(uow, job)
        if backup is not None:
            backup.verified_at = datetime.now(UTC)
            uow.session.add(backup)
        _emit(uow, job, BackupVerified(**_ids(job), parts_checked=job.plan["parts_checked"], drilled=True))

    async def verify_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        _emit(uow, job, BackupVerifyFailed(**_ids(job), reason=reason, step=job.plan.get("failed_step")))

    async def deleted(job: Job, uow: UnitOfWork) -> None:
        backup = await _backup(uow, job)
        if backup is not None:
            backup.status, backup.reason = "deleted", "deleted on request"
            uow.session.add(backup)
        _emit(uow, job, BackupDeleted(**_ids(job)))

    async def delete_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        _emit(uow, job, BackupDeleteFailed(**_ids(job), reason=reason, step=job.plan.get("failed_step")))

    async def restored(job: Job, uow: UnitOfWork) -> None:
        restores.finish(job)
        _emit(uow, job, RestoreCompleted(**_ids(job), target_service=job.plan["target"]))

    async def restore_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        if "compensation_failed" not in job.plan:
            reason = f"{reason}; {job.plan.get('target', job.record.service)} was left as it was before the restore"
        target = job.plan.get("target") or job.record.target or job.record.service
        _emit(uow, job, RestoreFailed(**_ids(job), reason=reason, step=job.plan.get("failed_step"),
                                      target_service=target))  # fmt: skip

    b, r = backups, restores
    return {
        "backup": Saga(
            (("source", b.source), ("copy", b.copy), ("manifest", b.manifest), ("prune", b.prune)),
            backed_up, backup_failed, (("discard", b.discard),),
        ),
        "verify": Saga((("verify", b.verify),), verified, verify_failed),
        "drill": Saga(
            (("verify", b.verify), ("check", r.check), ("install", r.install), ("locate", r.locate),
             ("stage", r.stage), ("stop", r.stop), ("swap", r.swap), ("start", r.start), ("compare", r.compare),
             ("discard", r.discard)),
            drilled, verify_failed, (("remove", r.remove), ("clean", r.clean)),
        ),
        "delete": Saga((("delete", b.delete),), deleted, delete_failed),
        "restore": Saga(
            (("check", r.check), ("install", r.install), ("locate", r.locate), ("stage", r.stage), ("stop", r.stop),
             ("swap", r.swap), ("revision", r.revision), ("start", r.start)),
            restored, restore_failed,
            (("unswap", r.unswap), ("revert", r.revert), ("restart", r.restart), ("remove", r.remove),
             ("clean", r.clean)),
        ),
    }  # fmt: skip
