"""Secret values at rest and in flight: sealed with Fernet (AES-128-CBC + HMAC) under the platform key.

The gateway seals the secret values of a request (``sealed_values``) with the same key; the
deployer stores them sealed and opens them only to render a chart.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken


class SealError(ValueError):
    """Sealed values that cannot be opened with this platform's key."""


class Sealer:
    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError as error:
            raise SealError(f"the secret key is not a Fernet key (32 url-safe base64 bytes): {error}") from None

    @classmethod
    def from_settings(cls, key: str | None, key_file: Path) -> Sealer:
        """The configured key, else the one kept in ``key_file`` (made on first start, owner-only)."""
        if key:
            return cls(key)
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(Fernet.generate_key())
        return cls(key_file.read_bytes().strip())

    def seal(self, values: dict[str, Any]) -> str | None:
        """``values`` encrypted, or None when there is nothing to hide."""
        if not values:
            return None
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode()

    def open(self, sealed: str | None) -> dict[str, Any]:
        if not sealed:
            return {}
        try:
            opened = json.loads(self._fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError):
            raise SealError("sealed values cannot be opened: they were sealed with another key or altered") from None
        if not isinstance(opened, dict):
            raise SealError("sealed values must be a JSON object")
        return opened


def split_secrets(values: dict[str, Any], secret_paths: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` as (without the secret paths, only the secret paths), both nested like ``values``."""
    plain = json.loads(json.dumps(values))
    secret: dict[str, Any] = {}
    for path in secret_paths:
        *parents, leaf = path.split(".")
        node, target = plain, secret
        for part in parents:
            if not isinstance(node.get(part), dict):
                break
            node, target = node[part], target.setdefault(part, {})
        else:
            if leaf in node:
                target[leaf] = node.pop(leaf)
    return plain, _prune(secret)


def _prune(tree: dict[str, Any]) -> dict[str, Any]:
    """``tree`` without the empty dicts the walk above left where a secret path was not set."""
    pruned: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            value = _prune(value)
            if not value:
                continue
        pruned[key] = value
    return pruned
