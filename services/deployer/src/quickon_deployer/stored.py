"""Rendered manifests as the deployer keeps them: Secret contents replaced by their digests.

Kept per revision so that an upgrade preview can diff against what runs, without the deployer's
database ever holding a secret in clear; a changed secret still shows as changed.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

SECRET_FIELDS = ("data", "stringData")


def stored_manifests(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``manifests`` with every Secret's values replaced by ``sha256:<hex>``."""
    stored = []
    for manifest in manifests:
        if manifest.get("kind") == "Secret":
            manifest = copy.deepcopy(manifest)
            for field in SECRET_FIELDS:
                if isinstance(manifest.get(field), dict):
                    manifest[field] = {key: _digest(value) for key, value in manifest[field].items()}
        stored.append(manifest)
    return stored


def _digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()
