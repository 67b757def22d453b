"""Ordering chart versions the way Helm does (semantic versions, tolerant of a leading v)."""

from __future__ import annotations

import re
from functools import lru_cache

_SEMVER = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")

# Sorts (major, minor, patch, release-after-prerelease, prerelease identifiers).
VersionKey = tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]


@lru_cache(maxsize=65536)
def version_key(version: str) -> VersionKey:
    """A sort key: 1.2.0-rc.1 < 1.2.0 < 1.10.0; an unparsable version sorts first."""
    match = _SEMVER.match(version.strip())
    if not match:
        return (-1, -1, -1, 0, ((1, version),))
    major, minor, patch, pre = match.groups()
    identifiers: tuple[tuple[int, int | str], ...] = ()
    if pre:
        identifiers = tuple((0, int(part)) if part.isdigit() else (1, part) for part in pre.split("."))
    return (int(major), int(minor or 0), int(patch or 0), 0 if pre else 1, identifiers)


def is_valid(version: str) -> bool:
    """Whether ``version`` is a semantic version Helm accepts."""
    return _SEMVER.match(version.strip()) is not None


def is_prerelease(version: str) -> bool:
    """Whether ``version`` carries a pre-release part (1.0.0-rc.1)."""
    return version_key(version)[3] == 0 and is_valid(version)


def major(version: str) -> int:
    """The major number (0 when unparsable)."""
    return max(version_key(version)[0], 0)
