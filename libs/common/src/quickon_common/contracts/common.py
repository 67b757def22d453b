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


class Ask(Event):
    """Work one service asks of another (or of itself, on a schedule), where a user's would be a request.

    Only the gateway publishes requests (the bus is a trust boundary), so a service's saga publishes an
    ask in its own context instead: a contract that derives from the request it stands for (the same
    fields, secret ones included) under a subject of the asker's context, which the bus lets no one else
    publish. The owner accepts it exactly as that request, checking the team the ask's envelope names
    as it checks a request's, and answers with the request's usual outcome events. An ask is keyed as
    its request is (a backup by its id, an operation by its operation id): asked again, it is answered
    by the outcome it had, never done twice. Every ask is in :mod:`.asks`.
    """
