"""Errors as RFC 9457 problem+json, and the request id and trace every response carries.

Every failure a client can meet — a route that does not exist, a body that does not
validate, a token that is wrong, a service that does not answer, a bug — leaves here as a
problem document whose ``detail`` says what to do next; validation failures name the field.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, NamedTuple

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import propagate, trace
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quickon_common.logs import event_context

log = logging.getLogger(__name__)
tracer = trace.get_tracer("quickon.gateway")

PROBLEM_JSON = "application/problem+json"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes come every few seconds from every watcher: traced, they would bury the requests.
UNTRACED = frozenset({"/healthz", "/readyz", "/metrics"})
# What to do next, for the statuses Starlette raises on its own.
ADVICE = {
    401: "send a bearer token: get one with POST /api/v1/auth/token (or `qc login`)",
    404: "there is nothing at this path; the API's paths are listed at /docs",
    405: "this path does not take that method; see /docs",
    413: "the body is too large; send a smaller one",
    415: "send the body as application/json",
}


class BodyLimit(NamedTuple):
    """The largest body a path takes, and the setting that sets it (named in the 413, so an operator knows it)."""

    size: int
    setting: str


class ProblemDocument(BaseModel):
    """RFC 9457 problem details, as every error of the API is answered."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str = Field(description="what went wrong and what to do next")
    instance: str
    request_id: str | None
    errors: list[dict[str, str]] | None = Field(
        default=None, description='each invalid field: {"field": "body.values.service.port", "message": ...}'
    )


def _documented(status: int, description: str) -> dict[str, Any]:
    schema = ProblemDocument.model_json_schema()
    return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}}}


# The errors any route may answer, in the OpenAPI document (FastAPI's own 422 schema is not what is sent).
RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented(400, "The request cannot be read"),
    401: _documented(401, "No token, or a token that is not valid, expired or revoked"),
    403: _documented(403, "The caller may not do this"),
    404: _documented(404, "Nothing by that name"),
    405: _documented(405, "The path does not take this method"),
    409: _documented(409, "In conflict with what exists"),
    413: _documented(413, "The body is too large"),
    422: _documented(422, "The request is not valid; `errors` names each field"),
    429: _documented(429, "Too many requests, or failed logins; wait as `Retry-After` says"),
    502: _documented(502, "A chart repository or the owning service failed"),
    503: _documented(503, "NATS or the owning service is not answering; retry shortly"),
}


class Problem(Exception):
    """A refusal with its HTTP status and what to do; raised anywhere, answered as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The problem document for ``status``; ``type`` names the status so clients can switch on it."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": f"https://quickon.dev/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
        **extra,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """Each validation failure as ``{"field": "body.values.port", "message": ...}``."""
    return [
        {"field": ".".join(str(part) for part in e.get("loc", ())) or "body", "message": str(e.get("msg", ""))}
        for e in error.errors()[:20]
    ]


def install(app: FastAPI, *, body_limit: Callable[[str], BodyLimit]) -> None:
    """Answer every error of ``app`` as problem+json and tag every response with its request id and trace.

    ``body_limit(path)`` is the largest body a path takes: a request that declares a larger one is
    refused before it is read, one sent without a length when it passes the limit. (FastAPI's own
    ``max_body_size`` answers plain text, so it is not used.)
    """

    @app.exception_handler(Problem)
    async def on_problem(request: Request, error: Problem) -> Response:
        return problem_response(
            request, error.status, error.detail, errors=error.errors, headers=error.headers, **error.extra
        )

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> Response:
        errors = field_errors(error)
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
        return problem_response(request, 422, f"the request is not valid: {summary}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        return http_problem(request, error)

    app.add_middleware(RequestIdentity, body_limit=body_limit)


def http_problem(request: Request, error: StarletteHTTPException) -> Response:
    """Starlette's own errors (no route, wrong method) as problem documents, with advice where its text has none."""
    detail = error.detail if isinstance(error.detail, str) and error.detail not in _PHRASES else None
    return problem_response(
        request,
        error.status_code,
        detail or ADVICE.get(error.status_code, HTTPStatus(error.status_code).phrase),
        headers=dict(error.headers or {}),
    )


class RequestIdentity:
    """Pure ASGI (no per-request task, unlike ``BaseHTTPMiddleware``): gives each request an id and a server
    span (continuing the caller's ``traceparent``, named by route template, with the status; none for the
    probes), puts both on the response, refuses bodies over the limit, and answers an unexpected error as a
    500 problem."""

    def __init__(self, app: ASGIApp, *, body_limit: Callable[[str], BodyLimit]) -> None:
        self.app = app
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False
        method, path = scope["method"], scope["path"]
        span = trace.INVALID_SPAN if path in UNTRACED else _server_span(method, path, headers)

        async def tagged(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                _answered(span, scope, message["status"])
                carrier: dict[str, str] = {}
                propagate.inject(carrier)
                extra = [(b"x-request-id", request_id.encode())]
                if "traceparent" in carrier:
                    extra.append((b"traceparent", carrier["traceparent"].encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        with trace.use_span(span, end_on_exit=True), event_context(request_id=request_id):
            try:
                length, (limit, setting) = headers.get("content-length", ""), self.body_limit(path)
                if length.isdigit() and int(length) > limit:
                    refused = problem_response(
                        Request(scope), 413, f"the body is {int(length)} bytes; this path takes at most {limit} "
                        f"(the gateway's {setting}: send a smaller one, or ask the operator to raise it)",
                    )  # fmt: skip
                    await refused(scope, receive, tagged)
                    return
                await self.app(scope, _counting(receive, limit, setting), tagged)
            except Exception as error:
                log.exception("request failed: %s %s", method, path)
                if started:
                    raise
                response = problem_response(
                    Request(scope),
                    500,
                    f"the gateway failed on this request ({type(error).__name__}); it is logged under request id "
                    f"{request_id}",
                )
                await response(scope, receive, tagged)


def _server_span(method: str, path: str, headers: dict[str, str]) -> trace.Span:
    """The request's span, continuing the caller's ``traceparent``; named by its route once it is known."""
    return tracer.start_span(
        method,
        context=propagate.extract(headers),
        kind=trace.SpanKind.SERVER,
        attributes={"http.request.method": method, "url.path": path},
    )


def _answered(span: trace.Span, scope: Scope, status: int) -> None:
    """Name the span after the route's template (``/api/v1/operations/{operation_id}``: one name for every
    operation, not one per id) and give it the status; a 5xx marks it failed."""
    template = getattr(scope.get("route"), "path", None)
    if template:
        span.update_name(f"{scope['method']} {template}")
        span.set_attribute("http.route", template)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(trace.Status(trace.StatusCode.ERROR))


class BodyTooLarge(StarletteHTTPException):
    """Raised while a body without a declared length is read; an HTTPException, so FastAPI passes it on."""


def _counting(receive: Receive, limit: int, setting: str) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(
                    413,
                    f"the body passed {limit} bytes, the most this path takes (the gateway's "
                    f"{setting}: send a smaller one, or ask the operator to raise it)",
                )
        return message

    return counted


_PHRASES = {status.phrase for status in HTTPStatus}
