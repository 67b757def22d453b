"""Backups of services (backup service): take, list, read, delete, restore, verify; schedules."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, croniter
from fastapi import APIRouter, Response
from pydantic import Field, field_validator

from quickon_common.contracts.backup import (
    BackupDeleteRequested,
    BackupRequested,
    BackupScheduleRequested,
    BackupVerifyRequested,
    RestoreRequested,
)
from quickon_common.contracts.common import OperationEvent
from quickon_common.contracts.queries.backup import (
    BACKUP,
    BACKUPS,
    SCHEDULES,
    BackupDetail,
    BackupList,
    BackupRequest,
    BackupsRequest,
    Schedules,
    SchedulesRequest,
)
from quickon_common.contracts.queries.deployer import SERVICE, ServiceRequest

from ..deps import GatewayParts, Parts
from ..operations import ACCEPTED, OperationView, Target, submit
from ..principal import Principal
from ..teams.access import (
    BackupAccess,
    BackupAdmin,
    BackupOperator,
    BackupViewer,
    ServiceAccess,
    ServiceAdmin,
    ServiceOperator,
    ServiceViewer,
    check,
)
from .params import DNS_LABEL, SERVICE_NAME_MAX, Strict

router = APIRouter(prefix="/api/v1", tags=["backups"])
CRON = r"^\S+( \S+){4}$"  # five fields; what each may hold is checked by croniter below
CRON_FIELDS = "minute (0-59) hour (0-23) day (1-31) month (1-12) weekday (0-6)"
Keep = Annotated[int | None, Field(default=None, ge=1, le=10_000)]


class RestoreRequest(Strict):
    as_service: str | None = Field(
        default=None, alias="as", pattern=DNS_LABEL, min_length=1, max_length=SERVICE_NAME_MAX,
        description="restore as a new service of this name; none: in place, into the service backed up",
    )  # fmt: skip


class ScheduleRequest(Strict):
    cron: str = Field(pattern=CRON, max_length=128, description="when, as cron: minute hour day month weekday")
    timezone: str = Field(default="UTC", max_length=64, description="the IANA time zone the cron is read in")
    keep_last: Keep = None
    keep_daily: Keep = None
    keep_weekly: Keep = None
    keep_monthly: Keep = None
    drill: bool = Field(default=False, description="a restore drill into a throwaway service after each backup")

    # Checked here, not only by the backup service: a schedule it would refuse must not be accepted
    # with a 202 and published, only to fail later as an operation.
    @field_validator("cron")
    @classmethod
    def _cron_is_valid(cls, cron: str) -> str:
        try:
            croniter(cron)
        except (CroniterBadCronError, ValueError, KeyError) as error:
            raise ValueError(f"{cron!r} is not a valid cron expression ({error}); give {CRON_FIELDS}, "
                             "e.g. '0 3 * * *' for 03:00 every day") from None  # fmt: skip
        return cron

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, timezone: str) -> str:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {timezone!r}; use an IANA name such as 'UTC' or 'Europe/Paris'"
            ) from None
        return timezone


def new_backup_id() -> str:
    """A fresh backup's id: when it was asked for, and a random tail (two in one second differ)."""
    return f"{datetime.now(UTC):%Y%m%dt%H%M%Sz}-{secrets.token_hex(3)}"


async def _service(parts: Parts, access: ServiceAccess) -> None:
    """404 unless the service exists."""
    body = ServiceRequest(service=access.name, namespace=access.namespace, caller=access.user.caller())
    await parts.reads.ask(SERVICE, body)


async def _command(
    parts: Parts, user: Principal, team: str | None, response: Response, kind: str, event: OperationEvent, *,
    name: str, namespace: str, result: dict[str, Any] | None = None,
) -> OperationView:  # fmt: skip
    target = Target(service=name, namespace=namespace)
    return await submit(
        parts, user, response, kind=kind, event=event, target=target, subject=f"services/{namespace}/{name}",
        team=team, result=result,
    )  # fmt: skip


async def _on_backup(
    parts: Parts, access: BackupAccess, response: Response, kind: str, event: OperationEvent, *, name: str | None = None
) -> OperationView:
    found = access.backup
    return await _command(parts, access.user, access.team, response, kind, event, name=name or found.service,
                          namespace=found.namespace)  # fmt: skip


@router.post(
    "/services/{name}/backups", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Back a service up now: its release, rendered objects and every volume (result: the backup's id)",
)  # fmt: skip
async def create_backup(parts: GatewayParts, access: ServiceOperator, response: Response) -> OperationView:
    await _service(parts, access)
    name, namespace = access.name, access.namespace
    backup_id = new_backup_id()
    event = BackupRequested(backup_id=backup_id, service=name, namespace=namespace, trigger="manual")
    return await _command(parts, access.user, access.team, response, "backup", event, name=name, namespace=namespace,
                          result={"backup_id": backup_id})  # fmt: skip


@router.get("/services/{name}/backups", response_model=BackupList, summary="A service's backups, newest first")
async def list_backups(parts: GatewayParts, access: ServiceViewer) -> BackupList:
    body = BackupsRequest(service=access.name, namespace=access.namespace, caller=access.user.caller())
    return await parts.reads.ask(BACKUPS, body)


@router.get("/backups/{backup_id}", response_model=BackupDetail, summary="One backup: its parts and what ran on it")
async def get_backup(parts: GatewayParts, access: BackupViewer) -> BackupDetail:
    body = BackupRequest(backup_id=access.backup.backup_id, parts=True, caller=access.user.caller())
    return await parts.reads.ask(BACKUP, body)


@router.delete(
    "/backups/{backup_id}", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Delete a backup's objects from the store",
)  # fmt: skip
async def delete_backup(parts: GatewayParts, access: BackupAdmin, response: Response) -> OperationView:
    found = access.backup
    ids: dict[str, Any] = {"backup_id": found.backup_id, "service": found.service, "namespace": found.namespace}
    return await _on_backup(parts, access, response, "delete_backup", BackupDeleteRequested(**ids))


@router.post(
    "/backups/{backup_id}/restore", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Restore a backup in place (the service is stopped, its data replaced, started) or as a new service",
)  # fmt: skip
async def restore_backup(
    parts: GatewayParts, access: BackupOperator, response: Response, request: RestoreRequest | None = None
) -> OperationView:
    found = access.backup
    target = request.as_service if request else None
    if target is not None:  # a new service: what installing takes
        check(access.user, "admin", access.team, await parts.directory.teams(), f"backup {found.backup_id!r}")
    event = RestoreRequested(
        backup_id=found.backup_id, service=found.service, namespace=found.namespace, target_service=target
    )
    return await _on_backup(parts, access, response, "restore", event, name=target)


@router.post(
    "/backups/{backup_id}/verify", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Read every part of a backup back and check its SHA-256",
)  # fmt: skip
async def verify_backup(parts: GatewayParts, access: BackupOperator, response: Response) -> OperationView:
    found = access.backup
    ids: dict[str, Any] = {"backup_id": found.backup_id, "service": found.service, "namespace": found.namespace}
    return await _on_backup(parts, access, response, "verify_backup", BackupVerifyRequested(**ids))


@router.get("/services/{name}/backups/schedule", response_model=Schedules, summary="A service's backup schedule")
async def get_schedule(parts: GatewayParts, access: ServiceViewer) -> Schedules:
    await _service(parts, access)
    body = SchedulesRequest(service=access.name, namespace=access.namespace, caller=access.user.caller())
    return await parts.reads.ask(SCHEDULES, body)


@router.put(
    "/services/{name}/backups/schedule", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Set a service's backup schedule (cron in a time zone) and retention",
)  # fmt: skip
async def set_schedule(
    parts: GatewayParts, access: ServiceAdmin, request: ScheduleRequest, response: Response
) -> OperationView:
    await _service(parts, access)
    name, namespace = access.name, access.namespace
    event = BackupScheduleRequested(service=name, namespace=namespace, **request.model_dump())
    return await _command(parts, access.user, access.team, response, "schedule_backups", event, name=name,
                          namespace=namespace)  # fmt: skip


@router.delete(
    "/services/{name}/backups/schedule", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Remove a service's backup schedule (its backups stay)",
)  # fmt: skip
async def remove_schedule(parts: GatewayParts, access: ServiceAdmin, response: Response) -> OperationView:
    await _service(parts, access)
    name, namespace = access.name, access.namespace
    event = BackupScheduleRequested(service=name, namespace=namespace, cron=None)
    return await _command(parts, access.user, access.team, response, "schedule_backups", event, name=name,
                          namespace=namespace)  # fmt: skip
