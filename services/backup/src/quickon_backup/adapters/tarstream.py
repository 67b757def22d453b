"""A directory as a tar stream and back, chunk by chunk: memory stays bounded whatever the volume's size.

Writing builds the archive itself (PAX headers from :mod:`tarfile`, file contents read a chunk at a
time off the event loop), so a backup is one async generator feeding the object store. Reading hands
the chunks to :mod:`tarfile` in a worker thread through a small bounded queue, and extracts with the
``data`` filter: no absolute paths, no links out of the directory, no devices.

Where the time goes (cProfile of a restore): tarfile's stream mode ("r|") copied every byte three or
four times through its small read buffer, with the GIL held. Extraction now reads through a file that
only moves forward, in tarfile's plain mode: file contents come out of the queue's chunks with one copy.
The SHA-256 of a :class:`Digest` is computed in a worker thread while its chunk goes on to the consumer
(hashlib lets go of the GIL on big buffers): on the event loop it took ~50 ms of every 64 MB, during which
nothing else of the service ran — a restore's stop and start, asked of the deployer meanwhile, and their
outcomes waited for it (profile of ``benchmarks/backup.py --quick``: 0.28 s of 3.6 s of the loop's time
in ``HASH.update`` over four restores). One chunk at most is being hashed while the next is read: memory
stays bounded, and the hash still takes the chunks in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import queue
import stat
import tarfile
import threading
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, cast

CHUNK = 4 << 20
BLOCK = tarfile.BLOCKSIZE
QUEUE_CHUNKS = 2  # the store reads one chunk ahead besides: enough to keep the worker busy
COPY_BUFFER = 1 << 20


class VolumeChanged(Exception):
    """The directory changed under the copy (it, or a file in it, disappeared or shrank)."""


class ArchiveInvalid(Exception):
    """The stream is not a tar archive this restore can extract (truncated, corrupt or unsafe)."""


# A chunk smaller than this is hashed on the event loop: a thread's hand-over would cost more than the hash.
HASH_IN_THREAD = 256 << 10
_HASHING: list[ThreadPoolExecutor] = []


def _hashing() -> ThreadPoolExecutor:
    """The threads that hash, apart from the default executor's: a hash allocates nothing, and taking a
    default worker for it would spread the store's reads (4 MiB allocations) over more threads, each with
    an allocator arena of its own that keeps what it freed (peak memory +80 MB in the benchmark)."""
    if not _HASHING:
        _HASHING.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix="qc-backup-hash"))
    return _HASHING[0]


class Digest:
    """SHA-256 and size of the bytes that passed through :meth:`tap`."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    async def tap(self, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """``chunks`` passed on as they come; each big one is hashed in a thread while the consumer has it
        (the next chunk waits for that hash: the hash takes them in order, and one is in hand at most)."""
        hashing: asyncio.Future[None] | None = None
        try:
            async for chunk in chunks:
                if hashing is not None:
                    await hashing
                    hashing = None
                self.size += len(chunk)
                if len(chunk) >= HASH_IN_THREAD:
                    hashing = asyncio.get_running_loop().run_in_executor(_hashing(), self._hash.update, chunk)
                else:
                    self._hash.update(chunk)
                yield chunk
            if hashing is not None:
                await hashing
                hashing = None
        finally:
            if hashing is not None:  # left early: a thread's update cannot be cancelled, its end is awaited
                await asyncio.gather(hashing, return_exceptions=True)

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()


async def tar_directory(root: Path, *, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
    """The contents of ``root`` as an uncompressed tar, paths relative to it, in sorted order."""
    if not await asyncio.to_thread(root.is_dir):
        raise VolumeChanged(f"the volume directory {root} does not exist")
    pending = bytearray()
    for path, info in _entries(root):
        pending += info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="surrogateescape")
        if info.isreg():
            async for piece in _file_contents(path, info.size, chunk_size):
                if len(piece) >= chunk_size // 2:  # a big piece goes as it is: no copy
                    if pending:
                        yield bytes(pending)
                        pending.clear()
                    yield piece
                    continue
                pending += piece
                if len(pending) >= chunk_size:
                    yield bytes(pending)
                    pending.clear()
            if remainder := info.size % BLOCK:
                pending += bytes(BLOCK - remainder)
        if len(pending) >= chunk_size:
            yield bytes(pending)
            pending.clear()
    if not await asyncio.to_thread(root.is_dir):  # removed while it was read: what was read is not the volume
        raise VolumeChanged(f"the volume directory {root} disappeared during the copy")
    pending += bytes(2 * BLOCK)  # the end-of-archive marker
    yield bytes(pending)


def _entries(root: Path) -> Iterator[tuple[Path, tarfile.TarInfo]]:
    """Every directory, file and symbolic link under ``root`` (depth first, sorted), as tar headers."""
    for directory, subdirs, files in os.walk(root, onerror=_vanished(root)):
        subdirs.sort()
        base = Path(directory)
        for name in [*subdirs, *sorted(files)]:
            path = base / name
            try:
                status = path.lstat()
            except FileNotFoundError:
                raise VolumeChanged(f"{path} disappeared during the copy") from None
            info = tarfile.TarInfo(str(path.relative_to(root)))
            info.mtime, info.mode = int(status.st_mtime), stat.S_IMODE(status.st_mode)
            info.uid, info.gid = status.st_uid, status.st_gid
            if stat.S_ISDIR(status.st_mode):
                info.type = tarfile.DIRTYPE
            elif stat.S_ISLNK(status.st_mode):
                # No time for a link: extraction cannot set one, and a restored volume archived again must
                # come out byte for byte the same (the restore drill checks it).
                info.type, info.linkname, info.mtime = tarfile.SYMTYPE, os.readlink(path), 0
            elif stat.S_ISREG(status.st_mode):
                info.type, info.size = tarfile.REGTYPE, status.st_size
            else:
                continue  # sockets, fifos, devices: nothing an app keeps as data
            yield path, info


def _vanished(root: Path) -> Callable[[OSError], None]:
    def onerror(error: OSError) -> None:
        raise VolumeChanged(f"cannot read {error.filename or root}: {error.strerror}")

    return onerror


async def _file_contents(path: Path, size: int, chunk_size: int) -> AsyncIterator[bytes]:
    """Exactly ``size`` bytes of the file (its size when listed): a file that shrank fails the copy, one
    that grew is cut at that size (a live volume; the dump is what makes a database consistent)."""
    try:
        handle = await asyncio.to_thread(open, path, "rb")
    except FileNotFoundError:
        raise VolumeChanged(f"{path} disappeared during the copy") from None
    try:
        # The next piece is read while the consumer stores this one: reading and writing overlap.
        ahead = asyncio.ensure_future(asyncio.to_thread(handle.read, min(chunk_size, size)))
        left = size
        while left > 0:
            piece = await ahead
            if not piece:
                raise VolumeChanged(f"{path} shrank during the copy ({size - left} of {size} bytes read)")
            left -= len(piece)
            if left > 0:
                ahead = asyncio.ensure_future(asyncio.to_thread(handle.read, min(chunk_size, left)))
            yield piece
    finally:
        if not ahead.done():
            ahead.cancel()
            await asyncio.gather(ahead, return_exceptions=True)
        handle.close()


async def extract_tar(chunks: AsyncIterable[bytes], destination: Path) -> None:
    """Extract the tar stream ``chunks`` into ``destination`` (created, must be empty or absent).

    The source is read to its end even when the archive ends earlier, so that a source which checks
    what it streamed (a hash, a decryption) always gets to say so."""
    await asyncio.to_thread(destination.mkdir, parents=True, exist_ok=True)
    feed: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_CHUNKS)
    stopped = threading.Event()
    failure: list[BaseException] = []

    def extract() -> None:
        try:
            reader = cast(IO[bytes], _ForwardReader(feed))  # read, tell and forward seeks: all tarfile uses
            with tarfile.open(fileobj=reader, mode="r:") as archive:
                archive.copybufsize = COPY_BUFFER  # type: ignore[attr-defined]  # real, but not in typeshed
                archive.extractall(destination, filter="data")
        except BaseException as error:
            failure.append(error)
        finally:
            stopped.set()

    worker = threading.Thread(target=extract, name="qc-backup-extract", daemon=True)
    worker.start()
    fed = False
    try:
        async for chunk in chunks:
            if not stopped.is_set():
                await _put(feed, chunk, stopped)
            elif failure:  # the archive is refused: no need to read on
                break
        else:
            fed = stopped.is_set() or await _put(feed, None, stopped)
    finally:
        if not fed and not stopped.is_set():
            # Cancelled, or the source failed: make the worker stop at once, then wait for it.
            _drain(feed)
            with contextlib.suppress(queue.Full):
                feed.put_nowait(None)
        await asyncio.to_thread(worker.join)
        if not fed and isinstance(chunks, AsyncGenerator):  # left early: let the source close its stream now
            await chunks.aclose()
    if failure:
        error = failure[0]
        if isinstance(error, tarfile.FilterError):  # a TarError too: first
            raise ArchiveInvalid(f"the archive holds an unsafe entry: {error}") from None
        if isinstance(error, (tarfile.TarError, EOFError)):
            raise ArchiveInvalid(f"the archive is truncated or corrupt: {error}") from None
        raise error


async def _put(feed: queue.Queue[bytes | None], item: bytes | None, stopped: threading.Event) -> bool:
    """Hand ``item`` to the worker; False when it has stopped (failed) and wants no more."""
    try:
        feed.put_nowait(item)
        return True
    except queue.Full:
        pass

    def wait_for_room() -> bool:
        while not stopped.is_set():
            try:
                feed.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    return await asyncio.to_thread(wait_for_room)


def _drain(feed: queue.Queue[bytes | None]) -> None:
    with contextlib.suppress(queue.Empty):
        while True:
            feed.get_nowait()


class _ForwardReader:
    """A read-only file over the queue's chunks that moves only forward, for tarfile's plain mode ("r:").

    Extracting member after member, tarfile only seeks to where it is or further on (past a member's
    padding); a seek backwards (a hard link to an earlier member's data) is refused as stream mode
    refuses it. A read within one chunk costs one copy."""

    def __init__(self, feed: queue.Queue[bytes | None]) -> None:
        self._feed = feed
        self._chunk = memoryview(b"")
        self._position = 0
        self._ended = False

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        target = offset + (self._position if whence == os.SEEK_CUR else 0)
        if whence not in (os.SEEK_SET, os.SEEK_CUR) or target < self._position:
            raise tarfile.StreamError("seeking backwards is not allowed in a streamed archive")
        while self._position < target and self.read(min(target - self._position, COPY_BUFFER)):
            pass
        self._position = target  # as a file: a seek past the end succeeds, and reading there gives nothing
        return target

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        wanted = size
        while wanted != 0 and self._next_chunk():
            take = len(self._chunk) if wanted < 0 else min(wanted, len(self._chunk))
            parts.append(bytes(self._chunk[:take]))
            self._chunk = self._chunk[take:]
            if wanted > 0:
                wanted -= take
        piece = parts[0] if len(parts) == 1 else b"".join(parts)
        self._position += len(piece)
        return piece

    def _next_chunk(self) -> bool:
        """True when bytes are at hand (waiting for the next chunk if need be); False at the end."""
        while not self._chunk:
            if self._ended:
                return False
            chunk = self._feed.get()
            if chunk is None:
                self._ended = True
                return False
            self._chunk = memoryview(chunk)
        return True
