"""Placing pods on nodes: the node with the most free CPU among those that fit the pod's requests,
or the scheduler's FailedScheduling message saying why none does. A cordoned node is refused first, as
the scheduler's NodeUnschedulable filter does, except to DaemonSet pods (their controller gives them the
``node.kubernetes.io/unschedulable`` toleration)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from .pods import Pod
from .podspec import Requests
from .quantities import cpu_millis, memory_bytes
from .state import NodeSpec

NODE_SELECTOR_MISMATCH = "node(s) didn't match Pod's node affinity/selector"
VOLUME_NODE_CONFLICT = "node(s) had volume node affinity conflict"
UNSCHEDULABLE = "node(s) were unschedulable"
MISSING_CLAIM = "persistentvolumeclaim"


@dataclass(frozen=True)
class Node:
    name: str
    cpu_m: int
    memory: int
    max_pods: int
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: NodeSpec) -> Node:
        labels = {"kubernetes.io/hostname": spec.name, "kubernetes.io/os": "linux", **spec.labels}
        return cls(spec.name, cpu_millis(spec.cpu), memory_bytes(spec.memory), spec.max_pods, labels)


@dataclass
class Usage:
    """What the pods bound to a node request in total."""

    cpu_m: int = 0
    memory: int = 0
    pods: int = 0

    def add(self, requests: Requests) -> None:
        self.cpu_m += requests.cpu_m
        self.memory += requests.memory
        self.pods += 1

    def remove(self, requests: Requests) -> None:
        self.cpu_m -= requests.cpu_m
        self.memory -= requests.memory
        self.pods -= 1


@dataclass(frozen=True)
class Placement:
    node: str | None
    message: str = ""


def place(
    pod: Pod,
    *,
    nodes: Sequence[Node],
    usage: Mapping[str, Usage],
    claim_nodes: Mapping[str, str | None],
    cordoned: Collection[str] = (),
) -> Placement:
    """Where ``pod`` goes. ``claim_nodes`` maps each existing claim to the node its volume lives on;
    ``cordoned`` names the nodes marked unschedulable."""
    total = len(nodes)
    for volume in pod.spec.volumes:
        if volume.claim is not None and volume.claim not in claim_nodes:
            return Placement(None, f'0/{total} nodes are available: {MISSING_CLAIM} "{volume.claim}" not found.')
    volume_nodes = {claim_nodes[v.claim] for v in pod.spec.volumes if v.claim is not None} - {None}
    reasons: Counter[str] = Counter()
    fitting: list[Node] = []
    for node in nodes:
        why = (
            [UNSCHEDULABLE]
            if node.name in cordoned and pod.owner_kind != "DaemonSet"
            else _misfits(pod, node, usage[node.name], volume_nodes)
        )
        reasons.update(why)
        if not why:
            fitting.append(node)
    if fitting:
        # Most free CPU first; the name breaks ties so that placement is deterministic.
        best = min(fitting, key=lambda node: (-(node.cpu_m - usage[node.name].cpu_m), node.name))
        return Placement(best.name)
    # The scheduler counts nodes per reason and sorts the "N reason" strings.
    histogram = sorted(f"{count} {reason}" for reason, count in reasons.items())
    return Placement(None, f"0/{total} nodes are available: {', '.join(histogram)}.")


def _misfits(pod: Pod, node: Node, used: Usage, volume_nodes: set[str | None]) -> list[str]:
    if pod.target_node not in {None, node.name} or any(
        node.labels.get(k) != v for k, v in pod.spec.node_selector.items()
    ):
        return [NODE_SELECTOR_MISMATCH]
    if volume_nodes and volume_nodes != {node.name}:
        return [VOLUME_NODE_CONFLICT]
    reasons = []
    if used.pods + 1 > node.max_pods:
        reasons.append("Too many pods")
    if used.cpu_m + pod.spec.requests.cpu_m > node.cpu_m:
        reasons.append("Insufficient cpu")
    if used.memory + pod.spec.requests.memory > node.memory:
        reasons.append("Insufficient memory")
    return reasons
