"""Logins cannot be guessed at speed nor made to exhaust the gateway.

- Failures back off per username and per client address (quickon_gateway.limits.Backoff): once blocked,
  a login answers 429 with ``Retry-After`` before any password is checked. The address allows more
  failures than a username, since an office behind one address has many people.
- Password checks (Argon2: tens of milliseconds and 64 MiB each, by design) run a bounded number at once;
  a few more callers wait, and the rest are answered 503 at once rather than piling up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..limits import Backoff, retry_after
from ..problems import Problem
from ..settings import GatewaySettings


class LoginThrottle:
    def __init__(self, settings: GatewaySettings) -> None:
        base_s, max_s = settings.login_backoff_base_s, settings.login_backoff_max_s
        self.by_username = Backoff(free=settings.login_free_failures, base_s=base_s, max_s=max_s)
        self.by_address = Backoff(free=settings.login_free_failures_per_address, base_s=base_s, max_s=max_s)
        self._checks = asyncio.Semaphore(settings.password_checks_at_once)
        self._admitted = 0  # checking or waiting to
        self._most = settings.password_checks_at_once + settings.password_checks_waiting

    def refuse_if_blocked(self, username: str, address: str) -> None:
        """429 when either the username or the address is backing off."""
        wait = max(self.by_username.blocked_for(_key(username)), self.by_address.blocked_for(address))
        if wait > 0:
            raise Problem(
                429,
                f"too many failed logins for this user or from this address; wait {retry_after(wait)}s and try again",
                headers={"Retry-After": retry_after(wait)},
            )

    def failed(self, username: str, address: str) -> None:
        self.by_username.failed(_key(username))
        self.by_address.failed(address)

    def succeeded(self, username: str) -> None:
        self.by_username.clear(_key(username))  # the address keeps its count: it may be guessing others

    @asynccontextmanager
    async def checking(self) -> AsyncIterator[None]:
        """A place to check a password; 503 when all are taken and enough callers wait already."""
        if self._admitted >= self._most:
            raise Problem(
                503, "the gateway is busy checking passwords; try again in a moment", headers={"Retry-After": "1"}
            )
        self._admitted += 1
        try:
            async with self._checks:
                yield
        finally:
            self._admitted -= 1


def _key(username: str) -> str:
    """A username as counted: as long as a username may be (a longer one is no user's: it still counts, but
    cannot make an entry large), and in one case, so 'Admin' and 'admin' share their failures."""
    return username[:64].lower()
