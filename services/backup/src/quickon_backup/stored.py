"""A backup's objects in the store: its manifest, checking a part against its hash, removing them all.

Store errors become step failures here, each naming the store and what to do: an unreachable store
is tried again a few times (:class:`TryLater`), a full one, a wrong key or a missing object is not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import contextmanager

from pydantic import ValidationError

from quickon_common.objectstore import (
    IntegrityError,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    StoreFull,
    StoreUnavailable,
)

from .adapters.tarstream import Digest
from .domain import Manifest, Part, backup_prefix, manifest_key
from .jobs import StepFailed, TryLater

STORE_CHECK_S = 10.0


async def watch_store(store: ObjectStore, report: Callable[[str | None], None]) -> None:
    """Check the store every few seconds and report why it is unusable, or None (its readiness check)."""
    while True:
        try:
            await store.check()
            report(None)
        except ObjectStoreError as error:
            report(f"{store.location}: {error}")
        await asyncio.sleep(STORE_CHECK_S)


class PartCorrupt(StepFailed):
    """A part's bytes are not those the manifest recorded."""


@contextmanager
def store_errors(doing: str) -> Iterator[None]:
    """Turn the store's errors met while ``doing`` into step failures that say what happened."""
    try:
        yield
    except StoreUnavailable as error:
        raise TryLater(f"the object store is unreachable while {doing}: {error}") from None
    except StoreFull as error:
        raise StepFailed(f"the object store is full while {doing}: {error}; free space or raise the quota") from None
    except IntegrityError as error:
        raise StepFailed(
            f"cannot decrypt while {doing}: {error}; "
            "check that QC_BACKUP_STORE_ENCRYPTION_KEY is the key the backup was written with"
        ) from None
    except ObjectNotFound as error:
        raise StepFailed(f"missing from the object store while {doing}: {error}") from None
    except ObjectStoreError as error:
        raise StepFailed(f"the object store failed while {doing}: {error}") from None


async def read_manifest(store: ObjectStore, *, namespace: str, service: str, backup_id: str) -> Manifest:
    """The backup's manifest; a step failure when it is missing, unreadable or not a manifest."""
    key = manifest_key(namespace, service, backup_id)
    with store_errors(f"reading the manifest of backup {backup_id}"):
        data = await store.get_bytes(key)
    try:
        return Manifest.model_validate_json(data)
    except ValidationError as error:
        raise StepFailed(f"the manifest of backup {backup_id} ({key}) is corrupt: {error.errors()[0]['msg']}") from None


async def checked(store: ObjectStore, part: Part, *, chunk_size: int) -> AsyncGenerator[bytes, None]:
    """The part's bytes, streamed; at the end :class:`PartCorrupt` if their size or SHA-256 is not the
    manifest's (a consumer must not keep what it wrote before the end)."""
    digest = Digest()
    with store_errors(f"reading {part.key}"):
        async for chunk in digest.tap(store.get(part.key, chunk_size=chunk_size)):
            yield chunk
    if digest.size != part.size or digest.hexdigest != part.sha256:
        raise PartCorrupt(
            f"part {part.name} ({part.key}) is corrupt: {digest.size} bytes with SHA-256 {digest.hexdigest[:16]}…, "
            f"the manifest recorded {part.size} bytes with {part.sha256[:16]}…; use another backup"
        )


async def verify_part(store: ObjectStore, part: Part, *, chunk_size: int) -> None:
    """Read the whole part and check it (``qc backup verify``)."""
    async for _chunk in checked(store, part, chunk_size=chunk_size):
        pass


async def delete_backup(store: ObjectStore, *, namespace: str, service: str, backup_id: str) -> int:
    """Remove every object of the backup, the manifest first (so that a half-deleted backup is never
    taken for a complete one); returns how many there were."""
    prefix = backup_prefix(namespace, service, backup_id)
    with store_errors(f"deleting backup {backup_id}"):
        await store.delete(manifest_key(namespace, service, backup_id))
        keys = [info.key async for info in store.list(prefix)]
        for key in keys:
            await store.delete(key)
    return len(keys)
