"""Helm through pyhelm3: its command runner with QuickOn's post-renderer, which keeps every claim."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pyhelm3 import Client, Command  # type: ignore[import-untyped]

from quickon_common.helm import HelmError, helm_binary
from quickon_common.telemetry import client_span

from ..base import RuntimeFailure

HELM_GRACE_S = 60.0  # beyond helm's own --timeout, before a helm process is given up (and killed)

# Run by helm after rendering each install and upgrade (``--post-renderer``): only the claims' documents
# are parsed (as the API server reads YAML: manifest_yaml) and re-serialised, every other object reaches the
# cluster exactly as the chart rendered it.
KEEP_CLAIMS_SCRIPT = """
import re, sys, yaml
from quickon_deployer.adapters.manifest_yaml import load
chunks = re.split(r"(?m)^---[ \\t]*$", sys.stdin.read())
for index, chunk in enumerate(chunks):
    try:
        document = load(chunk) if "PersistentVolumeClaim" in chunk else None
    except yaml.YAMLError:
        continue
    if isinstance(document, dict) and document.get("kind") == "PersistentVolumeClaim":
        metadata = document.setdefault("metadata", {})
        metadata["annotations"] = {**(metadata.get("annotations") or {}), "helm.sh/resource-policy": "keep"}
        chunks[index] = "\\n" + yaml.safe_dump(document, sort_keys=False)
sys.stdout.write("---".join(chunks))
"""


class _HelmCommand(Command):  # type: ignore[misc]
    """pyhelm3's command runner, adding QuickOn's post-renderer to every ``helm upgrade --install``."""

    def __init__(self, *, post_renderer: Path, **options: Any) -> None:
        super().__init__(**options)
        self._post_renderer = post_renderer

    async def run(self, command: list[Any], input: bytes | None = None) -> bytes:
        if command[:1] == ["upgrade"]:
            command = [*command, "--post-renderer", str(self._post_renderer)]
        with client_span(f"helm {command[0] if command else ''}".rstrip(), **{"process.executable.name": "helm"}):
            output: bytes = await super().run(command, input)
        return output


def _start_helm(*, kubeconfig: Path | None, context: str | None, helm_timeout_s: float) -> tuple[Client, Command, Path]:
    """The pyhelm3 client and its command runner, and the new working directory holding the post-renderer
    (for ``close`` to delete)."""
    workdir = Path(tempfile.mkdtemp(prefix="qc-helm-"))
    post_renderer = workdir / "keep-claims"
    post_renderer.write_text(f"#!{sys.executable}\n{KEEP_CLAIMS_SCRIPT}")
    post_renderer.chmod(0o700)
    try:
        executable = helm_binary()
        command = _HelmCommand(
            post_renderer=post_renderer,
            executable=executable,
            kubeconfig=kubeconfig,
            kubecontext=context,
            default_timeout=f"{max(1, round(helm_timeout_s))}s",  # helm wants a Go duration, not a number
        )
        helm = Client(command=command, executable=executable)  # runs `helm version` once
    except (HelmError, OSError, subprocess.CalledProcessError, AssertionError) as error:
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeFailure(f"helm: {error}") from None
    return helm, command, workdir
