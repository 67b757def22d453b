"""The cluster's capacity as the scheduler sees it: each node's allocatable CPU and memory against the
requests of the pods bound to it, and the storage the volume claims ask for (``kubectl describe nodes``'s
"Allocated resources", summed). Three lists, whatever the cluster's size: nodes, running pods, claims."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from kubernetes import client
from kubernetes.utils import parse_quantity

from ..base import ClusterResources, NodeResources
from .errors import _Edges

# Finished pods hold nothing on their node; the API server filters them out.
HOLDING_PODS = "status.phase!=Succeeded,status.phase!=Failed"


class _Capacity(_Edges):
    _core: client.CoreV1Api

    async def resources(self) -> ClusterResources:
        nodes, pods, claims = await asyncio.gather(
            self._kube(self._core.list_node),
            self._kube(self._core.list_pod_for_all_namespaces, field_selector=HOLDING_PODS),
            self._kube(self._core.list_persistent_volume_claim_for_all_namespaces),
        )
        requested: dict[str, tuple[int, int, int]] = {}
        for pod in pods.items:
            node = pod.spec.node_name if pod.spec else None
            if node:
                cpu, memory = pod_requests(pod)
                before = requested.get(node, (0, 0, 0))
                requested[node] = (before[0] + cpu, before[1] + memory, before[2] + 1)
        return ClusterResources(
            nodes=tuple(_node(item, requested.get(_node_name(item), (0, 0, 0))) for item in nodes.items),
            storage_requested=sum(_claimed(claim) for claim in claims.items),
            storage_capacity=None,  # a storage class does not say how much it can provision
        )


def pod_requests(pod: client.V1Pod) -> tuple[int, int]:
    """A pod's effective requests (millicores, bytes): its containers' sum, or its largest init container's
    when that is more (init containers run one at a time, before the others), plus its overhead."""
    spec = pod.spec
    if spec is None:
        return 0, 0
    cpu = sum(_request(c, "cpu", 1000) for c in spec.containers or [])
    memory = sum(_request(c, "memory", 1) for c in spec.containers or [])
    for init in spec.init_containers or []:
        cpu, memory = max(cpu, _request(init, "cpu", 1000)), max(memory, _request(init, "memory", 1))
    overhead = spec.overhead or {}
    return cpu + _quantity(overhead.get("cpu"), 1000), memory + _quantity(overhead.get("memory"), 1)


def _request(container: client.V1Container, resource: str, scale: int) -> int:
    resources = container.resources
    return _quantity((resources.requests or {}).get(resource) if resources else None, scale)


def _quantity(value: str | None, scale: int) -> int:
    if not value:
        return 0
    try:
        return int(Decimal(parse_quantity(value)) * scale)  # type: ignore[no-untyped-call]
    except ValueError:
        return 0  # the API server validated it; a unit this client does not know counts as nothing


def _node(item: client.V1Node, requested: tuple[int, int, int]) -> NodeResources:
    allocatable = (item.status.allocatable if item.status else None) or {}
    conditions = (item.status.conditions if item.status else None) or []
    return NodeResources(
        name=_node_name(item),
        ready=any(c.type == "Ready" and c.status == "True" for c in conditions),
        cpu_m=_quantity(allocatable.get("cpu"), 1000),
        memory=_quantity(allocatable.get("memory"), 1),
        cpu_requested_m=requested[0],
        memory_requested=requested[1],
        pods=requested[2],
    )


def _node_name(item: client.V1Node) -> str:
    return str(item.metadata.name if item.metadata else "")


def _claimed(claim: client.V1PersistentVolumeClaim) -> int:
    """What a claim holds: its bound capacity once it has one, else what it asks for."""
    bound = (claim.status.capacity if claim.status else None) or {}
    asked = (claim.spec.resources.requests if claim.spec and claim.spec.resources else None) or {}
    return _quantity(bound.get("storage") or asked.get("storage"), 1)
