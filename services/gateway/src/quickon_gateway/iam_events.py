"""What lets a replica keep users, tokens and teams in memory: it hears every iam event.

A change to a user, a token, a membership or a namespace is an ``iam`` event, published by whichever
gateway replica made it; every replica listens on a plain subscription of its own and drops what it
keeps at once, so a disabled user's tokens stop everywhere within the event's flight. While a
replica cannot hear (NATS away, not yet subscribed, or reconnected and so possibly deaf for a
while), :meth:`IamFollower.trusted` is false and the caches read the database every time instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nats.aio.subscription import Subscription

from quickon_common.contracts.iam import ApiTokenCreated, UserLoggedIn, UserLoginFailed
from quickon_common.service import Service

IAM_EVENTS = "qc.iam.>"
# Events that change nothing kept in memory (a new token is not cached before its first use).
HARMLESS = frozenset({UserLoggedIn.subject, UserLoginFailed.subject, ApiTokenCreated.subject})


class IamFollower:
    """Tells the caches of users and teams to forget whenever an iam event says something changed."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._forget: list[Callable[[], None]] = []
        self._subscription: Subscription | None = None
        self._reconnects = 0

    def on_change(self, forget: Callable[[], None]) -> None:
        """Call ``forget`` whenever what it keeps may be out of date."""
        self._forget.append(forget)

    def changed(self) -> None:
        for forget in self._forget:
            forget()

    def trusted(self) -> bool:
        """Whether kept answers may be served: this replica hears every iam event now."""
        connection = self.service.nats
        if self._subscription is None or connection is None or not connection.is_connected:
            return False
        if connection.stats["reconnects"] != self._reconnects:  # deaf for a while: anything may have changed
            self._reconnects = connection.stats["reconnects"]
            self.changed()
        return True

    async def follow(self) -> None:
        """Subscribe; the service runs this once connected, and the subscription lives with the connection."""
        connection = self.service.nats
        if connection is None:
            return

        async def heard(message: Any) -> None:
            if message.subject not in HARMLESS:
                self.changed()

        self._reconnects = connection.stats["reconnects"]
        self._subscription = await connection.subscribe(IAM_EVENTS, cb=heard)
