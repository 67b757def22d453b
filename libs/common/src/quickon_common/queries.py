"""Queries (``qc.query.<service>.<name>``, request/reply): one way to send one (traced), to ask one by its
contract (:mod:`quickon_common.contracts.queries`), and to refuse one (:class:`QueryError`)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from nats.aio.client import Client as NatsClient
from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, or_, true

from .blobs import BlobCorrupt, BlobMissing, Blobs, by_reference, dereferenced
from .contracts.queries import Caller, Query, QueryReply, QueryRequest
from .telemetry import client_span, trace_carrier

M = TypeVar("M", bound=BaseModel)
Req = TypeVar("Req", bound=QueryRequest)
Rep = TypeVar("Rep", bound=QueryReply)


class QueryError(Exception):
    """A query refused with a reason: the reply carries an error the gateway turns into HTTP.

    ``status`` follows HTTP (404 unknown, 409 conflict, 413 too large, 422 invalid, 502 the answer broke
    its contract); ``extra`` adds fields such as a linter's messages or ``retryable``.
    """

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra

    def reply(self) -> dict[str, Any]:
        return {"error": {"status": self.status, "detail": self.detail, **self.extra}}


def caller_of(request: QueryRequest) -> Caller:
    """Who a team-scoped query is asked for, or a 403: a request without its caller is refused rather than
    answered with everything (fails closed)."""
    caller = getattr(request, "caller", None)
    if not isinstance(caller, Caller):
        raise QueryError(
            403, "this query returns team-scoped data and needs 'caller' ({'is_admin', 'teams'}); the gateway sets it"
        )
    return caller


def visible_rows(caller: Caller, team: Any) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows whose ``team`` column the caller may see (:meth:`Caller.sees`)."""
    if caller.is_admin:
        return true()
    return or_(team.is_(None), team.in_(caller.teams))


def problems(error: ValidationError) -> str:
    """A validation error in one line, each problem naming its field."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()[:5])


def parse(model: type[M], body: Any, *, status: int = 422) -> M:
    """``body`` as ``model``, or a :class:`QueryError` (422 by default) naming the field."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise QueryError(status, problems(error)) from None


async def request(connection: NatsClient, subject: str, payload: bytes, *, timeout_s: float) -> bytes:
    """Ask ``subject`` (``qc.query.<service>.<name>``) and return the answer's body, in a client span whose
    ``traceparent`` goes with the request: the answering service's span is its child. Bodies too large for
    a message go by reference both ways (:mod:`.blobs`); a reply whose blob cannot be read becomes an error
    reply. nats-py's errors (no responders, timeout) pass through for the caller to explain."""
    attributes = {"messaging.system": "nats", "messaging.destination.name": subject}
    blobs = Blobs(connection.jetstream())  # no I/O unless a body is large
    with client_span(f"{subject} request", **attributes):
        payload = await by_reference(blobs, payload)
        reply = await connection.request(subject, payload, timeout=timeout_s, headers=trace_carrier())
        try:
            return await dereferenced(blobs, reply.data)
        except (BlobMissing, BlobCorrupt) as error:
            return json.dumps(QueryError(502, f"the answer to {subject} could not be read: {error}").reply()).encode()


def encode(body: QueryRequest) -> bytes:
    """A request as it goes on the wire: the fields given (the answering side fills in the defaults)."""
    return body.model_dump_json(exclude_unset=True).encode()


async def ask(connection: NatsClient, contract: Query[Req, Rep], body: Req, *, timeout_s: float) -> Rep:
    """The answer to ``contract`` asked with ``body``. A refusal is the :class:`QueryError` it carries
    (its status and extra fields); an answer that breaks the contract is a 502 naming what is wrong.
    nats-py's errors (no responders, timeout) pass through."""
    return answer(contract, await request(connection, contract.subject, encode(body), timeout_s=timeout_s))


def answer(contract: Query[Any, Rep], data: bytes) -> Rep:
    """A reply's bytes as ``contract``'s reply model, or the :class:`QueryError` it stands for."""
    try:
        found = json.loads(data)
    except ValueError:
        raise QueryError(502, f"{contract.subject} answered with something that is not JSON") from None
    if isinstance(found, dict) and isinstance(error := found.get("error"), dict):
        extra = {k: v for k, v in error.items() if k not in ("status", "detail")}
        status = error.get("status")
        return_status = status if isinstance(status, int) and 400 <= status < 600 else 502
        raise QueryError(return_status, str(error.get("detail", "")), **extra)
    try:
        return contract.reply.model_validate(found)
    except ValidationError as error:
        raise QueryError(502, f"{contract.subject} answered outside its contract: {problems(error)}") from None
