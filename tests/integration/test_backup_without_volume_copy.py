"""On a runtime that cannot copy volumes (kubernetes, today), an upgrade of a service without volumes is
backed up as its release and objects and goes on with no flag; a service whose data cannot be copied is
refused before anything starts, saying how to go on, and a backup of it fails rather than leave its data out.

What this is about is the runtime's capability, not its cluster, so the sim runtime plays one without
volume copy (``copies_volumes``, which the kubernetes runtime sets to False)."""

from __future__ import annotations

from pathlib import Path

from quickon_common.contracts.asks import UpgradeBackupAsked
from quickon_common.contracts.backup import BackupCompleted, BackupFailed, BackupRequested
from quickon_common.contracts.deploy import (
    AppInstalled,
    AppInstallRequested,
    AppUpgraded,
    AppUpgradeFailed,
    AppUpgradeRequested,
    SagaStepRecorded,
)
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from support.backup import backup_events, backup_platform, ended, install, new_id, send
from support.bus import events
from support.deployer import ask, finished, outcome, request

NS = "team-a"
NO_VOLUME = {"persistence": {"enabled": False}}


async def test_only_data_that_cannot_be_copied_stops_an_upgrade(nats_server: NatsServer, tmp_path: Path) -> None:
    url = nats_server.url
    async with backup_platform(url, tmp_path, StoreSettings(url=f"file://{tmp_path / 'objects'}")) as (deploy, _):
        deploy.runtime.copies_volumes = False
        op = await request(url, AppInstallRequested(service="web", namespace=NS, app="redis", version="1.0.0",
                                                    values=NO_VOLUME))  # fmt: skip
        assert isinstance(outcome(await finished(url, op)), AppInstalled)
        await install(url, "cache", NS)
        (claim,) = [v["claim"] for v in (await ask(url, "backup_source", namespace=NS, service="cache"))["volumes"]]

        # No volume: backed up as its release and objects, then upgraded, with no flag.
        op = await request(url, AppUpgradeRequested(service="web", namespace=NS, version="1.0.1"))
        found = await finished(url, op)
        assert isinstance(outcome(found), AppUpgraded), outcome(found)
        steps = [(e.step, e.state) for e in found if isinstance(e, SagaStepRecorded)]
        assert steps[:2] == [("backup", "started"), ("backup", "completed")]
        (asked,) = [e for e, _ in await events(url, UpgradeBackupAsked.subject)]
        (done,) = [e for e in await backup_events(url, backup_id=asked.backup_id) if isinstance(e, BackupCompleted)]
        assert done.parts == 2  # the release and its objects

        # A volume: refused at once, before any backup or change, saying what to do.
        op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.1"))
        refused = outcome(await finished(url, op))
        assert isinstance(refused, AppUpgradeFailed) and refused.step == "accept", refused
        assert claim in refused.reason and "--no-backup" in refused.reason and "nothing was changed" in refused.reason
        assert len(await events(url, UpgradeBackupAsked.subject)) == 1
        service = await ask(url, "service", namespace=NS, service="cache")
        assert (service["version"], service["status"], service["operation_id"]) == ("1.0.0", "running", None)

        # Asked to, it goes on without a backup.
        op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.1", backup_first=False))
        assert isinstance(outcome(await finished(url, op)), AppUpgraded)

        # A backup of it fails, naming the data it would have left out, and stores nothing.
        backup_id = new_id()
        await send(url, BackupRequested(backup_id=backup_id, service="cache", namespace=NS, trigger="manual"))
        failed = await ended(url, backup_id=backup_id)
        assert isinstance(failed, BackupFailed), failed
        assert claim in failed.reason and "cannot copy" in failed.reason
        assert not [p for p in (tmp_path / "objects").rglob("*") if backup_id in str(p)]


async def test_an_operator_may_let_such_upgrades_go_on_without_a_backup(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url = nats_server.url
    store = StoreSettings(url=f"file://{tmp_path / 'objects'}")
    async with backup_platform(url, tmp_path, store, upgrade_without_volume_backup=True) as (deploy, _):
        deploy.runtime.copies_volumes = False
        await install(url, "cache", NS)
        op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.1"))
        found = await finished(url, op)
        assert isinstance(outcome(found), AppUpgraded), outcome(found)
        assert not await events(url, UpgradeBackupAsked.subject)
