"""One call at a time per key: when a cached answer expires under load, hundreds of requests miss it
at once; they share a single read instead of queueing hundreds at the database or a service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._running: dict[str, asyncio.Task[T]] = {}

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> T:
        """``call()``'s result, shared with every concurrent caller of the same ``key``."""
        task = self._running.get(key)
        if task is None:
            task = asyncio.ensure_future(call())
            self._running[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)  # a caller that leaves does not cancel the others' read

    def _finished(self, key: str, task: asyncio.Task[T]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so one nobody awaited any more is not reported as lost
