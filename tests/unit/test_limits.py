"""The gateway's in-memory limits, on a clock the test moves."""

from __future__ import annotations

from quickon_gateway.limits import Backoff, Bounded, RateLimit, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_back_off_exponentially_up_to_the_cap_and_a_success_forgives() -> None:
    clock = Clock()
    backoff = Backoff(free=2, base_s=1, max_s=5, clock=clock)
    waits = []
    for _ in range(7):
        backoff.failed("alice")
        waits.append(backoff.blocked_for("alice"))
    assert waits == [0, 0, 1, 2, 4, 5, 5]
    clock.now += 5
    assert backoff.blocked_for("alice") == 0 and backoff.blocked_for("bob") == 0
    backoff.failed("alice")  # still counted: the next failure waits the longest
    assert backoff.blocked_for("alice") == 5
    backoff.clear("alice")
    backoff.failed("alice")
    assert backoff.blocked_for("alice") == 0


def test_a_rate_allows_a_burst_then_says_how_long_to_wait() -> None:
    clock = Clock()
    rate = RateLimit(per_s=2, burst=3, clock=clock)
    assert [rate.take("t") for _ in range(3)] == [0, 0, 0]
    assert rate.take("t") == 0.5 and retry_after(rate.take("t")) == "1"
    assert rate.take("other") == 0
    clock.now += 0.5
    assert rate.take("t") == 0


def test_a_bounded_map_drops_the_oldest() -> None:
    kept: Bounded[str, int] = Bounded(2)
    for number, key in enumerate("abc"):
        kept[key] = number
    assert list(kept) == ["b", "c"]
    kept["b"] = 9  # set again: the newest
    kept["d"] = 4
    assert list(kept) == ["b", "d"]
