"""The offline verifier's pure-Python Ed25519 agrees with the ``cryptography`` package."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from quickon_audit import offline


def test_signatures_from_cryptography_verify_and_altered_ones_do_not() -> None:
    for _ in range(5):
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        message = os.urandom(64)
        signature = key.sign(message)
        assert offline.ed25519_verify(public, message, signature)
        assert not offline.ed25519_verify(public, message + b"x", signature)
        flipped = bytes([signature[0] ^ 1]) + signature[1:]
        assert not offline.ed25519_verify(public, message, flipped)
        other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        assert not offline.ed25519_verify(other, message, signature)
    assert not offline.ed25519_verify(b"short", b"m", bytes(64))
