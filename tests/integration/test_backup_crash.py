"""The backup service stopped in the middle of a backup's copy and of a restore: the next process takes the
job up from its recorded step and finishes it; the half-written object never counts."""

from __future__ import annotations

import os
from pathlib import Path

from quickon_common.contracts.backup import BackupCompleted, BackupRequested, RestoreCompleted, RestoreRequested
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from support.backup import backup_events, backup_service, claim_dirs, ended, install, new_id, send, steps
from support.bus import eventually, running
from support.deployer import platform
from support.trees import fill, snapshot

NS = "team-a"


async def test_a_backup_and_a_restore_resume_after_the_service_stops_mid_way(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url = nats_server.url
    store = StoreSettings(url=f"file://{tmp_path / 'objects'}")
    backup_db = f"sqlite:///{tmp_path / 'backup.db'}"
    async with platform(url, f"sqlite:///{tmp_path / 'deployer.db'}", tmp_path):
        await install(url, "cache", NS)
        ((_claim, volume),) = (await claim_dirs(url, "cache", NS)).items()
        fill(volume)
        for index in range(12):  # enough data for the copy to be caught in the middle
            (volume / f"bulk-{index}.bin").write_bytes(os.urandom(8 << 20))
        original = snapshot(volume)
        backup_id = new_id()

        async def reached(op: str, step: str) -> bool:
            return (step, "started") in steps(await backup_events(url, op))

        async with running(backup_service(url, backup_db, tmp_path, store, chunk_size=64 << 10)):
            op = await send(url, BackupRequested(backup_id=backup_id, service="cache", namespace=NS))
            await eventually(lambda: reached(op, "copy"), what="the copy to start")
        assert not [e for e in await backup_events(url, op) if isinstance(e, BackupCompleted)]

        async with running(backup_service(url, backup_db, tmp_path, store)):
            assert isinstance(await ended(url, op), BackupCompleted)
            (volume / "config.json").write_text("changed")
            op = await send(url, RestoreRequested(backup_id=backup_id, service="cache", namespace=NS))
            await eventually(lambda: reached(op, "stage"), what="the restore to stage")
        assert not [e for e in await backup_events(url, op) if isinstance(e, RestoreCompleted)]

        async with running(backup_service(url, backup_db, tmp_path, store)):
            restored = await ended(url, op)
            assert isinstance(restored, RestoreCompleted), restored
        assert snapshot(volume) == original
        told = await backup_events(url, op)
        assert "start" in [s for s, state in steps(told) if state == "started"]
        # A restore's steps are repeatable: the resumed run may read again (check), never ask twice.
        asked = [e.detail for e in told if (getattr(e, "detail", None) or "").startswith("asked the deployer")]
        assert sorted(asked) == ["asked the deployer to start cache", "asked the deployer to stop cache"]
