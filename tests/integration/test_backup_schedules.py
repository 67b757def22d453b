"""Scheduled backups and retention with an injectable clock, no sleeping: a schedule in a time zone asks
for a backup when the clock reaches it (once, whatever was missed), and retention prunes what it no
longer keeps, from the store and the listing, with ``BackupPruned``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from quickon_common.contracts.asks import ScheduleBackupAsked, ScheduleDrillAsked
from quickon_common.contracts.backup import (
    BackupCompleted,
    BackupPruned,
    BackupScheduleFailed,
    BackupScheduleRemoved,
    BackupScheduleRequested,
    BackupScheduleSet,
    BackupStepRecorded,
    BackupVerified,
    BackupVerifyFailed,
)
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from support.backup import backup_events, backup_platform, claim_dirs, ended, install, send
from support.bus import eventually, query
from support.deployer import ask
from support.trees import fill

NS = "team-a"


class Clock:
    """The time the backup service sees; the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_a_schedule_backs_up_when_due_and_retention_prunes(nats_server: NatsServer, tmp_path: Path) -> None:
    url = nats_server.url
    clock = Clock(at("2026-12-01T01:00:00"))
    store = StoreSettings(url=f"file://{tmp_path / 'objects'}")
    async with backup_platform(url, tmp_path, store, clock=clock) as (_deployer, backup):
        scheduler, objects = backup.scheduler, backup.store
        await install(url, "cache", NS)
        fill(next(iter((await claim_dirs(url, "cache", NS)).values())))

        refused = await ended(
            url, await send(url, BackupScheduleRequested(service="cache", namespace=NS, cron="0 25 * * *"))
        )
        assert isinstance(refused, BackupScheduleFailed) and "not a valid cron" in refused.reason
        refused = await ended(url, await send(url, BackupScheduleRequested(
            service="cache", namespace=NS, cron="0 3 * * *", timezone="Europe/Pariss")))  # fmt: skip
        assert isinstance(refused, BackupScheduleFailed) and "unknown time zone" in refused.reason

        # 03:00 in Paris is 02:00 UTC in December; keep the last two.
        scheduled = await ended(url, await send(url, BackupScheduleRequested(
            service="cache", namespace=NS, cron="0 3 * * *", timezone="Europe/Paris", keep_last=2)))  # fmt: skip
        assert isinstance(scheduled, BackupScheduleSet) and scheduled.next_run_at == "2026-12-01T02:00:00+00:00"

        clock.now = at("2026-12-01T01:59:59")
        assert await scheduler.tick() == []
        taken = []
        for day in range(3):
            clock.now = at("2026-12-01T02:00:00") + timedelta(days=day, seconds=30)
            (backup_id,) = await scheduler.tick()
            assert await scheduler.tick() == []  # moved on to the next day: asked once
            assert isinstance(await ended(url, backup_id=backup_id), BackupCompleted)
            taken.append(backup_id)
        requests = [e for e in await backup_events(url) if isinstance(e, ScheduleBackupAsked)]
        assert [(e.backup_id, e.trigger) for e in requests] == [(b, "schedule") for b in taken]

        # The third backup pruned the first: gone from the store and from the listing.
        (pruned,) = [e for e in await backup_events(url) if isinstance(e, BackupPruned)]
        assert pruned.backup_ids == [taken[0]] and pruned.service == "cache"
        assert [o async for o in objects.list(f"backups/{NS}/cache/{taken[0]}/")] == []
        assert [o async for o in objects.list(f"backups/{NS}/cache/{taken[1]}/")] != []
        listed = await query(
            url, "qc.query.backup.backups", {"namespace": NS, "service": "cache", "caller": {"is_admin": True}}
        )
        assert [b["backup_id"] for b in listed["backups"]] == [taken[2], taken[1]]

        # A week without the scheduler running: one backup, not seven; the next run is tomorrow 03:00 Paris.
        clock.now = at("2026-12-10T12:00:00")
        (late,) = await scheduler.tick()
        assert isinstance(await ended(url, backup_id=late), BackupCompleted)
        schedules = await query(url, "qc.query.backup.schedules", {"namespace": NS, "caller": {"is_admin": True}})
        assert schedules["schedules"][0]["next_run_at"] == "2026-12-11T02:00:00+00:00"

        removed = await ended(url, await send(url, BackupScheduleRequested(service="cache", namespace=NS, cron=None)))
        assert isinstance(removed, BackupScheduleRemoved)
        clock.now = at("2026-12-20T02:00:00")
        assert await scheduler.tick() == []


async def test_a_restore_drill_restores_into_a_throwaway_service_checks_it_and_removes_it(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url = nats_server.url
    clock = Clock(at("2026-12-01T01:00:00"))
    async with backup_platform(url, tmp_path, StoreSettings(url=f"file://{tmp_path / 'objects'}"), clock=clock) as (
        _deployer,
        backup,
    ):
        await install(url, "cache", NS)
        fill(next(iter((await claim_dirs(url, "cache", NS)).values())))
        scheduled = await ended(url, await send(url, BackupScheduleRequested(
            service="cache", namespace=NS, cron="0 2 * * *", drill=True)))  # fmt: skip
        assert isinstance(scheduled, BackupScheduleSet) and scheduled.drill
        clock.now = at("2026-12-01T02:00:00")
        (backup_id,) = await backup.scheduler.tick()

        async def drilled() -> bool:
            return any(
                isinstance(e, (BackupVerified, BackupVerifyFailed))
                for e in await backup_events(url, backup_id=backup_id)
            )

        await eventually(drilled, timeout_s=90, what="the drill")
        found = await backup_events(url, backup_id=backup_id)
        assert len([e for e in found if isinstance(e, ScheduleDrillAsked)]) == 1
        (outcome,) = [e for e in found if isinstance(e, (BackupVerified, BackupVerifyFailed))]
        assert isinstance(outcome, BackupVerified) and outcome.drilled and outcome.parts_checked == 3, outcome
        drill_steps = [
            e.step for e in found if isinstance(e, BackupStepRecorded) and e.job == "drill" and e.state == "completed"
        ]
        assert drill_steps == [
            "verify",
            "check",
            "install",
            "locate",
            "stage",
            "stop",
            "swap",
            "start",
            "compare",
            "discard",
        ]
        services = await ask(url, "services", namespace=NS)
        assert [s["service"] for s in services["services"]] == ["cache"]  # the throwaway service is gone
