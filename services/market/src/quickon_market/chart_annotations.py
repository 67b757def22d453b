"""Chart.yaml annotations: Artifact Hub's conventions and QuickOn's own ``quickon.io/*``.

Read when a query needs them (not during a sync): list-valued annotations are YAML
strings, and parsing tens of thousands of them up front would only slow the sync down.
A malformed annotation reads as absent; it never breaks the catalog.
"""

from __future__ import annotations

from typing import Any

import yaml

CHANGE_KINDS = ("added", "changed", "deprecated", "removed", "fixed", "security")


def _yaml_items(annotations: dict[str, str], key: str) -> list[Any]:
    """A list-valued annotation's items; absent or malformed reads as empty."""
    raw = annotations.get(key)
    if not raw:
        return []
    try:
        value = yaml.load(raw, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return []
    return value if isinstance(value, list) else []


def _yaml_list(annotations: dict[str, str], key: str) -> list[dict[str, Any]]:
    return [item for item in _yaml_items(annotations, key) if isinstance(item, dict)]


def _flag(annotations: dict[str, str], key: str) -> bool:
    return annotations.get(key, "").strip().lower() == "true"


def changes(annotations: dict[str, str]) -> list[dict[str, Any]]:
    """``artifacthub.io/changes`` as ``{kind, description, links}``; plain strings count as changed."""
    result: list[dict[str, Any]] = []
    for item in _yaml_items(annotations, "artifacthub.io/changes"):
        if isinstance(item, str):
            result.append({"kind": "changed", "description": item, "links": []})
        elif isinstance(item, dict) and item.get("description"):
            kind = str(item.get("kind", "changed")).lower()
            links = [link for link in item.get("links") or [] if isinstance(link, dict)]
            result.append(
                {
                    "kind": kind if kind in CHANGE_KINDS else "changed",
                    "description": str(item["description"]),
                    "links": links,
                }
            )
    return result


def details(annotations: dict[str, str]) -> dict[str, Any]:
    """Everything QuickOn shows about a version from its annotations."""
    return {
        "changes": changes(annotations),
        "category": annotations.get("artifacthub.io/category"),
        "images": _yaml_list(annotations, "artifacthub.io/images"),
        "links": _yaml_list(annotations, "artifacthub.io/links"),
        "license": annotations.get("artifacthub.io/license"),
        "prerelease": _flag(annotations, "artifacthub.io/prerelease"),
        "contains_security_updates": _flag(annotations, "artifacthub.io/containsSecurityUpdates"),
        "breaking": _flag(annotations, "quickon.io/breaking"),
        "title": annotations.get("quickon.io/title"),
        "min_resources": {
            "cpu": annotations.get("quickon.io/min-cpu"),
            "memory": annotations.get("quickon.io/min-memory"),
        },
        "backup": annotations.get("quickon.io/backup"),
    }
