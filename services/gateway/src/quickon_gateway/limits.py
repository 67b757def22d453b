"""Limits kept in memory, per key: a bounded map, a back-off after failures, and a token-bucket rate.

Every key here comes from a caller (a username, an address, a token), so every map is bounded: a caller
inventing keys evicts the oldest entries, it cannot grow the gateway's memory. Limits are per replica:
with N replicas a caller gets N times the rate, which is still a limit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
Clock = Callable[[], float]


class Bounded(OrderedDict[K, V], Generic[K, V]):
    """A dict that keeps at most ``max_entries``, dropping the least recently set (reads stay plain dict
    reads, as cheap as before: the hot path of every request reads the token cache)."""

    def __init__(self, max_entries: int) -> None:
        super().__init__()
        self.max_entries = max_entries

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.max_entries:
            self.popitem(last=False)


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1 (0 would invite an immediate retry)."""
    return str(max(1, math.ceil(seconds)))


@dataclass(slots=True)
class _Failures:
    count: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


class Backoff:
    """Failures per key: the first ``free`` cost nothing, then each one blocks the key for ``base_s``
    doubled per failure, at most ``max_s``; a success (``clear``) or ``forgive_s`` without a failure
    forgives them."""

    def __init__(
        self,
        *,
        free: int,
        base_s: float,
        max_s: float,
        forgive_s: float = 900,
        max_keys: int = 100_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self.free, self.base_s, self.max_s, self.forgive_s, self.clock = free, base_s, max_s, forgive_s, clock
        self._failures: Bounded[str, _Failures] = Bounded(max_keys)

    def blocked_for(self, key: str) -> float:
        """Seconds ``key`` is still blocked for (0: not blocked)."""
        state = self._failures.get(key)
        return max(0.0, state.blocked_until - self.clock()) if state else 0.0

    def failed(self, key: str) -> None:
        now = self.clock()
        state = self._failures.get(key)
        if state is None or now - state.last > max(self.forgive_s, self.max_s):
            state = _Failures()
        state.count += 1
        state.last = now
        if state.count > self.free:
            state.blocked_until = now + min(self.max_s, self.base_s * 2 ** (state.count - self.free - 1))
        self._failures[key] = state

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """A token bucket per key: ``burst`` requests at once, refilled at ``per_s``; :meth:`take` answers how
    long to wait when the bucket is empty."""

    def __init__(self, *, per_s: float, burst: int, max_keys: int = 100_000, clock: Clock = time.monotonic) -> None:
        self.per_s, self.burst, self.clock = per_s, burst, clock
        self._buckets: Bounded[str, _Bucket] = Bounded(max_keys)

    def take(self, key: str) -> float:
        """Take one request from ``key``'s bucket: 0 when allowed, else the seconds until one is."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), at=now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_s)
        bucket.at = now
        self._buckets[key] = bucket
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.per_s
