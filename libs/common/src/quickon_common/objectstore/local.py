"""Objects as files under one directory: each put a synced temporary file renamed into place.

File I/O runs in threads, one chunk ahead: a put writes a chunk while the next is being produced, a get
reads the next chunk while the consumer handles this one. Memory stays at about two chunks.
"""

from __future__ import annotations

import asyncio
import builtins
import errno
import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, ParamSpec, TypeVar

from .base import ObjectInfo, ObjectStore
from .errors import ObjectNotFound, ObjectStoreError, StoreFull, StoreUnavailable
from .keys import TEMP_MARKER, check_key, check_prefix

P = ParamSpec("P")
T = TypeVar("T")


class LocalStore(ObjectStore):
    """A directory as a store (development, single host). File I/O runs off the event loop."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.location = f"file://{self.root}"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key, self.location).split("/"))

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> ObjectInfo:
        path = self._path(key)
        temporary = path.with_name(f"{TEMP_MARKER}{path.name}.{secrets.token_hex(6)}")
        try:
            file = await self._call(key, _open_for_write, temporary)
            writing: asyncio.Future[int] | None = None
            try:
                async for chunk in chunks:
                    if writing is not None:
                        await writing
                    writing = asyncio.ensure_future(self._call(key, file.write, chunk))
                if writing is not None:
                    await writing
                await self._call(key, _sync, file)
            finally:
                if writing is not None:
                    _settle(writing)
                # After the sync nothing is left to flush, so this does not block; after a failure it waits
                # for a write still under way (the file's own lock), then the file goes.
                file.close()
            await self._call(key, os.replace, temporary, path)
        except BaseException:  # also cancellation: a put that did not finish leaves nothing
            temporary.unlink(missing_ok=True)
            raise
        return await self.stat(key)

    async def get(self, key: str, *, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            file = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(f"no object {key!r} in {self.location}") from None
        ahead = asyncio.ensure_future(self._call(key, file.read, chunk_size))
        try:
            while chunk := await ahead:
                ahead = asyncio.ensure_future(self._call(key, file.read, chunk_size))
                yield chunk
        finally:
            _settle(ahead)
            file.close()  # a read-only file: closing waits only for a read under way

    async def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            result = await asyncio.to_thread(path.stat)
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"no object {key!r} in {self.location}") from None
        if not path.is_file():
            raise ObjectNotFound(f"no object {key!r} in {self.location} ({key!r} is a folder of objects)")
        return _info(key, result)

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        check_prefix(prefix, self.location)
        for info in await asyncio.to_thread(self._scan, prefix):
            yield info

    def _scan(self, prefix: str) -> builtins.list[ObjectInfo]:
        # Walk only the folder the prefix names (its part before the last '/').
        start = self.root.joinpath(*prefix.split("/")[:-1])
        found: builtins.list[ObjectInfo] = []
        for path in _files(start):
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix):
                try:
                    found.append(_info(key, path.stat()))
                except FileNotFoundError:  # deleted while we looked
                    continue
        return sorted(found, key=lambda info: info.key)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await self._call(key, self._remove, path)

    def _remove(self, path: Path) -> None:
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        # Drop the folders the object leaves empty, so listings and the disk stay tidy.
        parent = path.parent
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                return
            parent = parent.parent

    async def presigned_put_url(self, key: str, *, expires_s: int = 3600) -> str:
        raise ObjectStoreError(f"a presigned URL needs an S3 store; {self.location} is a local folder")

    async def presigned_get_url(self, key: str, *, expires_s: int = 3600) -> str:
        raise ObjectStoreError(f"a presigned URL needs an S3 store; {self.location} is a local folder")

    async def check(self) -> None:
        try:
            await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(f"cannot create the store folder {self.location}: {error.strerror}") from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StoreUnavailable(f"the store folder {self.location} is not writable: check its permissions")

    async def _call(self, key: str, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking file I/O in a thread, turning OS errors into store errors about ``key``."""
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except OSError as error:
            raise self._error(error, key) from error

    def _error(self, error: OSError, key: str) -> ObjectStoreError:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return StoreFull(f"no space left for {key!r} in {self.location}: free disk space there, then retry")
        if error.errno in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
            return ObjectStoreError(f"object {key!r} clashes with an object or folder of that name in {self.location}")
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return StoreUnavailable(f"cannot write {key!r} in {self.location}: {error.strerror}; check permissions")
        return ObjectStoreError(f"{key!r} in {self.location}: {error.strerror or error}")


def _settle(future: asyncio.Future[Any]) -> None:
    """Stop waiting for ``future``; its outcome, whatever it is, has nobody left to hear it."""
    if future.done():
        if not future.cancelled():
            future.exception()  # retrieved: no "never retrieved" warning for a failure already reported
        return
    future.cancel()


def _open_for_write(path: Path) -> BinaryIO:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("xb")


def _sync(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())


def _files(start: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(start):
        for name in names:
            if not name.startswith(TEMP_MARKER):
                yield Path(folder, name)


def _info(key: str, result: os.stat_result) -> ObjectInfo:
    return ObjectInfo(key=key, size=result.st_size, modified=datetime.fromtimestamp(result.st_mtime, UTC))
