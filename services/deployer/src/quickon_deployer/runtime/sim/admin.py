"""Operations on a running release outside Helm: scale, stop/start, rolling restart, and injecting
or clearing failures. Each is a change to live objects that a later Helm upgrade keeps (see objects)."""

from __future__ import annotations

from datetime import UTC, datetime

from .controllers import POD_OWNING_KINDS
from .failures import Failure
from .kubelet import change_failure
from .names import template_hash
from .objects import (
    REPLICAS,
    REPLICAS_BEFORE_STOP,
    RESTARTED_AT,
    STOPPED_NODE_SELECTOR,
    StoredObject,
    get,
)
from .releases import release_objects
from .workload import desired_replicas, pod_template, remove
from .world import World

SCALABLE = {"Deployment", "StatefulSet"}
RESTARTABLE = {"Deployment", "StatefulSet", "DaemonSet"}


class NotFoundError(LookupError):
    """No such release, object, pod or claim."""


def find_workload(world: World, *, namespace: str, release: str, kind: str, name: str) -> StoredObject:
    for obj in release_objects(world, namespace, release):
        if (obj.kind, obj.name) == (kind, name):
            return obj
    raise NotFoundError(f"release {namespace}/{release} has no {kind}/{name}")


def scale(world: World, obj: StoredObject, replicas: int) -> None:
    """``kubectl scale``: set the live replica count."""
    if obj.kind not in SCALABLE:
        raise ValueError(f"{obj.kind}/{obj.name} cannot be scaled (only {', '.join(sorted(SCALABLE))})")
    if replicas < 0:
        raise ValueError(f"replicas must not be negative (got {replicas})")
    _changed(world, obj, obj.patch(REPLICAS, replicas))


def stop(world: World, *, namespace: str, release: str) -> None:
    """Scale every Deployment and StatefulSet to 0, remembering the replicas to restore; a DaemonSet
    gets a node selector no node has. Volumes stay."""
    for obj in release_objects(world, namespace, release):
        if obj.kind in SCALABLE:
            if not isinstance(get(obj.live, REPLICAS_BEFORE_STOP), str):  # a second stop keeps the first count
                obj.patch(REPLICAS_BEFORE_STOP, str(desired_replicas(obj)))
            _changed(world, obj, obj.patch(REPLICAS, 0))
        elif obj.kind == "DaemonSet":
            _changed(world, obj, obj.patch(STOPPED_NODE_SELECTOR, "true"))


def start(world: World, *, namespace: str, release: str) -> None:
    """Undo :func:`stop`: the replicas from before it (or the chart's), DaemonSets on every node again."""
    for obj in release_objects(world, namespace, release):
        if obj.kind in SCALABLE and isinstance(before := get(obj.live, REPLICAS_BEFORE_STOP), str):
            obj.unpatch(REPLICAS_BEFORE_STOP)
            chart_replicas = get(obj.applied, REPLICAS)
            if int(before) == (chart_replicas if isinstance(chart_replicas, int) else 1):
                _changed(world, obj, obj.unpatch(REPLICAS))  # the chart's own value again: upgrades may change it
            else:
                _changed(world, obj, obj.patch(REPLICAS, int(before)))
        elif obj.kind == "DaemonSet":
            _changed(world, obj, obj.unpatch(STOPPED_NODE_SELECTOR))


def restart(world: World, objects: list[StoredObject]) -> None:
    """``kubectl rollout restart``: a new restartedAt annotation on each pod template rolls its pods."""
    stamp = datetime.fromtimestamp(world.now, UTC).isoformat()
    for obj in objects:
        if obj.kind in RESTARTABLE:
            _changed(world, obj, obj.patch(RESTARTED_AT, stamp))


def delete_stale_pods(world: World, objects: list[StoredObject]) -> list[str]:
    """Delete the pods that are not ready and were made from an older pod template, as ``kubectl delete
    pod`` does in Kubernetes' forced rollback: a StatefulSet waits for every pod to be Ready before it
    replaces one, so a pod broken by a bad template blocks the rollback that would fix it."""
    deleted = []
    for obj in objects:
        if obj.kind not in POD_OWNING_KINDS or obj.kind in ("Job", "Pod"):
            continue
        revision = template_hash(pod_template(obj))
        for pod in world.pods_of(obj.key.ref):
            if pod.revision != revision and not pod.ready:
                remove(world, obj, pod, controller=f"{obj.kind}/{obj.name}")
                deleted.append(pod.name)
        world.mark(obj.key.ref)
    return deleted


def inject(world: World, obj: StoredObject, failure: Failure, *, count: int | None) -> None:
    """Make every pod of ``obj`` fail now and from now on, or (``count``) only its next ``count`` new pods."""
    state = world.workload(obj.key.ref)
    if count is None:
        state.injected = failure
        for pod in world.pods_of(obj.key.ref):
            change_failure(world, pod, failure)
    else:
        if count < 1:
            raise ValueError(f"count must be at least 1 (got {count})")
        state.injected_next, state.injected_next_count = failure, count
    world.mark(obj.key.ref)


def clear(world: World, obj: StoredObject) -> None:
    """Remove the failures injected into ``obj`` (those of its template annotation stay)."""
    state = world.workload(obj.key.ref)
    state.injected = state.injected_next = None
    state.injected_next_count = 0
    for pod in world.pods_of(obj.key.ref):
        if pod.injected_failure is not None:
            change_failure(world, pod, None)
    world.mark(obj.key.ref)


def _changed(world: World, obj: StoredObject, changed: bool) -> None:
    if changed:
        world.mark(obj.key.ref)
