"""Passwords: Argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommended set), checked off
the event loop because a check costs tens of milliseconds by design."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
_hasher = PasswordHasher()
# Checked against when the user does not exist, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def weakness(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def password_matches(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` is the one behind ``password_hash`` (None: an unknown user, always False)."""

    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def generated_password() -> str:
    return secrets.token_urlsafe(18)
