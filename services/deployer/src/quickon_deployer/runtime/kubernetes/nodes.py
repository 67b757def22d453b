"""Nodes on a real cluster: list and detail (``kubectl describe node``), cordon and uncordon (a patch of
``spec.unschedulable``), and drain (``kubectl drain --ignore-daemonsets``: cordon, then the Eviction API
per pod, retried while a PodDisruptionBudget answers 429, one controller's pods at a time, each waited
for until it is gone from the node; a new pod of that controller the scheduler then refuses, such as one
whose local volume is on the drained node, is reported with the scheduler's message).

Written against the client's API and type-checked; there was no cluster to run it against when it was
written (the runtime contract suite runs it when ``QC_TEST_KUBECONFIG`` is set).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from kubernetes import client

from ..base import (
    DrainOutcome,
    DrainProgress,
    NodeCondition,
    NodeInfo,
    NodeNotFound,
    NodePod,
    NodeTaint,
    RuntimeFailure,
)
from .capacity import HOLDING_PODS, _quantity, pod_requests
from .errors import _Edges

EVICTION_RETRY_S = 5.0  # kubectl drain waits 5s between evictions a budget refused
GONE_POLL_S = 2.0


class _Nodes(_Edges):
    _core: client.CoreV1Api

    async def nodes(self) -> list[NodeInfo]:
        nodes, pods = await asyncio.gather(
            self._kube(self._core.list_node),
            self._kube(self._core.list_pod_for_all_namespaces, field_selector=HOLDING_PODS),
        )
        by_node: dict[str, list[client.V1Pod]] = {}
        for pod in pods.items:
            if pod.spec is not None and pod.spec.node_name:
                by_node.setdefault(pod.spec.node_name, []).append(pod)
        return [_info(item, by_node.get(_name(item), []), with_pods=False) for item in nodes.items]

    async def node(self, name: str) -> NodeInfo:
        item = await self._read_node(name)
        pods = await self._pods_on(name)
        return _info(item, pods, with_pods=True)

    async def cordon(self, name: str) -> bool:
        return await self._set_unschedulable(name, True)

    async def uncordon(self, name: str) -> bool:
        return await self._set_unschedulable(name, False)

    async def drain(self, name: str, *, progress: DrainProgress, until: float) -> DrainOutcome:
        await self.cordon(name)
        groups: dict[str, list[client.V1Pod]] = {}
        kept = []
        for pod in await self._pods_on(name):
            owner = _owner(pod)
            if owner.startswith("DaemonSet/"):
                kept.append(f"{_pod_name(pod)}: managed by a DaemonSet, stays (--ignore-daemonsets)")
            elif not owner or _is_mirror(pod):
                kept.append(f"{_pod_name(pod)}: no controller would make it again; delete it yourself")
            else:
                groups.setdefault(f"{_ns_name(pod)[0]}/{owner}", []).append(pod)
        evicted, moved, stuck = [], [], []
        for index, (label, pods) in enumerate(sorted(groups.items()), start=1):
            await progress(f"{index}/{len(groups)} evicting {label}: {', '.join(_pod_name(p) for p in pods)}")
            refused = None
            for pod in pods:
                refused = await self._evict(pod, until=until)
                if refused is not None:
                    break
                evicted.append(_pod_name(pod))
            if refused is None:
                refused = await self._until_gone(name, {_pod_name(p) for p in pods}, until=until)
            if refused is None:
                refused = await self._unschedulable(_ns_name(pods[0])[0], _owner(pods[0]))
            if refused is None:
                moved.append(label)
                await progress(f"{index}/{len(groups)} {label} evicted")
            else:
                stuck.append(f"{label}: {refused}")
                await progress(f"{index}/{len(groups)} {label} cannot move: {refused}")
        return DrainOutcome(node=name, evicted=tuple(evicted), moved=tuple(moved), stuck=tuple(stuck), kept=tuple(kept))

    async def _read_node(self, name: str) -> client.V1Node:
        try:
            return await self._kube(self._core.read_node, name)
        except RuntimeFailure as failure:
            if "not found" in failure.reason.lower():
                raise NodeNotFound(f"no node {name!r}") from None
            raise

    async def _pods_on(self, name: str) -> list[client.V1Pod]:
        selector = f"spec.nodeName={name},{HOLDING_PODS}"
        found = await self._kube(self._core.list_pod_for_all_namespaces, field_selector=selector)
        return list(found.items)

    async def _set_unschedulable(self, name: str, unschedulable: bool) -> bool:
        item = await self._read_node(name)
        if bool(item.spec.unschedulable if item.spec else False) == unschedulable:
            return False
        await self._kube(self._core.patch_node, name, {"spec": {"unschedulable": unschedulable or None}})
        return True

    async def _evict(self, pod: client.V1Pod, *, until: float) -> str | None:
        """Evict ``pod``; while a PodDisruptionBudget refuses (429) try again, until ``until``. None: evicted
        (or gone already), else why not."""
        namespace, name = _ns_name(pod)
        body = client.V1Eviction(metadata=client.V1ObjectMeta(name=name, namespace=namespace))
        while True:
            try:
                await self._kube(self._core.create_namespaced_pod_eviction, name, namespace, body)
                return None
            except RuntimeFailure as failure:
                if "not found" in failure.reason.lower():
                    return None
                if not failure.retryable:
                    return failure.reason
                if time.time() + EVICTION_RETRY_S >= until:
                    return f"a PodDisruptionBudget kept refusing the eviction of {_pod_name(pod)}: {failure.reason}"
            await asyncio.sleep(EVICTION_RETRY_S)

    async def _unschedulable(self, namespace: str, owner: str) -> str | None:
        """Why a pod of the controller ``owner`` cannot be scheduled now (a local volume on the drained node),
        or None: the scheduler's own PodScheduled condition, as ``kubectl describe pod`` shows it."""
        found = await self._kube(self._core.list_namespaced_pod, namespace, field_selector="status.phase=Pending")
        for pod in found.items:
            if _owner(pod) != owner:
                continue
            for condition in (pod.status.conditions if pod.status else None) or []:
                if (
                    condition.type == "PodScheduled"
                    and condition.status == "False"
                    and condition.reason == "Unschedulable"
                ):
                    return f"pod {_pod_name(pod)} is Pending: {condition.message}"
        return None

    async def _until_gone(self, node: str, pods: set[str], *, until: float) -> str | None:
        """Wait until none of ``pods`` is on ``node`` any more (their grace periods over)."""
        while True:
            left = {_pod_name(p) for p in await self._pods_on(node)} & pods
            if not left:
                return None
            if time.time() >= until:
                return f"still terminating at the operation's deadline: {', '.join(sorted(left))}"
            await asyncio.sleep(GONE_POLL_S)


def _name(item: Any) -> str:
    return str(item.metadata.name if item.metadata else "")


def _ns_name(pod: client.V1Pod) -> tuple[str, str]:
    meta = pod.metadata
    return (str(meta.namespace or ""), str(meta.name or "")) if meta else ("", "")


def _pod_name(pod: client.V1Pod) -> str:
    return "/".join(_ns_name(pod))


def _owner(pod: client.V1Pod) -> str:
    """Kind/name of the pod's controller ("" for none)."""
    for ref in (pod.metadata.owner_references if pod.metadata else None) or []:
        if ref.controller:
            return f"{ref.kind}/{ref.name}"
    return ""


def _is_mirror(pod: client.V1Pod) -> bool:
    return "kubernetes.io/config.mirror" in ((pod.metadata.annotations if pod.metadata else None) or {})


def _info(item: client.V1Node, pods: list[client.V1Pod], *, with_pods: bool) -> NodeInfo:
    status, spec = item.status, item.spec
    capacity = (status.capacity if status else None) or {}
    allocatable = (status.allocatable if status else None) or {}
    conditions = tuple(
        NodeCondition(c.type, c.status, c.reason or "", c.message or "") for c in (status.conditions or [])
    ) if status else ()  # fmt: skip
    requests = [pod_requests(pod) for pod in pods]
    info = status.node_info if status else None
    created = item.metadata.creation_timestamp if item.metadata else None
    return NodeInfo(
        name=_name(item), ready=any(c.type == "Ready" and c.status == "True" for c in conditions),
        unschedulable=bool(spec.unschedulable if spec else False),
        cpu_capacity_m=_quantity(capacity.get("cpu"), 1000), memory_capacity=_quantity(capacity.get("memory"), 1),
        pods_capacity=_quantity(capacity.get("pods"), 1), cpu_allocatable_m=_quantity(allocatable.get("cpu"), 1000),
        memory_allocatable=_quantity(allocatable.get("memory"), 1),
        pods_allocatable=_quantity(allocatable.get("pods"), 1),
        cpu_requested_m=sum(cpu for cpu, _ in requests), memory_requested=sum(memory for _, memory in requests),
        pod_count=len(pods), kubelet_version=str(info.kubelet_version) if info else "",
        labels=dict((item.metadata.labels if item.metadata else None) or {}), conditions=conditions,
        taints=tuple(NodeTaint(t.key, t.effect, t.value or "") for t in (spec.taints if spec else None) or []),
        pods=tuple(
            NodePod(*_ns_name(p), _owner(p), str(p.status.phase if p.status else ""),
                    any(c.type == "Ready" and c.status == "True" for c in (p.status.conditions or []))
                    if p.status else False, *pod_requests(p))
            for p in pods
        ) if with_pods else (),
        created_at=created.timestamp() if created is not None else None,
    )  # fmt: skip
