"""When a restore asks for its service's stop while staging (quickon_backup.restoring._Ahead)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from quickon_backup.restoring import _Ahead


class Asked:
    def __init__(self) -> None:
        self.times = 0

    async def __call__(self) -> None:
        self.times += 1


async def chunks(count: int, size: int, seen: list[int], asked: Asked) -> AsyncGenerator[bytes, None]:
    for _ in range(count):
        seen.append(asked.times)  # how many stops were asked before this chunk was read
        yield b"x" * size


def test_a_restore_that_stages_quickly_even_at_a_slow_pace_asks_before_the_first_byte() -> None:
    async def scenario() -> list[int]:
        asked, seen = Asked(), []
        ahead = _Ahead(4 * 1000, seconds=2, then=asked, slow_pace=2000)  # 4,000 bytes at 2,000 B/s: 2 s
        await asyncio.sleep(0)  # the stop runs beside the stream
        async for _ in ahead.watch(chunks(4, 1000, seen, asked)):
            pass
        await ahead.settled()
        return [*seen, asked.times]

    assert asyncio.run(scenario()) == [1, 1, 1, 1, 1]


def test_a_large_restore_asks_once_the_pace_seen_says_little_is_left() -> None:
    async def scenario() -> tuple[int, int]:
        asked, seen = Asked(), []
        # 10 GB at a slow 1 B/s could never be staged in 2 s: the pace seen decides. Chunks arrive at
        # once here, so the first one already shows the rest will take no time.
        ahead = _Ahead(10 * 1000, seconds=2, then=asked, slow_pace=1)
        await asyncio.sleep(0)
        before_any = asked.times
        async for _ in ahead.watch(chunks(10, 1000, seen, asked)):
            pass
        await ahead.settled()
        return before_any, asked.times

    assert asyncio.run(scenario()) == (0, 1)


def test_a_data_only_restore_never_asks() -> None:
    async def scenario() -> None:
        ahead = _Ahead(10, seconds=2, then=None, slow_pace=1e9)
        async for _ in ahead.watch(chunks(1, 10, [], Asked())):
            pass
        await ahead.settled()
        assert ahead.running is None

    asyncio.run(scenario())
