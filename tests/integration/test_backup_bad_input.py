"""Backups and restores given bad input: an unreachable store, a volume that is gone, a truncated backup,
a wrong encryption key, unknown backups and services, deleted backups. Each fails clearly, keeps
nothing half-done and leaves the service as it was; the backup service goes on."""

from __future__ import annotations

import base64
import os
import socket
from pathlib import Path

from pydantic import SecretStr

from quickon_common.contracts.backup import (
    BackupCompleted,
    BackupDeleted,
    BackupDeleteRequested,
    BackupFailed,
    BackupRequested,
    BackupVerifyFailed,
    BackupVerifyRequested,
    RestoreFailed,
    RestoreRequested,
)
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from support.backup import backup_platform, backup_service, claim_dirs, ended, install, new_id, send
from support.bus import query, running
from support.deployer import ask, platform
from support.trees import fill, snapshot

NS = "team-a"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_store_fails_the_backup_clearly_and_readyz_says_so(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url = nats_server.url
    nowhere = StoreSettings(
        url="s3://backups", endpoint=f"127.0.0.1:{free_port()}", access_key=SecretStr("k"),
        secret_key=SecretStr("s"), secure=False,
    )  # fmt: skip
    async with backup_platform(url, tmp_path, nowhere, but=("object_store",)) as (_deployer, backup):
        await install(url, "cache", NS)
        readiness = await backup.service.readiness()
        assert not readiness["ready"] and readiness["checks"]["object_store"] != "ok"
        failed = await ended(url, await send(url, BackupRequested(backup_id=new_id(), service="cache", namespace=NS)))
        assert isinstance(failed, BackupFailed) and "unreachable" in failed.reason, failed
        listed = await query(
            url, "qc.query.backup.backups", {"namespace": NS, "service": "cache", "caller": {"is_admin": True}}
        )
        assert [b["status"] for b in listed["backups"]] == ["failed"]


async def test_bad_requests_are_refused_and_nothing_is_half_done(
    nats_server: NatsServer, tmp_path: Path, store_settings: StoreSettings
) -> None:
    url = nats_server.url
    async with backup_platform(url, tmp_path, store_settings) as (_deployer, backup):
        objects = backup.store
        await install(url, "cache", NS)
        ((claim, volume),) = (await claim_dirs(url, "cache", NS)).items()
        fill(volume)

        # Unknown service, bad id, unknown backup.
        failed = await ended(url, await send(url, BackupRequested(backup_id=new_id(), service="nope", namespace=NS)))
        assert isinstance(failed, BackupFailed) and "there is no service 'nope'" in failed.reason
        failed = await ended(url, await send(url, BackupRequested(backup_id="Bad_Id", service="cache", namespace=NS)))
        assert isinstance(failed, BackupFailed) and failed.step == "accept" and "not a backup id" in failed.reason
        failed = await ended(url, await send(url, RestoreRequested(backup_id="t-none", service="cache", namespace=NS)))
        assert isinstance(failed, RestoreFailed) and failed.step == "accept" and "no backup" in failed.reason

        # A good backup to spoil.
        backup_id = new_id()
        assert isinstance(await ended(url, await send(url, BackupRequested(
            backup_id=backup_id, service="cache", namespace=NS))), BackupCompleted)  # fmt: skip
        key = f"backups/{NS}/cache/{backup_id}/volumes/{claim}.tar"

        # Truncated: the restore fails at staging, the volume and the service untouched.
        whole = await objects.get_bytes(key)
        await objects.put_bytes(key, whole[: len(whole) // 3])
        (volume / "config.json").write_text("after the backup")
        before = snapshot(volume)
        failed = await ended(url, await send(url, RestoreRequested(backup_id=backup_id, service="cache", namespace=NS)))
        assert isinstance(failed, RestoreFailed) and failed.step == "stage", failed
        assert "truncated or corrupt" in failed.reason or "corrupt" in failed.reason
        assert snapshot(volume) == before
        assert (await ask(url, "service", namespace=NS, service="cache"))["status"] == "running"
        await objects.put_bytes(key, whole)

        # The volume gone: the backup fails and leaves no object behind.
        gone_id = new_id()
        hidden = volume.with_name(volume.name + ".hidden")
        os.rename(volume, hidden)
        try:
            failed = await ended(
                url, await send(url, BackupRequested(backup_id=gone_id, service="cache", namespace=NS))
            )
        finally:
            os.rename(hidden, volume)
        assert isinstance(failed, BackupFailed) and "is gone" in failed.reason and failed.step == "copy", failed
        assert [o async for o in objects.list(f"backups/{NS}/cache/{gone_id}/")] == []

        # Deleted: its objects go, and it can no longer be restored.
        deleted = await ended(
            url, await send(url, BackupDeleteRequested(backup_id=backup_id, service="cache", namespace=NS))
        )
        assert isinstance(deleted, BackupDeleted)
        assert [o async for o in objects.list(f"backups/{NS}/cache/{backup_id}/")] == []
        failed = await ended(url, await send(url, RestoreRequested(backup_id=backup_id, service="cache", namespace=NS)))
        assert isinstance(failed, RestoreFailed) and "deleted" in failed.reason


async def test_a_wrong_encryption_key_fails_verify_and_restore_clearly(
    nats_server: NatsServer, tmp_path: Path, store_settings: StoreSettings
) -> None:
    url = nats_server.url

    def keyed(key: bytes) -> StoreSettings:
        return store_settings.model_copy(update={"encryption_key": SecretStr(base64.b64encode(key).decode())})

    backup_db = f"sqlite:///{tmp_path / 'backup.db'}"
    async with platform(url, f"sqlite:///{tmp_path / 'deployer.db'}", tmp_path):
        await install(url, "cache", NS)
        ((_claim, volume),) = (await claim_dirs(url, "cache", NS)).items()
        fill(volume)
        backup_id = new_id()
        async with running(backup_service(url, backup_db, tmp_path, keyed(os.urandom(32)))):
            assert isinstance(await ended(url, await send(url, BackupRequested(
                backup_id=backup_id, service="cache", namespace=NS))), BackupCompleted)  # fmt: skip
        async with running(backup_service(url, backup_db, tmp_path, keyed(os.urandom(32)))):  # the same, another key
            failed = await ended(
                url, await send(url, BackupVerifyRequested(backup_id=backup_id, service="cache", namespace=NS))
            )
            assert isinstance(failed, BackupVerifyFailed) and "cannot decrypt" in failed.reason, failed
            before = snapshot(volume)
            failed = await ended(
                url, await send(url, RestoreRequested(backup_id=backup_id, service="cache", namespace=NS))
            )
            assert isinstance(failed, RestoreFailed) and "cannot decrypt" in failed.reason and failed.step == "check"
            assert snapshot(volume) == before
