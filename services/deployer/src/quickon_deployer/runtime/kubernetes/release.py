"""Reading the release: its workloads, its claims and whether it exists, through the Kubernetes API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from kubernetes import client
from pyhelm3 import Command  # type: ignore[import-untyped]

from ..base import ReleaseNotFound, RuntimeFailure
from .errors import _Edges
from .objects import Workload, _metadata
from .sources import TypedSource, mark

Marks = list[tuple[TypedSource, str]]  # lists of a release with the resourceVersion of each: where watches start
INSTANCE_LABEL = "app.kubernetes.io/instance"
RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
RESOURCE_POLICY = "helm.sh/resource-policy"
OBSERVE_TRIES, OBSERVE_INTERVAL_S = 20, 0.5  # how long a controller may take to notice a new spec


class _ReleaseReading(_Edges):
    """What the Runtime calls know of a release's objects."""

    _core: client.CoreV1Api
    _apps: client.AppsV1Api
    _batch: client.BatchV1Api
    _command: Command

    async def _exists(self, namespace: str, release: str) -> bool:
        # Helm keeps each revision in a Secret labelled with the release: one cheap call, no helm process.
        selector = f"owner=helm,name={release},status!=uninstalled"
        secrets = await self._kube(self._core.list_namespaced_secret, namespace, label_selector=selector, limit=1)
        return bool(secrets.items)

    async def _require(self, namespace: str, release: str) -> None:
        if not await self._exists(namespace, release):
            raise ReleaseNotFound(f"no release {namespace}/{release}")

    async def _workloads(
        self, namespace: str, release: str, *, jobs: bool = False, marks: Marks | None = None
    ) -> list[Workload]:
        """The release's Deployments, StatefulSets and DaemonSets (and Jobs): those with its instance label.
        Each list's source and resourceVersion go to ``marks``, for a watch to start from."""
        listers: list[Callable[..., Any]] = [
            self._apps.list_namespaced_deployment,
            self._apps.list_namespaced_stateful_set,
            self._apps.list_namespaced_daemon_set,
        ]
        if jobs:
            listers.append(self._batch.list_namespaced_job)
        selector = f"{INSTANCE_LABEL}={release}"
        lists = await asyncio.gather(*(self._kube(lister, namespace, label_selector=selector) for lister in listers))
        if marks is not None:
            marks += [
                mark(TypedSource(lister, namespace, label_selector=selector), found)
                for lister, found in zip(listers, lists, strict=True)
            ]
        return [item for found in lists for item in found.items]

    async def _update_revision(self, namespace: str, name: str) -> str | None:
        """The StatefulSet's current template revision, once its controller has seen the latest spec (right
        after a rollback it may not have yet); None if it does not within a few seconds."""
        for _ in range(OBSERVE_TRIES):
            item = await self._kube(self._apps.read_namespaced_stateful_set, name, namespace)
            generation = _metadata(item).generation or 0
            if item.status is not None and (item.status.observed_generation or 0) >= generation:
                return item.status.update_revision
            await asyncio.sleep(OBSERVE_INTERVAL_S)
        return None

    async def _claims(self, namespace: str, release: str) -> list[str]:
        """The release's PersistentVolumeClaims: the chart's own and those its StatefulSets' templates made."""
        claims = await self._kube(self._core.list_namespaced_persistent_volume_claim, namespace)
        names = []
        for claim in claims.items:
            metadata = _metadata(claim)
            labels, annotations = metadata.labels or {}, metadata.annotations or {}
            if release in (labels.get(INSTANCE_LABEL), annotations.get(RELEASE_NAME_ANNOTATION)):
                names.append(str(metadata.name))
        return names

    async def _recorded_documents(self, namespace: str, release: str) -> list[dict[str, Any]]:
        """The objects helm recorded for the release's deployed revision (``helm get manifest``); none when
        there is no such release."""

        async def manifest() -> list[Any]:
            return list(await self._command.get_resources(release, namespace=namespace))

        try:
            documents = await self._run_helm(manifest, changes=False)
        except ReleaseNotFound:
            return []
        return [d for d in documents if isinstance(d, dict) and d.get("kind") and d.get("metadata")]


def _check_claims_kept(namespace: str, release: str, documents: list[dict[str, Any]]) -> None:
    """Refuse, before anything is deleted, to uninstall a release whose recorded claims helm would delete
    (one deployed without QuickOn's post-renderer): that would lose the data asked to be kept."""
    unkept = [
        str(d.get("metadata", {}).get("name"))
        for d in documents
        if d.get("kind") == "PersistentVolumeClaim"
        and (d.get("metadata", {}).get("annotations") or {}).get(RESOURCE_POLICY) != "keep"
    ]
    if unkept:
        raise RuntimeFailure(
            f"cannot keep the volumes of {namespace}/{release}: helm would delete PersistentVolumeClaim "
            f"{', '.join(unkept)} (deployed without {RESOURCE_POLICY}: keep); upgrade the release first"
        )
