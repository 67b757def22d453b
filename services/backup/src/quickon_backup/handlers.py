"""The backup service's consumers: each request is accepted as a job (or refused, changing nothing).

Acceptance checks only what this service's own database knows — valid names, an existing backup,
no other job on the service — and records the job; the runner does the rest. A refusal is the
request's failure event, with the reason and what to do.

Other sagas ask for the same work in their own context (``quickon_common.contracts.asks``: the deployer's
upgrades a backup first and their data back, this service's schedules a backup and a drill); an ask is
accepted as the request it stands for, from its own subject alone, its team checked the same way.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from quickon_common.consumer import Handling
from quickon_common.contracts.asks import (
    ScheduleBackupAsked,
    ScheduleDrillAsked,
    UpgradeBackupAsked,
    UpgradeRestoreAsked,
)
from quickon_common.contracts.backup import (
    BackupCompleted,
    BackupDeleteFailed,
    BackupDeleteRequested,
    BackupFailed,
    BackupRequested,
    BackupStarted,
    BackupVerifyFailed,
    BackupVerifyRequested,
    RestoreFailed,
    RestoreRequested,
    RestoreStarted,
    ServiceExportFailed,
    ServiceExportRequested,
    ServiceImportFailed,
    ServiceImportRequested,
)
from quickon_common.contracts.common import Failure, OperationEvent, Success
from quickon_common.names import is_dns_label
from quickon_common.outbox import UnitOfWork
from quickon_common.saga import Outcomes, Plan
from quickon_common.service import Service

from .domain import BACKUP_ID
from .jobs import JobRunner, cause_of
from .models import BackupRecord, DeployOutcomeRecord, JobRecord
from .plans import BackupPlan, DeletePlan, ExportPlan, ImportPlan, RestorePlan, VerifyPlan
from .schedules import register_schedules
from .settings import BackupSettings

SHA256 = re.compile(r"[0-9a-f]{64}")


class Refused(Exception):
    """The request cannot be accepted; the reason goes into its failure event."""


def name_problem(namespace: str, name: str) -> str | None:
    if not is_dns_label(name, max_length=53):
        return f"{name!r} is not a valid service name: lowercase letters, digits and '-', at most 53 characters"
    if not is_dns_label(namespace):
        return f"{namespace!r} is not a valid namespace: lowercase letters, digits and '-', at most 63 characters"
    return None


def team_problem(backup: BackupRecord, team: str | None) -> str | None:
    """Why a request of ``team`` may not act on ``backup`` (another team's), or None: the gateway checked the
    caller's role, and this second check keeps a forged or mistaken request from crossing teams."""
    if backup.team != team:
        return f"backup {backup.id} belongs to team {backup.team!r}, not to {team!r}, which asked; ask as its team"
    return None


async def busy_with(uow: UnitOfWork, namespace: str, *services: str) -> str | None:
    """The backup or restore job running on one of ``services``, described, or None."""
    found = await uow.session.exec(
        select(JobRecord).where(
            JobRecord.namespace == namespace,
            col(JobRecord.state).in_(("running", "compensating")),
            col(JobRecord.kind).in_(("backup", "restore", "drill", "export", "import")),
        )
    )
    for job in found.all():
        if job.service in services or job.target in services:
            return f"{job.kind} of backup {job.backup_id} (at {job.step or 'its start'})"
    return None


def register(
    service: Service,
    *,
    runner: JobRunner,
    outcomes: Outcomes[DeployOutcomeRecord],
    settings: BackupSettings,
    clock: Callable[[], datetime],
) -> None:
    """Wire every consumer of the backup service into ``service``."""

    def new_job(
        handling: Handling[Any], event: Any, *, kind: str, job_id: str, deadline_s: float, plan: Plan,
        target: str | None = None,
    ) -> None:  # fmt: skip
        now = datetime.now(UTC)
        job = JobRecord(
            id=job_id, kind=kind, backup_id=event.backup_id, namespace=event.namespace, service=event.service,
            operation_id=event.operation_id, state="running", deadline=now + timedelta(seconds=deadline_s),
            cause=cause_of(handling.envelope), created_at=now, target=target, plan=plan.model_dump(mode="json"),
        )  # fmt: skip
        runner.begin(handling.uow, job)
        handling.uow.session.add(job)

    async def existing(uow: UnitOfWork, event: Any, team: str | None) -> BackupRecord:
        backup = await uow.session.get(BackupRecord, event.backup_id)
        if backup is None or (backup.namespace, backup.service) != (event.namespace, event.service):
            raise Refused(f"there is no backup {event.backup_id!r} of {event.service!r} in {event.namespace!r}")
        if problem := team_problem(backup, team):
            raise Refused(problem)
        if backup.status != "completed":
            raise Refused(
                f"backup {event.backup_id} is {backup.status}{f' ({backup.reason})' if backup.reason else ''}"
            )
        return backup

    def ids(event: Any) -> dict[str, Any]:
        return {k: getattr(event, k) for k in ("backup_id", "service", "namespace", "operation_id")}

    @service.handles(BackupRequested)
    async def back_up(event: BackupRequested, handling: Handling[BackupRequested]) -> None:
        """Accept a backup as a job; the same backup id asked again gets the outcome it had."""
        uow = handling.uow
        earlier = await uow.session.get(BackupRecord, event.backup_id)
        if earlier is not None:  # asked again (a deployer resuming its upgrade): say how it ended, again
            if earlier.status == "completed":
                uow.emit(BackupCompleted(**ids(event), size_bytes=earlier.size_bytes, parts=earlier.parts,
                                         location=earlier.location or ""))  # fmt: skip
            elif earlier.status == "failed":
                uow.emit(BackupFailed(**ids(event), reason=earlier.reason or "failed", step="accept"))
            return
        try:
            if not BACKUP_ID.match(event.backup_id):
                raise Refused(f"{event.backup_id!r} is not a backup id: lowercase letters, digits and '-', at most 64")
            if problem := name_problem(event.namespace, event.service):
                raise Refused(problem)
            if doing := await busy_with(uow, event.namespace, event.service):
                raise Refused(f"{event.service} is busy with a {doing}; try again when it has finished")
        except Refused as refused:
            uow.emit(BackupFailed(**ids(event), reason=str(refused), step="accept"))
            return
        uow.session.add(
            BackupRecord(
                id=event.backup_id, namespace=event.namespace, service=event.service, team=handling.envelope.team,
                trigger=event.trigger, status="running", created_by=handling.envelope.actor, created_at=clock(),
            )
        )  # fmt: skip
        new_job(
            handling, event, kind="backup", job_id=f"backup-{event.backup_id}",
            deadline_s=settings.backup_deadline_s, plan=BackupPlan(trigger=event.trigger),
        )  # fmt: skip
        uow.emit(BackupStarted(**ids(event)))

    @service.handles(RestoreRequested)
    async def restore(event: RestoreRequested, handling: Handling[RestoreRequested]) -> None:
        """Accept a restore (in place, or as the new service ``target_service``) as a job."""
        uow, op_id = handling.uow, event.operation_id or handling.envelope.id
        target = event.target_service or event.service
        if await uow.session.get(JobRecord, f"restore-{op_id}") is not None:
            return  # asked again (the deployer resuming its compensation): the job is on its way
        try:
            if problem := name_problem(event.namespace, target):
                raise Refused(problem)
            if event.data_only and target != event.service:
                raise Refused("a data-only restore is in place only; leave target_service out")
            await existing(uow, event, handling.envelope.team)
            if doing := await busy_with(uow, event.namespace, event.service, target):
                raise Refused(f"{target} is busy with a {doing}; try again when it has finished")
        except Refused as refused:
            uow.emit(RestoreFailed(**ids(event), reason=str(refused), step="accept", target_service=target))
            return
        new_job(handling, event, kind="restore", job_id=f"restore-{op_id}", deadline_s=settings.restore_deadline_s,
                target=target, plan=RestorePlan(data_only=event.data_only))  # fmt: skip
        uow.emit(RestoreStarted(**ids(event), target_service=target))

    @service.handles(BackupVerifyRequested)
    async def verify(event: BackupVerifyRequested, handling: Handling[BackupVerifyRequested]) -> None:
        """Accept a verification: every part read back and checked against its SHA-256."""
        op_id = event.operation_id or handling.envelope.id
        try:
            await existing(handling.uow, event, handling.envelope.team)
        except Refused as refused:
            handling.uow.emit(BackupVerifyFailed(**ids(event), reason=str(refused), step="accept"))
            return
        if event.drill:
            throwaway = f"drill-{secrets.token_hex(4)}"
            new_job(handling, event, kind="drill", job_id=f"drill-{op_id}", deadline_s=settings.restore_deadline_s,
                    target=throwaway, plan=RestorePlan())  # fmt: skip
            return
        new_job(handling, event, kind="verify", job_id=f"verify-{op_id}", deadline_s=settings.verify_deadline_s,
                plan=VerifyPlan())  # fmt: skip

    @service.handles(BackupDeleteRequested)
    async def delete(event: BackupDeleteRequested, handling: Handling[BackupDeleteRequested]) -> None:
        """Accept a deletion of a backup's objects; its record stays, marked deleted."""
        uow, op_id = handling.uow, event.operation_id or handling.envelope.id
        try:
            backup = await uow.session.get(BackupRecord, event.backup_id)
            if backup is None or backup.status == "deleted":
                raise Refused(f"there is no backup {event.backup_id!r} of {event.service!r} to delete")
            if problem := team_problem(backup, handling.envelope.team):
                raise Refused(problem)
            if backup.status == "running":
                raise Refused(f"backup {event.backup_id} is still being taken; delete it when it has finished")
            running = await uow.session.exec(
                select(JobRecord).where(
                    JobRecord.backup_id == event.backup_id, col(JobRecord.state).in_(("running", "compensating"))
                )
            )
            if (job := running.first()) is not None:
                raise Refused(f"backup {event.backup_id} is in use by a {job.kind}; try again when it has finished")
        except Refused as refused:
            uow.emit(BackupDeleteFailed(**ids(event), reason=str(refused), step="accept"))
            return
        new_job(handling, event, kind="delete", job_id=f"delete-{op_id}", deadline_s=settings.verify_deadline_s,
                plan=DeletePlan())  # fmt: skip

    async def check_new_job(uow: UnitOfWork, event: Any, *, again: str) -> None:
        """An export's or an import's request names a new backup of a free service: refused otherwise."""
        if not BACKUP_ID.match(event.backup_id):
            raise Refused(f"{event.backup_id!r} is not a backup id: lowercase letters, digits and '-', at most 64")
        if problem := name_problem(event.namespace, event.service):
            raise Refused(problem)
        if await uow.session.get(BackupRecord, event.backup_id) is not None:
            raise Refused(f"backup id {event.backup_id} is taken; {again}")
        if doing := await busy_with(uow, event.namespace, event.service):
            raise Refused(f"{event.service} is busy with a {doing}; try again when it has finished")

    @service.handles(ServiceExportRequested)
    async def export(event: ServiceExportRequested, handling: Handling[ServiceExportRequested]) -> None:
        """Accept an export: a fresh backup (its record listed with the service's backups) and a bundle of it."""
        uow = handling.uow
        if await uow.session.get(JobRecord, f"export-{event.backup_id}") is not None:
            return  # delivered again: the job is on its way
        try:
            if event.format == "quickon" and not event.sealed_passphrase:
                raise Refused("a bundle needs a passphrase to guard its secrets; give one (qc export NAME -o FILE)")
            await check_new_job(uow, event, again="export again")
        except Refused as refused:
            uow.emit(ServiceExportFailed(**ids(event), reason=str(refused), step="accept"))
            return
        team = handling.envelope.team
        if event.format == "quickon":
            uow.session.add(
                BackupRecord(
                    id=event.backup_id, namespace=event.namespace, service=event.service, team=team,
                    trigger="export", status="running", created_by=handling.envelope.actor, created_at=clock(),
                )
            )  # fmt: skip
        plan = ExportPlan(trigger="export", format=event.format, team=team, sealed_passphrase=event.sealed_passphrase)
        new_job(handling, event, kind="export", job_id=f"export-{event.backup_id}",
                deadline_s=settings.backup_deadline_s, plan=plan)  # fmt: skip

    @service.handles(ServiceImportRequested)
    async def import_bundle(event: ServiceImportRequested, handling: Handling[ServiceImportRequested]) -> None:
        """Accept an import as the new service ``service``; the bundle is checked whole by the job's first step."""
        uow = handling.uow
        if await uow.session.get(JobRecord, f"import-{event.backup_id}") is not None:
            return  # delivered again: the job is on its way
        try:
            if not SHA256.fullmatch(event.bundle):
                raise Refused(f"{event.bundle[:80]!r} is not a bundle's SHA-256; upload the bundle again")
            if not event.sealed_passphrase:
                raise Refused("a bundle opens only with its passphrase; give the one it was exported with")
            await check_new_job(uow, event, again="import again")
        except Refused as refused:
            uow.emit(ServiceImportFailed(**ids(event), reason=str(refused), step="accept"))
            return
        uow.session.add(
            BackupRecord(
                id=event.backup_id, namespace=event.namespace, service=event.service, team=handling.envelope.team,
                trigger="import", status="running", created_by=handling.envelope.actor, created_at=clock(),
            )
        )  # fmt: skip
        plan = ImportPlan(bundle=event.bundle, domains=event.domains, sealed_passphrase=event.sealed_passphrase)
        new_job(handling, event, kind="import", job_id=f"import-{event.backup_id}",
                deadline_s=settings.restore_deadline_s, target=event.service, plan=plan)  # fmt: skip

    # What other sagas ask, accepted as the requests they stand for: the deployer's upgrades, this service's
    # own schedules.
    service.accepts({UpgradeBackupAsked: back_up, UpgradeRestoreAsked: restore}, name="upgrade_asks")
    service.accepts({ScheduleBackupAsked: back_up, ScheduleDrillAsked: verify}, name="schedule_asks")

    # Outcomes only: the deployer's requests, steps and status changes are skipped without a transaction, so
    # that a restore's own records do not queue behind one per deployer event on the write lock.
    @service.handles(OperationEvent, name="deploy_outcomes", subject="qc.deploy.>", only=(Success, Failure))
    async def deploy_outcome(event: OperationEvent, handling: Handling[OperationEvent]) -> None:
        """Record how a deployer operation a restore asked for ended, and wake the restore."""
        succeeded, op_id = isinstance(event, Success), event.operation_id
        if op_id is None or ":" not in op_id:
            return
        uow = handling.uow
        if await uow.session.get(JobRecord, op_id.rsplit(":", 1)[0]) is None:
            return  # someone else's operation
        if await uow.session.get(DeployOutcomeRecord, op_id) is None:
            uow.session.add(
                DeployOutcomeRecord(
                    operation_id=op_id, succeeded=succeeded, event=type(event).__name__,
                    reason=getattr(event, "reason", None), revision=getattr(event, "revision", None),
                    at=datetime.now(UTC),
                )
            )  # fmt: skip
        uow.after_commit(lambda: outcomes.arrived(op_id))

    register_schedules(service, clock=clock)
