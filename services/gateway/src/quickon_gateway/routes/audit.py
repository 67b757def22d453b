"""The audit log (audit service): query, streamed export, verification, inclusion proofs, the public key.

Entries follow the events stream's visibility rule: an admin sees all; anyone else their team's and
those of no team, never the iam context. Verification reads the whole log: admins only.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from quickon_common.contracts.queries import NoRequest
from quickon_common.contracts.queries.audit import (
    CHECKPOINTS,
    ENTRIES,
    PROOF,
    PUBLIC_KEY,
    VERIFY,
    Checkpoints,
    CheckpointsRequest,
    Entries,
    EntriesRequest,
    Proof,
    ProofRequest,
    PublicKey,
    Verdict,
)

from ..auth import AdminUser, CurrentUser
from ..deps import GatewayParts
from ..problems import Problem

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
EXPORT_PAGE = 500
VERIFY_TIMEOUT_S = 600.0
CSV_COLUMNS = (
    "seq", "time", "type", "subject", "source", "actor", "team", "service", "correlation_id", "event_id",
    "flagged", "reason", "entry_hash", "body",
)  # fmt: skip
Text = Annotated[str | None, Query(max_length=255)]


def filters(
    actor: Text = None,
    team: Text = None,
    type: Annotated[str | None, Query(max_length=255, description="a CloudEvents type, exactly")] = None,
    context: Annotated[str | None, Query(pattern=r"^[a-z]+$", max_length=32, description="deploy, market…")] = None,
    subject: Annotated[str | None, Query(max_length=255, description="exactly, or a prefix: qc.deploy.>")] = None,
    source: Annotated[str | None, Query(max_length=255, description="the QuickOn service that published it")] = None,
    service: Annotated[str | None, Query(max_length=255, description="the installed service it is about")] = None,
    correlation_id: Text = None,
    since: Annotated[datetime | None, Query(description="from this time (RFC 3339)")] = None,
    until: Annotated[datetime | None, Query(description="before this time (RFC 3339)")] = None,
    flagged: Annotated[bool | None, Query(description="only entries that were (not) valid events")] = None,
) -> EntriesRequest:
    """The query's filters, as the audit service takes them (the caller's scope and page added by the route)."""
    given = {
        "actor": actor, "team": team, "type": type, "context": context, "subject": subject, "source": source,
        "service": service, "correlation_id": correlation_id, "flagged": flagged, "since": since, "until": until,
    }  # fmt: skip
    return EntriesRequest.model_validate({k: v for k, v in given.items() if v is not None})


Filters = Annotated[EntriesRequest, Depends(filters)]


@router.get("", response_model=Entries, summary="Audit entries, newest first, paginated by cursor")
async def query(
    parts: GatewayParts,
    user: CurrentUser,
    chosen: Filters,
    cursor: Annotated[int | None, Query(ge=1, description="next_cursor of the page before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Entries:
    body = chosen.model_copy(update={"limit": limit, "caller": user.caller(), **({"before": cursor} if cursor else {})})
    return await parts.reads.ask(ENTRIES, body)


def _csv_line(entry: dict[str, Any]) -> str:
    out = io.StringIO()
    row = {**entry, "body": json.dumps(entry.get("body"), separators=(",", ":"))}
    csv.writer(out).writerow(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])
    return out.getvalue()


@router.get(
    "/export",
    summary="Every matching entry, newest first, streamed as JSON Lines or CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
async def export(
    parts: GatewayParts,
    user: CurrentUser,
    chosen: Filters,
    format: Annotated[Literal["jsonl", "csv"], Query(description="jsonl or csv")] = "jsonl",
) -> StreamingResponse:
    body = chosen.model_copy(update={"limit": EXPORT_PAGE, "caller": user.caller()})
    first = await parts.reads.ask(ENTRIES, body)  # before the response: a failure is still a problem

    async def lines() -> AsyncIterator[str]:
        page = first
        if format == "csv":
            yield ",".join(CSV_COLUMNS) + "\r\n"
        while True:
            for entry in page.entries:
                yield _csv_line(entry) if format == "csv" else json.dumps(entry, separators=(",", ":")) + "\n"
            cursor = page.next_cursor
            if not cursor:
                return
            try:
                page = await parts.reads.ask(ENTRIES, body.model_copy(update={"before": cursor}))
            except Problem as problem:  # mid-stream: say so in the last line, the status is sent already
                log.warning("audit export ended early: %s", problem.detail)
                yield json.dumps({"export_error": problem.detail, "resume_before": cursor}) + "\n"
                return

    media = "text/csv" if format == "csv" else "application/x-ndjson"
    disposition = f'attachment; filename="audit.{format}"'
    return StreamingResponse(lines(), media_type=media, headers={"Content-Disposition": disposition})


@router.get("/verify", response_model=Verdict, summary="Verify the whole log and every checkpoint signature (admins)")
async def verify(parts: GatewayParts, _user: AdminUser) -> Verdict:
    return await parts.reads.ask(VERIFY, NoRequest(), timeout_s=VERIFY_TIMEOUT_S)


@router.get(
    "/entries/{seq}/proof",
    response_model=Proof,
    summary="An inclusion proof of one entry against its signed checkpoint (RFC 6962 audit path), to check offline",
)
async def proof(parts: GatewayParts, user: CurrentUser, seq: Annotated[int, Path(ge=1, le=2**62)]) -> Proof:
    return await parts.reads.ask(PROOF, ProofRequest(seq=seq, caller=user.caller()))


@router.get("/checkpoints", response_model=Checkpoints, summary="The newest signed checkpoints")
async def checkpoints(
    parts: GatewayParts, _user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> Checkpoints:
    return await parts.reads.ask(CHECKPOINTS, CheckpointsRequest(limit=limit))


@router.get("/public-key", response_model=PublicKey, summary="The Ed25519 key checkpoints are signed with (no login)")
async def public_key(parts: GatewayParts) -> PublicKey:
    return await parts.reads.ask(PUBLIC_KEY, NoRequest())
