"""Audit context: checkpoints and verification of the tamper-evident log (owned by audit)."""

from __future__ import annotations

from .base import Event


class AuditCheckpointCreated(Event):
    subject = "qc.audit.checkpoint.created"
    sequence: int
    head_hash: str
    merkle_root: str
    signature: str
    key_id: str
    # Added: with these the event alone is enough to check the signature (canonical.checkpoint_payload).
    first_sequence: int | None = None
    time: str | None = None


class AuditRetentionApplied(Event):
    """Retention removed the log's oldest segments, all covered by the checkpoint at ``up_to_sequence``."""

    subject = "qc.audit.retention.applied"
    up_to_sequence: int
    removed: int
    reason: str


class AuditVerificationFailed(Event):
    subject = "qc.audit.verification.failed"
    first_bad_sequence: int
    reason: str
