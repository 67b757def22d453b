"""What every HTTP request of the gateway meets before any route runs: a rate limit per caller, and the
security headers a browser needs to keep the console and the docs from being framed, sniffed or fed
scripts from elsewhere.

Pure ASGI (as problems.RequestIdentity): no task per request, the hot path stays cheap.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth.tokens import digest
from .limits import RateLimit, retry_after
from .problems import problem_response

# The console (a React app served from the same origin) and the API: everything from the gateway itself;
# inline styles and data: images, which component libraries use; no framing by anyone.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc (served from /docs/assets by fastapi-offline) start from an inline script, and ReDoc
# runs a worker from a blob:; still nothing from elsewhere.
DOCS_CSP = CSP.replace(
    "default-src 'self';", "default-src 'self'; script-src 'self' 'unsafe-inline'; worker-src 'self' blob:;"
)
DOCS_PATHS = ("/docs", "/redoc")
HSTS = b"max-age=31536000; includeSubDomains"
COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors, for browsers older than CSP 2
    (b"referrer-policy", b"no-referrer"),
]
# Probes come from the platform's own watchers, every few seconds: not counted against anyone.
UNLIMITED = frozenset({"/healthz", "/readyz"})


class SecurityHeaders:
    """Adds the security headers to every response, errors included (HSTS only when the request came over
    TLS, directly or as a proxy in front says with ``X-Forwarded-Proto``). Outermost: nothing answers
    without them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = [*COMMON, (b"content-security-policy", (DOCS_CSP if path.startswith(DOCS_PATHS) else CSP).encode())]
        if scope.get("scheme") == "https" or _header(scope, b"x-forwarded-proto").lower() == b"https":
            extra.append((b"strict-transport-security", HSTS))

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                # A response with a policy of its own (the console's page: its inline script's hash) keeps it;
                # a second header would be enforced too, and refuse what the first allows.
                own_policy = any(name.lower() == b"content-security-policy" for name, _ in headers)
                added = [header for header in extra if not (own_policy and header[0] == b"content-security-policy")]
                message = {**message, "headers": [*headers, *added]}
            await send(message)

        await self.app(scope, receive, secured)


class RateLimited:
    """Answers 429 with ``Retry-After`` to a caller over its rate: per bearer token, or per client address
    for requests without one. Inside problems.RequestIdentity, so a refusal carries its request id."""

    def __init__(self, app: ASGIApp, *, rate: RateLimit) -> None:
        self.app = app
        self.rate = rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED:
            await self.app(scope, receive, send)
            return
        wait = self.rate.take(_caller(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        refused = problem_response(
            Request(scope),
            429,
            f"too many requests from this caller (more than {self.rate.burst} at once or {self.rate.per_s:g} a "
            f"second); wait {retry_after(wait)}s and slow down",
            headers={"Retry-After": retry_after(wait)},
        )
        await refused(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


def _caller(scope: Scope) -> str:
    """Who is counted: the bearer token's digest (the token itself is not kept), else the client's address."""
    authorization = _header(scope, b"authorization")
    if authorization[:7].lower() == b"bearer " and len(authorization) > 7:
        return "token " + digest(authorization[7:].decode("latin-1").strip())
    client = scope.get("client")
    return f"address {client[0] if client else 'unknown'}"
