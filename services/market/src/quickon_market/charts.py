"""Reading a packaged chart (.tgz) defensively: what is in it, and whether it is a chart at all.

Refused with the reason: not gzip+tar, a path that is absolute or climbs out (``..``), links
or devices, more than one top directory, too many files or too many bytes once unpacked
(checked from the headers before anything is decompressed further), no ``Chart.yaml``.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from quickon_common.secret_values import EVERY, path_of

from . import semver
from .index import CHART_NAME, BadIndex, refuse_aliases

README_LIMIT = 1 << 20


class ChartError(ValueError):
    """Not a usable chart; the message says why."""


@dataclass(frozen=True, slots=True)
class ChartFiles:
    """What QuickOn reads out of a chart."""

    chart: dict[str, Any]
    values_yaml: str
    values: dict[str, Any]
    schema: dict[str, Any] | None
    readme: str | None
    secret_paths: list[str]

    @property
    def name(self) -> str:
        return str(self.chart["name"])

    @property
    def version(self) -> str:
        return str(self.chart["version"])


def read_chart(data: bytes, *, max_files: int = 5000, max_unpacked: int = 50 << 20) -> ChartFiles:
    """The chart in ``data``, or :class:`ChartError` naming the first problem."""
    wanted = {"Chart.yaml", "values.yaml", "values.schema.json", "README.md"}
    found: dict[str, bytes] = {}
    top: str | None = None
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            unpacked = 0
            for count, member in enumerate(archive, start=1):
                unpacked += max(member.size, 0)
                if count > max_files:
                    raise ChartError(f"more than {max_files} files")
                if unpacked > max_unpacked:
                    raise ChartError(f"unpacks to more than {max_unpacked:,} bytes")
                name = _safe_name(member)
                head, _, rest = name.partition("/")
                if top is None:
                    top = head
                elif head != top:
                    raise ChartError(f"more than one top directory ({top!r} and {head!r})")
                if member.isfile() and rest in wanted:
                    handle = archive.extractfile(member)
                    content = handle.read(README_LIMIT + 1) if handle else b""
                    if len(content) > README_LIMIT:
                        raise ChartError(f"{name} is larger than {README_LIMIT:,} bytes")
                    found[rest] = content
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        if isinstance(error, ChartError):
            raise
        raise ChartError(f"not a gzip-compressed tar archive: {error}") from None
    if top is None or "Chart.yaml" not in found:
        raise ChartError("not a Helm chart: no Chart.yaml in its top directory")
    chart = _load_yaml(found["Chart.yaml"], "Chart.yaml")
    _check_chart_yaml(chart, top)
    values_yaml = found.get("values.yaml", b"").decode(errors="replace")
    values = _load_yaml(found["values.yaml"], "values.yaml") if "values.yaml" in found else {}
    schema = _load_schema(found["values.schema.json"]) if "values.schema.json" in found else None
    readme = found["README.md"].decode(errors="replace") if "README.md" in found else None
    return ChartFiles(chart, values_yaml, values or {}, schema, readme, secret_paths(schema) if schema else [])


def _safe_name(member: tarfile.TarInfo) -> str:
    if not (member.isfile() or member.isdir()):
        raise ChartError(f"{member.name} is a link or device; a chart holds only files and directories")
    name = member.name
    normal = posixpath.normpath(name)
    if name.startswith("/") or normal.startswith("..") or "/../" in f"/{name}/":
        raise ChartError(f"{name} points outside the chart directory")
    return normal


def _load_yaml(content: bytes, what: str) -> dict[str, Any]:
    try:
        value = yaml.load(content, Loader=yaml.CSafeLoader)
        refuse_aliases(value, what=what)
    except yaml.YAMLError as error:
        raise ChartError(f"{what} is not valid YAML: {' '.join(str(error).split())[:200]}") from None
    except BadIndex as error:
        raise ChartError(str(error)) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ChartError(f"{what} must be a mapping")
    return value


def _check_chart_yaml(chart: dict[str, Any], top: str) -> None:
    if chart.get("apiVersion") not in ("v1", "v2"):
        raise ChartError(f"Chart.yaml apiVersion must be v1 or v2, not {chart.get('apiVersion')!r}")
    name, version = chart.get("name"), chart.get("version")
    if not isinstance(name, str) or not CHART_NAME.match(name):
        raise ChartError(f"Chart.yaml name {name!r} is not a valid chart name")
    if name != top:
        raise ChartError(f"Chart.yaml name {name!r} does not match its directory {top!r}")
    if not isinstance(version, str) or not semver.is_valid(version):
        raise ChartError(f"Chart.yaml version {version!r} is not a semantic version")


def _load_schema(content: bytes) -> dict[str, Any]:
    try:
        schema = json.loads(content)
    except ValueError as error:
        raise ChartError(f"values.schema.json is not valid JSON: {error}") from None
    if not isinstance(schema, dict):
        raise ChartError("values.schema.json must be a JSON object")
    return schema


def is_secret(schema: dict[str, Any]) -> bool:
    """Whether a schema node marks its value secret (QuickOn's flag, or password/writeOnly)."""
    return bool(schema.get("x-quickon-secret") or schema.get("format") == "password" or schema.get("writeOnly"))


def secret_paths(schema: dict[str, Any], prefix: Sequence[str] = ()) -> list[str]:
    """Patterns of the paths of the values a schema marks secret, e.g. ``admin.password``; inside a list's
    ``items``, ``[*]`` stands for every item (``users[*].password``), as ``quickon_common.secret_values`` reads."""
    paths = []
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for key, node in properties.items():
            if isinstance(node, dict):
                paths.extend(_secret_paths_at(node, [*prefix, str(key)]))
    return paths


def _secret_paths_at(node: dict[str, Any], parts: list[str]) -> list[str]:
    if is_secret(node):
        return [path_of(parts)]
    items = node.get("items")
    inside = _secret_paths_at(items, [*parts, EVERY]) if isinstance(items, dict) else []
    return [*inside, *secret_paths(node, parts)]
