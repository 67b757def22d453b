"""Real Helm charts and repositories made on the fly for the market tests and benchmark."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "replicaCount": {"type": "integer", "minimum": 0, "description": "pods to run"},
        "admin": {
            "type": "object",
            "properties": {
                "user": {"type": "string"},
                "password": {"type": "string", "format": "password", "x-quickon-secret": True},
            },
        },
        "apiToken": {"type": "string", "writeOnly": True},
    },
}
TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
  labels:
    app.kubernetes.io/name: {{ .Chart.Name }}
data:
  replicas: {{ .Values.replicaCount | quote }}
"""


def changes_annotation(*changes: tuple[str, str]) -> str:
    return yaml.safe_dump([{"kind": kind, "description": text} for kind, text in changes], sort_keys=False)


def chart_tgz(
    name: str,
    version: str,
    *,
    app_version: str = "1.0.0",
    annotations: dict[str, str] | None = None,
    description: str = "A test application",
    keywords: list[str] | None = None,
    values: str = '# pods to run\nreplicaCount: 1\nadmin:\n  user: admin\n  password: ""\napiToken: ""\n',
    template: str = TEMPLATE,
    extra: list[tuple[tarfile.TarInfo, bytes]] | None = None,
    schema: dict[str, Any] | None = None,
) -> bytes:
    """A packaged chart that helm lint accepts (unless told otherwise)."""
    chart = {
        "apiVersion": "v2",
        "name": name,
        "version": version,
        "appVersion": app_version,
        "description": description,
        "type": "application",
        "keywords": keywords or [name, "test"],
        "icon": f"https://example.com/{name}.png",
        "annotations": annotations or {},
    }
    files = {
        "Chart.yaml": yaml.safe_dump(chart, sort_keys=False).encode(),
        "values.yaml": values.encode(),
        "values.schema.json": json.dumps(schema or SCHEMA).encode(),
        "README.md": f"# {name}\n\nVersion {version}.\n".encode(),
        "templates/configmap.yaml": template.encode(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, content in files.items():
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mtime = len(content), 1_700_000_000
            archive.addfile(info, io.BytesIO(content))
        for info, content in extra or []:
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def index_entry(name: str, version: str, data: bytes, *, created: datetime, **chart: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"apiVersion": "v2", "name": name, "version": version, **chart}
    entry.update(
        {"created": created.isoformat(), "digest": hashlib.sha256(data).hexdigest(), "urls": [f"{name}-{version}.tgz"]}
    )
    return entry


def write_repository(directory: Path, charts: list[dict[str, Any]]) -> Path:
    """Write packaged charts and their index.yaml; each item is chart_tgz's keyword arguments."""
    directory.mkdir(parents=True, exist_ok=True)
    entries: dict[str, list[dict[str, Any]]] = {}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for position, spec in enumerate(charts):
        data = chart_tgz(**spec)
        (directory / f"{spec['name']}-{spec['version']}.tgz").write_bytes(data)
        meta = {k: spec[k] for k in ("annotations", "keywords", "description") if k in spec}
        meta["appVersion"] = spec.get("app_version", "1.0.0")
        entries.setdefault(spec["name"], []).append(
            index_entry(spec["name"], spec["version"], data, created=start + timedelta(days=position), **meta)
        )
    (directory / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": entries}, sort_keys=False))
    return directory


CATEGORIES = ("database", "integration-delivery", "monitoring-logging", "storage", "security", "networking")


def big_index_document(
    apps: int, versions: int, *, changed: frozenset[tuple[int, int]] = frozenset()
) -> dict[str, Any]:
    """The document of :func:`big_index`: ``apps * versions`` entries shaped like a large public repository's.

    ``changed`` names (app, version) positions whose entry differs (a new description), for
    incremental syncs.
    """
    entries: dict[str, list[dict[str, Any]]] = {}
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for a in range(apps):
        name = f"app-{a:05d}"
        items = []
        for v in range(versions):
            version = f"{v // 10}.{v % 10}.0"
            note = " (rebuilt)" if (a, v) in changed else ""
            items.append(
                {
                    "apiVersion": "v2",
                    "name": name,
                    "version": version,
                    "appVersion": f"{v}.0",
                    "description": f"Application number {a} for testing the market at scale{note}",
                    "home": f"https://example.com/{name}",
                    "keywords": [name, CATEGORIES[a % len(CATEGORIES)], f"team{a % 50}"],
                    "maintainers": [{"name": "QuickOn", "email": "dev@quickon.io"}],
                    "sources": [f"https://github.com/example/{name}"],
                    "icon": f"https://example.com/{name}.svg",
                    "annotations": {
                        "artifacthub.io/category": CATEGORIES[a % len(CATEGORIES)],
                        "artifacthub.io/changes": f"- kind: added\n  description: feature {v} of {name}\n",
                        "artifacthub.io/license": "Apache-2.0",
                    },
                    "created": (start + timedelta(hours=a * versions + v)).isoformat(),
                    "digest": hashlib.sha256(f"{name}-{version}{note}".encode()).hexdigest(),
                    "urls": [f"charts/{name}-{version}.tgz"],
                }
            )
        entries[name] = items
    return {"apiVersion": "v1", "entries": entries, "generated": start.isoformat()}


# One entry of big_index_document as yaml.dump(..., Dumper=yaml.CSafeDumper) writes it: keys sorted, the
# version-like appVersion and the timestamp quoted, the changes with their line breaks escaped.
_ENTRY = """\
  - annotations:
      artifacthub.io/category: {category}
      artifacthub.io/changes: "- kind: added\\n  description: feature {v} of {name}\\n"
      artifacthub.io/license: Apache-2.0
    apiVersion: v2
    appVersion: '{v}.0'
    created: '{created}'
    description: Application number {a} for testing the market at scale{note}
    digest: {digest}
    home: https://example.com/{name}
    icon: https://example.com/{name}.svg
    keywords:
    - {name}
    - {category}
    - team{team}
    maintainers:
    - email: dev@quickon.io
      name: QuickOn
    name: {name}
    sources:
    - https://github.com/example/{name}
    urls:
    - charts/{name}-{version}.tgz
    version: {version}
"""


@functools.cache  # the SQLite and PostgreSQL runs share them
def big_index(apps: int, versions: int, *, changed: frozenset[tuple[int, int]] = frozenset()) -> bytes:
    """:func:`big_index_document` as the bytes ``yaml.dump`` makes of it, written from a template: PyYAML's
    representer took over ten seconds per 20,000 entries, twice per run (tests/unit/test_big_index.py checks
    that both give the same bytes)."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    parts = ["apiVersion: v1\nentries:\n"]
    for a in range(apps):
        name = f"app-{a:05d}"
        parts.append(f"  {name}:\n")
        for v in range(versions):
            version = f"{v // 10}.{v % 10}.0"
            note = " (rebuilt)" if (a, v) in changed else ""
            parts.append(
                _ENTRY.format(
                    a=a, v=v, name=name, version=version, note=note, team=a % 50,
                    category=CATEGORIES[a % len(CATEGORIES)],
                    created=(start + timedelta(hours=a * versions + v)).isoformat(),
                    digest=hashlib.sha256(f"{name}-{version}{note}".encode()).hexdigest(),
                )
            )  # fmt: skip
    parts.append(f"generated: '{start.isoformat()}'\n")
    return "".join(parts).encode()
