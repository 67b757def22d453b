"""CloudEvents 1.0 in NATS headers (binary content mode): encoding and strict decoding.

Any CloudEvents SDK can read what we publish: the attributes are ``ce-`` headers, the body is
the contract's JSON, ``content-type`` is the data content type. ``Nats-Msg-Id`` repeats the
event id so JetStream's duplicate window drops a republished event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from opentelemetry import propagate
from pydantic import ValidationError

from .contracts import REGISTRY, Event, UnknownEventType

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
MSG_ID_HEADER = "Nats-Msg-Id"
REQUIRED_HEADERS = ("ce-specversion", "ce-id", "ce-source", "ce-type")
TRACE_HEADERS = ("traceparent", "tracestate")


class MalformedEvent(ValueError):
    """A message that is not a valid QuickOn event; the reason says what is wrong."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """The CloudEvents attributes and QuickOn's extensions of one event."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str | None = None
    correlation_id: str = ""
    causation_id: str | None = None
    actor: str | None = None
    team: str | None = None
    trace: tuple[tuple[str, str], ...] = ()

    @classmethod
    def new(
        cls,
        event: Event,
        *,
        source: str,
        subject: str | None = None,
        cause: Envelope | None = None,
        actor: str | None = None,
        team: str | None = None,
    ) -> Envelope:
        """A fresh envelope; a caused event inherits correlation, actor and team."""
        event_id = str(uuid.uuid4())
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the current span, so traces follow the event
        return cls(
            id=event_id,
            source=source,
            type=event.ce_type(),
            time=datetime.now(UTC),
            subject=subject,
            correlation_id=cause.correlation_id if cause else event_id,
            causation_id=cause.id if cause else None,
            actor=actor if actor is not None else (cause.actor if cause else None),
            team=team if team is not None else (cause.team if cause else None),
            trace=tuple((k, v) for k, v in carrier.items() if k in TRACE_HEADERS),
        )

    def headers(self) -> dict[str, str]:
        """The NATS headers that carry this envelope."""
        headers = {
            "ce-specversion": SPEC_VERSION,
            "ce-id": self.id,
            "ce-source": self.source,
            "ce-type": self.type,
            "ce-time": self.time.isoformat().replace("+00:00", "Z"),
            "content-type": CONTENT_TYPE,
            MSG_ID_HEADER: self.id,
            "qc-correlation-id": self.correlation_id or self.id,
        }
        optional = {
            "ce-subject": self.subject,
            "qc-causation-id": self.causation_id,
            "qc-actor": self.actor,
            "qc-team": self.team,
        }
        headers.update({k: v for k, v in optional.items() if v is not None})
        headers.update(dict(self.trace))
        return headers


def encode(event: Event, envelope: Envelope) -> tuple[str, dict[str, str], bytes]:
    """The NATS subject, headers and body of ``event``."""
    return event.subject, envelope.headers(), event.model_dump_json().encode()


def parse_envelope(headers: dict[str, str] | None) -> Envelope:
    """The envelope in a message's headers, or :class:`MalformedEvent` naming what is missing."""
    headers = headers or {}
    missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
    if missing:
        raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
    if headers["ce-specversion"] != SPEC_VERSION:
        raise MalformedEvent(f"unsupported CloudEvents specversion {headers['ce-specversion']!r}")
    try:
        time = datetime.fromisoformat(headers["ce-time"]) if headers.get("ce-time") else datetime.now(UTC)
    except ValueError:
        raise MalformedEvent(f"ce-time {headers['ce-time']!r} is not an RFC 3339 timestamp") from None
    return Envelope(
        id=headers["ce-id"],
        source=headers["ce-source"],
        type=headers["ce-type"],
        time=time,
        subject=headers.get("ce-subject"),
        correlation_id=headers.get("qc-correlation-id") or headers["ce-id"],
        causation_id=headers.get("qc-causation-id"),
        actor=headers.get("qc-actor"),
        team=headers.get("qc-team"),
        trace=tuple((k, headers[k]) for k in TRACE_HEADERS if k in headers),
    )


def decode(subject: str, headers: dict[str, str] | None, body: bytes) -> tuple[Event, Envelope]:
    """The event and envelope of a NATS message; :class:`MalformedEvent` says why not."""
    envelope = parse_envelope(headers)
    try:
        contract = REGISTRY.by_type(envelope.type)
    except UnknownEventType as error:
        raise MalformedEvent(str(error)) from None
    if contract.subject != subject:
        raise MalformedEvent(f"type {envelope.type} belongs on {contract.subject}, not on {subject}")
    try:
        event = contract.model_validate_json(body)
    except ValidationError as error:
        raise MalformedEvent(f"body does not match {contract.__name__}: {_summarise(error)}") from None
    return event, envelope


def _summarise(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False)[:5]:
        location = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)
