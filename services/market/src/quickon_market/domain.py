"""The market's pure rules: names of its own repositories, what a repository may be called, and
where a dotted path lies in a values tree. No I/O here."""

from __future__ import annotations

from quickon_common.names import is_dns_label

LOCAL_REPOSITORY = "local"  # QuickOn's own repository: charts published through the market
BUILTIN_REPOSITORY = "builtin"  # the catalog shipped with QuickOn


def repository_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a repository, or None when it can (a DNS label: it becomes a subject part)."""
    if is_dns_label(name):
        return None
    return f"{name!r} is not a valid repository name (lowercase letters, digits, '-')"
