"""Pure rules of the scan policy an install or upgrade carries: which findings block it, which are worth a
warning, and how each is said (the check, the object it is about, its severity)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

NAMED_MAX = 5  # findings named in a reason; the rest are counted (the report lists them all)


def of_severities(report: dict[str, Any], severities: Iterable[str]) -> list[dict[str, Any]]:
    """The report's findings whose severity is one of ``severities``."""
    wanted = set(severities)
    return [f for f in report.get("findings") or [] if f.get("severity") in wanted]


def named(findings: list[dict[str, Any]]) -> str:
    """``KSV-0017 Privileged (HIGH) in Deployment/risky; …``: each check, its object and severity."""
    said = [
        f"{f.get('id')} {f.get('title') or ''} ({f.get('severity')}) in {f.get('object_kind')}/{f.get('object_name')}"
        .replace("  ", " ")
        for f in findings[:NAMED_MAX]
    ]  # fmt: skip
    more = len(findings) - NAMED_MAX
    return "; ".join(said) + (f"; and {more} more" if more > 0 else "")


def refusal(findings: list[dict[str, Any]], *, kind: str, service: str) -> str:
    """Why an operation the policy blocks failed, and what to do about it."""
    severities = sorted({str(f.get("severity")) for f in findings})
    return (
        f"the platform's scan policy blocks {'/'.join(severities)} findings, and the manifests of this {kind} have "
        f"{len(findings)}: {named(findings)}; nothing was changed. Fix the chart or its values so these checks "
        f"pass, or ask a platform admin to {kind} with override_scan_policy=true (see GET /api/v1/services/"
        f"{service}/scan once it runs)"
    )


def warning(findings: list[dict[str, Any]], *, service: str) -> str:
    """The scan step's detail when findings the policy only warns about are there."""
    return (
        f"warning: {len(findings)} finding(s) the scan policy warns about: {named(findings)} "
        f"(GET /api/v1/services/{service}/scan)"
    )
