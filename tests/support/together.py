"""Several threads started at the same moment: replicas of a service opening or migrating one store at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def together(count: int, work: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    """``work`` in ``count`` threads released at once by a barrier: what each returned, and what each raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    failures: list[BaseException] = []

    def one() -> None:
        barrier.wait()
        try:
            results.append(work())
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures
