"""Queries: one way to send one (traced), a strict model per query body, and one way to turn a bad body
into a 422 naming the field."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from nats.aio.client import Client as NatsClient
from pydantic import BaseModel, ConfigDict, ValidationError

from .blobs import BlobCorrupt, BlobMissing, Blobs, by_reference, dereferenced
from .service import QueryError
from .telemetry import client_span, trace_carrier

R = TypeVar("R", bound="QueryRequest")


class QueryRequest(BaseModel):
    """The body of a query; unknown fields are refused, so a typo does not pass silently."""

    model_config = ConfigDict(extra="forbid")


def parse(model: type[R], body: dict[str, Any]) -> R:
    """The request as ``model``, or a 422 naming the field."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()[:5])
        raise QueryError(422, problems) from None


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
