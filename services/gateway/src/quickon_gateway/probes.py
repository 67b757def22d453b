"""Who sees /readyz's reasons and /metrics on the gateway, the one service on a public port: requests that
came in on the internal port (QC_GATEWAY_INTERNAL_PORT, a listener of its own, for the platform's
watchers), and admins. Everyone else gets a bare ``{"ready": …}`` and no metrics: both name the database,
NATS and the platform's inner workings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from .auth.tokens import TokenRefused, TokenStore


def shown_to(*, internal_port: int | None, tokens: TokenStore) -> Callable[[Request], Awaitable[bool]]:
    async def shows(request: Request) -> bool:
        server = request.scope.get("server")  # the listening socket's address, not anything the caller sent
        if internal_port is not None and server is not None and server[1] == internal_port:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        try:
            return (await tokens.check(token.strip())).is_admin
        except TokenRefused:
            return False

    return shows
