"""One chart's security scan with the real tools: ``helm template`` with its default values, then one
offline ``trivy fs`` run over the rendered objects (Kubernetes misconfiguration checks) and the chart's
own files (committed secrets).

One Trivy run for both, not ``trivy config`` plus a secret scan: Trivy's start (loading its embedded
checks) is most of a scan's time, so a second run would almost double it.
"""

from __future__ import annotations

import asyncio
import io
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from quickon_common.helm import HelmError, run_helm
from quickon_common.scan_report import CHART, split_manifests
from quickon_common.trivy import TrivyError
from quickon_common.trivy_scan import MESSAGE_MAX, manifests_report


class ChartNotScannable(Exception):
    """The chart itself cannot be rendered: a finding about the chart, kept like a report (its digest
    will not render any better next time)."""


async def scan_package(data: bytes, *, release: str, cache_dir: Path, timeout_s: float = 300) -> dict[str, Any]:
    """The report of the packaged chart ``data`` (see :func:`quickon_common.scan_report.report`).

    :class:`ChartNotScannable` when helm cannot render it; :class:`TrivyError` or :class:`HelmError` when a
    tool is missing or too slow (the chart's fault or not: not kept)."""
    with tempfile.TemporaryDirectory(prefix="qc-scan-") as workdir:
        root = Path(workdir)
        chart = await asyncio.to_thread(_unpack, data, root)
        rendered = await run_helm("template", release, str(chart), timeout_s=timeout_s)
        if not rendered.ok:
            message = rendered.stderr.strip().replace(workdir, "") or f"helm exited with {rendered.returncode}"
            raise ChartNotScannable(f"helm template failed with the default values: {message[:MESSAGE_MAX]}")
        return await manifests_report(
            root, objects=split_manifests(rendered.stdout), scanners=("misconfig", "secret"), cache_dir=cache_dir,
            timeout_s=timeout_s,
        )  # fmt: skip


def _unpack(data: bytes, root: Path) -> Path:
    """The chart's files under ``root/chart``. The package was read and checked already (ChartStore or
    publishing refused links, climbing paths and oversize); the data filter refuses them again."""
    unpacked = root / "unpacked"
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(unpacked, filter="data")
    tops = [path for path in unpacked.iterdir() if path.is_dir()]
    if len(tops) != 1:
        raise ChartNotScannable("the package does not hold exactly one chart directory")
    return tops[0].rename(root / CHART)


__all__ = ["ChartNotScannable", "HelmError", "TrivyError", "scan_package"]
