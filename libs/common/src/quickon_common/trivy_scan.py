"""One offline Trivy run over a scan's directory (``manifests/``, one object per file, and for a chart its
``chart/`` files) and its findings as a report (:func:`quickon_common.scan_report.report`).

The market scans a chart for misconfigurations and committed secrets; the deployer scans what it rendered
for a service for misconfigurations only (the user's own Secret values are in those manifests, and a secret
finding there would flag what the user rightly gave).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from .scan_report import MANIFESTS, RenderedObject, report
from .trivy import OFFLINE, TrivyError, run_trivy

MESSAGE_MAX = 2000


async def trivy_report(
    root: Path,
    *,
    objects: list[RenderedObject],
    scanners: tuple[str, ...],
    cache_dir: Path,
    timeout_s: float = 300,
) -> dict[str, Any]:
    """Trivy's findings under ``root`` with ``scanners`` (``misconfig``, ``secret``) as a report;
    :class:`TrivyError` when trivy is missing, fails or is too slow."""
    result = await run_trivy(
        "fs", "--scanners", ",".join(scanners), "--misconfig-scanners", "kubernetes", "--format", "json",
        *OFFLINE, str(root), cache_dir=cache_dir, timeout_s=timeout_s,
    )  # fmt: skip
    if not result.ok:
        raise TrivyError(f"trivy failed: {result.stderr.strip()[-MESSAGE_MAX:] or result.returncode}")
    try:
        parsed = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise TrivyError(f"trivy's output is not JSON ({error})") from None
    return report(parsed, objects=objects)


async def manifests_report(
    root: Path, *, objects: list[RenderedObject], scanners: tuple[str, ...], cache_dir: Path, timeout_s: float = 300
) -> dict[str, Any]:
    """Write ``objects`` under ``root/manifests`` and report what Trivy finds under ``root``."""
    await asyncio.to_thread(write_manifests, root / MANIFESTS, objects)
    return await trivy_report(root, objects=objects, scanners=scanners, cache_dir=cache_dir, timeout_s=timeout_s)


def write_manifests(directory: Path, objects: list[RenderedObject]) -> None:
    """Each rendered object in its own file (the file says which object a finding is about)."""
    directory.mkdir(parents=True, exist_ok=True)
    for obj in objects:
        (directory / obj.file).write_text(obj.text)
