"""What an upgrade would change, worked out before anything is applied: the values Helm would use,
how they differ from today's, and how the rendered objects differ. Pure: no I/O, no cluster.

Secrets never leave through a preview: values under a chart's secret paths and the contents of
``Secret`` objects are compared but only ever reported as changed, never shown.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from collections.abc import Iterable
from typing import Any

import yaml

from quickon_common.secret_values import path_of, scrub

REDACTED = "***redacted***"
SECRET_HIDDEN = "(Secret: contents hidden)"
MAX_PATHS = 50
MAX_DIFF_LINES = 200


def values_diff(
    before: dict[str, Any], after: dict[str, Any], *, secret_paths: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Each dotted path (lists are leaves) whose value differs, sorted by path, as
    ``{"path", "change": "added" | "removed" | "changed", "before", "after"}``; the side a value is
    missing from is ``None``. Values at or under a secret path show as ``REDACTED``."""
    secrets = tuple(secret_paths)
    old, new = _flatten(before), _flatten(after)
    changes: list[dict[str, Any]] = []
    for path in sorted(old.keys() | new.keys()):
        if path in old and path in new and _same(old[path], new[path]):
            continue
        change = "added" if path not in old else "removed" if path not in new else "changed"
        hidden = _is_secret(path, secrets)
        changes.append(
            {"path": path, "change": change, "before": _shown(old, path, hidden), "after": _shown(new, path, hidden)}
        )
    return changes


def manifest_diff(
    before: list[dict[str, Any]], after: list[dict[str, Any]], *, hidden: Iterable[str] = ()
) -> dict[str, Any]:
    """How the rendered objects change, keyed ``Kind/namespace/name`` (``Kind/name`` without a
    namespace): ``{"added": [keys], "removed": [keys], "changed": [{"object", "paths", "diff"}],
    "unchanged": count}``. ``paths`` are the differing dotted paths (lists compared whole, at most
    ``MAX_PATHS``); ``diff`` is a unified diff of the two objects as YAML, at most ``MAX_DIFF_LINES``
    lines, or ``SECRET_HIDDEN`` for a Secret; the ``hidden`` values (secret ones) never show in it.
    :class:`ValueError` if one side names an object twice."""
    old, new = _by_key(before), _by_key(after)
    secrets = set(hidden)
    changed: list[dict[str, Any]] = []
    unchanged = 0
    for key in sorted(old.keys() & new.keys()):
        paths = [d["path"] for d in values_diff(old[key], new[key])]
        if not paths:
            unchanged += 1
            continue
        secret = old[key].get("kind") == "Secret" or new[key].get("kind") == "Secret"
        text = SECRET_HIDDEN if secret else scrub(_unified(key, old[key], new[key]), secrets)
        changed.append({"object": key, "paths": paths[:MAX_PATHS], "diff": text})
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "changed": changed,
        "unchanged": unchanged,
    }


def manifest_digest(manifests: list[dict[str, Any]]) -> str:
    """A sha256 (hex) of the objects that does not depend on their order, so that a plan's rendered
    manifests can be checked for being exactly what was previewed."""
    # Ties broken by content as well, so even a list naming one object twice hashes order-free.
    ordered = sorted(manifests, key=lambda m: (object_key(m), _canonical(m)))
    return hashlib.sha256(_canonical(ordered).encode()).hexdigest()


def object_key(manifest: dict[str, Any]) -> str:
    """``Kind/namespace/name``, or ``Kind/name`` for an object without a namespace."""
    metadata = manifest.get("metadata") or {}
    kind, namespace, name = manifest.get("kind", ""), metadata.get("namespace"), metadata.get("name", "")
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def _flatten(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    # Paths spelt as secret paths are (a key with dots quoted), so that each is compared with them as it is.
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        parts = (*prefix, str(key))
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, parts))
        else:
            flat[path_of(parts)] = value  # an empty map is a value too: {} -> absent is a change
    return flat


def _shown(flat: dict[str, Any], path: str, hidden: bool) -> Any:
    if path not in flat:
        return None
    return REDACTED if hidden else copy.deepcopy(flat[path])


def _is_secret(path: str, secrets: tuple[str, ...]) -> bool:
    # Also when the path is above a secret one: a leaf there (a list, a string replacing the map)
    # may hold the secret itself; lists are leaves here, so ``users`` holds ``users[0].password``.
    return any(
        path == s or path.startswith(f"{s}.") or s.startswith(f"{path}.") or s.startswith(f"{path}[") for s in secrets
    )


def _same(a: Any, b: Any) -> bool:
    # Through JSON rather than ==, which holds 1 == 1.0 == True; templates tell those apart.
    return _canonical(a) == _canonical(b)


def _canonical(value: Any) -> str:
    # default=str: YAML may have given dates, which JSON has no type for.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _by_key(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    objects: dict[str, dict[str, Any]] = {}
    for manifest in manifests:
        key = object_key(manifest)
        if key in objects:
            raise ValueError(f"{key} appears twice in the rendered manifests")
        objects[key] = manifest
    return objects


def _unified(key: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    lines = list(
        difflib.unified_diff(
            yaml.safe_dump(before, sort_keys=True).splitlines(),
            yaml.safe_dump(after, sort_keys=True).splitlines(),
            fromfile=f"{key} (installed)",
            tofile=f"{key} (upgrade)",
            lineterm="",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[: MAX_DIFF_LINES - 1], f"... {len(lines) - MAX_DIFF_LINES + 1} more lines"]
    return "\n".join(lines)
