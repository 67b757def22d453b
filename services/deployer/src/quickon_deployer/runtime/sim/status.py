"""Read-only views: a release's workloads, pods, claims and events, and the nodes' allocation."""

from __future__ import annotations

from dataclasses import dataclass

from .controllers import POD_OWNING_KINDS
from .events import Event
from .names import template_hash
from .objects import StoredObject
from .pods import Pod
from .quantities import QuantityError, format_cpu, format_memory, memory_bytes
from .releases import release_objects
from .workload import desired_replicas, pod_spec, pod_template
from .world import World

STATUS_EVENTS = 50


@dataclass(frozen=True)
class WorkloadStatus:
    kind: str
    name: str
    desired: int
    ready: int
    updated: int  # pods made from the current template
    available: int
    complete: bool  # every desired pod is current and ready (a Job: it has succeeded)


@dataclass(frozen=True)
class ConditionStatus:
    type: str
    status: bool
    reason: str
    message: str
    last_transition: float


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    init: bool
    state: str  # waiting, running, terminated
    reason: str | None
    ready: bool
    restart_count: int
    started_at: float | None


@dataclass(frozen=True)
class PodStatus:
    name: str
    owner: str  # Kind/name of the object whose controller made it
    node: str | None
    phase: str
    ready: bool
    restarts: int
    reason: str
    message: str
    created_at: float
    start_time: float | None
    conditions: tuple[ConditionStatus, ...]
    containers: tuple[ContainerStatus, ...]


@dataclass(frozen=True)
class ClaimStatus:
    name: str
    size: str
    path: str
    node: str | None
    owner: str | None  # the StatefulSet whose claim template made it


@dataclass(frozen=True)
class ReleaseStatus:
    namespace: str
    release: str
    ready: bool  # installed, and every workload complete
    degraded: bool  # some pod crash-loops, cannot pull, fails readiness, or lost readiness
    stopped: bool  # it has workloads and all want zero pods
    pending_reason: str | None  # why a pod cannot be scheduled
    workloads: tuple[WorkloadStatus, ...]
    pods: tuple[PodStatus, ...]
    claims: tuple[ClaimStatus, ...]
    events: tuple[Event, ...]


@dataclass(frozen=True)
class NodeStatus:
    name: str
    cpu: str
    memory: str
    cpu_requested: str
    memory_requested: str
    pods: int


def release_status(world: World, *, namespace: str, release: str) -> ReleaseStatus:
    objects = [obj for obj in release_objects(world, namespace, release) if obj.kind in POD_OWNING_KINDS]
    workloads = tuple(workload_status(world, obj) for obj in objects)
    pods = sorted((p for obj in objects for p in world.pods_of(obj.key.ref)), key=lambda pod: pod.serial)
    claims = sorted(
        (c for c in world.state.claims.values() if (c.namespace, c.release) == (namespace, release)),
        key=lambda c: c.name,
    )
    long_running = [w for w in workloads if w.kind != "Job"]
    pending = next((pod.unschedulable for pod in pods if pod.node is None and pod.unschedulable), None)
    return ReleaseStatus(
        namespace=namespace,
        release=release,
        ready=f"{namespace}/{release}" in world.state.releases and all(w.complete for w in workloads),
        degraded=any(pod.failing for pod in pods),
        stopped=bool(long_running) and all(w.desired == 0 for w in long_running),
        pending_reason=pending,
        workloads=workloads,
        pods=tuple(_pod(pod) for pod in pods),
        claims=tuple(
            ClaimStatus(c.name, c.size, str(world.volumes.claim_dir(c.namespace, c.name)), c.node, c.owner)
            for c in claims
        ),
        events=tuple(world.state.events.get(f"{namespace}/{release}", [])[-STATUS_EVENTS:]),
    )


@dataclass(frozen=True)
class NodeUsage:
    """A node's capacity and what its pods request, as numbers: CPU in millicores, memory in bytes."""

    name: str
    cpu_m: int
    memory: int
    cpu_requested_m: int
    memory_requested: int
    pods: int


def node_usages(world: World) -> list[NodeUsage]:
    usage = world.index.usage
    return [
        NodeUsage(node.name, node.cpu_m, node.memory, usage[node.name].cpu_m, usage[node.name].memory,
                  usage[node.name].pods)
        for node in world.nodes
    ]  # fmt: skip


def claimed_bytes(world: World) -> int:
    """What every volume claim asks for (a claim still Terminating too: its data is still there)."""
    total = 0
    for claim in world.state.claims.values():
        try:
            total += memory_bytes(claim.size)
        except QuantityError:  # checked when the claim was made; an old saved state may hold anything
            continue
    return total


def node_statuses(world: World) -> list[NodeStatus]:
    usage = world.index.usage
    return [
        NodeStatus(
            node.name,
            format_cpu(node.cpu_m),
            format_memory(node.memory),
            format_cpu(usage[node.name].cpu_m),
            format_memory(usage[node.name].memory),
            usage[node.name].pods,
        )
        for node in world.nodes
    ]


def workload_status(world: World, obj: StoredObject) -> WorkloadStatus:
    """A workload's desired, ready, current and available pods, as its controller reports them."""
    pods = world.pods_of(obj.key.ref)
    if obj.kind == "Pod":
        ready = sum(pod.ready for pod in pods)
        return WorkloadStatus(obj.kind, obj.name, 1, ready, len(pods), ready, ready == 1)
    revision = template_hash(pod_template(obj))
    current = [pod for pod in pods if pod.revision == revision]
    ready = sum(pod.ready for pod in pods)
    if obj.kind == "Job":
        done = world.workload(obj.key.ref).completed_revision == revision
        return WorkloadStatus(obj.kind, obj.name, 1, int(done), len(current), int(done), done)
    if obj.kind == "DaemonSet":
        selector = pod_spec(obj).node_selector
        desired = sum(all(n.labels.get(k) == v for k, v in selector.items()) for n in world.nodes)
    else:
        desired = desired_replicas(obj)
    current_ready = sum(pod.ready for pod in current)
    complete = len(pods) == len(current) == current_ready == desired
    return WorkloadStatus(obj.kind, obj.name, desired, ready, len(current), ready, complete)


def _pod(pod: Pod) -> PodStatus:
    scheduled = pod.node is not None
    return PodStatus(
        name=pod.name,
        owner=f"{pod.owner_kind}/{pod.owner.rsplit('/', 1)[-1]}",
        node=pod.node,
        phase=pod.phase,
        ready=pod.ready,
        restarts=pod.restarts,
        reason=pod.reason,
        message=pod.message,
        created_at=pod.created_at,
        start_time=pod.scheduled_at,
        conditions=tuple(
            ConditionStatus(name, c.status, c.reason, c.message, c.since) for name, c in pod.conditions.items()
        ),
        containers=tuple(
            ContainerStatus(
                c.name, c.init, c.state, c.reason(scheduled=scheduled), c.ready, c.restart_count, c.started_at
            )
            for c in pod.containers
        ),
    )
