"""Waiting and cancelling that a stop cannot get lost in.

On Python 3.11, ``asyncio.wait_for`` swallows a cancellation that arrives just as the awaited thing
completes (it returns the result instead; fixed in 3.12). A service loop that waits "until woken or
N seconds" with it then carries on as if nobody had cancelled it, and the service's stop waits for it
forever: tests hung for their whole timeout that way. Loops wait with :func:`woken`
(``asyncio.timeout``, which counts cancellations correctly), and stopping uses
:func:`cancel_and_wait`, which cancels again whatever carried on (libraries use ``wait_for`` too).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

RECANCEL_S = 1.0


async def woken(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until ``event`` is set or ``timeout_s`` have passed; whether it was set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await event.wait()
    return event.is_set()


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel ``tasks`` and return once every one has ended, cancelling again each second any that
    carried on. What they raised is retrieved, not re-raised: they are being stopped."""
    everything = list(tasks)
    pending = {task for task in everything if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_S)
    for task in everything:
        if not task.cancelled():
            task.exception()
