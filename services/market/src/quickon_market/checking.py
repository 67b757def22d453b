"""Values checked against a chart's schema off the event loop, within a time limit.

A schema comes from whoever published the chart. Its patterns run on RE2 (quickon_market.patterns),
so no pattern takes exponential time; but a large schema against large values still costs CPU, and
on the event loop that would stall every other query of the market. The check runs on a small pool
of its own (so it cannot take the threads other work uses), and a check that passes the limit is
answered as a refusal; its thread finishes on its own while the market goes on answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from quickon_common.queries import QueryError

T = TypeVar("T")
# Two at once: checks are short, and more would only compete for the same cores as the event loop.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="values-check")


async def within(timeout_s: float, check: Callable[[], T], *, what: str) -> T:
    """``check()``'s result, computed off the event loop; a 422 :class:`QueryError` if it takes longer than
    ``timeout_s`` (``what`` names the chart version for the message)."""
    running = asyncio.get_running_loop().run_in_executor(_POOL, check)
    try:
        return await asyncio.wait_for(running, timeout_s)
    except TimeoutError:
        raise QueryError(
            422,
            f"checking the values against {what}'s values.schema.json took longer than {timeout_s:g}s, so it was "
            "given up; the chart's schema is too costly to check: ask its publisher to simplify it",
        ) from None
