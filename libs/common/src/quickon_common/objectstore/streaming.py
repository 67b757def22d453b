"""A blocking reader, for a worker thread, over an async stream of chunks on the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable


class UploadAborted(Exception):
    """The async side gave up (cancelled); the upload in the thread stops at its next read."""


class ThreadedChunkReader:
    """``read(size)`` pulls chunks from ``chunks`` on ``loop`` only as needed: one chunk held at a time."""

    def __init__(self, chunks: AsyncIterable[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._chunks = aiter(chunks)
        self._loop = loop
        self._rest = memoryview(b"")
        self._ended = False
        self._aborted = False

    def abort(self) -> None:
        self._aborted = True

    def read(self, size: int = -1) -> bytes:
        pieces: list[memoryview] = []
        wanted = size if size >= 0 else 1 << 62
        while wanted > 0 and (self._rest or self._fill()):
            piece, self._rest = self._rest[:wanted], self._rest[wanted:]
            pieces.append(piece)
            wanted -= len(piece)
        return b"".join(pieces)  # one copy: the caller gets the whole size it asked for

    def _fill(self) -> bool:
        if self._aborted:
            raise UploadAborted("the upload was cancelled")
        if self._ended:
            return False
        future = asyncio.run_coroutine_threadsafe(self._next(), self._loop)
        chunk = future.result()
        if chunk is None:
            self._ended = True
            return False
        self._rest = memoryview(chunk)
        return True

    async def _next(self) -> bytes | None:
        try:
            return bytes(await anext(self._chunks))
        except StopAsyncIteration:
            return None
