"""The apps' own metrics on the sim runtime: a pod whose template declares ``quickon.io/metrics: port/path``
is a scrape target, found by Prometheus through the deployer (HTTP service discovery). No application runs
here, so the deployer answers for it: while the pod is ready, a page with the app's start time (what any
prometheus-client application serves); otherwise nothing answers, as a crashed or unready app would not,
and Prometheus' ``up`` for the target drops to 0."""

from __future__ import annotations

from dataclasses import dataclass

from .pods import Pod
from .world import World


@dataclass(frozen=True)
class AppTarget:
    namespace: str
    pod: str
    release: str
    port: int
    path: str


def metrics_endpoint(annotation: str) -> tuple[int, str] | None:
    """``(port, path)`` of a ``port/path`` annotation (the path defaults to /metrics), None when it is not one."""
    port, _, path = annotation.strip().partition("/")
    if not port.isdigit() or not 0 < int(port) < 65536 or any(c.isspace() for c in path):
        return None
    return int(port), "/" + (path or "metrics")


def app_targets(world: World) -> list[AppTarget]:
    """Every pod on a node, not being deleted, that declares a valid metrics endpoint."""
    found = []
    for pod in world.state.pods.values():
        endpoint = metrics_endpoint(pod.spec.metrics) if pod.spec.metrics else None
        if endpoint is not None and pod.node is not None and pod.deleted_at is None:
            found.append(AppTarget(pod.namespace, pod.name, pod.release, *endpoint))
    return sorted(found, key=lambda t: (t.namespace, t.pod))


def app_page(world: World, *, namespace: str, pod: str) -> str | None:
    """What the app in ``pod`` serves at its metrics endpoint; None when nothing answers there."""
    found: Pod | None = world.state.pods.get(f"{namespace}/{pod}")
    if found is None or not found.spec.metrics or not found.ready:
        return None
    started = max((c.started_at or 0.0) for c in found.regular)
    return (
        "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
        "# TYPE process_start_time_seconds gauge\n"
        f"process_start_time_seconds {started}\n"
    )
