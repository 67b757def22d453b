"""Charts to manifests with the real ``helm template``: the floor of every install's latency."""

from __future__ import annotations

import json
import re
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import yaml

from quickon_common.helm import HelmError, run_helm

from ..runtime.sim.manifests import CRDS_DIR_ANNOTATION
from .manifest_yaml import load_all

MESSAGE_MAX = 2000
# helm prints a ``crds/`` file's documents first, under ``# Source: crds/<file>`` (a subchart's too), while
# a template's source is ``<chart>/templates/...`` or ``<chart>/charts/...``: the one trace of where a CRD
# came from. (A chart may be named "crds": its templates are then ``crds/templates/...``.)
DOCUMENT_START = re.compile(r"(?m)^---[ \t]*$")
CRDS_SOURCE = "# Source: crds/"
CRDS_DOCUMENT = re.compile(rf"\A\s*{CRDS_SOURCE}(?!templates/|charts/)")


class RenderFailed(Exception):
    """helm could not render the chart with these values; the message is helm's own."""


async def render(chart: Path, *, release: str, namespace: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects ``helm install`` would create, in helm's order (test hooks included, as helm prints them),
    the CRDs of the charts' ``crds/`` directories first, marked with :data:`CRDS_DIR_ANNOTATION`: helm applies
    those before anything else, never upgrades them and never deletes them."""
    # Values go through a private file, never the command line: they may hold secrets.
    with tempfile.TemporaryDirectory(prefix="qc-render-") as directory:
        values_file = Path(directory) / "values.json"
        values_file.write_text(json.dumps(values))
        try:
            arguments = ["--namespace", namespace, "--values", str(values_file), "--include-crds"]
            result = await run_helm("template", release, str(chart), *arguments)
        except HelmError as error:
            raise RenderFailed(str(error)) from None
    if not result.ok:
        message = result.stderr.strip().replace(str(values_file), "values") or f"helm exited with {result.returncode}"
        raise RenderFailed(f"helm template failed: {message[:MESSAGE_MAX]}")
    crds, templates = _split_crds(result.stdout)
    try:
        documents = [*(_from_crds_dir(d) for d in load_all(crds)), *load_all(templates)]
    except yaml.YAMLError as error:
        raise RenderFailed(f"the chart renders invalid YAML: {error}") from None
    return [document for document in documents if isinstance(document, dict)]


def chart_annotation(chart: Path, key: str) -> str | None:
    """An annotation of the packaged chart's own Chart.yaml (the first top-level one in the archive, as helm
    reads it); None when it has none or the file cannot be read."""
    try:
        with tarfile.open(chart, mode="r:gz") as archive:
            for member in archive:
                if member.isfile() and member.name.count("/") == 1 and member.name.endswith("/Chart.yaml"):
                    handle = archive.extractfile(member)
                    found = yaml.safe_load(handle.read(1 << 20)) if handle is not None else None
                    annotations = found.get("annotations") if isinstance(found, dict) else None
                    value = annotations.get(key) if isinstance(annotations, dict) else None
                    return str(value) if value is not None else None
    except (tarfile.TarError, OSError, yaml.YAMLError):
        return None
    return None


def _split_crds(stream: str) -> tuple[str, str]:
    """The documents of ``crds/`` directories, and the others, each as a YAML stream."""
    if CRDS_SOURCE not in stream:
        return "", stream
    crds: list[str] = []
    templates: list[str] = []
    for document in DOCUMENT_START.split(stream):
        (crds if CRDS_DOCUMENT.match(document) else templates).append(document)
    return "\n---\n".join(crds), "\n---\n".join(templates)


def _from_crds_dir(document: Any) -> Any:
    if isinstance(document, dict) and isinstance(document.get("metadata"), dict):
        metadata = document["metadata"]
        metadata["annotations"] = {**(metadata.get("annotations") or {}), CRDS_DIR_ANNOTATION: "true"}
    return document
