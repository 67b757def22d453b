"""How the scan step says what the scan policy an install or upgrade carries found: why it blocks (and what
to do), or what it warns about."""

from __future__ import annotations

from typing import Any

from quickon_common.scan_report import described


def refusal(findings: list[dict[str, Any]], *, kind: str, service: str) -> str:
    """Why an operation the policy blocks failed, and what to do about it."""
    severities = sorted({str(f.get("severity")) for f in findings})
    return (
        f"the platform's scan policy blocks {'/'.join(severities)} findings, and the manifests of this {kind} have "
        f"{len(findings)}: {described(findings)}; nothing was changed. Fix the chart or its values so these checks "
        f"pass, or ask a platform admin to {kind} with override_scan_policy=true (see GET /api/v1/services/"
        f"{service}/scan once it runs)"
    )


def warning(findings: list[dict[str, Any]], *, service: str) -> str:
    """The scan step's detail when findings the policy only warns about are there."""
    return (
        f"warning: {len(findings)} finding(s) the scan policy warns about: {described(findings)} "
        f"(GET /api/v1/services/{service}/scan)"
    )
