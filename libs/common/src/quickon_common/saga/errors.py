"""What a step raises to end its saga, and what tells a run that another one has its record."""

from __future__ import annotations


class StepFailed(Exception):
    """A step cannot succeed; ``reason`` is for the user and says what to do next."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TryLater(StepFailed):
    """A step failed for a reason that may pass (a store or a peer unreachable): a step whose retry
    policy retries it tries again a few times, then fails with ``reason``."""


class RecordTaken(Exception):
    """The saga's row is not in the state this run left it: another run of it got there first (a
    pick-up that read it just before it ended). This run stops without doing anything more."""
