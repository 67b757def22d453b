"""A stop that cannot get lost: a cancellation arriving just as a wait ends (the race that made a
stopping service wait forever on Python 3.11's ``asyncio.wait_for``)."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import pytest

from quickon_common.tasks import cancel_and_wait, woken


async def _loop_waiting_with_wait_for(event: asyncio.Event, passes: list[int]) -> None:
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), 10)
        event.clear()
        passes.append(1)


async def _loop_waiting_with_woken(event: asyncio.Event, passes: list[int]) -> None:
    while True:
        await woken(event, 10)
        event.clear()
        passes.append(1)


async def _wake_and_cancel(loop_body: object) -> tuple[asyncio.Task[None], list[int]]:
    event, passes = asyncio.Event(), []
    task = asyncio.ensure_future(loop_body(event, passes))  # type: ignore[operator]
    await asyncio.sleep(0.01)  # waiting now
    event.set()  # the wake and the stop in the same turn of the loop
    task.cancel()
    await asyncio.sleep(0.05)
    return task, passes


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for keeps the cancellation from Python 3.12")
async def test_wait_for_loses_a_cancellation_that_arrives_with_the_wake() -> None:
    task, passes = await _wake_and_cancel(_loop_waiting_with_wait_for)
    assert not task.done() and passes == [1], "the loop carried on as if it had not been cancelled"
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_woken_keeps_a_cancellation_that_arrives_with_the_wake() -> None:
    task, passes = await _wake_and_cancel(_loop_waiting_with_woken)
    assert task.cancelled() and passes == []


async def test_woken_says_whether_it_was_woken() -> None:
    event = asyncio.Event()
    assert await woken(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await woken(event, 10) is True


async def test_cancel_and_wait_ends_a_task_that_carried_on_after_one_cancellation() -> None:
    event, passes = asyncio.Event(), []
    stubborn = asyncio.ensure_future(_loop_waiting_with_wait_for(event, passes))
    failing = asyncio.ensure_future(asyncio.sleep(0))
    await asyncio.sleep(0.01)
    event.set()  # the first cancellation is lost on 3.11; the next one, a second later, is not
    await cancel_and_wait([stubborn, failing, asyncio.ensure_future(_raise())])
    assert stubborn.cancelled() and failing.done()


async def _raise() -> None:
    raise RuntimeError("ended badly: retrieved, not raised, by whoever stops it")
