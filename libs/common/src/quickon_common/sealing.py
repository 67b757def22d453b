"""Secret values at rest and in flight, sealed with Fernet (AES-128-CBC + HMAC) under the platform key.

One key for the whole platform: ``QC_SECRET_KEY``, else the file ``var/secret.key``, made on first
use by whichever service comes first. The gateway seals the secret values of a request
(:func:`seal_secrets`) with it, so no event carries them in clear; the deployer stores them sealed
as they came and opens them only to render a chart.

Which values are secret is one rule, :func:`quickon_common.secret_values.secret_paths_of`, used by the
gateway and (for a request that does not say) by the deployer: the paths the chart's schema marks
secret, and every key that names a credential (``password``, ``token``…) whatever the chart says,
because a value in an event stays in the stream and the audit log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .secret_values import join_secrets, secret_paths_of, split_secrets
from .settings import Settings

log = logging.getLogger(__name__)
KEY_FILE = "secret.key"


class SealError(ValueError):
    """Sealed values that cannot be opened with this platform's key, or a key that is not one."""


class Sealer:
    """Seals with the first key; opens with any of them (older keys still open what they sealed)."""

    def __init__(self, key: str | bytes, *older: str | bytes) -> None:
        try:
            self._fernet = MultiFernet([Fernet(k) for k in (key, *older)])
        except ValueError as error:
            raise SealError(f"the secret key is not a Fernet key (32 url-safe base64 bytes): {error}") from None

    @classmethod
    def platform(cls, settings: Settings, *, older: Sequence[str | bytes] = ()) -> Sealer:
        """The platform's sealer: ``QC_SECRET_KEY``, else the key kept in ``var/secret.key``."""
        key = settings.secret_key.get_secret_value() if settings.secret_key else platform_key(settings.var_dir)
        return cls(key, *older)

    def seal(self, values: dict[str, Any]) -> str | None:
        """``values`` encrypted, or None when there is nothing to hide."""
        if not values:
            return None
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode()

    def open(self, sealed: str | None) -> dict[str, Any]:
        """The values ``seal`` hid; :class:`SealError` when another key sealed them or they were altered."""
        if not sealed:
            return {}
        try:
            opened = json.loads(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError):
            raise SealError("sealed values cannot be opened: they were sealed with another key or altered") from None
        if not isinstance(opened, dict):
            raise SealError("sealed values must be a JSON object")
        return opened

    def joined(self, values: dict[str, Any], sealed: str | None) -> dict[str, Any]:
        """The values as given: the plain ``values`` with the ``sealed`` ones opened and put back in place."""
        return join_secrets(values, self.open(sealed))

    def reseal(self, sealed: str | None) -> str | None:
        """``sealed`` sealed again under the first key, for a reader that has only the platform key."""
        if not sealed:
            return None
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise SealError("sealed values cannot be opened: they were sealed with another key or altered") from None


def platform_key(var_dir: Path) -> bytes:
    """The key in ``var_dir/secret.key``, made (owner-only) if there is none yet.

    Race-free between services starting at once: each writes a complete key to a file of its own and
    links it into place; ``link`` fails if the name exists, so the loser reads the winner's key.
    """
    path = var_dir.resolve() / KEY_FILE
    if path.exists():
        return _read_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{KEY_FILE}.{uuid.uuid4().hex}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(Fernet.generate_key())
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another service made it first: use theirs
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def adopt_key(var_dir: Path, old: Path) -> bytes | None:
    """Make a service's former key file (``var/deployer/secret.key``) the platform key, if there is none yet.

    Returns the former key when it could not be adopted (the platform key exists and differs): the
    caller keeps it to open what it sealed. None once it is the platform key or when there is none.
    """
    if not old.exists():
        return None
    path = var_dir.resolve() / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(old, path)
    except FileExistsError:
        if _read_key(path) != _read_key(old):
            log.warning("%s differs from the platform key %s: it is kept to open what it sealed", old, path)
            return _read_key(old)
    else:
        log.info("the key in %s is now the platform key %s", old, path)
    old.unlink(missing_ok=True)
    return None


def _read_key(path: Path) -> bytes:
    return path.read_bytes().strip()


class SealedValues(NamedTuple):
    """User values split for an event or a record: the plain ones, the secret ones sealed, their paths."""

    values: dict[str, Any]
    sealed: str | None
    secret_paths: list[str] | None  # None: not known, everything is sealed


def seal_secrets(sealer: Sealer, values: dict[str, Any], chart_secret_paths: Sequence[str] | None) -> SealedValues:
    """``values`` without their secrets (by :func:`secret_paths_of`), and the secrets sealed (None if none).

    ``chart_secret_paths`` None means they are not known (the market did not answer): everything is sealed.
    """
    if chart_secret_paths is None:
        return SealedValues({}, sealer.seal(values), None)
    paths = secret_paths_of(values, chart_secret_paths)
    plain, secret = split_secrets(values, paths)
    return SealedValues(plain, sealer.seal(secret), paths)
