"""Node maintenance on the simulated cluster: each node as ``kubectl describe node`` shows it, cordon and
uncordon (``spec.unschedulable``), and the Eviction API a drain calls per pod.

An eviction respects the pod's PodDisruptionBudget (:mod:`.disruption`: refused while it allows no
disruption). Nodes are always Ready; they have no taints but the one cordoning adds.
"""

from __future__ import annotations

from dataclasses import dataclass

from .admin import NotFoundError
from .disruption import check_eviction
from .pods import Pod
from .world import World

KUBELET_VERSION = "sim"  # the exporter's kube_node_info says the same
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"


@dataclass(frozen=True)
class NodePodView:
    namespace: str
    name: str
    release: str
    owner: str  # Kind/name
    phase: str
    ready: bool
    terminating: bool
    cpu_requested_m: int
    memory_requested: int


@dataclass(frozen=True)
class NodeView:
    name: str
    unschedulable: bool
    labels: dict[str, str]
    cpu_m: int  # capacity (all of it is allocatable: the sim reserves nothing for the system)
    memory: int
    max_pods: int
    cpu_requested_m: int
    memory_requested: int
    pod_count: int
    disk_filled: int  # bytes put on its disk by fill_disk
    pods: tuple[NodePodView, ...]


def require_node(world: World, name: str) -> None:
    if name not in {node.name for node in world.nodes}:
        known = ", ".join(node.name for node in world.nodes)
        raise NotFoundError(f"no node {name!r} (the nodes: {known})")


def node_views(world: World) -> list[NodeView]:
    on_node: dict[str, list[Pod]] = {}
    for pod in world.state.pods.values():
        if pod.node is not None:
            on_node.setdefault(pod.node, []).append(pod)
    return [_view(world, node.name, on_node.get(node.name, [])) for node in world.nodes]


def _view(world: World, name: str, pods: list[Pod]) -> NodeView:
    node = next(n for n in world.nodes if n.name == name)
    used = world.index.usage[name]
    return NodeView(
        name=name,
        unschedulable=name in world.state.cordoned,
        labels=dict(node.labels),
        cpu_m=node.cpu_m,
        memory=node.memory,
        max_pods=node.max_pods,
        cpu_requested_m=used.cpu_m,
        memory_requested=used.memory,
        pod_count=used.pods,
        disk_filled=world.state.disk_fill.get(name, 0),
        pods=tuple(_pod_view(pod) for pod in sorted(pods, key=lambda p: p.serial)),
    )


def _pod_view(pod: Pod) -> NodePodView:
    return NodePodView(
        namespace=pod.namespace, name=pod.name, release=pod.release,
        owner=f"{pod.owner_kind}/{pod.owner.rsplit('/', 1)[-1]}", phase=pod.phase, ready=pod.ready,
        terminating=pod.deleted_at is not None, cpu_requested_m=pod.spec.requests.cpu_m,
        memory_requested=pod.spec.requests.memory,
    )  # fmt: skip


def set_unschedulable(world: World, name: str, unschedulable: bool) -> bool:
    """Cordon (or uncordon) ``name``; returns whether it changed. Pending pods are tried again on an uncordon."""
    require_node(world, name)
    if (name in world.state.cordoned) == unschedulable:
        return False
    if unschedulable:
        world.state.cordoned = sorted({*world.state.cordoned, name})
    else:
        world.state.cordoned = [n for n in world.state.cordoned if n != name]
        world.state.unsettled = world.state.capacity_changed = True
    return True


def evict(world: World, *, namespace: str, pod: str) -> bool:
    """The Eviction API: the pod is deleted with its grace period, as a ``kubectl delete pod`` would be;
    returns False when it is gone or Terminating already; raises ``EvictionRefused`` while its
    PodDisruptionBudget allows no disruption. Its controller makes a new one."""
    found = world.state.pods.get(f"{namespace}/{pod}")
    if found is None or found.deleted_at is not None:
        return False
    check_eviction(world, found)
    world.terminate_pod(found)
    world.mark(found.owner)
    return True


@dataclass(frozen=True)
class Evictable:
    """The pods of one controller on a node, to evict together: (namespace, name, serial) each."""

    owner: str  # the controller's object reference
    label: str  # namespace/Kind/name, for people
    pods: tuple[tuple[str, str, int], ...]


def drain_candidates(world: World, name: str) -> tuple[list[Evictable], list[str]]:
    """What ``kubectl drain --ignore-daemonsets`` would evict from ``name``, by controller (in a stable order),
    and what it leaves there with why: DaemonSet pods, and pods no controller would make again."""
    require_node(world, name)
    groups: dict[str, list[Pod]] = {}
    kept = []
    for pod in sorted(world.state.pods.values(), key=lambda p: p.serial):
        if pod.node != name or pod.deleted_at is not None:
            continue
        if pod.owner_kind == "DaemonSet":
            kept.append(f"{pod.namespace}/{pod.name}: managed by a DaemonSet, stays (--ignore-daemonsets)")
        elif pod.owner_kind == "Pod":
            kept.append(f"{pod.namespace}/{pod.name}: no controller would make it again; delete it yourself")
        else:
            groups.setdefault(pod.owner, []).append(pod)
    found = [
        Evictable(owner, f"{pods[0].namespace}/{pods[0].owner_kind}/{owner.rsplit('/', 1)[-1]}",
                  tuple((pod.namespace, pod.name, pod.serial) for pod in pods))
        for owner, pods in sorted(groups.items())
    ]  # fmt: skip
    return found, kept


def replacement_state(world: World, owner: str, evicted: set[int]) -> tuple[str, str]:
    """How the controller ``owner`` is doing after its pods with serials ``evicted`` were evicted: ``waiting``
    (an evicted pod is still Terminating, or a new pod is not ready yet: why, when it fails), ``moved``, or
    ``stuck`` with why (a pod the scheduler cannot place, such as one whose local volume lives on the drained
    node: only a change by someone would let it start)."""
    pods = world.pods_of(owner)
    if any(pod.serial in evicted for pod in pods):
        return "waiting", ""
    for pod in pods:
        if pod.node is None and pod.unschedulable:
            return "stuck", f"pod {pod.namespace}/{pod.name} is Pending: {pod.unschedulable}"
    if all(pod.ready or pod.succeeded for pod in pods):
        return "moved", ", ".join(f"{pod.name} on {pod.node}" for pod in pods)
    # Not ready yet, or failing: waited for until the deadline, as a budget would hold the next eviction back.
    failing = next((pod for pod in pods if pod.failing), None)
    return "waiting", f"pod {failing.namespace}/{failing.name} is not ready: {failing.reason}" if failing else ""
