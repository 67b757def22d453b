"""Asking another service for an operation from inside a saga's step, and waiting for how it ended.

Two ways to ask: :meth:`Outcomes.ask_once` sends the request with a progress note of the step (one
transaction: a saga resumed after a crash knows whether it asked, and never asks twice), for a service
that refuses a repeated request; :meth:`Outcomes.ask` sends it in a transaction of its own unless its
outcome is known, for a service that answers a repeated request with the outcome it had (the step's
record stays as it was). Either way the other service's outcome event arrives through a consumer of
the asking service, which notes it in a table of its own and calls :meth:`Outcomes.arrived` once that
commits, which wakes the waiting step.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Generic, TypeVar

from sqlmodel import SQLModel

from ..contracts import Event
from ..outbox import Outbox
from ..tasks import woken
from .errors import StepFailed
from .run import Run

WAKE_CHECK_S = 2.0
O = TypeVar("O", bound=SQLModel)  # noqa: E741


class Outcomes(Generic[O]):
    """Outcomes of requests to another service, as they arrive: rows of ``table``, keyed by the request."""

    def __init__(self, outbox: Outbox, table: type[O]) -> None:
        self.outbox = outbox
        self.table = table
        self._waiting: dict[str, asyncio.Event] = {}

    def arrived(self, key: str) -> None:
        """Called once an outcome is committed: wakes the step waiting for it."""
        if (event := self._waiting.get(key)) is not None:
            event.set()

    async def find(self, key: str) -> O | None:
        """The outcome noted under ``key``, if one arrived."""
        async with self.outbox.db.read_session() as session:
            return await session.get(self.table, key)

    async def ask_once(self, run: Run[Any, Any], key: str, request: Event, *, until: float, asked: str, late: str) -> O:
        """Send ``request`` once (``asked`` goes into the step's progress note), then wait for its outcome
        until ``until`` (epoch seconds); a step failure saying ``late`` if none arrives in time."""
        await self.send_once(run, key, request, asked=asked)
        return await self.wait(key, until=until, late=late)

    async def send_once(self, run: Run[Any, Any], key: str, request: Event, *, asked: str) -> None:
        """Send ``request`` once, with a progress note saying ``asked``; an earlier step may send what a
        later one waits for (:meth:`ask_once` of the same key then only waits)."""
        if key not in run.asked and await self.find(key) is None:
            run.announce(request)
            run.asked.append(key)
            await run.note(asked)

    async def ask(self, run: Run[Any, Any], key: str, request: Event, *, subject: str, until: float, late: str) -> O:
        """Send ``request`` (about ``subject``) unless its outcome is known, then wait for it as
        :meth:`ask_once` does. For a service that answers the same request again with the outcome it had."""
        if await self.find(key) is None:
            async with self.outbox.begin(cause=run.cause()) as uow:
                uow.emit(request, subject=subject)
        return await self.wait(key, until=until, late=late)

    async def wait(self, key: str, *, until: float, late: str) -> O:
        """The outcome noted under ``key``; a step failure (``late``) if none by ``until``."""
        event = self._waiting.setdefault(key, asyncio.Event())
        try:
            while True:
                found = await self.find(key)
                if found is not None:
                    return found
                left = until - time.time()
                if left <= 0:
                    raise StepFailed(late)
                await woken(event, min(WAKE_CHECK_S, left))
                event.clear()
        finally:
            self._waiting.pop(key, None)
