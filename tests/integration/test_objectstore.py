"""The object store on a local folder, moto and a real Ceph RGW, plain and encrypted.

Every test here runs against each backend (``store_settings``) and, where encryption changes
nothing the test can see, with the AES-GCM layer on too (``store``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from quickon_common.objectstore import (
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    StoreSettings,
    open_store,
)
from quickon_common.objectstore.framing import stored_size
from quickon_common.objectstore.s3upload import PARTS_IN_FLIGHT

PART = 5 << 20  # S3's smallest part: a 40 MiB object is 8 parts
KEY = SecretStr(base64.b64encode(bytes(range(32))).decode())


@pytest.fixture(params=["plain", "encrypted"])
async def store(request: pytest.FixtureRequest, store_settings: StoreSettings) -> AsyncIterator[ObjectStore]:
    encryption = {"encryption_key": KEY} if request.param == "encrypted" else {}
    opened = open_store(store_settings.model_copy(update={"part_size": PART, **encryption}))
    yield opened
    await opened.close()


def encrypted(store: ObjectStore) -> bool:
    return store.location.endswith("(encrypted)")


async def random_chunks(total: int, chunk: int, digest: hashlib._Hash) -> AsyncIterator[bytes]:
    """``total`` random bytes in ``chunk``-sized pieces, hashed as they go out; never all in memory."""
    for _ in range(total // chunk):
        data = os.urandom(chunk)
        digest.update(data)
        yield data


async def test_bytes_round_trip(store: ObjectStore) -> None:
    info = await store.put_bytes("apps/wiki/config.json", b'{"replicas": 2}')
    assert info.key == "apps/wiki/config.json"
    assert info.size == (stored_size(15) if encrypted(store) else 15)
    assert info.modified.utcoffset() is not None
    assert await store.get_bytes("apps/wiki/config.json") == b'{"replicas": 2}'
    assert await store.exists("apps/wiki/config.json")
    assert (await store.stat("apps/wiki/config.json")).size == info.size
    await store.put_bytes("apps/wiki/config.json", b"")  # replaced whole, even by nothing
    assert await store.get_bytes("apps/wiki/config.json") == b""


async def test_a_streamed_multipart_object_round_trips_in_bounded_memory(store: ObjectStore) -> None:
    sent, received = hashlib.sha256(), hashlib.sha256()
    tracemalloc.start()
    try:
        info = await store.put("backups/big.tar", random_chunks(40 << 20, 256 << 10, sent))
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        async for chunk in store.get("backups/big.tar"):
            received.update(chunk)
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received.hexdigest() == sent.hexdigest()
    assert info.size == (stored_size(40 << 20) if encrypted(store) else 40 << 20)
    # The S3 upload holds the parts in flight, the one filling and the one being cut from it; nothing holds the
    # 40 MiB object.
    assert put_peak < (PARTS_IN_FLIGHT + 2) * PART + (4 << 20), f"put peaked at {put_peak >> 20} MiB"
    assert get_peak < 8 << 20, f"get peaked at {get_peak >> 20} MiB"


async def test_list_stat_and_delete(store: ObjectStore) -> None:
    assert [info async for info in store.list()] == []
    for key in ("b/x/y", "a/2", "ab", "a/1"):
        await store.put_bytes(key, key.encode())
    assert [info.key async for info in store.list()] == ["a/1", "a/2", "ab", "b/x/y"]
    assert [info.key async for info in store.list("a/")] == ["a/1", "a/2"]
    assert [info.key async for info in store.list("a")] == ["a/1", "a/2", "ab"]
    assert [info.key async for info in store.list("c/")] == []
    listed = {info.key: info async for info in store.list()}
    assert listed["b/x/y"].size == (await store.stat("b/x/y")).size

    await store.delete("a/1")
    await store.delete("a/1")  # idempotent
    await store.delete("never/there")
    assert not await store.exists("a/1")
    assert [info.key async for info in store.list()] == ["a/2", "ab", "b/x/y"]


async def test_a_missing_object_is_object_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound, match="'no/such/key'"):
        await store.stat("no/such/key")
    with pytest.raises(ObjectNotFound, match=r"in (file|s3)://"):
        await store.get_bytes("no/such/key")
    with pytest.raises(ObjectNotFound):
        async for _ in store.get("no/such/key"):
            pass
    assert not await store.exists("no/such/key")


@pytest.mark.parametrize("key", ["/etc/passwd", "../escape", "a/../../b", "a//b", "a/./b", "", "a/", "a\\b"])
async def test_unsafe_keys_are_refused_and_nothing_is_written(store: ObjectStore, key: str) -> None:
    with pytest.raises(ObjectStoreError, match="key"):
        await store.put_bytes(key, b"x")
    with pytest.raises(ObjectStoreError, match="key"):
        await store.stat(key)
    with pytest.raises(ObjectStoreError, match="key"):
        await store.delete(key)
    assert [info async for info in store.list()] == []


async def test_a_cancelled_put_leaves_no_object(store: ObjectStore) -> None:
    two_parts_sent = asyncio.Event()

    async def stalls_after_two_parts() -> AsyncIterator[bytes]:
        for _ in range(2):
            yield os.urandom(PART)
        two_parts_sent.set()
        yield os.urandom(PART)
        await asyncio.Event().wait()  # the rest never comes
        yield b"never"

    put = asyncio.create_task(store.put("backups/cancelled.tar", stalls_after_two_parts()))
    await two_parts_sent.wait()
    put.cancel()
    with pytest.raises(asyncio.CancelledError):
        await put
    assert not await store.exists("backups/cancelled.tar")
    assert [info async for info in store.list()] == []


async def test_a_failing_source_leaves_no_object(store: ObjectStore) -> None:
    async def fails_midway() -> AsyncIterator[bytes]:
        yield os.urandom(PART + 1)
        raise RuntimeError("the dump process died")

    await store.put_bytes("backups/old.tar", b"the previous backup")
    with pytest.raises(RuntimeError, match="dump process died"):
        await store.put("backups/old.tar", fails_midway())
    assert await store.get_bytes("backups/old.tar") == b"the previous backup"
    assert [info.key async for info in store.list()] == ["backups/old.tar"]


async def test_presigned_put_then_get(store_settings: StoreSettings) -> None:
    store = open_store(store_settings)
    try:
        if store_settings.url.startswith("file:"):
            with pytest.raises(ObjectStoreError, match="needs an S3 store"):
                await store.presigned_put_url("uploads/a.bin")
            return
        put_url = await store.presigned_put_url("uploads/a.bin", expires_s=300)
        async with httpx.AsyncClient() as client:
            uploaded = await client.put(put_url, content=b"uploaded by a client without keys")
            assert uploaded.status_code == 200, uploaded.text
            assert await store.get_bytes("uploads/a.bin") == b"uploaded by a client without keys"
            downloaded = await client.get(await store.presigned_get_url("uploads/a.bin", expires_s=300))
            assert downloaded.status_code == 200
            assert downloaded.content == b"uploaded by a client without keys"
        with pytest.raises(ObjectStoreError, match="1 s to 7 days"):
            await store.presigned_get_url("uploads/a.bin", expires_s=0)
    finally:
        await store.close()


async def test_presigned_urls_are_refused_on_an_encrypted_store(store_settings: StoreSettings) -> None:
    store = open_store(store_settings.model_copy(update={"encryption_key": KEY}))
    with pytest.raises(ObjectStoreError, match="bypass the encryption"):
        await store.presigned_put_url("uploads/a.bin")
    await store.close()
