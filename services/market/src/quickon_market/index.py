"""Reading a Helm repository's ``index.yaml`` strictly: a bad one is refused whole, with the reason.

Pure code: bytes in, chart-version records out. Parsing uses PyYAML's C loader (the same the
benchmark takes as its floor); YAML anchors and aliases are refused, so a "billion laughs"
document is stopped before anything walks its expansion.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import yaml

from . import semver

CHART_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")
DIGEST = re.compile(r"^[0-9a-f]{64}$")
MAX_CHART_NAME = 63

# Chart.yaml fields QuickOn keeps per version; the rest of an entry only feeds the fingerprint.
KEPT_FIELDS = (
    "description", "home", "icon", "keywords", "sources", "maintainers", "annotations",
    "dependencies", "kubeVersion", "deprecated", "type", "appVersion",
)  # fmt: skip


class BadIndex(ValueError):
    """The index cannot be used; the message names where and why."""


@dataclass(frozen=True, slots=True)
class ChartVersion:
    """One chart version as a repository's index describes it."""

    name: str
    version: str
    app_version: str | None
    created: datetime | None
    digest: str
    urls: tuple[str, ...]
    deprecated: bool
    metadata: dict[str, Any]
    fingerprint: str


def parse_index(data: bytes, *, max_bytes: int) -> list[ChartVersion]:
    """Every chart version of an index, or :class:`BadIndex` for the first problem found."""
    if len(data) > max_bytes:
        raise BadIndex(f"index.yaml is {len(data):,} bytes, over the limit of {max_bytes:,}")
    try:
        document = yaml.load(data, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as error:
        raise BadIndex(f"index.yaml is not valid YAML: {_first_line(error)}") from None
    except RecursionError:
        raise BadIndex("index.yaml nests too deeply") from None
    if not isinstance(document, dict):
        raise BadIndex("index.yaml must be a mapping with apiVersion and entries")
    if str(document.get("apiVersion")) != "v1":
        raise BadIndex(f"index.yaml apiVersion must be v1, not {document.get('apiVersion')!r}")
    entries = document.get("entries")
    if not isinstance(entries, dict):
        raise BadIndex("index.yaml has no entries mapping")
    refuse_aliases(entries)
    versions: list[ChartVersion] = []
    seen: set[tuple[str, str]] = set()
    for name, items in entries.items():
        if not isinstance(items, list):
            raise BadIndex(f"entries.{name} must be a list of chart versions")
        for position, entry in enumerate(items):
            record = _chart_version(str(name), entry, f"entries.{name}[{position}]")
            if (record.name, record.version) in seen:
                raise BadIndex(f"entries.{name}[{position}]: version {record.version} is listed twice")
            seen.add((record.name, record.version))
            versions.append(record)
    return versions


def _chart_version(name: str, entry: Any, where: str) -> ChartVersion:
    if not isinstance(entry, dict):
        raise BadIndex(f"{where} must be a mapping")
    if entry.get("name") != name:
        raise BadIndex(f"{where}: name {entry.get('name')!r} does not match its key {name!r}")
    if len(name) > MAX_CHART_NAME or not CHART_NAME.match(name):
        raise BadIndex(f"{where}: {name!r} is not a valid chart name")
    version = entry.get("version")
    if not isinstance(version, str) or not semver.is_valid(version):
        raise BadIndex(f"{where}: version {version!r} is not a semantic version")
    digest = entry.get("digest")
    if not isinstance(digest, str) or not DIGEST.match(digest):
        raise BadIndex(f"{where}: digest must be a sha256 hex string")
    urls = entry.get("urls")
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and u for u in urls):
        raise BadIndex(f"{where}: urls must be a non-empty list of strings")
    annotations = entry.get("annotations") or {}
    if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
        raise BadIndex(f"{where}: annotations must map names to strings")
    app_version = entry.get("appVersion")
    metadata = {key: _jsonable(entry[key]) for key in KEPT_FIELDS if key in entry}
    fingerprint = hashlib.sha256(json.dumps(_jsonable(entry), sort_keys=True).encode()).hexdigest()
    return ChartVersion(
        name=name,
        version=version,
        app_version=str(app_version) if app_version is not None else None,
        created=_timestamp(entry.get("created")),
        digest=digest,
        urls=tuple(urls),
        deprecated=bool(entry.get("deprecated", False)),
        metadata=metadata,
        fingerprint=fingerprint,
    )


def refuse_aliases(root: Any, *, what: str = "index.yaml") -> None:
    """Refuse a document in which one node appears twice: that is what an alias makes.

    The loader builds an alias as a shared reference, cheap in memory; expanding it (as any
    walk or JSON encoding would) is what explodes. Iterative, so depth cannot overflow.
    """
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list):
            if id(node) in seen:
                raise BadIndex(f"{what} uses YAML anchors/aliases, which QuickOn does not accept")
            seen.add(id(node))
            stack.extend(node.values() if isinstance(node, dict) else node)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split())[:300]


def entries_by_app(versions: list[ChartVersion]) -> Iterator[tuple[str, list[ChartVersion]]]:
    """Versions grouped by chart name, newest first."""
    groups: dict[str, list[ChartVersion]] = {}
    for record in versions:
        groups.setdefault(record.name, []).append(record)
    for name, items in groups.items():
        yield name, sorted(items, key=lambda r: semver.version_key(r.version), reverse=True)
