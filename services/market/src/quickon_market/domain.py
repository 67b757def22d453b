"""The market's pure rules: names of its own repositories, what a repository may be called, and
where a dotted path lies in a values tree. No I/O here."""

from __future__ import annotations

import re
from typing import Any

LOCAL_REPOSITORY = "local"  # QuickOn's own repository: charts published through the market
BUILTIN_REPOSITORY = "builtin"  # the catalog shipped with QuickOn
REPOSITORY_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def repository_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a repository, or None when it can (a DNS label: it becomes a subject part)."""
    if REPOSITORY_NAME.match(name):
        return None
    return f"{name!r} is not a valid repository name (lowercase letters, digits, '-')"


def has_path(tree: dict[str, Any], dotted: str) -> bool:
    """Whether the values ``tree`` holds the dotted path ``a.b.c``."""
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
