"""The Deployment controller: one replica set per pod template hash; a template change rolls out
within maxSurge/maxUnavailable (RollingUpdate) or replaces every pod at once (Recreate)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from .events import NORMAL
from .names import template_hash
from .objects import StoredObject
from .pods import Pod
from .workload import deletion_order, desired_replicas, pod_spec, pod_template, remove, spawn
from .world import World

DEFAULT_SURGE = "25%"
DEFAULT_UNAVAILABLE = "25%"


def resolve_fenceposts(rolling: Mapping[str, Any] | None, replicas: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) in pods: surge rounds up, unavailability down, as Kubernetes does;
    both zero would stall a rollout, so Kubernetes then allows one unavailable pod."""
    rolling = rolling or {}
    surge = _scaled(rolling.get("maxSurge", DEFAULT_SURGE), replicas, round_up=True)
    unavailable = _scaled(rolling.get("maxUnavailable", DEFAULT_UNAVAILABLE), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _scaled(value: Any, replicas: int, *, round_up: bool) -> int:
    if isinstance(value, str) and value.endswith("%"):
        exact = int(value[:-1]) * replicas / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(value)


def reconcile_deployment(world: World, obj: StoredObject) -> bool:
    """One look by the controller; returns whether it changed anything (then it looks again)."""
    replicas = desired_replicas(obj)
    revision = template_hash(pod_template(obj))
    # Like a ReplicaSet, count only active pods: one Terminating (evicted, deleted) is replaced at once.
    pods = [pod for pod in world.pods_of(obj.key.ref) if pod.deleted_at is None]
    sizes = Counter(pod.revision for pod in pods)
    new = [pod for pod in pods if pod.revision == revision]
    old = [pod for pod in pods if pod.revision != revision]
    strategy = obj.spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        # Every old pod goes first; new ones start only once none is left.
        _scale_down(world, obj, old, sizes)
        if not old:
            _scale_new(world, obj, new, sizes, revision=revision, replicas=replicas, room=replicas)
    else:
        surge, unavailable = resolve_fenceposts(strategy.get("rollingUpdate"), replicas)
        room = replicas + surge - len(pods) if old else replicas
        _scale_new(world, obj, new, sizes, revision=revision, replicas=replicas, room=room)
        if old:
            _scale_down_old(world, obj, new, old, sizes, replicas=replicas, unavailable=unavailable)
    return sizes != Counter(pod.revision for pod in pods)


def _scale_new(
    world: World, obj: StoredObject, new: list[Pod], sizes: Counter[str], *, revision: str, replicas: int, room: int
) -> None:
    surplus = deletion_order(new)[: max(len(new) - replicas, 0)]
    _scale_down(world, obj, surplus, sizes)
    for pod in surplus:
        new.remove(pod)
    count = min(replicas - len(new), room)
    if count <= 0:
        return
    _report(world, obj, revision, sizes[revision], sizes[revision] + count)
    sizes[revision] += count
    spec = pod_spec(obj)
    controller = f"ReplicaSet/{obj.name}-{revision}"
    for _ in range(count):
        name = world.generated_name(obj.namespace, f"{obj.name}-{revision}")
        new.append(spawn(world, obj, controller=controller, name=name, revision=revision, spec=spec))


def _scale_down_old(
    world: World,
    obj: StoredObject,
    new: list[Pod],
    old: list[Pod],
    sizes: Counter[str],
    *,
    replicas: int,
    unavailable: int,
) -> None:
    """Kubernetes' reconcileOldReplicaSets: never let available pods drop below replicas - maxUnavailable."""
    min_available = replicas - unavailable
    new_unavailable = sum(not pod.ready for pod in new)
    budget = len(new) + len(old) - min_available - new_unavailable
    if budget <= 0:
        return
    # Old pods that are not available cost nothing to remove.
    unhealthy = [pod for pod in deletion_order(old) if not pod.ready][:budget]
    _scale_down(world, obj, unhealthy, sizes)
    old = [pod for pod in old if pod not in unhealthy]
    available = sum(pod.ready for pod in [*new, *old])
    first_seen = {pod.revision: pod.serial for pod in reversed(old)}
    oldest_first = sorted(old, key=lambda pod: (first_seen[pod.revision], pod.node is not None, pod.ready, -pod.serial))
    _scale_down(world, obj, oldest_first[: max(available - min_available, 0)], sizes)


def _scale_down(world: World, obj: StoredObject, pods: list[Pod], sizes: Counter[str]) -> None:
    """Delete ``pods``, each replica set's scaling reported before its pods go, as the controllers do."""
    for revision in dict.fromkeys(pod.revision for pod in pods):
        doomed = [pod for pod in pods if pod.revision == revision]
        _report(world, obj, revision, sizes[revision], sizes[revision] - len(doomed))
        sizes[revision] -= len(doomed)
        for pod in doomed:
            remove(world, obj, pod, controller=f"ReplicaSet/{obj.name}-{revision}")


def _report(world: World, obj: StoredObject, revision: str, size: int, target: int) -> None:
    direction = "up" if target > size else "down"
    world.emit(
        namespace=obj.namespace,
        release=obj.release,
        kind=NORMAL,
        reason="ScalingReplicaSet",
        involved=f"Deployment/{obj.name}",
        message=f"Scaled {direction} replica set {obj.name}-{revision} to {target} from {size}",
    )
