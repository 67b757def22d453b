"""The ``kubernetes`` runtime: a real cluster, reached through a kubeconfig or the in-cluster service account.

Helm (the ``helm`` CLI, driven through pyhelm3) owns releases and their revisions, so ``helm list``
shows what QuickOn installed. The official ``kubernetes`` client (its sync API, in worker threads)
reads health and makes the changes Helm has no verb for, as ``kubectl scale`` and ``kubectl rollout
restart`` would: Helm's three-way merge keeps such live changes across upgrades unless the chart
changes the same field, so a stopped release stays stopped when upgraded (as in the ``sim`` runtime).

Volumes: ``helm uninstall`` honours ``helm.sh/resource-policy: keep`` only as recorded in the release's
manifest, never on the live object. So every install and upgrade passes through a post-renderer that
marks each PersistentVolumeClaim ``keep``: Helm never deletes a claim, and ``uninstall`` deletes the
release's claims itself unless asked to keep them (StatefulSets' claim templates leave theirs too).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import urllib3
from kubernetes import client, config
from kubernetes.client import ApiException
from pyhelm3 import Client, Command  # type: ignore[import-untyped]
from pyhelm3 import errors as helm_errors
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from quickon_common.helm import HelmError, helm_binary

from .base import (
    FAILING_REASONS,
    ClusterEvent,
    Health,
    PodHealth,
    ReleaseNotFound,
    Revision,
    RuntimeFailure,
    WorkloadHealth,
)

T = TypeVar("T")
Workload = client.V1Deployment | client.V1StatefulSet | client.V1DaemonSet | client.V1Job

INSTANCE_LABEL = "app.kubernetes.io/instance"
RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
RESOURCE_POLICY = "helm.sh/resource-policy"
REPLICAS_BEFORE_STOP = "quickon.io/replicas-before-stop"  # the same annotation as the sim runtime's
STOPPED_NODE_SELECTOR = "quickon.io/stopped"  # a DaemonSet is stopped by a node selector no node has
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
REQUEST_TIMEOUT = (5.0, 30.0)  # connect, read: an API server that does not answer fails the call, not the saga
RECENT_EVENTS = 50
WAIT_HINT_S = 2.0  # between two looks at a rollout: each costs a few API calls
MAX_RELEASES = 100_000
OBSERVE_TRIES, OBSERVE_INTERVAL_S = 20, 0.5  # how long a controller may take to notice a new spec
HELM_GRACE_S = 60.0  # beyond helm's own --timeout, before a helm process is given up (and killed)
MESSAGE_MAX = 2000
RETRYABLE_STATUS = {429, 500, 502, 503, 504}
# Words in helm's errors meaning it could not talk to the API server (pyhelm3 classifies only some).
UNREACHABLE = re.compile(
    r"cluster unreachable|connection refused|no such host|i/o timeout|network is unreachable|"
    r"tls handshake timeout|connection reset|etcdserver|context deadline exceeded"
)
REFUSED = re.compile(r"unauthorized|provide credentials|forbidden: user .* cannot")

# Run by helm after rendering each install and upgrade (``--post-renderer``): only the claims' documents
# are parsed and re-serialised, every other object reaches the cluster exactly as the chart rendered it.
KEEP_CLAIMS_SCRIPT = """
import re, sys, yaml
chunks = re.split(r"(?m)^---[ \\t]*$", sys.stdin.read())
for index, chunk in enumerate(chunks):
    try:
        document = yaml.safe_load(chunk) if "PersistentVolumeClaim" in chunk else None
    except yaml.YAMLError:
        continue
    if isinstance(document, dict) and document.get("kind") == "PersistentVolumeClaim":
        metadata = document.setdefault("metadata", {})
        metadata["annotations"] = {**(metadata.get("annotations") or {}), "helm.sh/resource-policy": "keep"}
        chunks[index] = "\\n" + yaml.safe_dump(document, sort_keys=False)
sys.stdout.write("---".join(chunks))
"""


class _HelmCommand(Command):  # type: ignore[misc]
    """pyhelm3's command runner, adding QuickOn's post-renderer to every ``helm upgrade --install``."""

    def __init__(self, *, post_renderer: Path, **options: Any) -> None:
        super().__init__(**options)
        self._post_renderer = post_renderer

    async def run(self, command: list[Any], input: bytes | None = None) -> bytes:
        if command[:1] == ["upgrade"]:
            command = [*command, "--post-renderer", str(self._post_renderer)]
        output: bytes = await super().run(command, input)
        return output


class KubernetesRuntime:
    """Releases on a Kubernetes cluster; one instance per deployer process."""

    name = "kubernetes"

    def __init__(
        self, *, api: client.ApiClient, helm: Client, command: Command, workdir: Path, helm_timeout_s: float
    ) -> None:
        self._api = api
        self._core = client.CoreV1Api(api)
        self._apps = client.AppsV1Api(api)
        self._batch = client.BatchV1Api(api)
        self._server = str(api.configuration.host)
        self._helm = helm
        self._command = command  # helm verbs the client has no method for (history, rollback, manifest)
        self._workdir = workdir
        self._helm_deadline_s = helm_timeout_s + HELM_GRACE_S

    @classmethod
    def create(cls, *, kubeconfig: Path | None, context: str | None, helm_timeout_s: float) -> KubernetesRuntime:
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
        workdir = Path(tempfile.mkdtemp(prefix="qc-helm-"))
        post_renderer = workdir / "keep-claims"
        post_renderer.write_text(f"#!{sys.executable}\n{KEEP_CLAIMS_SCRIPT}")
        post_renderer.chmod(0o700)
        try:
            executable = helm_binary()
            command = _HelmCommand(
                post_renderer=post_renderer,
                executable=executable,
                kubeconfig=kubeconfig,
                kubecontext=context,
                default_timeout=f"{max(1, round(helm_timeout_s))}s",  # helm wants a Go duration, not a number
            )
            helm = Client(command=command, executable=executable)  # runs `helm version` once
        except (HelmError, OSError, subprocess.CalledProcessError, AssertionError) as error:
            shutil.rmtree(workdir, ignore_errors=True)
            raise RuntimeFailure(f"helm: {error}") from None
        api = client.ApiClient(configuration)
        return cls(api=api, helm=helm, command=command, workdir=workdir, helm_timeout_s=helm_timeout_s)

    # -- the Runtime calls ------------------------------------------------------------------

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
        if keep_volumes:
            await self._check_claims_kept(namespace, release)
        # Idempotent: pyhelm3 treats a release that is not there as uninstalled.
        await self._run_helm(lambda: self._helm.uninstall_release(release, namespace=namespace), changes=True)
        if not keep_volumes:
            for claim in await self._claims(namespace, release):
                await self._kube(_unless_gone(self._core.delete_namespaced_persistent_volume_claim), claim, namespace)

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

    async def health(self, *, namespace: str, release: str) -> Health:
        if not await self._exists(namespace, release):
            return Health(exists=False)
        workloads = [_workload(item) for item in await self._workloads(namespace, release, jobs=True)]
        selected = [w for w in workloads if w.selector]  # never list a whole namespace's pods
        pod_lists = await asyncio.gather(
            *(self._kube(self._core.list_namespaced_pod, namespace, label_selector=w.selector) for w in selected)
        )
        owned: dict[str, tuple[str, client.V1Pod]] = {}  # by pod name: a pod two selectors match counts once
        for workload, found in zip(selected, pod_lists, strict=True):
            for pod in found.items:
                owned.setdefault(_name(pod), (workload.ref, pod))
        pods = sorted(owned.values(), key=lambda item: _created(item[1].metadata))
        pod_health = tuple(_pod(pod, ref) for ref, pod in pods)
        events = await self._kube(self._core.list_namespaced_event, namespace)
        subjects = {w.ref for w in workloads} | {f"Pod/{p.name}" for p in pod_health}
        subjects |= {f"{o.kind}/{o.name}" for _, pod in pods for o in (_metadata(pod).owner_references or [])}
        long_running = [w for w in workloads if w.health.kind != "Job"]
        return Health(
            exists=True,
            ready=all(w.complete for w in workloads),
            degraded=any(_failing(pod) for pod in pod_health),
            stopped=bool(long_running) and all(w.health.desired == 0 for w in long_running),
            pending_reason=next(filter(None, (_unschedulable(pod) for _, pod in pods)), None),
            workloads=tuple(w.health for w in workloads),
            pods=pod_health,
            events=_recent_events(events.items, subjects),
        )

    async def releases(self) -> list[tuple[str, str]]:
        entries = await self._run_helm(
            lambda: self._command.list(all=True, all_namespaces=True, max_releases=MAX_RELEASES), changes=False
        )
        return sorted((str(e["namespace"]), str(e["name"])) for e in entries)

    def wait_hint(self) -> float:
        return WAIT_HINT_S

    async def close(self) -> None:
        self._api.close()  # type: ignore[no-untyped-call]
        shutil.rmtree(self._workdir, ignore_errors=True)

    # -- reading the release ------------------------------------------------------------------

    async def _exists(self, namespace: str, release: str) -> bool:
        # Helm keeps each revision in a Secret labelled with the release: one cheap call, no helm process.
        selector = f"owner=helm,name={release},status!=uninstalled"
        secrets = await self._kube(self._core.list_namespaced_secret, namespace, label_selector=selector, limit=1)
        return bool(secrets.items)

    async def _require(self, namespace: str, release: str) -> None:
        if not await self._exists(namespace, release):
            raise ReleaseNotFound(f"no release {namespace}/{release}")

    async def _workloads(self, namespace: str, release: str, *, jobs: bool = False) -> list[Workload]:
        """The release's Deployments, StatefulSets and DaemonSets (and Jobs): those with its instance label."""
        listers: list[Callable[..., Any]] = [
            self._apps.list_namespaced_deployment,
            self._apps.list_namespaced_stateful_set,
            self._apps.list_namespaced_daemon_set,
        ]
        if jobs:
            listers.append(self._batch.list_namespaced_job)
        selector = f"{INSTANCE_LABEL}={release}"
        lists = await asyncio.gather(*(self._kube(lister, namespace, label_selector=selector) for lister in listers))
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
            metadata = claim.metadata or client.V1ObjectMeta()
            labels, annotations = metadata.labels or {}, metadata.annotations or {}
            if release in (labels.get(INSTANCE_LABEL), annotations.get(RELEASE_NAME_ANNOTATION)):
                names.append(str(metadata.name))
        return names

    async def _check_claims_kept(self, namespace: str, release: str) -> None:
        """Refuse, before anything is deleted, to uninstall a release whose recorded claims helm would delete
        (one deployed without QuickOn's post-renderer): that would lose the data asked to be kept."""

        async def manifest() -> list[Any]:
            return list(await self._command.get_resources(release, namespace=namespace))

        try:
            documents = await self._run_helm(manifest, changes=False)
        except ReleaseNotFound:
            return
        unkept = [
            str(d.get("metadata", {}).get("name"))
            for d in documents
            if isinstance(d, dict)
            and d.get("kind") == "PersistentVolumeClaim"
            and (d.get("metadata", {}).get("annotations") or {}).get(RESOURCE_POLICY) != "keep"
        ]
        if unkept:
            raise RuntimeFailure(
                f"cannot keep the volumes of {namespace}/{release}: helm would delete PersistentVolumeClaim "
                f"{', '.join(unkept)} (deployed without {RESOURCE_POLICY}: keep); upgrade the release first"
            )

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

    # -- the edges: retries and errors ------------------------------------------------------------

    async def _kube(self, call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """One Kubernetes API call in a worker thread, retried briefly while the API server cannot be reached."""
        bound = partial(call, *args, _request_timeout=REQUEST_TIMEOUT, **kwargs)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.3, max=2),
                retry=retry_if_exception(_kube_unreachable),
                reraise=True,
            ):
                with attempt:
                    return await asyncio.to_thread(bound)
        except (ApiException, urllib3.exceptions.HTTPError) as error:
            raise self._kube_failure(error) from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def _run_helm(self, make: Callable[[], Awaitable[T]], *, changes: bool) -> T:
        """One helm command, retried briefly while the cluster cannot be reached; one that ``changes`` the
        release only when helm failed before touching anything (its first step checks the cluster answers)."""

        def retry(error: BaseException) -> bool:
            if not isinstance(error, helm_errors.Error):
                return False
            message = _helm_message(error).lower()
            if changes:
                return "kubernetes cluster unreachable" in message and not REFUSED.search(message)
            return bool(UNREACHABLE.search(message)) and not REFUSED.search(message)

        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(3),
                wait=wait_exponential(multiplier=0.5, max=4),
                retry=retry_if_exception(retry),
                reraise=True,
            ):
                with attempt:
                    # helm's --timeout bounds its waits, not a call the API server never answers.
                    async with asyncio.timeout(self._helm_deadline_s):
                        return await make()
        except helm_errors.Error as error:
            raise self._helm_failure(error) from None
        except TimeoutError:
            raise RuntimeFailure(f"helm did not finish in {self._helm_deadline_s:.0f}s", retryable=True) from None
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _kube_failure(self, error: Exception) -> RuntimeFailure:
        if isinstance(error, ApiException) and error.status:
            message = _api_message(error)
            # 403 also answers an exceeded quota: only "User ... cannot ..." is about credentials/RBAC.
            if error.status == 401 or (error.status == 403 and "cannot" in message):
                return RuntimeFailure(f"the cluster refused: {message}; check the kubeconfig's credentials/RBAC")
            return RuntimeFailure(f"the cluster refused: {message}", retryable=error.status in RETRYABLE_STATUS)
        reason = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
        return RuntimeFailure(f"the Kubernetes API server {self._server} cannot be reached: {reason}", retryable=True)

    def _helm_failure(self, error: Any) -> RuntimeFailure:
        message = _helm_message(error)
        lower = message.lower()
        if isinstance(error, helm_errors.ReleaseNotFoundError):
            return ReleaseNotFound(f"helm: {message}")
        if REFUSED.search(lower):
            return RuntimeFailure(f"the cluster refused: {message}; check the kubeconfig's credentials/RBAC")
        if isinstance(error, helm_errors.ConnectionError) or UNREACHABLE.search(lower):
            return RuntimeFailure(
                f"the Kubernetes API server {self._server} cannot be reached: {message}", retryable=True
            )
        # A concurrent (or interrupted) install/upgrade/rollback holds the release; it may finish.
        return RuntimeFailure(f"helm: {message}", retryable="another operation" in lower)


# -- reading objects -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Workload:
    health: WorkloadHealth
    complete: bool  # every desired pod is current and ready (a Job: it has completed)
    selector: str  # its pods, as a label selector

    @property
    def ref(self) -> str:
        return f"{self.health.kind}/{self.health.name}"


def _workload(item: Workload) -> _Workload:
    """Desired, ready and updated pods of a workload, judged as ``kubectl rollout status`` judges them."""
    # Counts the controller made before it saw the latest spec (observedGeneration) are about an older one.
    generation = _metadata(item).generation or 0
    if isinstance(item, client.V1Job):
        job = item.status or client.V1JobStatus()
        desired = (item.spec.completions if item.spec else None) or 1
        ready = job.succeeded or 0
        updated = ready + (job.active or 0)
        complete = any(c.type == "Complete" and c.status == "True" for c in job.conditions or [])
    elif isinstance(item, client.V1DaemonSet):
        daemons = item.status
        template = item.spec.template.spec if item.spec else None
        stopped = STOPPED_NODE_SELECTOR in ((template.node_selector if template else None) or {})
        desired = 0 if stopped or daemons is None else daemons.desired_number_scheduled
        ready = daemons.number_ready if daemons else 0
        updated = (daemons.updated_number_scheduled or 0) if daemons else 0
        observed = daemons is not None and (daemons.observed_generation or 0) >= generation
        complete = observed and ready == updated == desired
    else:
        replicas = item.status
        desired = _desired(item)
        ready = (replicas.ready_replicas or 0) if replicas else 0
        updated = (replicas.updated_replicas or 0) if replicas else 0
        total = (replicas.replicas or 0) if replicas else 0  # old pods still running count here too
        observed = replicas is not None and (replicas.observed_generation or 0) >= generation
        complete = observed and ready == updated == total == desired
    kind = type(item).__name__.removeprefix("V1")
    selector = _selector(item.spec.selector if item.spec else None)
    return _Workload(WorkloadHealth(kind, _name(item), desired, ready, updated), complete, selector)


def _pod(pod: client.V1Pod, workload: str) -> PodHealth:
    metadata, status = pod.metadata or client.V1ObjectMeta(), pod.status or client.V1PodStatus()
    ready = any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])
    containers = [*(status.init_container_statuses or []), *(status.container_statuses or [])]
    return PodHealth(
        name=str(metadata.name),
        workload=workload,
        phase=status.phase or "Pending",
        ready=ready,
        restarts=sum(c.restart_count for c in containers),
        reason="" if ready else _pod_reason(status),
        node=pod.spec.node_name if pod.spec is not None else None,
    )


def _pod_reason(status: client.V1PodStatus) -> str:
    """The one word ``kubectl get pods`` prints for a pod that is not ready."""
    if status.reason:  # Evicted, NodeLost, ...
        return status.reason
    if any(c.type == "PodScheduled" and c.status == "False" for c in status.conditions or []):
        return "Unschedulable" if _scheduling_message(status) else "Pending"
    for init in status.init_container_statuses or []:
        state = init.state
        if state is not None and state.waiting is not None and state.waiting.reason:
            return f"Init:{state.waiting.reason}"
        if state is not None and state.terminated is not None and state.terminated.exit_code != 0:
            return f"Init:{state.terminated.reason or 'Error'}"
    for container in status.container_statuses or []:
        state = container.state
        if state is not None and state.waiting is not None and state.waiting.reason:
            return state.waiting.reason  # ContainerCreating, CrashLoopBackOff, ImagePullBackOff, ...
        if state is not None and state.terminated is not None and state.terminated.reason:
            return state.terminated.reason  # Error, OOMKilled, Completed
    return status.phase or "Pending"


def _failing(pod: PodHealth) -> bool:
    """Crash-looping, unable to pull its image, or restarted and not ready again (as the sim judges ``degraded``)."""
    if pod.ready or pod.phase == "Succeeded":
        return False
    return pod.reason.removeprefix("Init:") in FAILING_REASONS or pod.restarts > 0


def _unschedulable(pod: client.V1Pod) -> str | None:
    return _scheduling_message(pod.status) if pod.status is not None else None


def _scheduling_message(status: client.V1PodStatus) -> str | None:
    for condition in status.conditions or []:
        if condition.type == "PodScheduled" and condition.status == "False" and condition.reason == "Unschedulable":
            return condition.message or condition.reason
    return None


def _recent_events(events: list[client.CoreV1Event], subjects: set[str]) -> tuple[ClusterEvent, ...]:
    """The latest events about the release's workloads, their ReplicaSets and their pods, oldest first."""
    found = []
    for event in events:
        subject = f"{event.involved_object.kind}/{event.involved_object.name}"
        if subject not in subjects:
            continue
        stamp = event.last_timestamp or event.event_time or event.first_timestamp or event.metadata.creation_timestamp
        count = event.count or (event.series.count if event.series is not None else None) or 1
        found.append(
            ClusterEvent(
                type=event.type or "Normal",
                reason=event.reason or "",
                object=subject,
                message=event.message or "",
                count=count,
                time=stamp.timestamp() if stamp is not None else 0.0,
            )
        )
    return tuple(sorted(found, key=lambda e: e.time)[-RECENT_EVENTS:])


def _selector(selector: client.V1LabelSelector | None) -> str:
    """A workload's ``spec.selector`` in the label selector syntax of list calls."""
    if selector is None:
        return ""
    terms = [f"{key}={value}" for key, value in (selector.match_labels or {}).items()]
    for requirement in selector.match_expressions or []:
        values = ",".join(requirement.values or [])
        terms.append(
            {
                "In": f"{requirement.key} in ({values})",
                "NotIn": f"{requirement.key} notin ({values})",
                "Exists": requirement.key,
                "DoesNotExist": f"!{requirement.key}",
            }.get(requirement.operator, requirement.key)
        )
    return ",".join(terms)


def _desired(item: client.V1Deployment | client.V1StatefulSet) -> int:
    replicas = item.spec.replicas if item.spec else None
    return 1 if replicas is None else replicas  # the API server's default


def _metadata(item: Workload | client.V1Pod) -> client.V1ObjectMeta:
    return item.metadata or client.V1ObjectMeta()


def _name(item: Workload | client.V1Pod) -> str:
    return str(_metadata(item).name)


def _annotations(item: Workload) -> dict[str, str]:
    return _metadata(item).annotations or {}


def _created(metadata: client.V1ObjectMeta | None) -> float:
    stamp = metadata.creation_timestamp if metadata is not None else None
    return stamp.timestamp() if stamp is not None else 0.0


# -- errors ----------------------------------------------------------------------------------------


def _kube_unreachable(error: BaseException) -> bool:
    # urllib3 raises on refused/reset connections and timeouts; the client turns TLS failures into status 0.
    return isinstance(error, urllib3.exceptions.HTTPError) or (isinstance(error, ApiException) and not error.status)


def _api_message(error: ApiException) -> str:
    """The API server's own message (its Status body), else the HTTP status."""
    try:
        message = json.loads(error.body or "").get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message or f"{error.status} {error.reason}")[:MESSAGE_MAX]


def _helm_message(error: Any) -> str:
    """helm's error, without the warnings it prints first (such as a group-readable kubeconfig)."""
    stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else str(error)
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("WARNING: ")]
    message = "\n".join(lines).removeprefix("Error: ") or f"helm exited with {error.returncode}"
    return message[:MESSAGE_MAX]


def _unless_gone(call: Callable[..., T]) -> Callable[..., T | None]:
    """``call``, for which a 404 (already deleted) is success."""

    def run(*args: Any, **kwargs: Any) -> T | None:
        try:
            return call(*args, **kwargs)
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    return run
