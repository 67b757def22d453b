"""The object store interface every backend (local, S3, encrypted wrapper) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from .errors import ObjectNotFound


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object. ``key`` is relative to the store's prefix; ``modified`` is aware UTC."""

    key: str
    size: int
    modified: datetime
    etag: str | None = None


class ObjectStore(ABC):
    """Objects under keys, streamed in and out. Every method may raise :class:`ObjectStoreError`."""

    location: str  # for messages: "file:///abs/dir" or "s3://bucket/prefix (endpoint ...)"

    @abstractmethod
    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> ObjectInfo:
        """Store the streamed object whole or not at all (a failed or cancelled put leaves none)."""

    async def put_bytes(self, key: str, data: bytes) -> ObjectInfo:
        return await self.put(key, _once(data))

    @abstractmethod
    def get(self, key: str, *, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """The object's bytes in chunks; :class:`ObjectNotFound` on the first step if absent."""

    async def get_bytes(self, key: str) -> bytes:
        return b"".join([chunk async for chunk in self.get(key)])

    @abstractmethod
    async def stat(self, key: str) -> ObjectInfo:
        """The object's info; :class:`ObjectNotFound` if absent."""

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except ObjectNotFound:
            return False
        return True

    @abstractmethod
    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, sorted by key, at any depth."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object; nothing happens if it is absent."""

    @abstractmethod
    async def presigned_put_url(self, key: str, *, expires_s: int = 3600) -> str:
        """A URL anyone can PUT the object to until it expires (S3 stores only)."""

    @abstractmethod
    async def presigned_get_url(self, key: str, *, expires_s: int = 3600) -> str:
        """A URL anyone can GET the object from until it expires (S3 stores only)."""

    @abstractmethod
    async def check(self) -> None:
        """Raise :class:`StoreUnavailable` saying why when the store cannot be used (for /readyz)."""

    async def close(self) -> None:  # noqa: B027 - most stores hold nothing to release
        """Release connections."""


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
