"""The deployer's upgrade asks for a backup first and waits for it: a successful backup lets the upgrade go
on, a failed one stops it before anything changes, and ``backup_first=false`` skips it. The deployer asks in
its own context (``UpgradeBackupAsked``), never with the gateway's ``BackupRequested``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from nats.aio.msg import Msg

from quickon_common.contracts.asks import UpgradeBackupAsked
from quickon_common.contracts.backup import BackupCompleted, BackupFailed, BackupRequested, RestoreCompleted
from quickon_common.contracts.deploy import AppUpgraded, AppUpgradeFailed, AppUpgradeRequested, SagaStepRecorded
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from quickon_deployer.pre_upgrade import backup_id_of
from support.backup import backup_events, backup_platform, claim_dirs, install
from support.bus import connect, events
from support.deployer import ask, finished, outcome, request
from support.trees import fill, snapshot

NS = "team-a"
CRASH = {"podAnnotations": {"sim.quickon.io/fail": "crash-loop"}}


async def test_an_upgrade_waits_for_its_backup_and_stops_when_it_fails(nats_server: NatsServer, tmp_path: Path) -> None:
    url = nats_server.url
    async with backup_platform(url, tmp_path, StoreSettings(url=f"file://{tmp_path / 'objects'}")):
        await install(url, "cache", NS)
        ((_claim, volume),) = (await claim_dirs(url, "cache", NS)).items()
        fill(volume)

        op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.1"))
        found = await finished(url, op)
        assert isinstance(outcome(found), AppUpgraded), outcome(found)
        steps = [(e.step, e.state) for e in found if isinstance(e, SagaStepRecorded)]
        assert steps[:3] == [("backup", "started"), ("backup", "completed"), ("resolve", "started")]
        (asked,) = [e for e, _ in await events(url, UpgradeBackupAsked.subject)]
        assert isinstance(asked, UpgradeBackupAsked) and asked.trigger == "pre_upgrade" and asked.service == "cache"
        assert not [e for e in await backup_events(url) if isinstance(e, BackupRequested)]
        done = [e for e in await backup_events(url, backup_id=asked.backup_id) if isinstance(e, BackupCompleted)]
        assert len(done) == 1 and done[0].parts == 3

        # Opting out: no backup asked for.
        op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.0", backup_first=False))
        assert isinstance(outcome(await finished(url, op)), AppUpgraded)
        assert len(await events(url, UpgradeBackupAsked.subject)) == 1

        # The backup fails (its volume is gone): the upgrade stops at once, nothing changed.
        hidden = volume.with_name(volume.name + ".hidden")
        os.rename(volume, hidden)
        try:
            op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.1"))
            failed = outcome(await finished(url, op))
        finally:
            os.rename(hidden, volume)
        assert isinstance(failed, AppUpgradeFailed) and failed.step == "backup", failed
        assert "backup before the upgrade failed" in failed.reason and "is gone" in failed.reason
        assert any(isinstance(e, BackupFailed) for e in await backup_events(url))
        service = await ask(url, "service", namespace=NS, service="cache")
        assert (service["version"], service["status"]) == ("1.0.0", "running")


async def test_a_failed_upgrade_brings_its_data_back_when_asked(nats_server: NatsServer, tmp_path: Path) -> None:
    url = nats_server.url
    async with backup_platform(url, tmp_path, StoreSettings(url=f"file://{tmp_path / 'objects'}")):
        await install(url, "cache", NS)
        ((_claim, volume),) = (await claim_dirs(url, "cache", NS)).items()
        fill(volume)
        original = snapshot(volume)

        migrated: list[bytes] = []

        async def migrate(msg: Msg) -> None:  # what a new version does to the data once its backup exists
            if json.loads(msg.data)["backup_id"].startswith("pre-upgrade-"):
                (volume / "config.json").write_text('{"schema": 2}')
                (volume / "big.bin").unlink()
                migrated.append((volume / "config.json").read_bytes())

        nc = await connect(url)
        try:
            await nc.subscribe(BackupCompleted.subject, cb=migrate)
            await nc.flush()
            upgrade = AppUpgradeRequested(
                service="cache", namespace=NS, version="1.0.1", values=CRASH, restore_data_on_failure=True
            )
            op = await request(url, upgrade)
            found = await finished(url, op)
        finally:
            await nc.close()
        failed = outcome(found)
        assert migrated == [b'{"schema": 2}']  # the data was changed once the backup was taken
        assert isinstance(failed, AppUpgradeFailed) and failed.rolled_back, failed
        assert "its data restored from backup pre-upgrade-" in failed.reason
        steps = [(e.step, e.state) for e in found if isinstance(e, SagaStepRecorded)]
        assert ("restore_data", "compensated") in steps
        assert snapshot(volume) == original
        restored = [e for e in await backup_events(url) if isinstance(e, RestoreCompleted)]
        assert [e.operation_id for e in restored] == [f"{failed_backup_id(found)}-data"]
        service = await ask(url, "service", namespace=NS, service="cache")
        assert (service["version"], service["status"]) == ("1.0.0", "running")


def failed_backup_id(found: list[Any]) -> str:
    backup = next(e for e in found if isinstance(e, SagaStepRecorded) and e.step == "backup")
    return backup_id_of(backup.operation_id)
