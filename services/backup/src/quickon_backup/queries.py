"""The backup service's queries: backups of a service, one backup with its parts, schedules, jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from quickon_common.contracts.queries import backup as contract
from quickon_common.contracts.queries.backup import BackupRequest, BackupsRequest, SchedulesRequest
from quickon_common.objectstore import ObjectStore
from quickon_common.queries import QueryError, caller_of, visible_rows
from quickon_common.service import Service

from .jobs import StepFailed, aware
from .models import BackupRecord, JobRecord, ScheduleRecord
from .stored import read_manifest


def at(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment else None


def backup_view(b: BackupRecord) -> dict[str, Any]:
    return {
        "backup_id": b.id, "service": b.service, "namespace": b.namespace, "team": b.team, "trigger": b.trigger,
        "status": b.status, "reason": b.reason, "app": b.app, "version": b.version, "revision": b.revision,
        "size_bytes": b.size_bytes, "parts": b.parts, "location": b.location, "created_by": b.created_by,
        "created_at": at(b.created_at), "completed_at": at(b.completed_at), "verified_at": at(b.verified_at),
    }  # fmt: skip


def schedule_view(s: ScheduleRecord) -> dict[str, Any]:
    return {
        "service": s.service, "namespace": s.namespace, "cron": s.cron, "timezone": s.timezone,
        "keep_last": s.keep_last, "keep_daily": s.keep_daily, "keep_weekly": s.keep_weekly,
        "keep_monthly": s.keep_monthly, "drill": s.drill, "next_run_at": at(s.next_run_at),
        "last_run_at": at(s.last_run_at),
    }  # fmt: skip


def job_view(j: JobRecord) -> dict[str, Any]:
    return {
        "job": j.id, "kind": j.kind, "backup_id": j.backup_id, "service": j.service, "target": j.target,
        "operation_id": j.operation_id, "state": j.state, "step": j.step, "steps": j.steps, "error": j.error,
        "created_at": at(j.created_at), "finished_at": at(j.finished_at),
    }  # fmt: skip


def register(service: Service, *, store: ObjectStore) -> None:
    """Wire the backup service's queries into ``service``."""

    @service.answers(contract.BACKUPS)
    async def backups(request: BackupsRequest) -> contract.BackupList:
        caller = caller_of(request)
        query = select(BackupRecord).where(
            BackupRecord.namespace == request.namespace, visible_rows(caller, col(BackupRecord.team))
        )
        if request.service is not None:
            query = query.where(BackupRecord.service == request.service)
        if not request.include_deleted:
            query = query.where(col(BackupRecord.status) != "deleted")
        query = query.order_by(col(BackupRecord.created_at).desc(), col(BackupRecord.id).desc()).limit(request.limit)
        async with service.db.read_session() as session:
            rows = (await session.exec(query)).all()
        return contract.BackupList.model_validate({"backups": [backup_view(b) for b in rows]})

    @service.answers(contract.BACKUP)
    async def backup(request: BackupRequest) -> contract.BackupDetail:
        caller = caller_of(request)
        async with service.db.read_session() as session:
            record = await session.get(BackupRecord, request.backup_id)
            if record is None or not caller.sees(record.team):
                raise QueryError(404, f"there is no backup {request.backup_id!r}")
            jobs = (
                await session.exec(
                    select(JobRecord).where(JobRecord.backup_id == record.id).order_by(col(JobRecord.created_at))
                )
            ).all()
        answer = {**backup_view(record), "jobs": [job_view(j) for j in jobs]}
        if request.parts and record.status == "completed":
            try:
                manifest = await read_manifest(
                    store, namespace=record.namespace, service=record.service, backup_id=record.id
                )
            except StepFailed as failed:
                raise QueryError(503, failed.reason) from None
            answer["manifest"] = manifest.model_dump(mode="json", exclude={"release": {"sealed_secrets"}})
        return contract.BackupDetail.model_validate(answer)

    @service.answers(contract.SCHEDULES)
    async def schedules(request: SchedulesRequest) -> contract.Schedules:
        caller = caller_of(request)
        query = (
            select(ScheduleRecord)
            .where(visible_rows(caller, col(ScheduleRecord.team)))
            .order_by(col(ScheduleRecord.namespace), col(ScheduleRecord.service))
        )
        if request.namespace is not None:
            query = query.where(ScheduleRecord.namespace == request.namespace)
        if request.service is not None:
            query = query.where(ScheduleRecord.service == request.service)
        async with service.db.read_session() as session:
            rows = (await session.exec(query)).all()
        return contract.Schedules.model_validate({"schedules": [schedule_view(s) for s in rows]})
