"""What one message on the bus becomes in the log: its fields, its redacted body, and a flag when it
is not a valid event. Nothing is dropped: a message no contract decodes is kept as raw bytes (when
it is not JSON) with its hash and the reason, and flagged.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from quickon_common.bus import DLQ_PREFIX
from quickon_common.contracts import REDACTED, REGISTRY, Event, UnknownEventType
from quickon_common.envelope import MSG_ID_HEADER, MalformedEvent, decode

UNKNOWN_TYPE = "unknown"
DLQ_HEADERS = {
    "qc-dlq-reason": "reason",
    "qc-dlq-consumer": "consumer",
    "qc-dlq-subject": "subject",
    "qc-dlq-stream-sequence": "stream_sequence",
    "qc-dlq-tries": "tries",
}


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message ready to append: the indexed fields and the document to hash (``seq`` comes later)."""

    event_id: str
    stream_seq: int | None
    type: str
    subject: str
    source: str | None
    actor: str | None
    team: str | None
    service: str | None
    correlation_id: str | None
    time: datetime
    flagged: bool
    document: dict[str, Any]


def event_id_of(headers: dict[str, str], stream_seq: int | None) -> str:
    """The id an entry is unique by: the message id the stream deduplicates on, else the event's."""
    return headers.get(MSG_ID_HEADER) or headers.get("ce-id") or f"stream:{stream_seq}"


def _contract(headers: dict[str, str], subject: str) -> type[Event] | None:
    for find, key in ((REGISTRY.by_type, headers.get("ce-type")), (REGISTRY.by_subject, subject)):
        if key:
            try:
                return find(key)
            except UnknownEventType:
                continue
    return None


def _time(value: str | None, received: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if value else received
    except ValueError:
        return received
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def read(
    subject: str, headers: dict[str, str] | None, data: bytes, *, stream_seq: int | None, received: datetime
) -> Incoming:
    """The log's view of one message (never raises: what cannot be read is flagged with why)."""
    headers = dict(headers or {})
    dead = subject.startswith(f"{DLQ_PREFIX}.")
    original_subject = headers.get("qc-dlq-subject", subject) if dead else subject
    reason: str | None = None
    try:
        decode(original_subject, headers, data)
    except MalformedEvent as error:
        reason = str(error)
    contract = _contract(headers, original_subject)
    body: Any = None
    raw: dict[str, str] = {}
    redacted = False
    try:
        body = json.loads(data)
    except ValueError:
        raw = {"raw_b64": base64.b64encode(data).decode(), "raw_sha256": hashlib.sha256(data).hexdigest()}
        reason = reason or "the body is not JSON"
    if isinstance(body, dict) and contract is not None:
        for name in contract.secret_fields():
            if body.get(name) is not None:
                body[name], redacted = REDACTED, True
    if reason and not raw and not redacted:
        raw = {"raw_sha256": hashlib.sha256(data).hexdigest()}
    moment = _time(headers.get("ce-time"), received)
    service = body.get("service") if isinstance(body, dict) and isinstance(body.get("service"), str) else None
    fields = {
        "event_id": event_id_of(headers, stream_seq),
        "type": headers.get("ce-type") or UNKNOWN_TYPE,
        "subject": subject,
        "source": headers.get("ce-source"),
        "actor": headers.get("qc-actor"),
        "team": headers.get("qc-team"),
        "service": service,
        "correlation_id": headers.get("qc-correlation-id") or headers.get("ce-id"),
    }
    document = {
        **fields,
        "v": 1,
        "stream_seq": stream_seq,
        "time": moment.isoformat().replace("+00:00", "Z"),
        "recorded_at": received.isoformat().replace("+00:00", "Z"),
        "ce_subject": headers.get("ce-subject"),
        "causation_id": headers.get("qc-causation-id"),
        "body": body,
        "flagged": reason is not None,
        "reason": reason,
        **raw,
    }
    if dead:
        document["dead_letter"] = {name: headers.get(header) for header, name in DLQ_HEADERS.items()}
    return Incoming(
        **{k: (v[:255] if isinstance(v, str) else v) for k, v in fields.items()},  # type: ignore[arg-type]
        stream_seq=stream_seq,
        time=moment,
        flagged=reason is not None,
        document=document,
    )
