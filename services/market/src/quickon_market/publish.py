"""Publishing a chart into QuickOn's own repository: checked, linted by the real helm, indexed."""

from __future__ import annotations

import asyncio
import hashlib
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from quickon_common.files import write_atomically
from quickon_common.helm import run_helm

from .charts import ChartError, ChartFiles, read_chart
from .settings import MarketSettings

INDEX_FIELDS = (
    "name", "version", "appVersion", "description", "home", "icon", "keywords", "sources",
    "maintainers", "annotations", "dependencies", "kubeVersion", "deprecated", "type", "apiVersion",
)  # fmt: skip
LINT_LINE = re.compile(r"^\[(ERROR|WARNING)\]\s*(.*)$")


class PublishRefused(Exception):
    """The chart is not accepted; ``messages`` are what the checks or the linter said."""

    def __init__(self, reason: str, messages: list[str] | None = None, *, status: int = 422) -> None:
        super().__init__(reason)
        self.reason = reason
        self.messages = messages or []
        self.status = status


async def publish_chart(data: bytes, *, directory: Path, settings: MarketSettings) -> tuple[ChartFiles, str]:
    """Check, lint and store ``data`` in ``directory`` with an updated index.yaml.

    Returns the chart and its digest. Publishing the very same bytes again is accepted;
    other bytes under a version already published are refused.
    """
    if len(data) > settings.max_chart_bytes:
        raise PublishRefused(f"the chart is {len(data):,} bytes; the limit is {settings.max_chart_bytes:,}", status=413)
    try:
        files = read_chart(data, max_files=settings.max_chart_files, max_unpacked=settings.max_unpacked_bytes)
    except ChartError as error:
        raise PublishRefused(f"not accepted: {error}") from None
    digest = hashlib.sha256(data).hexdigest()
    target = directory / f"{files.name}-{files.version}.tgz"
    if target.exists():
        existing = hashlib.sha256(await asyncio.to_thread(target.read_bytes)).hexdigest()
        if existing == digest:
            return files, digest
        raise PublishRefused(
            f"{files.name} {files.version} is already published with other contents; bump the chart version", status=409
        )
    await _lint(data, files)
    await asyncio.to_thread(_store, directory, target, data, files, digest)
    return files, digest


async def _lint(data: bytes, files: ChartFiles) -> None:
    with tempfile.TemporaryDirectory(prefix="qc-publish-") as workdir:
        package = Path(workdir) / f"{files.name}-{files.version}.tgz"
        package.write_bytes(data)
        result = await run_helm("lint", "--strict", str(package), timeout_s=120)
    if not result.ok:
        output = (result.stdout + "\n" + result.stderr).splitlines()
        messages = [f"{m[1]}: {m[2]}" for line in output if (m := LINT_LINE.match(line.strip()))]
        messages = messages or [line for line in output if line.strip()][-10:]
        raise PublishRefused(f"helm lint refused {files.name} {files.version}", messages)


def _store(directory: Path, target: Path, data: bytes, files: ChartFiles, digest: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    index_path = directory / "index.yaml"
    index: dict[str, Any] = {"apiVersion": "v1", "entries": {}}
    if index_path.exists():
        index = yaml.load(index_path.read_bytes(), Loader=yaml.CSafeLoader) or index
    entry = {key: files.chart[key] for key in INDEX_FIELDS if key in files.chart}
    entry.update({"created": datetime.now(UTC).isoformat(), "digest": digest, "urls": [target.name]})
    versions = [e for e in index["entries"].get(files.name, []) if e.get("version") != files.version]
    index["entries"][files.name] = [entry, *versions]
    index["generated"] = datetime.now(UTC).isoformat()
    write_atomically(target, data)  # the package first: an index never names a file that is not there
    write_atomically(index_path, yaml.dump(index, Dumper=yaml.CSafeDumper, sort_keys=False).encode())
