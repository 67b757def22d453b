"""Rendered manifests as the deployer keeps them: Secret contents replaced by their digests, and the
service's secret values masked wherever else a chart put them (a ConfigMap, an environment variable).

Kept per revision so that an upgrade preview can diff against what runs, without the deployer's
database ever holding a secret in clear; a changed Secret still shows as changed.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from typing import Any

from quickon_common.secret_values import scrubbed

SECRET_FIELDS = ("data", "stringData")


def stored_manifests(manifests: list[dict[str, Any]], *, hidden: Iterable[str] = ()) -> list[dict[str, Any]]:
    """``manifests`` with every Secret's values replaced by ``sha256:<hex>``, and the ``hidden`` values (the
    service's secret ones) masked in every other string."""
    stored = []
    secrets = set(hidden)
    for manifest in manifests:
        manifest = scrubbed(manifest, secrets)
        if manifest.get("kind") == "Secret":
            manifest = copy.deepcopy(manifest)
            for field in SECRET_FIELDS:
                if isinstance(manifest.get(field), dict):
                    manifest[field] = {key: _digest(value) for key, value in manifest[field].items()}
        stored.append(manifest)
    return stored


def _digest(value: Any) -> str:
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()
