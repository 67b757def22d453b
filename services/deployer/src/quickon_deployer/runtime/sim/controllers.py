"""The controllers of StatefulSets, DaemonSets, Jobs and bare Pods, and the dispatch by kind
(Deployments have their own module)."""

from __future__ import annotations

import math
from typing import Any

from .deployments import reconcile_deployment
from .events import NORMAL
from .names import template_hash
from .objects import StoredObject
from .pods import Pod
from .podspec import read_pod_template
from .workload import desired_replicas, pod_spec, pod_template, remove, spawn
from .world import World

POD_OWNING_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"}


def reconcile(world: World, obj: StoredObject) -> bool:
    """Let the controller of ``obj``'s kind look at it once; returns whether it changed anything."""
    if obj.kind == "Deployment":
        return reconcile_deployment(world, obj)
    if obj.kind == "StatefulSet":
        return _statefulset(world, obj)
    if obj.kind == "DaemonSet":
        return _daemonset(world, obj)
    if obj.kind == "Job":
        return _job(world, obj)
    if obj.kind == "Pod":
        return _bare_pod(world, obj)
    return False


def claim_templates(obj: StoredObject) -> list[tuple[str, str]]:
    """A StatefulSet's (claim template name, requested size) pairs."""
    templates: list[dict[str, Any]] = obj.spec.get("volumeClaimTemplates") or []
    return [(t["metadata"]["name"], str(t["spec"]["resources"]["requests"]["storage"])) for t in templates]


def _statefulset(world: World, obj: StoredObject) -> bool:
    """Pods <name>-0..N-1 with stable claims; OrderedReady creates N+1 only once N is Ready; a rolling
    update replaces the highest ordinal first, one at a time, each once all pods are Ready."""
    replicas, revision = desired_replicas(obj), template_hash(pod_template(obj))
    controller = f"StatefulSet/{obj.name}"
    by_ordinal = {pod.ordinal: pod for pod in world.pods_of(obj.key.ref)}
    condemned = [o for o in by_ordinal if o is not None and o >= replicas]
    if condemned:  # one at a time, highest ordinal first (deletion is immediate, so all go in this instant)
        remove(world, obj, by_ordinal[max(condemned)], controller=controller)
        return True
    ordered = obj.spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
    created = False
    for ordinal in range(replicas):
        pod = by_ordinal.get(ordinal)
        if pod is None:
            _create_member(world, obj, ordinal=ordinal, revision=revision)
            created = True
            if ordered:
                return True
        elif ordered and not pod.ready:
            return created
    if created:
        return True
    strategy = obj.spec.get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate" or not all(p.ready for p in by_ordinal.values()):
        return False
    partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0))
    stale = [o for o, pod in by_ordinal.items() if o is not None and o >= partition and pod.revision != revision]
    if stale:
        remove(world, obj, by_ordinal[max(stale)], controller=controller)
        return True
    return False


def _create_member(world: World, obj: StoredObject, *, ordinal: int, revision: str) -> Pod:
    claims = {}
    for template, size in claim_templates(obj):
        name = f"{template}-{obj.name}-{ordinal}"
        if f"{obj.namespace}/{name}" not in world.state.claims:
            message = f"create Claim {name} Pod {obj.name}-{ordinal} in StatefulSet {obj.name} success"
            world.emit(
                namespace=obj.namespace, release=obj.release, kind=NORMAL, reason="SuccessfulCreate",
                involved=f"StatefulSet/{obj.name}", message=message,
            )  # fmt: skip
        world.ensure_claim(namespace=obj.namespace, name=name, release=obj.release, size=size, owner=obj.key.ref)
        claims[template] = name
    spec = pod_spec(obj, claim_volumes=claims)
    name = f"{obj.name}-{ordinal}"
    return spawn(
        world, obj, controller=f"StatefulSet/{obj.name}", name=name, revision=revision, spec=spec, ordinal=ordinal
    )


def _daemonset(world: World, obj: StoredObject) -> bool:
    """One pod on each node its node selector admits; an update replaces at most maxUnavailable at a time."""
    revision, controller = template_hash(pod_template(obj)), f"DaemonSet/{obj.name}"
    spec = pod_spec(obj)
    eligible = [n.name for n in world.nodes if all(n.labels.get(k) == v for k, v in spec.node_selector.items())]
    changed = False
    by_node: dict[str, Pod] = {}
    for pod in world.pods_of(obj.key.ref):
        if pod.target_node not in eligible or pod.target_node in by_node:
            remove(world, obj, pod, controller=controller)
            changed = True
        elif pod.target_node is not None:
            by_node[pod.target_node] = pod
    for node in eligible:
        if node not in by_node:
            name = world.generated_name(obj.namespace, obj.name)
            by_node[node] = spawn(
                world, obj, controller=controller, name=name, revision=revision, spec=spec, target_node=node
            )
            changed = True
    strategy = obj.spec.get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return changed
    rolling = strategy.get("rollingUpdate") or {}
    budget = _scaled_up(rolling.get("maxUnavailable", 1), len(eligible)) or 1
    unavailable = sum(not pod.ready for pod in by_node.values())
    for node in eligible:
        pod = by_node[node]
        if pod.revision != revision and (not pod.ready or unavailable < budget):
            unavailable += pod.ready
            remove(world, obj, pod, controller=controller)
            changed = True
    return changed


def _scaled_up(value: Any, total: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * total / 100)
    return int(value)


def _job(world: World, obj: StoredObject) -> bool:
    """One pod run to completion; a changed template runs again (as a Helm hook re-created would)."""
    revision, controller = template_hash(pod_template(obj)), f"Job/{obj.name}"
    state = world.workload(obj.key.ref)
    pods = world.pods_of(obj.key.ref)
    stale = [pod for pod in pods if pod.revision != revision]
    for pod in stale:
        remove(world, obj, pod, controller=controller)
    current = [pod for pod in pods if pod.revision == revision]
    if not current and state.completed_revision != revision:
        name = world.generated_name(obj.namespace, obj.name)
        spec = pod_spec(obj, job_run_s=world.config.job_run_s)
        spawn(world, obj, controller=controller, name=name, revision=revision, spec=spec)
        return True
    if current and current[0].succeeded and state.completed_revision != revision:
        state.completed_revision = revision
        world.emit(
            namespace=obj.namespace, release=obj.release, kind=NORMAL, reason="Completed", involved=controller,
            message="Job completed",
        )  # fmt: skip
        return True
    return bool(stale)


def _bare_pod(world: World, obj: StoredObject) -> bool:
    """A Pod in the chart itself: replaced when its spec changes (the API server would refuse the update)."""
    template = {"metadata": obj.live.get("metadata") or {}, "spec": obj.spec}
    revision = template_hash(template)
    existing = world.state.pods.get(f"{obj.namespace}/{obj.name}")
    if existing is not None and existing.revision == revision:
        return False
    if existing is not None:
        world.delete_pod(existing)
    spec = read_pod_template(template, path="pod")
    world.create_pod(owner=obj, name=obj.name, revision=revision, spec=spec)
    return True
