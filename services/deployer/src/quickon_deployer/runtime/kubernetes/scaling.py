"""Stop, start, restart and forced rollback: the changes Helm has no verb for, made as kubectl makes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes import client

from .errors import _unless_gone
from .health import _pod
from .objects import STOPPED_NODE_SELECTOR, Workload, _annotations, _desired, _metadata, _name, _selector
from .release import _ReleaseReading

REPLICAS_BEFORE_STOP = "quickon.io/replicas-before-stop"  # the same annotation as the sim runtime's
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


class _Scaling(_ReleaseReading):
    async def stop(self, *, namespace: str, release: str) -> None:
        await self._require(namespace, release)
        for item in await self._workloads(namespace, release):
            patch: dict[str, Any]
            if isinstance(item, client.V1DaemonSet):
                patch = {"spec": {"template": {"spec": {"nodeSelector": {STOPPED_NODE_SELECTOR: "true"}}}}}
            elif isinstance(item, client.V1Job):
                continue
            else:
                patch = {"spec": {"replicas": 0}}
                if REPLICAS_BEFORE_STOP not in _annotations(item):  # a second stop keeps the first count
                    patch["metadata"] = {"annotations": {REPLICAS_BEFORE_STOP: str(_desired(item))}}
            await self._patch(item, namespace, patch)

    async def start(self, *, namespace: str, release: str) -> None:
        await self._require(namespace, release)
        for item in await self._workloads(namespace, release):
            if isinstance(item, client.V1DaemonSet):
                # A strategic merge patch deletes a map key set to null.
                patch: dict[str, Any] = {
                    "spec": {"template": {"spec": {"nodeSelector": {STOPPED_NODE_SELECTOR: None}}}}
                }
            elif (before := _annotations(item).get(REPLICAS_BEFORE_STOP)) is not None:
                restored = int(before) if before.isdigit() else 1
                patch = {"metadata": {"annotations": {REPLICAS_BEFORE_STOP: None}}, "spec": {"replicas": restored}}
            else:
                continue
            await self._patch(item, namespace, patch)

    async def restart(self, *, namespace: str, release: str) -> None:
        await self._require(namespace, release)
        # What `kubectl rollout restart` does: a new pod template annotation rolls every pod.
        stamp = datetime.now(UTC).isoformat()
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        for item in await self._workloads(namespace, release):
            await self._patch(item, namespace, patch)

    async def replace_broken_pods(self, *, namespace: str, release: str) -> list[str]:
        # Only StatefulSets need it (Kubernetes' "forced rollback"): the Deployment and DaemonSet controllers
        # themselves delete the old pods that are not ready when they roll out the current template.
        await self._require(namespace, release)
        deleted = []
        for item in await self._workloads(namespace, release):
            if not isinstance(item, client.V1StatefulSet) or not (selector := _selector(item.spec.selector)):
                continue
            current = await self._update_revision(namespace, _name(item))
            pods = await self._kube(self._core.list_namespaced_pod, namespace, label_selector=selector)
            for pod in pods.items:
                revision = (_metadata(pod).labels or {}).get("controller-revision-hash")
                if current is not None and revision != current and not _pod(pod, "").ready:
                    await self._kube(_unless_gone(self._core.delete_namespaced_pod), _name(pod), namespace)
                    deleted.append(_name(pod))
        return deleted

    async def _patch(self, item: Workload, namespace: str, patch: dict[str, Any]) -> None:
        # A dict body goes as a strategic merge patch, as kubectl sends it.
        patcher: Callable[..., Any]
        if isinstance(item, client.V1Deployment):
            patcher = self._apps.patch_namespaced_deployment
        elif isinstance(item, client.V1StatefulSet):
            patcher = self._apps.patch_namespaced_stateful_set
        elif isinstance(item, client.V1DaemonSet):
            patcher = self._apps.patch_namespaced_daemon_set
        else:
            return  # a Job is neither scaled nor restarted
        await self._kube(patcher, _name(item), namespace, patch)
