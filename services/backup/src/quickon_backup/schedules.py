"""Backup schedules: set or removed on request, and a scheduler that asks for each backup when it is due.

The scheduler takes the time from the clock it is given (tests pass their own and call :meth:`tick`,
no sleeping), and asks for a backup through the outbox (``ScheduleBackupAsked``, in its own context: only the
gateway sends requests), in the transaction that moves the schedule on: a crash never runs a schedule twice
nor skips it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from quickon_common.consumer import Handling
from quickon_common.contracts.asks import ScheduleBackupAsked
from quickon_common.contracts.backup import (
    BackupScheduleFailed,
    BackupScheduleRemoved,
    BackupScheduleRequested,
    BackupScheduleSet,
)
from quickon_common.outbox import Outbox
from quickon_common.service import Service

from .domain import new_backup_id
from .jobs import aware
from .models import ScheduleRecord
from .retention import ScheduleInvalid, check_cron, next_run, zone

log = logging.getLogger(__name__)
KEEP_MAX = 10_000


def register_schedules(service: Service, *, clock: Callable[[], datetime]) -> None:
    """Wire the consumer of schedule requests into ``service``."""

    @service.handles(BackupScheduleRequested)
    async def set_schedule(event: BackupScheduleRequested, handling: Handling[BackupScheduleRequested]) -> None:
        """Set, replace or remove a service's schedule and retention; refuse what cannot work."""
        uow = handling.uow
        ids: dict[str, Any] = {
            "service": event.service, "namespace": event.namespace, "operation_id": event.operation_id
        }  # fmt: skip
        found = await uow.session.exec(
            select(ScheduleRecord).where(
                ScheduleRecord.namespace == event.namespace, ScheduleRecord.service == event.service
            )
        )
        schedule = found.first()
        if event.cron is None:
            if schedule is None:
                uow.emit(BackupScheduleFailed(**ids, reason=f"{event.service} has no backup schedule to remove"))
                return
            await uow.session.delete(schedule)
            uow.emit(BackupScheduleRemoved(**ids))
            return
        keeps: dict[str, Any] = {"keep_last": event.keep_last, "keep_daily": event.keep_daily,
                 "keep_weekly": event.keep_weekly, "keep_monthly": event.keep_monthly}  # fmt: skip
        try:
            check_cron(event.cron)
            zone(event.timezone)
            for name, value in keeps.items():
                if value is not None and not 1 <= value <= KEEP_MAX:
                    raise ScheduleInvalid(f"{name} must be between 1 and {KEEP_MAX}, not {value}")
        except ScheduleInvalid as invalid:
            uow.emit(BackupScheduleFailed(**ids, reason=str(invalid)))
            return
        now = clock()
        due = next_run(event.cron, event.timezone, after=now)
        if schedule is None:
            schedule = ScheduleRecord(
                id=str(uuid.uuid4()), namespace=event.namespace, service=event.service, team=handling.envelope.team,
                cron=event.cron, next_run_at=due, updated_at=now,
            )  # fmt: skip
        schedule.cron, schedule.timezone, schedule.next_run_at, schedule.updated_at = (
            event.cron,
            event.timezone,
            due,
            now,
        )
        for name, value in keeps.items():
            setattr(schedule, name, value)
        schedule.created_by, schedule.drill = handling.envelope.actor, event.drill
        uow.session.add(schedule)
        uow.emit(
            BackupScheduleSet(
                **ids, cron=event.cron, timezone=event.timezone, **keeps, drill=event.drill, next_run_at=due.isoformat()
            )
        )


class Scheduler:
    """Asks for the backups whose schedule is due at the clock's time."""

    def __init__(self, outbox: Outbox, *, clock: Callable[[], datetime], interval_s: float) -> None:
        self.outbox = outbox
        self.clock = clock
        self.interval_s = interval_s

    async def tick(self) -> list[str]:
        """Ask for every due backup (one per schedule, however many runs were missed); their ids."""
        now = self.clock()
        asked = []
        async with self.outbox.transaction() as session:
            uow = self.outbox.unit(session, actor="scheduler")
            # Locked, skipping those locked already: a replica that just lost the lead and ticks once more
            # does not ask for the same backups (on PostgreSQL; SQLite has one writer).
            due_now = select(ScheduleRecord).where(col(ScheduleRecord.next_run_at) <= now)
            due = await session.exec(due_now.with_for_update(skip_locked=True))
            for schedule in due.all():
                backup_id = new_backup_id(now, secrets.token_hex(3))
                uow.team = schedule.team
                uow.emit(
                    ScheduleBackupAsked(
                        backup_id=backup_id, service=schedule.service, namespace=schedule.namespace, trigger="schedule"
                    ),
                    subject=f"services/{schedule.namespace}/{schedule.service}",
                )
                schedule.last_run_at = now
                # Runs missed while the service was down are not made up: the next one is after now.
                schedule.next_run_at = next_run(
                    schedule.cron, schedule.timezone, after=max(now, aware(schedule.next_run_at))
                )
                session.add(schedule)
                asked.append(backup_id)
        return asked

    async def run(self) -> None:
        """Tick every ``interval_s`` until cancelled."""
        while True:
            with contextlib.suppress(Exception):
                try:
                    await self.tick()
                except Exception:
                    log.exception("the scheduler could not look at the schedules; trying again")
                    raise
            await asyncio.sleep(self.interval_s)


def utc_now() -> datetime:
    return datetime.now(UTC)
