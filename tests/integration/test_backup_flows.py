"""Backups end to end on the sim runtime, through events only, on each object store (local directory, moto's
S3 server, Ceph RGW): files written into a service's volume are backed up, changed and deleted, restored in
place byte for byte, restored as a second service; a corrupted object makes verify and restore fail clearly
and leaves the service as it was."""

from __future__ import annotations

from pathlib import Path

from quickon_common.contracts.backup import (
    BackupCompleted,
    BackupRequested,
    BackupVerified,
    BackupVerifyFailed,
    BackupVerifyRequested,
    RestoreCompleted,
    RestoreFailed,
    RestoreRequested,
)
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from support.backup import backup_events, backup_platform, claim_dirs, ended, install, new_id, send, steps
from support.bus import query
from support.deployer import ask
from support.trees import fill, snapshot

NS = "team-a"


async def test_back_up_change_restore_in_place_and_as_new_then_a_corrupt_object_fails_clearly(
    nats_server: NatsServer, tmp_path: Path, store_settings: StoreSettings
) -> None:
    url = nats_server.url
    async with backup_platform(url, tmp_path, store_settings) as (_deployer, backup):
        await install(url, "cache", NS)
        ((claim, volume),) = (await claim_dirs(url, "cache", NS)).items()
        fill(volume)
        original = snapshot(volume)

        backup_id = new_id()
        op = await send(url, BackupRequested(backup_id=backup_id, service="cache", namespace=NS))
        done = await ended(url, op)
        assert isinstance(done, BackupCompleted), done
        assert done.parts == 3 and done.size_bytes > 3 * 1024 * 1024
        assert steps(await backup_events(url, op))[:2] == [("source", "started"), ("source", "completed")]
        detail = await query(
            url, "qc.query.backup.backup", {"backup_id": backup_id, "parts": True, "caller": {"is_admin": True}}
        )
        parts = {p["name"]: p for p in detail["manifest"]["parts"]}
        assert set(parts) == {"release", "manifests", claim} and detail["status"] == "completed"
        assert detail["manifest"]["release"]["app"] == "redis" and "sealed_secrets" not in detail["manifest"]["release"]

        verified = await ended(
            url, await send(url, BackupVerifyRequested(backup_id=backup_id, service="cache", namespace=NS))
        )
        assert isinstance(verified, BackupVerified) and verified.parts_checked == 3

        # Change, delete and add files; the restore in place brings back exactly what was backed up.
        (volume / "config.json").write_text("changed")
        (volume / "big.bin").unlink()
        (volume / "db" / "new.dat").write_bytes(b"added after the backup")
        op = await send(url, RestoreRequested(backup_id=backup_id, service="cache", namespace=NS))
        restored = await ended(url, op)
        assert isinstance(restored, RestoreCompleted) and restored.target_service == "cache", restored
        assert snapshot(volume) == original
        assert [s for s, state in steps(await backup_events(url, op)) if state == "completed"] == [
            "check", "install", "locate", "stage", "stop", "swap", "revision", "start",
        ]  # fmt: skip
        assert (await ask(url, "service", namespace=NS, service="cache"))["status"] == "running"
        assert not [p for p in volume.parent.iterdir() if p.name.startswith(".qc-")]  # nothing left aside

        # As a new service: installed from the backup's release, its volume filled before it runs again.
        restored = await ended(url, await send(url, RestoreRequested(
            backup_id=backup_id, service="cache", namespace=NS, target_service="copy")))  # fmt: skip
        assert isinstance(restored, RestoreCompleted) and restored.target_service == "copy", restored
        copy = await ask(url, "service", namespace=NS, service="copy")
        assert (copy["status"], copy["app"], copy["version"]) == ("running", "redis", "1.0.0")
        ((copy_claim, copy_volume),) = (await claim_dirs(url, "copy", NS)).items()
        assert copy_claim != claim and snapshot(copy_volume) == original

        # Into a name that exists: refused, the service there untouched.
        (copy_volume / "mine.txt").write_text("copy's own")
        copy_before = snapshot(copy_volume)
        refused = await ended(url, await send(url, RestoreRequested(
            backup_id=backup_id, service="cache", namespace=NS, target_service="copy")))  # fmt: skip
        assert isinstance(refused, RestoreFailed) and "exists" in refused.reason and refused.step == "check"
        assert snapshot(copy_volume) == copy_before

        # A corrupted object: verify says which part, restore fails, the service's data untouched and it runs.
        store = backup.store
        data = await store.get_bytes(parts[claim]["key"])
        await store.put_bytes(
            parts[claim]["key"], data[:-5000] + bytes(5000)
        )  # a zeroed tail: a valid tar, wrong bytes
        failed = await ended(
            url, await send(url, BackupVerifyRequested(backup_id=backup_id, service="cache", namespace=NS))
        )
        assert (
            isinstance(failed, BackupVerifyFailed) and f"part {claim}" in failed.reason and "corrupt" in failed.reason
        )

        (volume / "config.json").write_text("changed again")
        current = snapshot(volume)
        failed = await ended(url, await send(url, RestoreRequested(backup_id=backup_id, service="cache", namespace=NS)))
        assert isinstance(failed, RestoreFailed) and "corrupt" in failed.reason and failed.step == "stage", failed
        assert "left as it was" in failed.reason
        assert snapshot(volume) == current
        assert (await ask(url, "service", namespace=NS, service="cache"))["status"] == "running"
        assert not [p for p in volume.parent.iterdir() if p.name.startswith(".qc-")]
