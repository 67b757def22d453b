"""Retry policies: declared per step, they say which errors may pass and how long to wait between tries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .errors import TryLater


def never(_error: Exception) -> str | None:
    """No error is worth another try."""
    return None


def try_later(error: Exception) -> str | None:
    """A :class:`TryLater` is worth another try; its reason is the last failure's."""
    return error.reason if isinstance(error, TryLater) else None


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How a step's passing failures are tried again.

    ``retryable`` gives the reason of an error that may pass (None for any other error). After the
    ``waits`` are used up the step fails with that reason, unless ``until_deadline``: then it keeps
    trying at the last wait's pace until the saga's deadline (or its compensation's) passes.
    """

    waits: tuple[float, ...] = ()
    retryable: Callable[[Exception], str | None] = never
    until_deadline: bool = False

    def wait_before(self, tries: int) -> float | None:
        """Seconds to wait before try ``tries + 1``, or None when the step should give up."""
        if not self.waits:
            return None
        if tries < len(self.waits):
            return self.waits[tries]
        return self.waits[-1] if self.until_deadline else None


NO_RETRY = RetryPolicy()
