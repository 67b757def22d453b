"""Running the backup service beside the deployer (sim) and the market in the test's event loop, and
reading a backup operation's events; volumes are the sim's real directories."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from quickon_backup.app import BackupParts, build
from quickon_backup.schedules import utc_now
from quickon_backup.settings import BackupSettings
from quickon_common.contracts import Event
from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested
from quickon_common.objectstore import StoreSettings, open_store
from quickon_common.service import Service
from quickon_deployer.app import DeployerParts
from support.bus import events, eventually, running, settings_for
from support.deployer import ask, finished, outcome, platform, request

# Deadlines short enough for a test; no schedule ticks of its own (tests call tick()).
FAST = {"backup_deadline_s": 60, "restore_deadline_s": 90, "verify_deadline_s": 60, "compensation_s": 60,
        "schedule_interval_s": 3600, "deployer_timeout_s": 10}  # fmt: skip


def backup_service(
    nats_url: str, database_url: str, var_dir: Path, store: StoreSettings, *,
    clock: Callable[[], datetime] = utc_now, **overrides: Any,
) -> Service:  # fmt: skip
    return backup_parts(nats_url, database_url, var_dir, store, clock=clock, **overrides).service


def backup_parts(
    nats_url: str, database_url: str, var_dir: Path, store: StoreSettings, *,
    clock: Callable[[], datetime] = utc_now, **overrides: Any,
) -> BackupParts:  # fmt: skip
    """As :func:`backup_service`, with its store and scheduler at hand for a test to drive."""
    settings = settings_for("backup", nats_url=nats_url, database_url=database_url, var_dir=var_dir)
    return build(settings, BackupSettings(**{**FAST, **overrides}), store=open_store(store), clock=clock)


@asynccontextmanager
async def backup_platform(
    nats_url: str, var_dir: Path, store: StoreSettings, *, database_url: str | None = None,
    clock: Callable[[], datetime] = utc_now, but: tuple[str, ...] = (), **deployer: Any,
) -> AsyncIterator[tuple[DeployerParts, BackupParts]]:  # fmt: skip
    """The market, the deployer (pre-upgrade backups on) and the backup service on ``store``."""
    deployer_db = f"sqlite:///{var_dir / 'deployer.db'}"
    async with platform(nats_url, deployer_db, var_dir, **{"pre_upgrade_backup": True, **deployer}) as deploy:
        backup = backup_parts(
            nats_url, database_url or f"sqlite:///{var_dir / 'backup.db'}", var_dir, store, clock=clock
        )
        async with running(backup.service, but=but):
            yield deploy, backup


async def install(nats_url: str, name: str, namespace: str, app: str = "redis", version: str = "1.0.0") -> None:
    """Install as the team named after the namespace (``default`` is the default team's, as the gateway says)."""
    event = AppInstallRequested(service=name, namespace=namespace, app=app, version=version)
    op = await request(nats_url, event, team=namespace)
    assert isinstance(outcome(await finished(nats_url, op)), AppInstalled)


async def claim_dirs(nats_url: str, name: str, namespace: str) -> dict[str, Path]:
    """The service's claims and their directories, as the deployer tells the backup service."""
    source = await ask(nats_url, "backup_source", namespace=namespace, service=name)
    return {v["claim"]: Path(v["path"]) for v in source["volumes"]}


async def send(nats_url: str, event: Event) -> str:
    """Publish a backup-context request as the gateway would (as the team named after the namespace, as
    :func:`install` does); its operation id."""
    return await request(nats_url, event, team=getattr(event, "namespace", "team-a"))


def new_id() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


async def backup_events(nats_url: str, operation_id: str | None = None, *, backup_id: str | None = None) -> list[Event]:
    found = [e for e, _ in await events(nats_url, "qc.backup.>")]
    if operation_id is not None:
        found = [e for e in found if getattr(e, "operation_id", None) == operation_id]
    if backup_id is not None:
        found = [e for e in found if getattr(e, "backup_id", None) == backup_id]
    return found


def is_outcome(event: Event) -> bool:
    name = type(event).__name__
    return not (name.endswith(("Requested", "Asked", "Started")) or name == "BackupStepRecorded")


async def ended(nats_url: str, operation_id: str | None = None, *, backup_id: str | None = None,
                timeout_s: float = 90) -> Event:  # fmt: skip
    """The outcome event of a backup-context operation (by operation id, or by backup id)."""
    found: list[Event] = []

    async def done() -> bool:
        nonlocal found
        found = [e for e in await backup_events(nats_url, operation_id, backup_id=backup_id) if is_outcome(e)]
        return bool(found)

    await eventually(done, timeout_s=timeout_s, what=f"backup operation {operation_id or backup_id} to end")
    return found[0]


def steps(found: list[Event]) -> list[tuple[str, str]]:
    return [(e.step, e.state) for e in found if type(e).__name__ == "BackupStepRecorded"]  # type: ignore[attr-defined]
