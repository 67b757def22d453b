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


class AuditVerificationFailed(Event):
    subject = "qc.audit.verification.failed"
    first_bad_sequence: int
    reason: str
