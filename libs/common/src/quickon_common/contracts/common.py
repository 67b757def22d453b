"""Field groups shared by the contracts of several contexts."""

from __future__ import annotations

from .base import Event


class OperationEvent(Event):
    """An event that belongs to a user operation the gateway tracks (its id, when there is one)."""

    operation_id: str | None = None


class Success(Event):
    """The outcome of an operation that succeeded; followers tell outcomes apart by this base and
    :class:`Failure`, never by their names."""


class Failure(Event):
    """The outcome of an operation that did not succeed: what went wrong and at which step."""

    reason: str
    step: str | None = None
