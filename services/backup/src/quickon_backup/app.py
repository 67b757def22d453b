"""Wiring of the backup service: backups, schedules, retention and restores of installed services, their
objects in an object store (S3 or a local directory), their data read and written on the runtime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from quickon_common.objectstore import ObjectStore, open_store
from quickon_common.saga import Outcomes
from quickon_common.sealing import Sealer
from quickon_common.service import Service
from quickon_common.settings import Settings

from . import handlers, queries
from .adapters.deployer import Deployer, Market
from .backing import BackupSteps
from .exporting import Bundles
from .jobs import JobRunner
from .migrations import MIGRATIONS
from .models import DeployOutcomeRecord
from .restoring import RestoreSteps
from .sagas import build_sagas
from .schedules import Scheduler, utc_now
from .settings import BackupSettings
from .stored import watch_store
from .waiting import DeployerOperations


@dataclass(frozen=True)
class BackupParts:
    """The backup service and the parts a test or benchmark may drive directly."""

    service: Service
    store: ObjectStore
    scheduler: Scheduler
    runner: JobRunner


def build(
    settings: Settings | None = None,
    backup: BackupSettings | None = None,
    *,
    store: ObjectStore | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> BackupParts:
    """The backup service, wired, with its store, scheduler and runner at hand. ``clock`` is the
    scheduler's time (tests pass their own)."""
    service = Service("backup", settings=settings, migrations=MIGRATIONS)
    backup = backup or BackupSettings()
    store = store or open_store(service.settings.store_settings())
    deployer = Deployer(lambda: service.nats, timeout_s=backup.deployer_timeout_s)
    outcomes = Outcomes(service.outbox, DeployOutcomeRecord)
    backups = BackupSteps(store=store, deployer=deployer, db=service.db, settings=backup)
    operations = DeployerOperations(outcomes)
    restores = RestoreSteps(store=store, deployer=deployer, operations=operations, settings=backup)
    bundles = Bundles(
        store=store, deployer=deployer, market=Market(lambda: service.nats, timeout_s=backup.deployer_timeout_s),
        blobs=lambda: service.blobs, sealer=Sealer.platform(service.settings), operations=operations,
        settings=backup, work_dir=service.settings.var_dir / "backup" / "bundles",
    )  # fmt: skip
    runner = JobRunner(
        service.outbox, build_sagas(backups, restores, bundles), compensation_s=backup.compensation_s,
        parallel=backup.parallel_jobs, owner=service.instance, lease_s=service.settings.lease_s,
    )  # fmt: skip
    scheduler = Scheduler(service.outbox, clock=clock, interval_s=backup.schedule_interval_s)
    handlers.register(service, runner=runner, outcomes=outcomes, settings=backup, clock=clock)
    queries.register(service, store=store)
    service.checks["object_store"] = "not checked yet"

    async def check_store() -> None:
        await watch_store(store, lambda reason: service.checks.__setitem__("object_store", reason))

    service.runs(runner.run)
    service.periodically(backup.schedule_interval_s, scheduler.tick, what="backup schedules")
    service.runs(check_store)
    return BackupParts(service=service, store=store, scheduler=scheduler, runner=runner)


def create_service(
    settings: Settings | None = None,
    backup: BackupSettings | None = None,
    *,
    store: ObjectStore | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Service:
    """The backup service, ready to run. ``clock`` is the scheduler's time (tests pass their own)."""
    return build(settings, backup, store=store, clock=clock).service
