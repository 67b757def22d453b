"""The runtime contract: what the deployer may rely on from any runtime, run against each of them.

``sim`` always runs. ``kubernetes`` runs against the cluster ``QC_TEST_KUBECONFIG`` names, each test in
a fresh namespace deleted afterwards. A cluster without a kubelet (a bare API server) runs it too with
``QC_TEST_K8S_FAKE_READY=1``: the suite then marks the workloads ready itself through their status
subresource, as kwok would, and checks pods only where a kubelet would have made some.

Where the two runtimes legitimately differ (helm's own rollback description, where a volume's data is),
the test says so next to the assertion.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError as NotFoundErrorOfApi

from quickon_common.certificates import self_signed
from quickon_common.contracts.exposure import AccessSettings, Domain, Exposure, Protection, WafSettings
from quickon_deployer.adapters.render import render
from quickon_deployer.exposure import ForwardAuth
from quickon_deployer.exposure.annotations import PREFIX
from quickon_deployer.exposure.ingress import (
    OWNER_LABEL,
    Keys,
    Platform,
    WebEntry,
    default_host,
    exposure_objects,
    tls_secret_name,
    web_entry,
)
from quickon_deployer.runtime.base import (
    ComponentNotFound,
    Health,
    NodeNotFound,
    ReleaseNotFound,
    Revision,
    Runtime,
    RuntimeFailure,
)
from quickon_deployer.runtime.kubernetes import KubernetesRuntime
from quickon_deployer.runtime.sim import NotFoundError, SimConfig
from quickon_deployer.runtime.simulated import SimRuntime

pytestmark = pytest.mark.runtime_contract

CATALOG = Path(__file__).resolve().parents[2] / "catalog"
REDIS_1, REDIS_2, GITEA = CATALOG / "redis-1.0.0.tgz", CATALOG / "redis-1.0.1.tgz", CATALOG / "gitea-1.1.1.tgz"
KUBECONFIG_ENV = "QC_TEST_KUBECONFIG"
FAKE_READY_ENV = "QC_TEST_K8S_FAKE_READY"
INSTANCE_LABEL = "app.kubernetes.io/instance"
REPLICAS_BEFORE_STOP = "quickon.io/replicas-before-stop"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
SIM_TIMEOUT_S = 15.0
CLUSTER_TIMEOUT_S = 300.0  # a real cluster pulls images and binds volumes


# -- the runtime under test ------------------------------------------------------------------------


@pytest.fixture(params=["sim", "kubernetes"])
async def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Runtime]:
    if request.param == "sim":
        sim = SimRuntime(tmp_path / "sim", SimConfig(delay_scale=0.01))
        yield sim
        await sim.close()
        return
    kubeconfig = os.environ.get(KUBECONFIG_ENV)
    if not kubeconfig:
        pytest.skip(f"set {KUBECONFIG_ENV} to run the runtime contract against a cluster")
    cluster = KubernetesRuntime.create(kubeconfig=Path(kubeconfig), context=None, helm_timeout_s=120)
    yield cluster
    await cluster.close()


@pytest.fixture
async def namespace(runtime: Runtime) -> AsyncIterator[str]:
    """A namespace of this test's own; on a cluster it is created first and deleted (with all in it) after."""
    name = f"qc-contract-{uuid.uuid4().hex[:8]}"
    if isinstance(runtime, SimRuntime):
        yield name
        return
    core = client.CoreV1Api(kube())
    await asyncio.to_thread(core.create_namespace, client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    await asyncio.to_thread(core.delete_namespace, name)


# -- helpers ---------------------------------------------------------------------------------------


async def deploy(
    runtime: Runtime,
    namespace: str,
    release: str,
    chart: Path,
    *,
    values: dict[str, Any] | None = None,
    description: str = "contract",
) -> int:
    """What the deployer does: render the chart with the real ``helm template``, then hand both to the runtime."""
    values = values or {}
    manifests = await render(chart, release=release, namespace=namespace, values=values)
    return await runtime.deploy(
        namespace=namespace, release=release, chart=chart, values=values, manifests=manifests, description=description
    )


async def wait_for(runtime: Runtime, namespace: str, release: str, what: str, test: Callable[[Health], bool]) -> Health:
    """Poll the release's health until ``test`` holds (on a kubelet-less cluster, marking workloads ready first)."""
    deadline = time.monotonic() + (SIM_TIMEOUT_S if isinstance(runtime, SimRuntime) else CLUSTER_TIMEOUT_S)
    while True:
        if fake_ready(runtime):
            await asyncio.to_thread(mark_ready, namespace, release)
        health = await runtime.health(namespace=namespace, release=release)
        if test(health):
            return health
        if time.monotonic() > deadline:
            pytest.fail(f"{namespace}/{release} never became {what}: {health}")
        await runtime.until_changed(namespace=namespace, release=release, at_most=0.5)


async def wait_ready(runtime: Runtime, namespace: str, release: str) -> Health:
    return await wait_for(runtime, namespace, release, "ready", lambda health: health.ready)


def fake_ready(runtime: Runtime) -> bool:
    return isinstance(runtime, KubernetesRuntime) and os.environ.get(FAKE_READY_ENV) == "1"


def has_pods(runtime: Runtime) -> bool:
    """Whether pods are made at all: not on a cluster without a kubelet and controllers."""
    return not fake_ready(runtime)


@cache
def kube() -> client.ApiClient:
    """A client of the test cluster of its own, to look behind the runtime and to play the kubelet."""
    return config.new_client_from_config(config_file=os.environ[KUBECONFIG_ENV])


def mark_ready(namespace: str, release: str) -> None:
    """What the kubelet and the controllers would report once every pod runs: the release's Deployments and
    StatefulSets observed, updated and ready at their spec's replicas (status subresource)."""
    apps = client.AppsV1Api(kube())
    selector = f"{INSTANCE_LABEL}={release}"
    kinds = [
        (apps.list_namespaced_deployment, apps.patch_namespaced_deployment_status),
        (apps.list_namespaced_stateful_set, apps.patch_namespaced_stateful_set_status),
    ]
    for list_objects, patch_status in kinds:
        for item in list_objects(namespace, label_selector=selector).items:
            replicas = 1 if item.spec.replicas is None else item.spec.replicas
            status = {
                "observedGeneration": item.metadata.generation,
                "replicas": replicas,
                "readyReplicas": replicas,
                "updatedReplicas": replicas,
                "availableReplicas": replicas,
            }
            if isinstance(item, client.V1StatefulSet):
                status["currentReplicas"] = replicas
            patch_status(item.metadata.name, namespace, {"status": status})


async def live_object(runtime: Runtime, namespace: str, release: str, kind: str, name: str) -> dict[str, Any]:
    """A workload as it is now in the cluster (with the changes made outside Helm), as JSON."""
    if isinstance(runtime, SimRuntime):
        objects = runtime.cluster.objects(namespace=namespace, release=release)
        return next(obj.live for obj in objects if (obj.kind, obj.name) == (kind, name))
    apps = client.AppsV1Api(kube())
    read = {"Deployment": apps.read_namespaced_deployment, "StatefulSet": apps.read_namespaced_stateful_set}[kind]
    found = await asyncio.to_thread(read, name, namespace)
    serialized: dict[str, Any] = kube().sanitize_for_serialization(found)
    return serialized


async def claim_exists(runtime: Runtime, namespace: str, claim: str) -> bool:
    """Whether the PersistentVolumeClaim is there and not being deleted (the sim: and has its directory)."""
    if isinstance(runtime, SimRuntime):
        try:
            return runtime.cluster.volume_path(namespace=namespace, claim=claim).is_dir()
        except NotFoundError:
            return False
    core = client.CoreV1Api(kube())
    claims = await asyncio.to_thread(core.list_namespaced_persistent_volume_claim, namespace)
    return any(c.metadata.name == claim and c.metadata.deletion_timestamp is None for c in claims.items)


def write_bad_chart(directory: Path) -> Path:
    """A chart whose Deployment's selector does not match its pod labels: Helm renders it, the API server refuses it."""
    (directory / "templates").mkdir(parents=True)
    (directory / "Chart.yaml").write_text("apiVersion: v2\nname: bad\nversion: 0.1.0\n")
    (directory / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-bad\n"
        "  labels:\n    app.kubernetes.io/instance: {{ .Release.Name }}\nspec:\n"
        "  selector:\n    matchLabels:\n      app: bad\n"
        "  template:\n    metadata:\n      labels:\n        app: other\n"
        "    spec:\n      containers:\n        - name: app\n          image: busybox:1.36\n"
    )
    return directory


def live_args(statefulset: dict[str, Any]) -> list[str]:
    return [str(arg) for arg in statefulset["spec"]["template"]["spec"]["containers"][0]["args"]]


# -- the contract ----------------------------------------------------------------------------------


async def test_deploy_installs_revision_one_that_becomes_ready(runtime: Runtime, namespace: str) -> None:
    assert await deploy(runtime, namespace, "cache", REDIS_1, description="install redis 1.0.0") == 1

    history = await runtime.history(namespace=namespace, release="cache")
    assert history == [Revision(1, "deployed", "install redis 1.0.0", "redis-1.0.0")]
    health = await wait_ready(runtime, namespace, "cache")
    assert health.exists and not health.degraded and not health.stopped and health.failure is None
    assert [(w.kind, w.name, w.desired, w.ready, w.updated) for w in health.workloads] == [
        ("StatefulSet", "cache-redis", 1, 1, 1)
    ]
    if has_pods(runtime):
        assert [(p.name, p.workload, p.phase, p.ready) for p in health.pods] == [
            ("cache-redis-0", "StatefulSet/cache-redis", "Running", True)
        ]
    assert (namespace, "cache") in await runtime.releases()


async def test_upgrade_then_rollback_brings_back_the_first_revisions_objects(runtime: Runtime, namespace: str) -> None:
    await deploy(runtime, namespace, "cache", REDIS_1, description="install")
    await wait_ready(runtime, namespace, "cache")
    upgraded = await deploy(
        runtime, namespace, "cache", REDIS_2, values={"redis": {"maxmemory": "100mb"}}, description="upgrade"
    )

    assert upgraded == 2
    history = await runtime.history(namespace=namespace, release="cache")
    assert [(r.number, r.status, r.description, r.chart_version) for r in history] == [
        (1, "superseded", "install", "redis-1.0.0"),
        (2, "deployed", "upgrade", "redis-1.0.1"),
    ]
    await wait_ready(runtime, namespace, "cache")
    statefulset = await live_object(runtime, namespace, "cache", "StatefulSet", "cache-redis")
    assert statefulset["metadata"]["labels"]["helm.sh/chart"] == "redis-1.0.1"
    assert "100mb" in live_args(statefulset)

    assert await runtime.rollback(namespace=namespace, release="cache", revision=1, description="back to 1") == 3
    history = await runtime.history(namespace=namespace, release="cache")
    assert [(r.number, r.status, r.chart_version) for r in history] == [
        (1, "superseded", "redis-1.0.0"),
        (2, "superseded", "redis-1.0.1"),
        (3, "deployed", "redis-1.0.0"),
    ]
    # helm rollback takes no description: Helm records its own.
    assert history[-1].description == ("back to 1" if isinstance(runtime, SimRuntime) else "Rollback to 1")
    health = await wait_ready(runtime, namespace, "cache")
    assert [(w.name, w.desired, w.ready) for w in health.workloads] == [("cache-redis", 1, 1)]
    statefulset = await live_object(runtime, namespace, "cache", "StatefulSet", "cache-redis")
    assert statefulset["metadata"]["labels"]["helm.sh/chart"] == "redis-1.0.0"
    assert "100mb" not in live_args(statefulset)
    if isinstance(runtime, SimRuntime):  # exactly revision 1's objects are stored again
        first = await render(REDIS_1, release="cache", namespace=namespace, values={})
        rendered = next(m for m in first if m["kind"] == "StatefulSet")
        stored = runtime.cluster.objects(namespace=namespace, release="cache")
        assert next(o.applied for o in stored if o.kind == "StatefulSet")["spec"] == rendered["spec"]


async def test_a_rollback_replaces_the_pods_a_bad_upgrade_broke(runtime: Runtime, namespace: str) -> None:
    await deploy(runtime, namespace, "cache", REDIS_1)
    await wait_ready(runtime, namespace, "cache")
    # An image no registry has (a cluster) and the sim's way of saying so: each runtime ignores the other's.
    broken = {"image": {"tag": "0.0.0-missing"}, "podAnnotations": {"sim.quickon.io/fail": "image-pull-error"}}
    await deploy(runtime, namespace, "cache", REDIS_2, values=broken)
    if has_pods(runtime):
        await wait_for(runtime, namespace, "cache", "broken", lambda h: h.degraded and not h.ready)

    await runtime.rollback(namespace=namespace, release="cache", revision=1, description="undo")
    if fake_ready(runtime):
        await asyncio.to_thread(mark_ready, namespace, "cache")  # the controller has seen the rollback
    replaced = await runtime.replace_broken_pods(namespace=namespace, release="cache")

    # The StatefulSet would wait forever for its broken pod to become Ready before replacing it.
    assert replaced == (["cache-redis-0"] if has_pods(runtime) else [])
    health = await wait_ready(runtime, namespace, "cache")
    assert not health.degraded
    assert await runtime.replace_broken_pods(namespace=namespace, release="cache") == []
    with pytest.raises(ReleaseNotFound):
        await runtime.replace_broken_pods(namespace=namespace, release="nothing")


async def test_stop_scales_to_zero_and_start_restores_the_replicas(runtime: Runtime, namespace: str) -> None:
    await deploy(runtime, namespace, "cache", REDIS_1)
    await wait_ready(runtime, namespace, "cache")

    await runtime.stop(namespace=namespace, release="cache")
    await runtime.stop(namespace=namespace, release="cache")  # a second stop is no error and keeps the count
    health = await wait_for(runtime, namespace, "cache", "stopped without pods", lambda h: h.stopped and h.gone)
    assert [(w.name, w.desired) for w in health.workloads] == [("cache-redis", 0)]
    statefulset = await live_object(runtime, namespace, "cache", "StatefulSet", "cache-redis")
    assert statefulset["spec"]["replicas"] == 0
    assert statefulset["metadata"]["annotations"][REPLICAS_BEFORE_STOP] == "1"

    await runtime.start(namespace=namespace, release="cache")
    health = await wait_ready(runtime, namespace, "cache")
    assert not health.stopped
    assert [(w.name, w.desired, w.ready) for w in health.workloads] == [("cache-redis", 1, 1)]
    statefulset = await live_object(runtime, namespace, "cache", "StatefulSet", "cache-redis")
    assert REPLICAS_BEFORE_STOP not in (statefulset["metadata"].get("annotations") or {})
    if has_pods(runtime):
        assert len(health.pods) == 1


async def test_restart_replaces_every_pod_and_the_release_is_ready_again(runtime: Runtime, namespace: str) -> None:
    await deploy(runtime, namespace, "forge", GITEA)
    before = {pod.name for pod in (await wait_ready(runtime, namespace, "forge")).pods}

    await runtime.restart(namespace=namespace, release="forge")

    deployment = await live_object(runtime, namespace, "forge", "Deployment", "forge-gitea")
    assert RESTARTED_AT in deployment["spec"]["template"]["metadata"]["annotations"]
    if has_pods(runtime):
        assert len(before) == 1

        def replaced(health: Health) -> bool:
            return health.ready and len(health.pods) == 1 and not before & {pod.name for pod in health.pods}

        await wait_for(runtime, namespace, "forge", "ready on new pods", replaced)
    else:
        await wait_ready(runtime, namespace, "forge")


async def test_uninstall_keeping_volumes_keeps_the_claim_and_its_data(runtime: Runtime, namespace: str) -> None:
    await deploy(runtime, namespace, "forge", GITEA)
    await wait_ready(runtime, namespace, "forge")
    data = None
    if isinstance(runtime, SimRuntime):  # the sim's volumes are directories of this machine
        data = runtime.cluster.volume_path(namespace=namespace, claim="forge-gitea") / "gitea.db"
        data.write_text("repositories")

    await runtime.uninstall(namespace=namespace, release="forge", keep_volumes=True)

    assert await runtime.history(namespace=namespace, release="forge") == []
    assert not (await runtime.health(namespace=namespace, release="forge")).exists
    assert (namespace, "forge") not in await runtime.releases()
    assert await claim_exists(runtime, namespace, "forge-gitea")
    assert data is None or data.read_text() == "repositories"
    # Gone already: uninstalling again changes nothing and is no error.
    await runtime.uninstall(namespace=namespace, release="forge", keep_volumes=True)
    assert await claim_exists(runtime, namespace, "forge-gitea")

    # Installed again under the same name, the release takes its claim back.
    assert await deploy(runtime, namespace, "forge", GITEA) == 1
    await wait_ready(runtime, namespace, "forge")
    assert await claim_exists(runtime, namespace, "forge-gitea")
    assert data is None or data.read_text() == "repositories"


async def test_uninstall_without_volumes_deletes_the_claim(runtime: Runtime, namespace: str) -> None:
    await deploy(runtime, namespace, "forge", GITEA)
    await wait_ready(runtime, namespace, "forge")
    directory = None
    if isinstance(runtime, SimRuntime):
        directory = runtime.cluster.volume_path(namespace=namespace, claim="forge-gitea")
        (directory / "gitea.db").write_text("repositories")

    await runtime.uninstall(namespace=namespace, release="forge", keep_volumes=False)

    assert not await claim_exists(runtime, namespace, "forge-gitea")
    assert directory is None or not directory.exists()
    assert await runtime.history(namespace=namespace, release="forge") == []
    assert not (await runtime.health(namespace=namespace, release="forge")).exists
    await runtime.uninstall(namespace=namespace, release="forge", keep_volumes=False)


async def test_uninstall_returns_once_no_object_of_the_release_remains(runtime: Runtime, namespace: str) -> None:
    # As `helm uninstall --wait`: the pods' shutdown (their grace period) is part of the uninstall.
    await deploy(runtime, namespace, "forge", GITEA)
    await deploy(runtime, namespace, "cache", REDIS_1)
    await wait_ready(runtime, namespace, "forge")
    await wait_ready(runtime, namespace, "cache")
    manifests = [m for name in ("forge", "cache") for m in await render_release(namespace, name)]

    await runtime.uninstall(namespace=namespace, release="forge", keep_volumes=False)
    await runtime.uninstall(namespace=namespace, release="cache", keep_volumes=False)

    assert await remaining(runtime, namespace, manifests) == []


async def render_release(namespace: str, release: str) -> list[dict[str, Any]]:
    chart = {"forge": GITEA, "cache": REDIS_1}[release]
    return await render(chart, release=release, namespace=namespace, values={})


async def remaining(runtime: Runtime, namespace: str, manifests: list[dict[str, Any]]) -> list[str]:
    """What is still in the cluster (terminating or not) of the objects ``manifests`` name, and any pod in
    ``namespace`` (the test's own: every pod there is one of the releases')."""
    wanted = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    if isinstance(runtime, SimRuntime):
        state = runtime.cluster.snapshot()
        objects = [(o["kind"], o["name"]) for o in state["objects"].values() if o["namespace"] in ("", namespace)]
        found = [f"{kind}/{name}" for kind, name in objects if (kind, name) in wanted]
        return found + [f"Pod/{p['name']}" for p in state["pods"].values() if p["namespace"] == namespace]
    dynamic = DynamicClient(kube())
    found = []
    for manifest in manifests:
        resource = await asyncio.to_thread(
            dynamic.resources.get, api_version=manifest["apiVersion"], kind=manifest["kind"]
        )
        try:
            await asyncio.to_thread(
                resource.get, name=manifest["metadata"]["name"], namespace=namespace if resource.namespaced else None
            )
        except NotFoundErrorOfApi:
            continue
        found.append(f"{manifest['kind']}/{manifest['metadata']['name']}")
    pods = await asyncio.to_thread(client.CoreV1Api(kube()).list_namespaced_pod, namespace)
    return found + [f"Pod/{pod.metadata.name}" for pod in pods.items]


async def test_manifests_the_cluster_refuses_fail_with_its_reason(
    runtime: Runtime, namespace: str, tmp_path: Path
) -> None:
    chart = write_bad_chart(tmp_path / "bad-chart")

    with pytest.raises(RuntimeFailure) as refused:
        await deploy(runtime, namespace, "broken", chart)

    assert not refused.value.retryable
    assert "broken-bad" in refused.value.reason
    assert "does not match" in refused.value.reason


async def test_rollback_to_a_revision_that_does_not_exist_fails(runtime: Runtime, namespace: str) -> None:
    await deploy(runtime, namespace, "cache", REDIS_1)

    with pytest.raises(RuntimeFailure) as missing:
        await runtime.rollback(namespace=namespace, release="cache", revision=7, description="to nowhere")

    assert not isinstance(missing.value, ReleaseNotFound)
    assert "revision 7" in missing.value.reason
    assert [r.number for r in await runtime.history(namespace=namespace, release="cache")] == [1]
    with pytest.raises(ReleaseNotFound):
        await runtime.rollback(namespace=namespace, release="nothing", revision=1, description="to nowhere")


async def test_a_release_that_does_not_exist(runtime: Runtime, namespace: str) -> None:
    for operation in (runtime.stop, runtime.start, runtime.restart):
        with pytest.raises(ReleaseNotFound):
            await operation(namespace=namespace, release="nothing")
    health = await runtime.health(namespace=namespace, release="nothing")
    assert (health.exists, health.ready, health.workloads, health.pods) == (False, False, (), ())
    assert await runtime.history(namespace=namespace, release="nothing") == []
    await runtime.uninstall(namespace=namespace, release="nothing", keep_volumes=False)
    assert [r for r in await runtime.releases() if r[0] == namespace] == []


async def test_releases_lists_what_is_installed(runtime: Runtime, namespace: str) -> None:
    await deploy(runtime, namespace, "cache", REDIS_1)
    await deploy(runtime, namespace, "forge", GITEA)

    assert [r for r in await runtime.releases() if r[0] == namespace] == [(namespace, "cache"), (namespace, "forge")]
    await runtime.uninstall(namespace=namespace, release="cache", keep_volumes=False)
    assert [r for r in await runtime.releases() if r[0] == namespace] == [(namespace, "forge")]


@pytest.mark.parametrize("runtime", ["sim"], indirect=True)
async def test_sim_state_survives_a_deployer_restart(runtime: Runtime, namespace: str, tmp_path: Path) -> None:
    await deploy(runtime, namespace, "cache", REDIS_1, description="install")
    await deploy(runtime, namespace, "cache", REDIS_2, values={"redis": {"maxmemory": "100mb"}}, description="upgrade")
    health = await wait_ready(runtime, namespace, "cache")
    history = await runtime.history(namespace=namespace, release="cache")
    releases = await runtime.releases()
    await runtime.close()

    reopened = SimRuntime(tmp_path / "sim")  # its configuration comes back from the saved state
    try:
        assert await reopened.history(namespace=namespace, release="cache") == history
        assert [r.status for r in history] == ["superseded", "deployed"]
        assert await reopened.releases() == releases == [(namespace, "cache")]
        again = await reopened.health(namespace=namespace, release="cache")
        assert (again.ready, again.workloads, again.pods) == (health.ready, health.workloads, health.pods)
        statefulset = await live_object(reopened, namespace, "cache", "StatefulSet", "cache-redis")
        assert "100mb" in live_args(statefulset)
        assert await reopened.rollback(namespace=namespace, release="cache", revision=1, description="back") == 3
    finally:
        await reopened.close()


# -- reaching a release: the objects QuickOn owns (Ingress, TLS, basic auth) ------------------------


async def held(runtime: Runtime, namespace: str, release: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The exposure objects the runtime holds for the release, by (kind, name)."""
    return {(o["kind"], o["metadata"]["name"]): o for o in await runtime.exposure(namespace=namespace, release=release)}


def annotations_of(objects: dict[tuple[str, str], dict[str, Any]], name: str) -> dict[str, str]:
    return dict(objects[("Ingress", name)]["metadata"].get("annotations") or {})


def rules_of(ingress: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        (rule["host"], path["backend"]["service"]["name"], path["backend"]["service"]["port"].get("number"))
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]


async def cert_manager_served(runtime: Runtime) -> bool:
    """The sim models a cluster with cert-manager; a real one has it when its Certificate CRD is there."""
    if isinstance(runtime, SimRuntime):
        return True
    extensions = client.ApiextensionsV1Api(kube())
    try:
        await asyncio.to_thread(extensions.read_custom_resource_definition, "certificates.cert-manager.io")
    except client.ApiException:
        return False
    return True


async def test_exposure_is_applied_as_a_set_and_removing_each_setting_removes_its_objects(
    runtime: Runtime, namespace: str
) -> None:
    await deploy(runtime, namespace, "forge", GITEA)
    manifests = await render(GITEA, release="forge", namespace=namespace, values={})
    web = web_entry(manifests, None)
    assert web == WebEntry("forge-gitea", 3000)  # the chart's Service port named http
    base = "apps.example.com"
    default = default_host("forge", namespace, base)
    sso = ForwardAuth(
        "https://auth.example.com/oauth2/auth", "https://auth.example.com/oauth2/start?rd=$escaped_request_uri"
    )
    platform = Platform(ingress_class="nginx", base_domain=base, forward_auth=sso)
    git_cert, git_key = self_signed("git.example.com")
    keys = Keys(
        uploaded={"git.example.com": git_key},
        self_signed={host: self_signed(host) for host in (default, "code.example.com")},
        passwords={"ops": "$2b$12$abcdefghijklmnopqrstuuJ4t6f3sYzYp1Ck0cP3pQyQ2yQ0Yx8jS"},
    )

    async def apply(exposure: Exposure, on: Platform = platform) -> dict[tuple[str, str], dict[str, Any]]:
        objects = exposure_objects(service="forge", namespace=namespace, exposure=exposure, web=web, platform=on,
                                   keys=keys)  # fmt: skip
        await runtime.apply_exposure(namespace=namespace, release="forge", objects=objects)
        return await held(runtime, namespace, "forge")

    # The platform's base domain alone: one Ingress to the web entry, on the operator's class, a self-signed
    # certificate (no issuer named).
    found = await apply(Exposure())
    tls_default = tls_secret_name("forge", default)
    assert set(found) == {("Ingress", "forge"), ("Secret", tls_default)}
    ingress = found[("Ingress", "forge")]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert rules_of(ingress) == [(default, "forge-gitea", 3000)]
    assert ingress["spec"]["tls"] == [{"hosts": [default], "secretName": tls_default}]
    assert ingress["metadata"]["labels"][OWNER_LABEL] == "forge"
    assert found[("Secret", tls_default)]["type"] == "kubernetes.io/tls"

    # Custom domains: the primary one serves (its uploaded certificate), the others redirect to it.
    domains = [
        Domain(host="git.example.com", primary=True, tls="uploaded", certificate=git_cert),
        Domain(host="code.example.com"),
    ]
    found = await apply(Exposure(domains=domains))
    tls_git = tls_secret_name("forge", "git.example.com")
    assert set(found) == {
        ("Ingress", "forge"), ("Ingress", "forge-redirect"), ("Secret", tls_git), ("Secret", tls_default),
        ("Secret", tls_secret_name("forge", "code.example.com")),
    }  # fmt: skip
    assert rules_of(found[("Ingress", "forge")]) == [("git.example.com", "forge-gitea", 3000)]
    redirect = found[("Ingress", "forge-redirect")]
    assert [host for host, _, _ in rules_of(redirect)] == ["code.example.com", default]
    assert (
        annotations_of(found, "forge-redirect")[PREFIX + "permanent-redirect"] == "https://git.example.com$request_uri"
    )
    uploaded = found[("Secret", tls_git)]["data"]
    assert base64.b64decode(uploaded["tls.crt"]).decode() == git_cert
    assert base64.b64decode(uploaded["tls.key"]).decode() == git_key

    # Certificates from the operator's cert-manager issuer instead: a Certificate per automatic host.
    issued = Platform(ingress_class="nginx", base_domain=base, cert_issuer="letsencrypt", forward_auth=sso)
    if await cert_manager_served(runtime):
        found = await apply(Exposure(domains=domains[1:]), on=issued)
        certificate = found[("Certificate", tls_secret_name("forge", "code.example.com"))]
        assert certificate["spec"]["issuerRef"]["name"] == "letsencrypt"
        assert certificate["spec"]["dnsNames"] == ["code.example.com"]
        assert ("Certificate", tls_default) in found and ("Secret", tls_default) not in found
        assert ("Secret", tls_git) not in found  # the uploaded domain was removed, and its certificate with it
    else:
        with pytest.raises(RuntimeFailure, match="cert-manager"):
            await apply(Exposure(domains=domains[1:]), on=issued)

    # Access control and the firewall, each an annotation (basic auth a Secret too); removing each removes it.
    allow = AccessSettings(allow=["10.0.0.0/8"], deny=["10.1.0.0/16"])
    found = await apply(Exposure(protection=Protection(access=allow)))
    assert set(found) == {("Ingress", "forge"), ("Secret", tls_default)}  # the Certificates are gone too
    assert annotations_of(found, "forge")[PREFIX + "whitelist-source-range"] == "10.0.0.0/8"
    assert annotations_of(found, "forge")[PREFIX + "denylist-source-range"] == "10.1.0.0/16"

    found = await apply(Exposure(protection=Protection(access=AccessSettings(basic_auth_users=["ops"]))))
    assert PREFIX + "whitelist-source-range" not in annotations_of(found, "forge")
    assert annotations_of(found, "forge")[PREFIX + "auth-secret"] == "forge-basic-auth"
    htpasswd = base64.b64decode(found[("Secret", "forge-basic-auth")]["data"]["auth"]).decode()
    assert htpasswd == f"ops:{keys.passwords['ops']}\n"

    found = await apply(Exposure(protection=Protection(access=AccessSettings(sso=True))))
    assert ("Secret", "forge-basic-auth") not in found
    assert annotations_of(found, "forge")[PREFIX + "auth-url"] == sso.url
    assert PREFIX + "auth-type" not in annotations_of(found, "forge")

    for mode, engine in (("detect", "DetectionOnly"), ("block", "On")):
        found = await apply(Exposure(protection=Protection(waf=WafSettings(mode=mode, paranoia=2))))
        assert annotations_of(found, "forge")[PREFIX + "enable-modsecurity"] == "true"
        assert f"SecRuleEngine {engine}\n" in annotations_of(found, "forge")[PREFIX + "modsecurity-snippet"]
        assert PREFIX + "auth-url" not in annotations_of(found, "forge")
    found = await apply(Exposure())
    assert annotations_of(found, "forge")[PREFIX + "enable-modsecurity"] == "false"

    # Nothing to reach it by (no base domain, no domain): nothing is left; the uninstall removes them as well.
    await runtime.apply_exposure(namespace=namespace, release="forge", objects=[])
    assert await held(runtime, namespace, "forge") == {}
    await apply(Exposure(domains=domains))
    await runtime.uninstall(namespace=namespace, release="forge", keep_volumes=False)
    assert await held(runtime, namespace, "forge") == {}


async def test_an_ingress_to_a_service_the_release_lacks_is_refused(runtime: Runtime, namespace: str) -> None:
    await deploy(runtime, namespace, "forge", GITEA)
    objects = exposure_objects(
        service="forge", namespace=namespace, exposure=Exposure(domains=[Domain(host="git.example.com", tls="none")]),
        web=WebEntry("forge-nothing", 80), platform=Platform(), keys=Keys(),
    )  # fmt: skip
    if isinstance(runtime, SimRuntime):  # an API server takes an Ingress to a missing Service (it answers 503)
        with pytest.raises(RuntimeFailure, match="forge-nothing"):
            await runtime.apply_exposure(namespace=namespace, release="forge", objects=objects)
        assert await held(runtime, namespace, "forge") == {}


async def test_nodes_are_listed_and_a_cordon_is_undone_by_an_uncordon(runtime: Runtime) -> None:
    with pytest.raises(NodeNotFound):
        await runtime.node("no-such-node-of-quickon")
    nodes = await runtime.nodes()
    if fake_ready(runtime) and not nodes:
        return  # a bare API server has no node to cordon
    assert nodes and all(n.cpu_allocatable_m > 0 and n.pods_allocatable > 0 for n in nodes)
    assert all(n.pods == () for n in nodes)  # the list leaves the pods to the detail
    name = next(n.name for n in nodes if not n.unschedulable)
    detail = await runtime.node(name)
    assert detail.name == name and detail.pod_count == len(detail.pods)
    try:
        assert await runtime.cordon(name)
        assert not await runtime.cordon(name)  # cordoned already: nothing changes
        assert (await runtime.node(name)).unschedulable
    finally:
        await runtime.uncordon(name)
    assert not (await runtime.node(name)).unschedulable
    assert not await runtime.uncordon(name)
    with pytest.raises(NodeNotFound):
        await runtime.cordon("no-such-node-of-quickon")


async def platform_runtime(runtime: Runtime, namespace: str) -> AsyncIterator[Runtime]:
    """The runtime whose platform is in ``namespace``: on a cluster, a runtime of its own that takes the test's
    namespace for the platform's, where a Deployment ``qctest-deployer`` (one replica) stands for the deployer's."""
    if isinstance(runtime, SimRuntime):
        yield runtime
        return
    apps = client.AppsV1Api(kube())
    labels = {"app": "qctest-deployer"}
    container = client.V1Container(name="app", image="registry.k8s.io/pause:3.9")
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="qctest-deployer"),
        spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels), spec=client.V1PodSpec(containers=[container])
            ),
        ),
    )  # fmt: skip
    await asyncio.to_thread(apps.create_namespaced_deployment, namespace, deployment)
    cluster = KubernetesRuntime.create(
        kubeconfig=Path(os.environ[KUBECONFIG_ENV]), context=None, helm_timeout_s=120,
        platform_namespace=namespace, platform_release="qctest",
    )  # fmt: skip
    yield cluster
    await cluster.close()


@pytest.fixture
async def platform(runtime: Runtime, namespace: str) -> AsyncIterator[Runtime]:
    async for found in platform_runtime(runtime, namespace):
        yield found


async def test_a_platform_component_is_scaled_and_reads_back_its_replicas(platform: Runtime) -> None:
    before = await platform.components()
    assert before["deployer"] == 1
    if isinstance(platform, SimRuntime):  # the sim keeps the six; a cluster lists the Deployments it has
        assert before == dict.fromkeys(("market", "deployer", "backup", "monitor", "audit", "gateway"), 1)
    assert await platform.scale_component("deployer", 3) == 3
    after = await platform.components()
    assert after == {**before, "deployer": 3}
    assert await platform.scale_component("deployer", 3) == 3  # asked again: the same


async def test_an_unknown_component_or_replicas_out_of_range_are_refused_and_change_nothing(
    platform: Runtime,
) -> None:
    before = await platform.components()
    with pytest.raises(ComponentNotFound, match="no platform component 'nginx'; the components are audit, backup"):
        await platform.scale_component("nginx", 2)
    for replicas in (0, 21, -1):
        with pytest.raises(RuntimeFailure, match=f"1 to 20 replicas, not {replicas}: ask for a number in that range"):
            await platform.scale_component("deployer", replicas)
    assert await platform.components() == before


async def test_a_scaled_component_keeps_its_replicas_across_a_deployer_restart(tmp_path: Path) -> None:
    sim = SimRuntime(tmp_path / "sim", SimConfig(delay_scale=0.01))
    await sim.scale_component("backup", 2)
    await sim.close()
    again = SimRuntime(tmp_path / "sim", SimConfig(delay_scale=0.01))
    try:
        assert (await again.components())["backup"] == 2
    finally:
        await again.close()
