"""The Ed25519 key that signs checkpoints: ``QC_AUDIT_SIGNING_KEY``, else ``var/audit/signing.key``.

The key file holds the 32-byte seed in base64; it is made on first use (0600) by whichever replica
comes first, so replicas sharing ``var/`` sign with the same key. The public key is served to anyone.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEY_FILE = "signing.key"


class SigningKeyError(ValueError):
    """A configured signing key that is not a base64 Ed25519 seed of 32 bytes."""


def key_id(public_raw: bytes) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    """Signs checkpoints; knows its public key and the key's id."""

    private: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, seed_b64: str) -> Signer:
        try:
            seed = base64.b64decode(seed_b64, validate=True)
            return cls(Ed25519PrivateKey.from_private_bytes(seed))
        except ValueError as error:
            raise SigningKeyError(
                f"the audit signing key is not a base64 Ed25519 seed of 32 bytes ({error}); make one with "
                "`python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'`"
            ) from None

    @classmethod
    def load(cls, configured: str | None, directory: Path) -> Signer:
        """The configured key, else the one in ``directory``, made there when absent."""
        if configured:
            return cls.from_seed(configured)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / KEY_FILE
        if not path.exists():
            seed = base64.b64encode(os.urandom(32))
            with contextlib.suppress(FileExistsError):  # another replica made it first: use theirs
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as file:
                    file.write(seed + b"\n")
                    file.flush()
                    os.fsync(file.fileno())
        return cls.from_seed(path.read_text().strip())

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    @property
    def key_id(self) -> str:
        return key_id(self.public_raw)

    def sign(self, payload: bytes) -> str:
        """The base64 signature of ``payload``."""
        return base64.b64encode(self.private.sign(payload)).decode()


def signature_valid(public_raw: bytes, payload: bytes, signature_b64: str) -> bool:
    """Whether ``signature_b64`` is ``public_raw``'s signature of ``payload``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(base64.b64decode(signature_b64, validate=True), payload)
    except (InvalidSignature, ValueError):
        return False
    return True
