"""The canonical encoding of a log entry and of a checkpoint, and the hashes over them.

Entry: a JSON object with sorted keys, no whitespace (separators ``,`` and ``:``), UTF-8, non-ASCII
characters as themselves (``ensure_ascii=False``).

- record      = previous entry hash (32 bytes) || canonical bytes; the first entry's previous hash
  is 32 zero bytes (:data:`GENESIS`). The record is stored as it was hashed, so verification hashes
  it directly and a reader is shown exactly what was hashed.
- entry hash  = SHA-256(record).
- Merkle leaf = SHA-256(0x00 || entry hash), node = SHA-256(0x01 || left || right) (RFC 6962).
- A checkpoint is signed (Ed25519) over the same canonical JSON of its fields (:func:`checkpoint_payload`).

The offline verifier (``quickon_audit.offline``) re-implements this with the standard library only.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = bytes(32)
ENTRY_VERSION = 1


def encode(document: dict[str, Any]) -> bytes:
    """The canonical bytes of a JSON document."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record(previous: bytes, canonical: bytes) -> bytes:
    """What is stored and hashed: the previous entry's hash, then the entry's canonical bytes."""
    return previous + canonical


def entry_hash(stored: bytes) -> bytes:
    """The hash of a record, which the next record begins with."""
    return hashlib.sha256(stored).digest()


def checkpoint_payload(
    *, first_sequence: int, sequence: int, head_hash: str, merkle_root: str, time: str, key_id: str
) -> bytes:
    """The bytes a checkpoint's signature covers."""
    return encode(
        {
            "first_sequence": first_sequence,
            "head_hash": head_hash,
            "key_id": key_id,
            "merkle_root": merkle_root,
            "sequence": sequence,
            "time": time,
            "v": ENTRY_VERSION,
        }
    )
