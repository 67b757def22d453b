"""What every workload controller does alike: read its object, create and delete its pods with the
events Kubernetes controllers record, and choose which pods go first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .events import NORMAL
from .objects import StoredObject
from .pods import Pod
from .podspec import PodSpec, read_pod_template
from .world import World


def desired_replicas(obj: StoredObject) -> int:
    replicas = obj.spec.get("replicas", 1)
    return replicas if isinstance(replicas, int) else 1


def pod_template(obj: StoredObject) -> dict[str, Any]:
    template = obj.spec.get("template")
    return template if isinstance(template, dict) else {}


def pod_spec(
    obj: StoredObject, *, claim_volumes: Mapping[str, str] | None = None, job_run_s: float | None = None
) -> PodSpec:
    """The pod spec of a validated object's template (reading cannot fail: apply checked it)."""
    return read_pod_template(pod_template(obj), path="spec.template", claim_volumes=claim_volumes, job_run_s=job_run_s)


def spawn(
    world: World,
    obj: StoredObject,
    *,
    controller: str,
    name: str,
    revision: str,
    spec: PodSpec,
    ordinal: int | None = None,
    target_node: str | None = None,
) -> Pod:
    """Create a pod for ``obj``; ``controller`` is the object the SuccessfulCreate event is about."""
    pod = world.create_pod(owner=obj, name=name, revision=revision, spec=spec, ordinal=ordinal, target_node=target_node)
    message = f"Created pod: {name}"
    if obj.kind == "StatefulSet":
        message = f"create Pod {name} in StatefulSet {obj.name} successful"
    world.emit(
        namespace=obj.namespace,
        release=obj.release,
        kind=NORMAL,
        reason="SuccessfulCreate",
        involved=controller,
        message=message,
    )
    return pod


def remove(world: World, obj: StoredObject, pod: Pod, *, controller: str) -> None:
    """Delete a pod of ``obj`` with the controller's SuccessfulDelete event."""
    message = f"Deleted pod: {pod.name}"
    if obj.kind == "StatefulSet":
        message = f"delete Pod {pod.name} in StatefulSet {obj.name} successful"
    world.delete_pod(pod)
    world.emit(
        namespace=obj.namespace,
        release=obj.release,
        kind=NORMAL,
        reason="SuccessfulDelete",
        involved=controller,
        message=message,
    )


def deletion_order(pods: Iterable[Pod]) -> list[Pod]:
    """Which pods a ReplicaSet removes first: unscheduled, then not ready, then the newest."""
    return sorted(pods, key=lambda pod: (pod.node is not None, pod.ready, -pod.serial))
