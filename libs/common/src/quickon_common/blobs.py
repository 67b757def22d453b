"""Large payloads travel by reference: kept in a JetStream object store, named by their SHA-256.

Most operators run NATS with the default 1 MB message limit, and a chart package, a rendered release or
a values file can be larger. So no message may depend on a payload's size: a body over ``INLINE_MAX``
is put in the ``QUICKON_BLOBS`` object store (chunked by the server, so any size fits) and the message
carries only its digest; the receiver fetches it and checks the digest. The store is content-addressed:
putting the same bytes twice stores them once, and what a digest names can never change.

Queries use it both ways (:func:`by_reference` before sending, :func:`dereferenced` on receipt): a chart
package the market serves, a chart the gateway publishes, the rendered objects the backup service reads.
Blobs are kept a day (``MAX_AGE_S``); whoever needs one again later puts it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from nats.js import JetStreamContext
from nats.js.api import ObjectStoreConfig, StorageType
from nats.js.errors import BucketNotFoundError, NoStreamResponseError, NotFoundError, ObjectNotFoundError
from nats.js.object_store import ObjectStore

BUCKET = "QUICKON_BLOBS"
# A quarter of the smallest message limit in common use (1 MB): headers, a JSON envelope and base64
# around a body must still fit.
INLINE_MAX = 256 * 1024
# What the platform needs of its NATS server: a body at INLINE_MAX, with its envelope and headers.
NEEDED_MAX_PAYLOAD = 2 * INLINE_MAX


REFERENCE_KEY = "qc-blob"  # a body that is only {"qc-blob": "<digest>"} stands for the blob
REFERENCE_START = b'{"qc-blob":'


class BlobMissing(LookupError):
    """No blob has that digest (never stored, or past its retention)."""


class BlobCorrupt(ValueError):
    """The bytes read back do not hash to the digest that named them."""


def digest_of(data: bytes) -> str:
    """The SHA-256 of ``data``, in hex: a blob's name."""
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """The SHA-256 of the file at ``path``, read in chunks."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _checked_size(path: Path, digest: str) -> int | None:
    """The size of the file at ``path`` when it hashes to ``digest``; else None, the file removed."""
    if file_digest(path) == digest:
        return path.stat().st_size
    path.unlink(missing_ok=True)
    return None


MAX_AGE_S = 24 * 3600.0


class Blobs:
    """The object store, opened (created when missing) on first use."""

    def __init__(self, js: JetStreamContext, *, max_age_s: float = MAX_AGE_S) -> None:
        self._js = js
        self._max_age_s = max_age_s
        self._store: ObjectStore | None = None
        self._opening = asyncio.Lock()

    async def put(self, data: bytes) -> str:
        """Store ``data`` (once: a digest already stored is not written again) and return its digest."""
        digest = digest_of(data)
        await self._put(digest, lambda: data)
        return digest

    async def _put(self, digest: str, body: Callable[[], bytes | BinaryIO]) -> None:
        """Put ``body()`` under ``digest`` unless it is there; a bucket deleted by hand is made again once
        (``body`` is called again for that try, so a file is read from its start)."""
        for last_try in (False, True):
            try:
                store = await self._open()
                try:
                    await store.get_info(digest)
                    return
                except ObjectNotFoundError:
                    pass
                await store.put(digest, body())  # type: ignore[arg-type]  # nats-py reads any binary file
                return
            except (NoStreamResponseError, NotFoundError):
                if last_try:
                    raise
                self._store = None

    async def get(self, digest: str) -> bytes:
        """The bytes ``digest`` names; :class:`BlobMissing` or :class:`BlobCorrupt` otherwise."""
        store = await self._open()
        try:
            found = await store.get(digest)
        except NotFoundError:  # a deleted bucket too: its blobs are gone with it
            raise BlobMissing(f"no blob {digest[:12]}… in {BUCKET} (never stored, or past its retention)") from None
        data = bytes(found.data or b"")
        if digest_of(data) != digest:
            raise BlobCorrupt(f"blob {digest[:12]}… does not match its digest")
        return data

    async def put_file(self, path: Path) -> str:
        """Store the file at ``path`` streamed from disk (a bundle can be larger than memory); its digest."""
        digest = await asyncio.to_thread(file_digest, path)
        with path.open("rb") as file:

            def from_start() -> BinaryIO:
                file.seek(0)
                return file

            await self._put(digest, from_start)
        return digest

    async def get_file(self, digest: str, path: Path) -> int:
        """Write the blob ``digest`` names into ``path`` streamed, checked against its digest; its size.
        :class:`BlobMissing` or :class:`BlobCorrupt` otherwise (and ``path`` is removed)."""
        store = await self._open()
        try:
            with path.open("wb") as file:
                await store.get(digest, writeinto=file)
        except NotFoundError:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise BlobMissing(f"no blob {digest[:12]}… in {BUCKET} (never stored, or past its retention)") from None
        size = await asyncio.to_thread(_checked_size, path, digest)
        if size is None:
            raise BlobCorrupt(f"blob {digest[:12]}… does not match its digest")
        return size

    async def _open(self) -> ObjectStore:
        async with self._opening:
            if self._store is None:
                try:
                    self._store = await self._js.object_store(BUCKET)
                except (BucketNotFoundError, NotFoundError):
                    config = ObjectStoreConfig(bucket=BUCKET, storage=StorageType.FILE, ttl=self._max_age_s)
                    self._store = await self._js.create_object_store(BUCKET, config=config)
            return self._store


async def by_reference(blobs: Blobs, body: bytes) -> bytes:
    """``body`` as it may cross NATS: itself when small, else a reference to it as a blob."""
    if len(body) <= INLINE_MAX:
        return body
    return json.dumps({REFERENCE_KEY: await blobs.put(body)}).encode()


async def dereferenced(blobs: Blobs, body: bytes) -> bytes:
    """What :func:`by_reference` was given: the blob a reference names, or ``body`` itself."""
    if not body.startswith(REFERENCE_START):
        return body
    return await blobs.get(str(json.loads(body)[REFERENCE_KEY]))


def referenced_digest(body: object) -> str | None:
    """The digest a decoded body stands for, when it is a reference (as a JSON decoder returns it)."""
    digest = body.get(REFERENCE_KEY) if isinstance(body, dict) and len(body) == 1 else None
    return digest if isinstance(digest, str) else None
