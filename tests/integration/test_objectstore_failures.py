"""The object store when things go wrong: unreachable, wrong credentials, a full disk, a wrong key."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from quickon_common.natsserver import free_port
from quickon_common.objectstore import (
    IntegrityError,
    StoreFull,
    StoreSettings,
    StoreUnavailable,
    open_store,
)
from support.s3 import S3Endpoint, new_bucket_name

KEY = SecretStr(base64.b64encode(bytes(range(32))).decode())
OTHER_KEY = SecretStr(base64.b64encode(bytes(range(1, 33))).decode())


async def test_an_unreachable_endpoint_is_store_unavailable_naming_it() -> None:
    closed = f"127.0.0.1:{free_port()}"
    settings = S3Endpoint(endpoint=closed, access_key="a", secret_key="b").store_settings("qc-nowhere")
    store = open_store(settings)
    for attempt in (store.check(), store.put_bytes("a", b"x"), store.stat("a"), store.get_bytes("a")):
        with pytest.raises(StoreUnavailable, match=f"cannot reach the S3 store s3://qc-nowhere/ at {closed}") as raised:
            await attempt
        assert "Connection refused" in str(raised.value)
        assert "QC_<SERVICE>_S3_ENDPOINT" in str(raised.value)
    await store.close()


async def test_a_wrong_secret_on_ceph_is_store_unavailable_saying_so(ceph_rgw: S3Endpoint) -> None:
    bucket = new_bucket_name()
    good = open_store(ceph_rgw.store_settings(bucket))
    await good.put_bytes("kept", b"still here")
    wrong = open_store(ceph_rgw.store_settings(bucket, secret_key=SecretStr("not-the-secret")))
    for attempt in (wrong.check(), wrong.put_bytes("new", b"x"), wrong.get_bytes("kept"), wrong.stat("kept")):
        with pytest.raises(StoreUnavailable, match="refused our credentials") as raised:
            await attempt
        assert "SECRET_KEY" in str(raised.value)
    assert await good.get_bytes("kept") == b"still here"
    assert [info.key async for info in good.list()] == ["kept"]
    await good.close()
    await wrong.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB filesystem of the test's own (tmpfs), so it can really fill up."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


async def test_a_full_disk_is_store_full_and_leaves_nothing(small_disk: Path) -> None:
    store = open_store(StoreSettings(url=f"file://{small_disk / 'objects'}"))
    await store.put_bytes("small", b"fits")
    with pytest.raises(StoreFull, match=f"no space left for 'big' in file://{small_disk / 'objects'}"):
        await store.put_bytes("big", os.urandom(8 << 20))
    assert [info.key async for info in store.list()] == ["small"]
    assert sorted(path.name for path in (small_disk / "objects").iterdir()) == ["small"], "no partial file left"
    await store.put_bytes("after", b"the disk has room again")  # the space the failed put took is free
    assert await store.get_bytes("after") == b"the disk has room again"


async def test_a_wrong_encryption_key_is_an_integrity_error(store_settings: StoreSettings) -> None:
    writer = open_store(store_settings.model_copy(update={"encryption_key": KEY}))
    await writer.put_bytes("backups/db.dump", b"rows" * 1000)
    reader = open_store(store_settings.model_copy(update={"encryption_key": OTHER_KEY}))
    with pytest.raises(IntegrityError, match="wrong key or damaged object"):
        await reader.get_bytes("backups/db.dump")
    assert await writer.get_bytes("backups/db.dump") == b"rows" * 1000
    await writer.close()
    await reader.close()


@pytest.mark.parametrize("damage", ["a flipped byte", "truncated", "stored unencrypted"])
async def test_a_damaged_encrypted_object_is_an_integrity_error(store_settings: StoreSettings, damage: str) -> None:
    sealed = open_store(store_settings.model_copy(update={"encryption_key": KEY}))
    raw = open_store(store_settings)  # the same place, seen without the encryption layer
    await sealed.put_bytes("backups/db.dump", os.urandom(3 << 20))
    stored = bytearray(await raw.get_bytes("backups/db.dump"))
    assert stored[:4] == b"QCOE"
    if damage == "a flipped byte":
        stored[len(stored) // 2] ^= 0x20
    elif damage == "truncated":
        del stored[-(1 << 20) :]
    else:
        stored = bytearray(b"plain text written around the encryption layer")
    await raw.put_bytes("backups/db.dump", bytes(stored))
    with pytest.raises(IntegrityError, match="damaged object"):
        await sealed.get_bytes("backups/db.dump")
    await sealed.close()
    await raw.close()
