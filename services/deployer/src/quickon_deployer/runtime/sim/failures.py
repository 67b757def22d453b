"""Failures that can be injected into simulated pods, and the kubelet's back-off between retries."""

from __future__ import annotations

from enum import StrEnum

FAIL_ANNOTATION = "sim.quickon.io/fail"
"""Pod template annotation naming a failure every pod of the workload has (set through chart values)."""

RUN_SECONDS_ANNOTATION = "sim.quickon.io/run-seconds"
"""Pod template annotation: how long a Job's container runs before it completes."""

BACKOFF_INITIAL_S = 10.0
BACKOFF_MAX_S = 300.0


class Failure(StrEnum):
    """What goes wrong with a pod's application container."""

    IMAGE_PULL_ERROR = "image-pull-error"
    CRASH_LOOP = "crash-loop"
    NEVER_READY = "never-ready"


def parse_failure(value: object) -> Failure:
    """The failure a string names, or ValueError listing the ones there are."""
    try:
        return Failure(str(value))
    except ValueError:
        known = ", ".join(failure.value for failure in Failure)
        raise ValueError(f"unknown failure {value!r} (one of: {known})") from None


def back_off(attempt: int) -> float:
    """The kubelet's wait before retry ``attempt`` (1-based): 10s, 20s, 40s, ... capped at 300s."""
    doublings = min(max(attempt - 1, 0), 16)  # beyond the cap anyway; keeps the power small
    return min(BACKOFF_INITIAL_S * (1 << doublings), BACKOFF_MAX_S)
