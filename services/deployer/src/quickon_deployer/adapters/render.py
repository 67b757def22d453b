"""Charts to manifests with the real ``helm template``: the floor of every install's latency."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

from quickon_common.helm import HelmError, run_helm

MESSAGE_MAX = 2000
# libyaml's loader when PyYAML has it: parsing helm's output is otherwise a fifth of a render.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RenderFailed(Exception):
    """helm could not render the chart with these values; the message is helm's own."""


async def render(chart: Path, *, release: str, namespace: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects ``helm install`` would create, in helm's order (test hooks included, as helm prints them)."""
    # Values go through a private file, never the command line: they may hold secrets.
    with tempfile.TemporaryDirectory(prefix="qc-render-") as directory:
        values_file = Path(directory) / "values.json"
        values_file.write_text(json.dumps(values))
        try:
            result = await run_helm(
                "template", release, str(chart), "--namespace", namespace, "--values", str(values_file)
            )
        except HelmError as error:
            raise RenderFailed(str(error)) from None
    if not result.ok:
        message = result.stderr.strip().replace(str(values_file), "values") or f"helm exited with {result.returncode}"
        raise RenderFailed(f"helm template failed: {message[:MESSAGE_MAX]}")
    try:
        documents = list(yaml.load_all(result.stdout, Loader=SAFE_LOADER))
    except yaml.YAMLError as error:
        raise RenderFailed(f"the chart renders invalid YAML: {error}") from None
    return [document for document in documents if isinstance(document, dict)]
