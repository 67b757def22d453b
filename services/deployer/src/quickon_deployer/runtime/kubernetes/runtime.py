"""KubernetesRuntime: the class, how it connects, and the Runtime calls helm answers."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pydantic
import urllib3
from kubernetes import client, config
from kubernetes.client import ApiException
from pyhelm3 import Client, Command  # type: ignore[import-untyped]

from ..base import ReleaseNotFound, Revision, RuntimeFailure
from .capacity import _Capacity
from .errors import REQUEST_TIMEOUT, _unless_gone
from .exposure import _Exposure
from .health import _HealthReading
from .helm import HELM_GRACE_S, _start_helm
from .nodes import _Nodes
from .objects import _annotations, _selector
from .platform import _Platform
from .release import INSTANCE_LABEL, RESOURCE_POLICY, _check_claims_kept
from .scaling import _Scaling
from .waiting import _Waiting

MAX_RELEASES = 100_000
PLATFORM_NAMESPACE = "quickon-system"
PLATFORM_RELEASE = "quickon"  # the chart's release name: its Deployments are quickon-deployer, quickon-gateway, ...


class KubernetesRuntime(_Scaling, _HealthReading, _Waiting, _Capacity, _Exposure, _Nodes, _Platform):
    """Releases on a Kubernetes cluster; one instance per deployer process."""

    name = "kubernetes"
    copies_volumes = False

    def __init__(
        self, *, api: client.ApiClient, helm: Client, command: Command, workdir: Path, helm_timeout_s: float,
        platform_namespace: str = PLATFORM_NAMESPACE, platform_release: str = PLATFORM_RELEASE,
    ) -> None:  # fmt: skip
        self._api = api
        # Where the platform's own Deployments are (``<platform_release>-<service>``): what components() reads.
        self._platform_namespace = platform_namespace
        self._platform_release = platform_release
        self._core = client.CoreV1Api(api)
        self._apps = client.AppsV1Api(api)
        self._batch = client.BatchV1Api(api)
        self._server = str(api.configuration.host)
        self._helm = helm
        self._command = command  # helm verbs the client has no method for (history, rollback, manifest)
        self._workdir = workdir
        self._helm_deadline_s = helm_timeout_s + HELM_GRACE_S
        self._wait_s = helm_timeout_s
        self._start_waiting()

    @classmethod
    def create(
        cls, *, kubeconfig: Path | None, context: str | None, helm_timeout_s: float,
        platform_namespace: str = PLATFORM_NAMESPACE, platform_release: str = PLATFORM_RELEASE,
    ) -> KubernetesRuntime:  # fmt: skip
        """Connect with ``kubeconfig`` (and ``context``), else as the pod's service account inside a cluster."""
        configuration = client.Configuration()
        kubeconfig = kubeconfig.expanduser() if kubeconfig is not None else None  # helm gets it unexpanded
        try:
            if kubeconfig is not None:
                config.load_kube_config(  # type: ignore[no-untyped-call]
                    config_file=str(kubeconfig),
                    context=context,
                    client_configuration=configuration,
                    persist_config=False,
                )
            elif os.environ.get("KUBERNETES_SERVICE_HOST"):
                config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            else:
                raise RuntimeFailure("no kubeconfig: set QC_DEPLOYER_KUBECONFIG or run inside a cluster")
        except (config.ConfigException, OSError, ValueError) as error:
            raise RuntimeFailure(f"cannot load the cluster configuration: {error}") from None
        helm, command, workdir = _start_helm(kubeconfig=kubeconfig, context=context, helm_timeout_s=helm_timeout_s)
        api = client.ApiClient(configuration)
        return cls(
            api=api, helm=helm, command=command, workdir=workdir, helm_timeout_s=helm_timeout_s,
            platform_namespace=platform_namespace, platform_release=platform_release,
        )  # fmt: skip

    # -- the Runtime calls (stop, start, restart and replace_broken_pods: scaling.py; health: health.py) --

    async def check(self) -> str | None:
        # /version authenticates the kubeconfig's credentials (a bad token gets 401) without needing any RBAC.
        try:
            await asyncio.to_thread(client.VersionApi(self._api).get_code, _request_timeout=REQUEST_TIMEOUT)
        except (ApiException, urllib3.exceptions.HTTPError) as error:
            return self._kube_failure(error).reason
        return None

    async def deploy(
        self,
        *,
        namespace: str,
        release: str,
        chart: Path,
        values: dict[str, Any],
        manifests: list[dict[str, Any]],
        description: str,
    ) -> int:
        # ``manifests`` is unused: helm renders the chart again itself, as `helm upgrade` must to record it.
        try:
            packaged = await self._run_helm(lambda: self._helm.get_chart(chart.resolve()), changes=False)
        except pydantic.ValidationError as error:
            raise RuntimeFailure(f"chart {chart.name}: Chart.yaml is not valid: {error}") from None
        # No --wait: the deployer follows readiness itself through health().
        revision = await self._run_helm(
            lambda: self._helm.install_or_upgrade_release(
                release, packaged, values, namespace=namespace, description=description, create_namespace=True
            ),
            changes=True,
        )
        return int(revision.revision)

    async def rollback(self, *, namespace: str, release: str, revision: int, description: str) -> int:
        # helm rollback takes no description: helm records "Rollback to <revision>" instead of ``description``.
        revisions = await self.history(namespace=namespace, release=release)
        if not revisions:
            raise ReleaseNotFound(f"no release {namespace}/{release}")
        if revision not in {r.number for r in revisions}:
            raise RuntimeFailure(f"release {namespace}/{release} has no revision {revision}")
        await self._run_helm(lambda: self._command.rollback(release, revision, namespace=namespace), changes=True)
        return (await self.history(namespace=namespace, release=release))[-1].number

    async def history(self, *, namespace: str, release: str) -> list[Revision]:
        try:
            entries = await self._run_helm(lambda: self._command.history(release, namespace=namespace), changes=False)
        except ReleaseNotFound:
            return []
        revisions = [
            Revision(int(e["revision"]), str(e["status"]), str(e.get("description") or ""), str(e.get("chart") or ""))
            for e in entries
        ]
        return sorted(revisions, key=lambda r: r.number)

    async def uninstall(self, *, namespace: str, release: str, keep_volumes: bool) -> None:
        documents = await self._recorded_documents(namespace, release)  # none: uninstalled already
        if keep_volumes:
            _check_claims_kept(namespace, release, documents)
        # helm deletes with the background cascade: the workloads' pods outlive them, found by their selectors
        # (but those of a workload helm keeps, which stay).
        workloads = await self._workloads(namespace, release, jobs=True)
        deleted = [item for item in workloads if _annotations(item).get(RESOURCE_POLICY) != "keep"]
        selectors = {_selector(item.spec.selector if item.spec else None) for item in deleted} - {""}
        if not documents and not workloads:  # asked again once helm's record and workloads are gone
            selectors.add(f"{INSTANCE_LABEL}={release}")  # what is left of it carries its label
        pod_selectors = sorted(selectors)
        # Idempotent: pyhelm3 treats a release that is not there as uninstalled.
        await self._run_helm(lambda: self._helm.uninstall_release(release, namespace=namespace), changes=True)
        await self.apply_exposure(namespace=namespace, release=release, objects=[])  # not helm's: QuickOn's own
        claims = [] if keep_volumes else await self._claims(namespace, release)
        for claim in claims:
            await self._kube(_unless_gone(self._core.delete_namespaced_persistent_volume_claim), claim, namespace)
        await self._until_deleted(namespace, release, documents=documents, pod_selectors=pod_selectors, claims=claims)

    async def releases(self) -> list[tuple[str, str]]:
        entries = await self._run_helm(
            lambda: self._command.list(all=True, all_namespaces=True, max_releases=MAX_RELEASES), changes=False
        )
        return sorted((str(e["namespace"]), str(e["name"])) for e in entries)

    async def close(self) -> None:
        self._stop_waiting()
        self._api.close()  # type: ignore[no-untyped-call]
        shutil.rmtree(self._workdir, ignore_errors=True)
