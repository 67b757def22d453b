"""Operations as the gateway records them, read for people: what they act on, their steps, outcome."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DONE = frozenset({"succeeded", "failed"})
RESULT_KEYS = (
    "version", "from_version", "to_version", "revision", "to_revision", "volumes_kept", "rolled_back",
    "added", "updated", "removed", "total_versions", "backup_id", "target_service", "size_bytes", "parts",
    "parts_checked", "drilled", "next_run_at", "rule_id", "silence_id",
)  # fmt: skip


def target_of(operation: Mapping[str, Any]) -> dict[str, str]:
    """What the operation acts on: ``{"service", "namespace"}`` or ``{"repository"}``."""
    target = operation.get("target")
    if isinstance(target, Mapping):
        return {str(k): str(v) for k, v in target.items() if v is not None}
    found = {k: str(operation[k]) for k in ("service", "namespace", "repository") if operation.get(k)}
    return found


def title(operation: Mapping[str, Any]) -> str:
    """``install of gitea`` / ``refresh of repository bitnami``."""
    kind = str(operation.get("kind") or "operation")
    target = target_of(operation)
    if "service" in target:
        namespace = target.get("namespace", "default")
        where = "" if namespace == "default" else f" in {namespace}"
        return f"{kind} of {target['service']}{where}"
    if "repository" in target:
        return f"{kind.removesuffix('_repository')} of repository {target['repository']}"
    if "node" in target:
        return f"{kind.removesuffix('_node')} of node {target['node']}"
    if "component" in target:
        return f"{kind.removesuffix('_component')} of component {target['component']}"
    return kind


def steps(operation: Mapping[str, Any]) -> list[tuple[str, str, str | None]]:
    """Each step once, in the order they began, with its latest state and detail (a detail said on the way, such
    as the scan step's warning, stays when the step completes without one)."""
    latest: dict[str, tuple[str, str | None]] = {}
    for entry in operation.get("steps") or []:
        if isinstance(entry, Mapping) and entry.get("step"):
            name, detail = str(entry["step"]), entry.get("detail")
            said = str(detail) if detail else latest.get(name, ("", None))[1]
            latest[name] = (str(entry.get("state") or ""), said)
    return [(name, state, detail) for name, (state, detail) in latest.items()]


def failure(operation: Mapping[str, Any]) -> tuple[str, str | None]:
    """Why the operation failed, and at which step (when known)."""
    error = operation.get("error")
    if isinstance(error, Mapping):
        step = error.get("step")
        return str(error.get("reason") or error.get("detail") or "no reason given"), str(step) if step else None
    if error:
        return str(error), str(operation.get("step")) if operation.get("step") else None
    return "no reason given", None


def result_text(operation: Mapping[str, Any]) -> str:
    """The outcome's main figures: ``version 1.1.0, revision 2``."""
    result = operation.get("result")
    if not isinstance(result, Mapping):
        return ""
    parts = []
    for key in RESULT_KEYS:
        value = result.get(key)
        if value is True:  # a flag: "volumes kept", "rolled back"
            parts.append(key.replace("_", " "))
        elif value not in (None, "", False):
            parts.append(f"{key.replace('_', ' ')} {value}")
    return ", ".join(parts)


def failure_lines(operation: Mapping[str, Any]) -> list[str]:
    """The error lines of a failed operation: reason, failed step, whether it was rolled back."""
    reason, step = failure(operation)
    lines = [f"error: {title(operation)} failed" + (f" at step {step}" if step else "") + f": {reason}"]
    result = operation.get("result")
    if isinstance(result, Mapping) and result.get("rolled_back"):
        lines.append("  the service was rolled back to its previous revision")
    lines.append(f"  details: qc operation {operation.get('operation_id')}")
    return lines


def accepted_text(operation: Mapping[str, Any]) -> str:
    """What a command prints when it does not wait: the operation and how to follow it."""
    op_id = operation.get("operation_id")
    return f"{title(operation).capitalize()} accepted: operation {op_id}\nFollow it with: qc operation {op_id} --wait"
