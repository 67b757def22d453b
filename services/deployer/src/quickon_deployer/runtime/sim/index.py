"""Lookups derived from the state and kept in step with it, so that no step of the model scans the
whole cluster: pods by owner, objects by release, requests per node, and the queue of due steps.
They are not saved: :class:`Index` rebuilds them from a restored state."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from .objects import StoredObject
from .pods import ContainerState, Pod
from .scheduling import Node, Usage
from .state import ClusterState, release_key


class Index:
    def __init__(self, state: ClusterState, nodes: Iterable[Node]) -> None:
        self._state = state
        self._pods_by_owner: dict[str, dict[str, Pod]] = {}
        self._objects_by_release: dict[str, dict[str, StoredObject]] = {}
        # (time, pod serial, container index, pod key); entries go stale when a step is replanned
        # and are dropped when they reach the top, so the order of ties is the same after a restore.
        self._due: list[tuple[float, int, int, str]] = []
        self.usage = {node.name: Usage() for node in nodes}
        self.pending: dict[str, Pod] = {}  # pods without a node
        for obj in state.objects.values():
            self.add_object(obj)
        for pod in state.pods.values():
            self.add_pod(pod)
            if pod.node is not None:
                self.bound(pod)
            for index, container in enumerate(pod.containers):
                self.wake(pod, index, container.next_at)

    def add_object(self, obj: StoredObject) -> None:
        self._objects_by_release.setdefault(release_key(obj.release_namespace, obj.release), {})[obj.key.ref] = obj

    def remove_object(self, obj: StoredObject) -> None:
        self._objects_by_release.get(release_key(obj.release_namespace, obj.release), {}).pop(obj.key.ref, None)

    def release_objects(self, namespace: str, release: str) -> list[StoredObject]:
        return sorted(self._objects_by_release.get(release_key(namespace, release), {}).values(), key=lambda o: o.key)

    def add_pod(self, pod: Pod) -> None:
        self._pods_by_owner.setdefault(pod.owner, {})[pod.key] = pod
        self.pending[pod.key] = pod

    def bound(self, pod: Pod) -> None:
        """``pod`` got its node: it counts against that node's capacity."""
        self.pending.pop(pod.key, None)
        if pod.holds_resources and pod.node in self.usage:
            self.usage[pod.node].add(pod.spec.requests)

    def remove_pod(self, pod: Pod) -> None:
        self._pods_by_owner.get(pod.owner, {}).pop(pod.key, None)
        self.pending.pop(pod.key, None)
        if pod.holds_resources and pod.node in self.usage:
            self.usage[pod.node].remove(pod.spec.requests)

    def pods_of(self, owner: str) -> list[Pod]:
        return sorted(self._pods_by_owner.get(owner, {}).values(), key=lambda pod: pod.serial)

    def wake(self, pod: Pod, index: int, at: float | None) -> None:
        """Queue the end of container ``index``'s current step (its ``next_at``)."""
        if at is not None:
            heapq.heappush(self._due, (at, pod.serial, index, pod.key))

    def next_due(self) -> tuple[float, Pod, ContainerState] | None:
        while self._due:
            at, serial, index, key = self._due[0]
            pod = self._state.pods.get(key)
            if pod is not None and pod.serial == serial and pod.containers[index].next_at == at:
                return at, pod, pod.containers[index]
            heapq.heappop(self._due)
        return None
