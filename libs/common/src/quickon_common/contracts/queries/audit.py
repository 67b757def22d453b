"""The audit service's queries (``qc.query.audit.<name>``): entries, verification, inclusion proofs,
checkpoints, the public key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from .base import Caller, NoRequest, QueryReply, QueryRequest, query


class EntriesRequest(QueryRequest):
    actor: str | None = Field(default=None, max_length=255)
    team: str | None = Field(default=None, max_length=255)
    type: str | None = Field(default=None, max_length=255, description="a CloudEvents type, exactly")
    context: str | None = Field(default=None, pattern=r"^[a-z]+$", max_length=32)
    subject: str | None = Field(default=None, max_length=255, description="exactly, or a prefix ending in .>")
    source: str | None = Field(default=None, max_length=255, description="the QuickOn service that published it")
    service: str | None = Field(default=None, max_length=255, description="the installed service it is about")
    correlation_id: str | None = Field(default=None, max_length=255)
    since: datetime | None = None
    until: datetime | None = None
    flagged: bool | None = None
    before: int | None = Field(default=None, ge=1, description="the cursor: entries older than this sequence")
    limit: int = Field(default=50, ge=1, le=1000)
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class ProofRequest(QueryRequest):
    seq: int = Field(ge=1)
    caller: Caller | None = Field(default=None, description="who asks (set by the gateway); required")


class CheckpointsRequest(QueryRequest):
    limit: int = Field(default=20, ge=1, le=500)


class Entries(QueryReply):
    entries: list[dict[str, Any]] = Field(description="each as hashed, with seq, prev_hash and entry_hash")
    next_cursor: int | None = Field(default=None, description="ask again with before=this for the next page")


class Verdict(QueryReply):
    ok: bool
    entries: int
    checkpoints: int
    head_sequence: int
    first_bad_sequence: int | None = None
    reason: str | None = None
    starts_after: int = Field(default=0, description="entries up to here were removed by retention")
    duration_s: float = 0.0
    problems: list[dict[str, Any]] = []
    stored_checkpoints: int | None = Field(default=None, description="copies read from the object store")
    store_note: str | None = None


class Checkpoint(QueryReply):
    """What a checkpoint signs (its signature beside it, not in it)."""

    first_sequence: int
    sequence: int
    head_hash: str
    merkle_root: str
    time: str
    key_id: str


class Proof(QueryReply):
    """An inclusion proof of one entry against its signed checkpoint (RFC 6962 audit path)."""

    sequence: int
    entry: dict[str, Any]
    canonical_b64: str
    prev_hash: str
    entry_hash: str
    leaf_index: int
    tree_size: int
    audit_path: list[str]
    checkpoint: Checkpoint
    signature: str
    algorithm: str
    public_key: str
    how: str | None = None


class StoredCheckpoint(Checkpoint):
    signature: str
    stored: bool = Field(description="a copy is in the object store")


class Checkpoints(QueryReply):
    checkpoints: list[StoredCheckpoint]


class PublicKey(QueryReply):
    algorithm: str
    public_key: str
    key_id: str
    encoding: str


ENTRIES = query("audit", "entries", EntriesRequest, Entries, "Audit entries, newest first, paginated by cursor")
VERIFY = query("audit", "verify", NoRequest, Verdict, "Verify the whole log and every checkpoint signature")
PROOF = query("audit", "proof", ProofRequest, Proof, "An inclusion proof of one entry, to check offline")
CHECKPOINTS = query("audit", "checkpoints", CheckpointsRequest, Checkpoints, "The newest signed checkpoints")
PUBLIC_KEY = query("audit", "public_key", NoRequest, PublicKey, "The Ed25519 key checkpoints are signed with")
