"""The backup service stopped in the middle of a backup's copy and of a restore: the next process takes the
job up from its recorded step and finishes it; the half-written object never counts."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from quickon_backup.adapters.tarstream import Digest, tar_directory
from quickon_backup.domain import Manifest, Part, Release
from quickon_backup.jobs import Job
from quickon_backup.models import JobRecord
from quickon_backup.plans import RestorePlan
from quickon_backup.restoring import RestoreSteps
from quickon_backup.settings import BackupSettings
from quickon_common.contracts.backup import BackupCompleted, BackupRequested, RestoreCompleted, RestoreRequested
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings, open_store
from quickon_common.saga import Run
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


async def test_a_restore_cut_short_after_its_swap_stages_nothing_again_and_ends_with_the_backup(
    tmp_path: Path,
) -> None:
    """A restore's steps are repeatable: a run resumed after a crash that came once the volume was swapped
    in, before that was on record, stages again (the last full record was taken while staging) and swaps
    again. The volume set aside says it was staged and checked: staged again over it, the swap would fail."""
    backed_up, live = tmp_path / "backed-up", tmp_path / "volumes" / "data"
    fill(backed_up)
    fill(live)
    (live / "config.json").write_text("changed since the backup")
    store = open_store(StoreSettings(url=f"file://{tmp_path / 'objects'}"))
    digest = Digest()
    await store.put("volume.tar", digest.tap(tar_directory(backed_up)))
    part = Part(name="data", kind="volume", key="volume.tar", size=digest.size, sha256=digest.hexdigest)
    release = Release(app="redis", version="1.0.0", revision=1)
    manifest = Manifest(
        backup_id="b1", service="cache", namespace=NS, trigger="manual", created_at=datetime.now(UTC),
        runtime="sim", release=release, parts=[part],
    )  # fmt: skip
    plan = RestorePlan(data_only=True, in_place=True, manifest=manifest, mapping={"data": str(live)})
    record = JobRecord(
        id="restore-1", kind="restore", state="running", backup_id="b1", service="cache", namespace=NS,
        deadline=datetime.now(UTC) + timedelta(hours=1), created_at=datetime.now(UTC),
    )  # fmt: skip
    steps_of = RestoreSteps(store=store, deployer=None, operations=None, settings=BackupSettings())  # type: ignore[arg-type]
    first: Job = Run(record, plan)
    await steps_of.stage(first)
    assert steps_of.pace  # the next restore's stop is asked at once if it stages within stop_ahead_s at this pace
    await steps_of.swap(first)
    resumed: Job = Run(record, plan)  # from the plan on record, taken before the swap
    await steps_of.stage(resumed)
    await steps_of.swap(resumed)
    (live.parent / ".qc-trash-aside-0").mkdir()  # left by a process stopped while it removed its trash
    await steps_of.remove_trash(steps_of.finish(resumed))
    assert snapshot(live) == snapshot(backed_up)
    assert not [p for p in live.parent.iterdir() if p.name.startswith(".qc-")]
