"""The deployer's pure rules (no I/O): valid names, deadlines, the revision a rollback goes back to,
the status a release's health means, the volumes a release's objects claim, and the ids and subjects of
what it asks and tells, and which alerts are about a release."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from quickon_common.names import RELEASE_NAME_MAX, is_dns_label

from .runtime.base import Health

DIGEST = re.compile(r"[0-9a-f]{64}")


class Refused(Exception):
    """A request cannot be accepted; the reason goes into its failure event."""


def name_problem(namespace: str, name: str) -> str | None:
    """Why a service name or namespace is not usable, or None."""
    if not is_dns_label(name, max_length=RELEASE_NAME_MAX):
        return (
            f"{name!r} is not a valid service name: lowercase letters, digits and '-', starting and ending "
            f"with a letter or digit, at most {RELEASE_NAME_MAX} characters"
        )
    if not is_dns_label(namespace):
        return f"{namespace!r} is not a valid namespace: lowercase letters, digits and '-', at most 63 characters"
    return None


def team_problem(*, recorded: str | None, asking: str | None, exists: bool) -> str | None:
    """Why a request of team ``asking`` may not act on a service of team ``recorded``, or None. The gateway
    checked the caller's role; this second check keeps a forged or mistaken request from crossing teams."""
    if asking is None:
        return "the request names no team; requests come from the gateway, which names the service's team"
    if exists and recorded != asking:
        return f"the service belongs to team {recorded!r}, not to {asking!r}, which asked; ask as a member of its team"
    return None


def pin_problem(*, repository: str | None, version: str | None, digest: str | None) -> str | None:
    """Why a request's pin (the package the gateway checked) is not usable, or None (also when unpinned)."""
    if digest is None:
        return None
    if not repository or not version:
        return "a request pinned by its chart's digest must name the repository and version too"
    if not DIGEST.fullmatch(digest):
        return f"{digest!r} is not a chart digest (sha256, 64 lowercase hex digits)"
    return None


def rollback_target(*, name: str, current: int, outcomes: Mapping[int, str], wanted: int | None) -> int:
    """The revision a rollback of ``name`` (running ``current``) goes back to, given each recorded
    revision's outcome: ``wanted``, or the newest earlier one that ran; :class:`Refused` says why not."""
    if wanted is None:
        earlier = [n for n, outcome in outcomes.items() if n < current and outcome == "superseded"]
        if not earlier:
            raise Refused(f"{name} has no earlier revision to roll back to")
        return max(earlier)
    if wanted not in outcomes:
        raise Refused(f"{name} has no revision {wanted}; its revisions are {sorted(outcomes)}")
    if wanted == current:
        raise Refused(f"revision {wanted} is the one {name} runs already")
    if outcomes[wanted] == "failed":
        raise Refused(f"revision {wanted} of {name} failed; pick one that ran")
    return wanted


def observed_status(health: Health) -> tuple[str, str | None]:
    """The status a release's health means for a service that no operation is changing."""
    if not health.exists:
        return "failed", "the release is gone from the cluster"
    if health.stopped:
        return "stopped", None
    if health.ready:
        return "running", None
    return "degraded", health.failure or not_ready(health)


def not_ready(health: Health) -> str:
    """What keeps a release from being ready, in a sentence."""
    if not health.exists:
        return "the release does not exist"
    if health.pending_reason:
        return f"pods cannot be scheduled: {health.pending_reason}"
    waiting = [f"{w.kind}/{w.name} {w.ready}/{w.desired} ready" for w in health.workloads if w.ready < w.desired]
    pods = [f"pod {p.name}: {p.reason}" for p in health.pods if not p.ready and p.reason]
    return "; ".join([*waiting, *pods][:5]) or "not every workload is up to date"


def service_subject(namespace: str, name: str) -> str:
    """The CloudEvents subject of events about one service."""
    return f"services/{namespace}/{name}"


def backup_id_of(operation_id: str) -> str:
    """The pre-upgrade backup's id: the operation's, made a valid backup id."""
    cleaned = "".join(c if c.isalnum() else "-" for c in operation_id.lower()).strip("-")
    return f"pre-upgrade-{cleaned}"[:64].rstrip("-")


def tagged(kind: str, operation_id: str) -> str:
    """The description a deploy of an operation leaves on the release's revision (Helm keeps it), by
    which a step run again recognises its own revision."""
    return f"QuickOn {kind} {operation_id}"


def claims_of(manifests: Iterable[Mapping[str, Any]]) -> list[str]:
    """The PersistentVolumeClaims a release's objects make, sorted: its own claims, and one per StatefulSet
    replica and claim template, named as the StatefulSet controller names them (template-set-ordinal)."""
    claims: set[str] = set()
    for obj in manifests:
        name = (obj.get("metadata") or {}).get("name")
        spec = obj.get("spec") or {}
        if obj.get("kind") == "PersistentVolumeClaim" and name:
            claims.add(name)
        elif obj.get("kind") == "StatefulSet" and name:
            replicas = spec.get("replicas")
            count = replicas if isinstance(replicas, int) else 1  # unset (or null) means one, as the API defaults
            for template in spec.get("volumeClaimTemplates") or []:
                if claim := (template.get("metadata") or {}).get("name"):
                    claims.update(f"{claim}-{name}-{ordinal}" for ordinal in range(count))
    return sorted(claims)


# Labels that name the release an alert's series came from: kube-state-metrics' kube_pod_labels spelling of
# app.kubernetes.io/instance (Helm charts set it to the release), and the label itself as a scrape relabels it.
INSTANCE_LABELS = ("label_app_kubernetes_io_instance", "app_kubernetes_io_instance")


def alert_about(
    *, labels: Mapping[str, str], service: str | None, namespace: str, release: str, release_namespace: str,
    pods: Collection[str],
) -> bool:  # fmt: skip
    """Whether an alert (its ``labels``, and the ``service`` and ``namespace`` the monitor gave it) is about
    the release ``release`` of ``release_namespace``, whose pods are ``pods``: in its namespace, and naming the
    release (as the alert's service, or its instance label) or one of its pods. Pod names alone are not
    compared by prefix: ``cache-2-0`` is not a pod of ``cache``."""
    if labels.get("namespace", namespace) != release_namespace:
        return False
    if release in {service, labels.get("service"), *(labels.get(name) for name in INSTANCE_LABELS)}:
        return True
    return labels.get("pod") in pods
