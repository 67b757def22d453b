"""Every job's saga, and how each ends: what success records and announces, what a failure says.

Each ending runs inside the job's last transaction, so the backup's new state and the outcome event
are written together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from quickon_common.contracts.asks import ScheduleDrillAsked
from quickon_common.contracts.backup import (
    BackupCompleted,
    BackupDeleted,
    BackupDeleteFailed,
    BackupFailed,
    BackupPruned,
    BackupVerified,
    BackupVerifyFailed,
    RestoreCompleted,
    RestoreFailed,
    ServiceExported,
    ServiceExportFailed,
    ServiceImported,
    ServiceImportFailed,
)
from quickon_common.outbox import UnitOfWork
from quickon_common.saga import Saga, Step

from .backing import BackupSteps
from .exporting import Bundles
from .jobs import STORE_RETRY, Job, subject_of
from .models import BackupRecord, JobRecord
from .plans import BackupPlan, DeletePlan, ExportPlan, ImportPlan, RestorePlan, VerifyPlan
from .restoring import RestoreSteps


def _ids(job: Job) -> dict[str, Any]:
    r = job.record
    return {"backup_id": r.backup_id, "service": r.service, "namespace": r.namespace, "operation_id": r.operation_id}


def _emit(uow: UnitOfWork, job: Job, event: Any) -> None:
    uow.emit(event, subject=subject_of(job.record))


async def _backup(uow: UnitOfWork, job: Job) -> BackupRecord | None:
    return await uow.session.get(BackupRecord, job.record.backup_id)


def build_sagas(backups: BackupSteps, restores: RestoreSteps, bundles: Bundles) -> dict[str, Saga[JobRecord, Any]]:
    """The sagas of backup, restore, verify, delete, export and import jobs."""

    async def completed(job: Job, uow: UnitOfWork, *, operation_id: str | None) -> None:
        """The backup's record completed and announced (``operation_id`` None: a part of another operation,
        whose own outcome ends it)."""
        plan: BackupPlan = job.plan
        now, location = datetime.now(UTC), plan.location or ""
        backup = await _backup(uow, job)
        if backup is not None:
            release = plan.release
            backup.status, backup.completed_at, backup.location = "completed", now, location
            backup.size_bytes, backup.parts = plan.size, len(plan.parts)
            if release is not None:
                backup.app, backup.version, backup.revision = release.app, release.version, release.revision
            uow.session.add(backup)
        ids = {**_ids(job), "operation_id": operation_id}
        _emit(uow, job, BackupCompleted(**ids, size_bytes=plan.size, parts=len(plan.parts), location=location))

    async def backed_up(job: Job, uow: UnitOfWork) -> None:
        plan: BackupPlan = job.plan
        await completed(job, uow, operation_id=job.record.operation_id)
        if plan.drill:  # the schedule asks for a restore drill of each of its backups
            r = job.record
            _emit(uow, job, ScheduleDrillAsked(backup_id=r.backup_id, service=r.service, namespace=r.namespace,
                                               drill=True))  # fmt: skip
        pruned = plan.pruned
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

    async def failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        """The job's backup record failed, with the reason (an export's or an import's too)."""
        backup = await _backup(uow, job)
        if backup is not None:
            backup.status, backup.reason, backup.completed_at = "failed", reason, datetime.now(UTC)
            uow.session.add(backup)

    async def backup_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        await failed(job, uow, reason)
        _emit(uow, job, BackupFailed(**_ids(job), reason=reason, step=job.failed_step))

    async def verified(job: Job, uow: UnitOfWork) -> None:
        backup = await _backup(uow, job)
        if backup is not None:
            backup.verified_at = datetime.now(UTC)
            uow.session.add(backup)
        _emit(uow, job, BackupVerified(**_ids(job), parts_checked=job.plan.parts_checked))

    async def drilled(job: Job, uow: UnitOfWork) -> None:
        backup = await _backup(uow, job)
        if backup is not None:
            backup.verified_at = datetime.now(UTC)
            uow.session.add(backup)
        _emit(uow, job, BackupVerified(**_ids(job), parts_checked=job.plan.parts_checked, drilled=True))

    async def verify_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        _emit(uow, job, BackupVerifyFailed(**_ids(job), reason=reason, step=job.failed_step))

    async def deleted(job: Job, uow: UnitOfWork) -> None:
        backup = await _backup(uow, job)
        if backup is not None:
            backup.status, backup.reason = "deleted", "deleted on request"
            uow.session.add(backup)
        _emit(uow, job, BackupDeleted(**_ids(job)))

    async def delete_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        _emit(uow, job, BackupDeleteFailed(**_ids(job), reason=reason, step=job.failed_step))

    async def restored(job: Job, uow: UnitOfWork) -> None:
        trash = restores.finish(job)
        uow.after_commit(lambda: restores.remove_trash_later(trash))
        _emit(uow, job, RestoreCompleted(**_ids(job), target_service=job.plan.target))

    async def restore_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        plan: RestorePlan = job.plan
        if job.compensation_failed is None:
            reason = f"{reason}; {plan.target or job.record.service} was left as it was before the restore"
        target = plan.target or job.record.target or job.record.service
        _emit(uow, job, RestoreFailed(**_ids(job), reason=reason, step=job.failed_step,
                                      target_service=target))  # fmt: skip

    async def exported(job: Job, uow: UnitOfWork) -> None:
        plan: ExportPlan = job.plan
        if plan.format == "quickon":  # its backup is one like any other, listed with the service's
            await completed(job, uow, operation_id=None)
        assert plan.bundle is not None and plan.filename is not None  # by bundle
        _emit(uow, job, ServiceExported(**_ids(job), format=plan.format, bundle=plan.bundle,  # type: ignore[arg-type]
                                        size_bytes=plan.bundle_size, filename=plan.filename))  # fmt: skip

    async def export_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        await failed(job, uow, reason)
        _emit(uow, job, ServiceExportFailed(**_ids(job), reason=reason, step=job.failed_step))

    async def imported(job: Job, uow: UnitOfWork) -> None:
        plan: ImportPlan = job.plan
        trash = restores.finish(job)
        uow.after_commit(lambda: restores.remove_trash_later(trash))
        uow.after_commit(lambda: bundles.forget_later(job))
        manifest = plan.manifest
        backup = await _backup(uow, job)
        if backup is not None and manifest is not None:
            release = manifest.release
            backup.status, backup.completed_at = "completed", datetime.now(UTC)
            backup.size_bytes, backup.parts = manifest.size_bytes, len(manifest.parts)
            backup.app, backup.version, backup.revision = release.app, release.version, release.revision
            uow.session.add(backup)
        _emit(uow, job, ServiceImported(**_ids(job), app=plan.app or "", version=plan.version or "",
                                        source_service=plan.source_service or ""))  # fmt: skip

    async def import_failed(job: Job, uow: UnitOfWork, reason: str) -> None:
        if job.compensation_failed is None and job.failed_step not in (None, "fetch", "check"):
            # A chart it published stays in the local repository: others may install it already.
            reason = f"{reason}; the service and the data the import had made were removed"
        await failed(job, uow, reason)
        uow.after_commit(lambda: bundles.forget_later(job))
        _emit(uow, job, ServiceImportFailed(**_ids(job), reason=reason, step=job.failed_step))

    def unless_helm(step: Any) -> Any:
        """``step`` for a bundle; nothing for a Helm export, which takes no backup."""

        async def run(job: Job) -> None:
            if job.plan.format != "helm":
                await step(job)

        return run

    async def export_source(job: Job) -> None:
        await (bundles.release(job) if job.plan.format == "helm" else backups.source(job))

    b, r, x = backups, restores, bundles
    # A restore's and a drill's steps are repeatable (a run resumed after a crash repeats them from the last
    # full record): each reads, stages again what was not swapped in yet, renames what is not renamed yet,
    # or asks the deployer once (a progress note of its own). Their starts go on record with the next
    # record: a restore costs a few transactions, not one per step.

    def steps(*named: tuple[str, Any], repeatable: bool = False) -> tuple[Step[JobRecord, Any], ...]:
        """Each job step: a store or deployer away is tried a few times (see ``STORE_RETRY``)."""
        return tuple(Step(name, function, retry=STORE_RETRY, repeatable=repeatable) for name, function in named)

    return {
        "backup": Saga(
            plan=BackupPlan,
            steps=steps(("source", b.source), ("copy", b.copy), ("manifest", b.manifest), ("prune", b.prune)),
            compensation=steps(("discard", b.discard)), finish=backed_up, fail=backup_failed,
        ),
        "verify": Saga(plan=VerifyPlan, steps=steps(("verify", b.verify)), finish=verified, fail=verify_failed),
        "drill": Saga(
            plan=RestorePlan,
            steps=steps(("verify", b.verify), ("check", r.check), ("install", r.install), ("locate", r.locate),
                        ("stage", r.stage), ("stop", r.stop), ("swap", r.swap), ("start", r.start),
                        ("compare", r.compare), ("discard", r.discard), repeatable=True),
            compensation=steps(("remove", r.remove), ("clean", r.clean)), finish=drilled, fail=verify_failed,
        ),
        "delete": Saga(plan=DeletePlan, steps=steps(("delete", b.delete)), finish=deleted, fail=delete_failed),
        "restore": Saga(
            plan=RestorePlan,
            steps=steps(("check", r.check), ("install", r.install), ("locate", r.locate), ("stage", r.stage),
                        ("stop", r.stop), ("swap", r.swap), ("revision", r.revision), ("start", r.start),
                        repeatable=True),
            compensation=steps(("unswap", r.unswap), ("revert", r.revert), ("restart", r.restart),
                               ("remove", r.remove), ("clean", r.clean)),
            finish=restored, fail=restore_failed,
        ),
        "export": Saga(
            plan=ExportPlan,
            steps=steps(("source", export_source), ("copy", unless_helm(b.copy)), ("manifest", unless_helm(b.manifest)),
                        ("bundle", x.bundle)),
            compensation=steps(("discard", unless_helm(b.discard))), finish=exported, fail=export_failed,
        ),
        # An import checks the bundle whole before it asks for anything, then goes on as a restore as new.
        "import": Saga(
            plan=ImportPlan,
            steps=(*steps(("fetch", x.fetch), ("check", x.check), ("publish", x.publish), ("keep", x.keep)),
                   *steps(("install", r.install), ("locate", r.locate), ("stage", r.stage), ("stop", r.stop),
                          ("swap", r.swap), ("start", r.start), repeatable=True),
                   *steps(("expose", x.expose))),
            compensation=steps(("remove", r.remove), ("clean", r.clean), ("discard", x.discard)),
            finish=imported, fail=import_failed,
        ),
    }  # fmt: skip
