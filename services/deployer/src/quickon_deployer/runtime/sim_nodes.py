"""The ``sim`` runtime's node calls: list, detail, cordon, uncordon and drain on the simulated cluster.

A drain evicts one controller's pods at a time, each eviction tried again while a PodDisruptionBudget
refuses it (as ``kubectl drain`` does), and waits until the controller's new pods are ready elsewhere
before the next: a service with no budget keeps serving too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from .base import DrainOutcome, DrainProgress, NodeCondition, NodeInfo, NodeNotFound, NodePod, NodeTaint
from .sim import Cluster, NotFoundError
from .sim.disruption import EvictionRefused
from .sim.nodes import KUBELET_VERSION, UNSCHEDULABLE_TAINT, NodeView

READY = NodeCondition("Ready", "True", "KubeletReady", "kubelet is posting ready status")
NO_PRESSURE = tuple(
    NodeCondition(kind, "False", f"KubeletHas{reason}", message)
    for kind, reason, message in (
        ("MemoryPressure", "SufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "NoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "SufficientPID", "kubelet has sufficient PID available"),
    )
)


class _SimNodes:
    cluster: Cluster
    _save: Callable[[], Awaitable[None]]
    _until_next_change: Callable[[], float]

    async def nodes(self) -> list[NodeInfo]:
        self.cluster.tick(time.time())
        return [_info(view, with_pods=False) for view in self.cluster.node_views()]

    async def node(self, name: str) -> NodeInfo:
        self.cluster.tick(time.time())
        for view in self.cluster.node_views():
            if view.name == name:
                return _info(view, with_pods=True)
        raise NodeNotFound(f"no node {name!r}")

    async def cordon(self, name: str) -> bool:
        return await self._mark(name, self.cluster.cordon)

    async def uncordon(self, name: str) -> bool:
        return await self._mark(name, self.cluster.uncordon)

    async def _mark(self, name: str, call: Callable[..., bool]) -> bool:
        try:
            changed = call(node=name, now=time.time())
        except NotFoundError as error:
            raise NodeNotFound(str(error)) from None
        await self._save()
        return changed

    async def drain(self, name: str, *, progress: DrainProgress, until: float) -> DrainOutcome:
        await self.cordon(name)
        groups, kept = self.cluster.drain_candidates(node=name, now=time.time())
        evicted, moved, stuck = [], [], []
        for index, group in enumerate(groups, start=1):
            pods = [f"{namespace}/{pod}" for namespace, pod, _ in group.pods]
            await progress(f"{index}/{len(groups)} evicting {group.label}: {', '.join(pods)}")
            refused = None
            for namespace, pod, _ in group.pods:
                refused = await self._evict(namespace, pod, until=until, tell=progress)
                if refused is not None:
                    break
                evicted.append(f"{namespace}/{pod}")
            await self._save()
            if refused is not None:
                stuck.append(f"{group.label}: {refused}")
                await progress(f"{index}/{len(groups)} {group.label} cannot move: {refused}")
                continue
            serials = {serial for *_, serial in group.pods}
            told = ""
            while True:
                state, why = self.cluster.replacement_state(owner=group.owner, evicted=serials, now=time.time())
                if state == "waiting" and time.time() >= until:
                    state, why = "stuck", f"its new pods were not ready by the operation's deadline {why}".strip()
                if state == "moved":
                    moved.append(f"{group.label}: {why}" if why else group.label)
                    await progress(f"{index}/{len(groups)} {group.label} moved: {why}")
                    break
                if state == "stuck":
                    stuck.append(f"{group.label}: {why}")
                    await progress(f"{index}/{len(groups)} {group.label} cannot move: {why}")
                    break
                if why and why != told:
                    told = why
                    await progress(f"{index}/{len(groups)} waiting for {group.label}: {why}")
                await asyncio.sleep(self._until_next_change())
            await self._save()  # what the controllers and the scheduler did meanwhile
        return DrainOutcome(node=name, evicted=tuple(evicted), moved=tuple(moved), stuck=tuple(stuck), kept=tuple(kept))

    async def _evict(self, namespace: str, pod: str, *, until: float, tell: DrainProgress) -> str | None:
        """Evict a pod, trying again while its PodDisruptionBudget refuses (as ``kubectl drain`` does) until
        ``until``; None once evicted (or gone), else why not."""
        told = ""
        while True:
            try:
                self.cluster.evict(namespace=namespace, pod=pod, now=time.time())
                return None
            except EvictionRefused as refused:
                if time.time() >= until:
                    return f"the eviction of {namespace}/{pod} was refused until the deadline: {refused}"
                if str(refused) != told:
                    told = str(refused)
                    await tell(f"waiting to evict {namespace}/{pod}: {refused}")
            await self._save()
            await asyncio.sleep(self._until_next_change())


def _info(view: NodeView, *, with_pods: bool) -> NodeInfo:
    taints = (NodeTaint(UNSCHEDULABLE_TAINT, "NoSchedule"),) if view.unschedulable else ()
    return NodeInfo(
        name=view.name, ready=True, unschedulable=view.unschedulable, cpu_capacity_m=view.cpu_m,
        memory_capacity=view.memory, pods_capacity=view.max_pods, cpu_allocatable_m=view.cpu_m,
        memory_allocatable=view.memory, pods_allocatable=view.max_pods, cpu_requested_m=view.cpu_requested_m,
        memory_requested=view.memory_requested, pod_count=view.pod_count, kubelet_version=KUBELET_VERSION,
        labels=view.labels, conditions=(READY, *NO_PRESSURE), taints=taints,
        pods=tuple(
            NodePod(p.namespace, p.name, p.owner, "Terminating" if p.terminating else p.phase, p.ready,
                    p.cpu_requested_m, p.memory_requested)
            for p in view.pods
        ) if with_pods else (),
    )  # fmt: skip
