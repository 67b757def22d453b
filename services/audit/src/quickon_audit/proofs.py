"""Inclusion proofs: one entry, the Merkle audit path to its checkpoint's root, and the signed checkpoint.

Everything a client needs to check it offline (``quickon_audit.offline``): the canonical bytes, the
previous hash (the record is their concatenation), the path, the checkpoint's fields, its signature and the public key.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from . import canonical, merkle
from .verify import Checkpoint

ALGORITHM = "Ed25519"
HOW = (
    "entry_hash = SHA-256(prev_hash || canonical); leaf = SHA-256(0x00 || entry_hash); node = SHA-256(0x01 || l || r) "
    "(RFC 6962); the root of the path must be checkpoint.merkle_root, and signature the Ed25519 signature of the "
    "checkpoint as JSON with sorted keys, no whitespace, UTF-8, plus v=1"
)


class NotProvable(ValueError):
    """The entry cannot be proved: not covered by a checkpoint yet, or it differs from what was signed."""


def checkpoint_fields(cp: Checkpoint) -> dict[str, Any]:
    return {
        "first_sequence": cp.first_seq, "sequence": cp.seq, "head_hash": cp.head_hash,
        "merkle_root": cp.merkle_root, "time": cp.time, "key_id": cp.key_id,
    }  # fmt: skip


def inclusion_proof(
    *, seq: int, entry_hash: bytes, stored: bytes, cp: Checkpoint, public_key_b64: str
) -> dict[str, Any]:
    """The proof that entry ``seq`` is in ``cp``'s segment, as JSON-ready data."""
    leaves = [cp.leaves[i : i + 32] for i in range(0, len(cp.leaves), 32)]
    index = seq - cp.first_seq
    if not 0 <= index < len(leaves):
        raise NotProvable(f"entry {seq} is not in checkpoint {cp.seq}'s segment ({cp.first_seq}-{cp.seq})")
    prev_hash, data = stored[:32], stored[32:]
    if leaves[index] != entry_hash or canonical.entry_hash(stored) != entry_hash:
        raise NotProvable(f"entry {seq} differs from what checkpoint {cp.seq} signed: verify the log")
    return {
        "sequence": seq,
        "entry": json.loads(data),
        "canonical_b64": base64.b64encode(data).decode(),
        "prev_hash": prev_hash.hex(),
        "entry_hash": entry_hash.hex(),
        "leaf_index": index,
        "tree_size": len(leaves),
        "audit_path": [h.hex() for h in merkle.audit_path(index, leaves)],
        "checkpoint": checkpoint_fields(cp),
        "signature": cp.signature,
        "algorithm": ALGORITHM,
        "public_key": public_key_b64,
        "how": HOW,
    }
