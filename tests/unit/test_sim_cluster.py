"""The sim runtime's cluster model: objects, scheduling, pod lifecycle from probes, rollouts,
volumes as directories, injected failures, events and persistence, all on an explicit clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from quickon_deployer.runtime.sim import (
    Cluster,
    Failure,
    ManifestError,
    NodeSpec,
    NotFoundError,
    ReleaseStatus,
    SimConfig,
    default_nodes,
)
from quickon_deployer.runtime.sim.quantities import QuantityError, cpu_millis, memory_bytes

NS = "apps"

# A typical chart's rendering: Secret, PVC, Service and a Deployment with a readiness probe.
WEB_CHART = """
apiVersion: v1
kind: Secret
metadata:
  name: web
  labels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: web}
type: Opaque
data: {password: c2VjcmV0}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: web-data
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 2Gi}}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app.kubernetes.io/name: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: web}
spec:
  replicas: {replicas}
  strategy: {strategy}
  selector:
    matchLabels: {app.kubernetes.io/name: web}
  template:
    metadata:
      labels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: web}
      annotations: {annotations}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{name: http, containerPort: 8080}]
          readinessProbe:
            httpGet: {path: /healthz, port: http}
            initialDelaySeconds: 5
            periodSeconds: 5
            successThreshold: 2
          resources:
            requests: {cpu: {cpu}, memory: 128Mi}
          volumeMounts:
            - {name: data, mountPath: /data}
            - {name: cache, mountPath: /cache}
      volumes:
        - name: data
          persistentVolumeClaim: {claimName: web-data}
        - name: cache
          emptyDir: {}
"""

# A StatefulSet with a claim template and a startup probe on top of a readiness probe.
DB_CHART = """
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 3
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: postgres
          image: postgres:16
          startupProbe: {exec: {command: [pg_isready]}, initialDelaySeconds: 2, periodSeconds: 3}
          readinessProbe: {exec: {command: [pg_isready]}, periodSeconds: 4}
          resources: {requests: {cpu: 250m, memory: 256Mi}}
          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
"""


def web(
    *, replicas: int = 1, cpu: str = "100m", strategy: str = "{}", annotations: str = "{}", volume: bool = True
) -> list[dict[str, Any]]:
    text = (
        WEB_CHART.replace("{replicas}", str(replicas))
        .replace("{cpu}", cpu)
        .replace("{strategy}", strategy)
        .replace("{annotations}", annotations)
    )
    manifests = list(yaml.safe_load_all(text))
    if not volume:  # stateless: its replicas may spread over nodes
        pod = manifests[3]["spec"]["template"]["spec"]
        pod["volumes"] = pod["volumes"][1:]
        pod["containers"][0]["volumeMounts"] = pod["containers"][0]["volumeMounts"][1:]
    return manifests


def step(cluster: Cluster, until: float) -> Iterator[float]:
    """Tick at every moment something is due, up to ``until``, yielding after each."""
    while (due := cluster.next_change_at()) is not None and due <= until:
        cluster.tick(due)
        yield due


def db() -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(DB_CHART))


def run(cluster: Cluster, until: float) -> list[float]:
    """Tick at every moment something is due, up to ``until``; returns those moments."""
    moments = []
    while (due := cluster.next_change_at()) is not None and due <= until:
        cluster.tick(due)
        moments.append(due)
    cluster.tick(until)
    return moments


def ready_pods(status: ReleaseStatus) -> int:
    return sum(pod.ready for pod in status.pods)


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    return Cluster(tmp_path / "volumes")


# Quantities


def test_quantities_parse_like_kubernetes() -> None:
    assert [cpu_millis(v) for v in ("250m", "1", "0.5", 2, "1.5", "100u")] == [250, 1000, 500, 2000, 1500, 1]
    assert memory_bytes("512Mi") == 512 * 2**20
    assert memory_bytes("1Gi") == 2**30
    assert memory_bytes("1G") == 10**9
    assert memory_bytes("1000000") == memory_bytes(1000000) == 10**6
    assert memory_bytes("1e3") == 1000
    for bad in ("abc", "-1", "1Gb", "", True):
        with pytest.raises(QuantityError):
            memory_bytes(bad)


# Objects and readiness derived from probes


def test_a_typical_chart_is_stored_and_ready_when_its_readiness_probe_first_can_pass(cluster: Cluster) -> None:
    result = cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    assert result.created == ("Secret/web", "PersistentVolumeClaim/web-data", "Service/web", "Deployment/web")
    stored = {obj.key.display: obj for obj in cluster.objects(namespace=NS, release="web")}
    assert stored["Deployment/web"].live["metadata"]["annotations"]["meta.helm.sh/release-name"] == "web"
    assert stored["Service/web"].live["metadata"]["namespace"] == NS
    assert cluster.volume_path(namespace=NS, claim="web-data").is_dir()

    assert cluster.next_change_at() == 0  # the controllers act on the next tick
    assert cluster.tick(0)
    pod = cluster.status(namespace=NS, release="web").pods[0]
    assert (pod.phase, pod.reason, pod.node) == ("Pending", "ContainerCreating", "sim-node-1")
    assert pod.name.startswith("web-") and len(pod.name.split("-")) == 3
    assert cluster.next_change_at() == 1.0  # start_delay_s: image pulled, container started

    cluster.tick(1)
    pod = cluster.status(namespace=NS, release="web").pods[0]
    assert (pod.phase, pod.ready, pod.containers[0].state) == ("Running", False, "running")
    # readiness: initialDelaySeconds 5 + periodSeconds 5 x successThreshold 2, counted from the start at t=1
    assert cluster.next_change_at() == 16.0
    cluster.tick(15.999)
    assert not cluster.status(namespace=NS, release="web").ready
    cluster.tick(16)
    status = cluster.status(namespace=NS, release="web")
    assert status.ready and not status.degraded and status.pending_reason is None
    assert cluster.next_change_at() is None
    pod = status.pods[0]
    conditions = {c.type: (c.status, c.last_transition) for c in pod.conditions}
    assert conditions == {
        "PodScheduled": (True, 0.0),
        "Initialized": (True, 0.0),
        "ContainersReady": (True, 16.0),
        "Ready": (True, 16.0),
    }
    assert (pod.start_time, pod.containers[0].started_at, pod.restarts) == (0.0, 1.0, 0)
    assert status.workloads[0].__dict__ == {
        "kind": "Deployment", "name": "web", "desired": 1, "ready": 1, "updated": 1, "available": 1, "complete": True,
    }  # fmt: skip
    assert [(c.name, c.size) for c in status.claims] == [("web-data", "2Gi")]
    reasons = [event.reason for event in status.events]
    assert reasons == ["ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Pulling", "Pulled", "Created", "Started"]

    mounts = {m.mount_path: m.host_path for m in cluster.pod_mounts(namespace=NS, pod=pod.name)}
    assert mounts["/data"] == cluster.volume_path(namespace=NS, claim="web-data")
    assert mounts["/cache"].is_dir() and ".emptydir" in mounts["/cache"].parts


def test_statefulset_starts_in_order_with_a_claim_per_pod(cluster: Cluster, tmp_path: Path) -> None:
    cluster.apply(namespace=NS, release="db", manifests=db(), now=0)
    cluster.tick(0)
    assert [p.name for p in cluster.status(namespace=NS, release="db").pods] == ["db-0"]
    # start 1s + startup (2 + 3) + readiness period 4 = ready 10s after creation; then the next ordinal
    assert run(cluster, 9.5) == [1.0]
    assert [p.name for p in cluster.status(namespace=NS, release="db").pods] == ["db-0"]
    cluster.tick(10)
    assert [(p.name, p.ready) for p in cluster.status(namespace=NS, release="db").pods] == [
        ("db-0", True), ("db-1", False),
    ]  # fmt: skip
    run(cluster, 29.9)
    assert not cluster.status(namespace=NS, release="db").ready
    cluster.tick(30)
    status = cluster.status(namespace=NS, release="db")
    assert status.ready and [p.name for p in status.pods] == ["db-0", "db-1", "db-2"]
    assert [c.name for c in status.claims] == ["data-db-0", "data-db-1", "data-db-2"]
    for ordinal in range(3):
        path = cluster.volume_path(namespace=NS, claim=f"data-db-{ordinal}")
        assert path == tmp_path / "volumes" / NS / f"data-db-{ordinal}" and path.is_dir()
        mounts = cluster.pod_mounts(namespace=NS, pod=f"db-{ordinal}")
        assert [(m.mount_path, m.host_path) for m in mounts] == [("/var/lib/postgresql/data", path)]


def test_an_upgrade_deletes_what_the_chart_no_longer_renders_and_keeps_changes_made_outside_helm(
    cluster: Cluster,
) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=2), now=0)
    run(cluster, 20)
    cluster.scale(namespace=NS, release="web", kind="Deployment", name="web", replicas=3, now=20)
    run(cluster, 40)
    # Same chart values, Service dropped: like helm's three-way merge, the scale survives.
    result = cluster.apply(namespace=NS, release="web", manifests=web(replicas=2)[:2] + web(replicas=2)[3:], now=40)
    assert result.deleted == ("Service/web",) and result.revision == 2
    run(cluster, 60)
    status = cluster.status(namespace=NS, release="web")
    assert status.workloads[0].desired == 3 and ready_pods(status) == 3
    # The chart changes replicas itself: the chart wins.
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=1), now=60)
    run(cluster, 80)
    assert len(cluster.status(namespace=NS, release="web").pods) == 1
    # A changed pod template rolls the pods; an unchanged apply changes nothing.
    before = cluster.status(namespace=NS, release="web").pods[0].name
    unchanged = cluster.apply(namespace=NS, release="web", manifests=web(replicas=1), now=80)
    assert unchanged.unchanged[-1] == "Deployment/web" and unchanged.updated == ()
    changed = cluster.apply(namespace=NS, release="web", manifests=web(cpu="200m"), now=80)
    assert changed.updated == ("Deployment/web",)
    run(cluster, 120)
    status = cluster.status(namespace=NS, release="web")
    assert status.ready and [p.name for p in status.pods] != [before] and len(status.pods) == 1


def test_helm_test_hooks_are_left_out_and_duplicates_refused(cluster: Cluster) -> None:
    hook = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-test-connection", "annotations": {"helm.sh/hook": "test"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "wget", "image": "busybox"}]},
    }
    result = cluster.apply(namespace=NS, release="web", manifests=[*web(), hook, None], now=0)
    assert result.skipped == ("Pod/web-test-connection",)
    cluster.tick(0)
    assert [p.owner for p in cluster.status(namespace=NS, release="web").pods] == ["Deployment/web"]
    with pytest.raises(ManifestError, match="Service/web: appears twice"):
        cluster.apply(namespace=NS, release="web", manifests=[*web(), web()[2]], now=0)


# Capacity


def test_an_install_that_does_not_fit_waits_unschedulable_until_capacity_frees(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(nodes=default_nodes(3, cpu="1", memory="2Gi")))
    cluster.apply(namespace=NS, release="big", manifests=web(replicas=3, cpu="800m", volume=False), now=0)
    run(cluster, 30)
    assert cluster.status(namespace=NS, release="big").ready
    assert sorted(p.node or "" for p in cluster.status(namespace=NS, release="big").pods) == [
        "sim-node-1", "sim-node-2", "sim-node-3",
    ]  # fmt: skip

    cluster.apply(namespace="other", release="web", manifests=web(cpu="500m"), now=30)
    run(cluster, 60)
    status = cluster.status(namespace="other", release="web")
    message = "0/3 nodes are available: 3 Insufficient cpu."
    pod = status.pods[0]
    assert (pod.phase, pod.reason, pod.message) == ("Pending", "Unschedulable", message)
    assert status.pending_reason == message and not status.ready
    scheduled = {c.type: c for c in status.pods[0].conditions}["PodScheduled"]
    assert (scheduled.status, scheduled.reason) == (False, "Unschedulable")
    assert [(e.type, e.reason, e.message, e.count) for e in status.events if e.reason == "FailedScheduling"] == [
        ("Warning", "FailedScheduling", message, 1)
    ]
    assert cluster.next_change_at() is None  # nothing will change until something frees capacity

    cluster.uninstall(namespace=NS, release="big", now=60)
    assert cluster.next_change_at() == 60
    cluster.tick(60)
    # The deleted pods hold their nodes' cpu while they shut down (SimConfig.stop_s, within their grace period).
    assert len(cluster.terminating(namespace=NS, release="big")) == 3
    assert cluster.status(namespace="other", release="web").pods[0].node is None
    assert cluster.next_change_at() == 61
    cluster.tick(61)
    assert cluster.terminating(namespace=NS, release="big") == []
    pod = cluster.status(namespace="other", release="web").pods[0]
    assert pod.node is not None and pod.reason == "ContainerCreating"
    run(cluster, 80)
    assert cluster.status(namespace="other", release="web").ready


def test_the_unschedulable_message_names_each_insufficient_resource(tmp_path: Path) -> None:
    nodes = (NodeSpec("small", cpu="1", memory="1Gi"), NodeSpec("large", cpu="8", memory="1Gi"))
    cluster = Cluster(tmp_path, SimConfig(nodes=nodes))
    manifests = web(cpu="2")
    manifests[3]["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] = "2Gi"
    cluster.apply(namespace=NS, release="web", manifests=manifests, now=0)
    cluster.tick(0)
    assert cluster.status(namespace=NS, release="web").pending_reason == (
        "0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory."
    )


def test_replicas_sharing_a_volume_stay_on_its_node(tmp_path: Path) -> None:
    # Volumes are local directories: like local-path volumes, a claim belongs to the node that first used it.
    cluster = Cluster(tmp_path, SimConfig(nodes=default_nodes(3, cpu="1", memory="2Gi")))
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=2, cpu="800m"), now=0)
    cluster.tick(0)
    status = cluster.status(namespace=NS, release="web")
    assert [p.node for p in status.pods] == ["sim-node-1", None]
    assert status.pending_reason == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had volume node affinity conflict."
    )


def test_init_containers_count_as_the_larger_of_their_request_and_the_sum_of_the_others(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(nodes=(NodeSpec("only", cpu="1", memory="4Gi"),)))
    manifests = web(cpu="300m")
    pod_spec = manifests[3]["spec"]["template"]["spec"]
    pod_spec["initContainers"] = [
        {"name": "migrate", "image": "app:1", "resources": {"requests": {"cpu": "900m"}}},
    ]
    pod_spec["containers"].append({"name": "sidecar", "image": "proxy:1", "resources": {"limits": {"cpu": "200m"}}})
    cluster.apply(namespace=NS, release="web", manifests=manifests, now=0)
    run(cluster, 30)
    assert [n.cpu_requested for n in cluster.nodes()] == ["900m"]  # max(900m, 300m + 200m from its limit)
    # the init container takes its own start delay before the app's containers start
    pod = cluster.status(namespace=NS, release="web").pods[0]
    assert {c.name: c.started_at for c in pod.containers} == {"migrate": 1.0, "web": 2.0, "sidecar": 2.0}


# Scaling, stop and start


def test_stop_and_start_keep_the_volumes_and_their_files(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=2), now=0)
    cluster.apply(namespace=NS, release="db", manifests=db(), now=0)
    run(cluster, 60)
    web_data = cluster.volume_path(namespace=NS, claim="web-data")
    db_data = cluster.volume_path(namespace=NS, claim="data-db-1")
    (web_data / "index.html").write_text("hello")
    (db_data / "PG_VERSION").write_text("16")

    cluster.stop(namespace=NS, release="web", now=60)
    cluster.stop(namespace=NS, release="db", now=60)
    run(cluster, 61)
    for release in ("web", "db"):
        status = cluster.status(namespace=NS, release=release)
        assert status.stopped and status.pods == () and status.ready
    assert (web_data / "index.html").read_text() == "hello"
    assert (db_data / "PG_VERSION").read_text() == "16"
    assert [n.pods for n in cluster.nodes()] == [0, 0, 0]

    cluster.start(namespace=NS, release="web", now=100)
    cluster.start(namespace=NS, release="db", now=100)
    run(cluster, 200)
    assert [w.desired for w in cluster.status(namespace=NS, release="web").workloads] == [2]
    assert cluster.status(namespace=NS, release="db").ready and cluster.status(namespace=NS, release="web").ready
    assert (db_data / "PG_VERSION").read_text() == "16"
    assert [m.host_path for m in cluster.pod_mounts(namespace=NS, pod="db-1")] == [db_data]


# Rollouts


def test_a_rolling_restart_of_three_replicas_never_leaves_zero_ready(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=3), now=0)
    run(cluster, 30)
    before = {p.name for p in cluster.status(namespace=NS, release="web").pods}
    cluster.restart(namespace=NS, release="web", now=30)
    lowest = 3
    while (due := cluster.next_change_at()) is not None:
        cluster.tick(due)
        status = cluster.status(namespace=NS, release="web")
        lowest = min(lowest, ready_pods(status))
        assert len(status.pods) <= 4  # maxSurge 25% of 3 rounds up to 1
    status = cluster.status(namespace=NS, release="web")
    assert lowest == 3  # maxUnavailable 25% of 3 rounds down to 0
    assert status.ready and not {p.name for p in status.pods} & before
    assert cluster.now == 30 + 3 * 16  # three surge pods, one after another, each 16s to ready
    scaled = [e.message for e in status.events if e.reason == "ScalingReplicaSet"]
    assert len(scaled) == 7 and scaled[-1].endswith("to 0 from 1")


def test_recreate_stops_every_pod_before_starting_new_ones(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=3, strategy="{type: Recreate}"), now=0)
    run(cluster, 30)
    cluster.restart(namespace=NS, release="web", now=30)
    cluster.tick(30)
    status = cluster.status(namespace=NS, release="web")
    assert ready_pods(status) == 0 and len(status.pods) == 3 and not status.ready
    assert sum(e.reason == "Killing" for e in status.events) == 3
    run(cluster, 46)
    assert cluster.status(namespace=NS, release="web").ready


def test_a_failure_injected_into_the_next_pod_stalls_a_rollout_while_the_old_pod_serves(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    run(cluster, 20)
    cluster.inject(
        namespace=NS, release="web", kind="Deployment", name="web", failure="image-pull-error", count=1, now=20
    )
    cluster.restart(namespace=NS, release="web", now=20)
    run(cluster, 100)
    status = cluster.status(namespace=NS, release="web")
    assert [(p.ready, p.reason) for p in status.pods] == [(True, "Running"), (False, "ImagePullBackOff")]
    assert status.degraded and not status.ready
    # The next pod is healthy again: delete the stuck one by restarting once more.
    cluster.restart(namespace=NS, release="web", now=100)
    run(cluster, 200)
    status = cluster.status(namespace=NS, release="web")
    assert status.ready and not status.degraded and len(status.pods) == 1


# Injected failures


def failing(failure: str) -> list[dict[str, Any]]:
    return web(annotations="{sim.quickon.io/fail: %s}" % failure)  # noqa: UP031 - braces are YAML's


def test_image_pull_error_backs_off_and_keeps_the_pod_pending(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=failing("image-pull-error"), now=0)
    seen = []
    for due in step(cluster, 80):
        pod = cluster.status(namespace=NS, release="web").pods[0]
        seen.append((due, pod.phase, pod.reason))
    # pull fails 1s in; one second later the kubelet backs off; retries 10s, then 20s after each failure
    assert seen == [
        (0, "Pending", "ContainerCreating"),
        (1.0, "Pending", "ErrImagePull"),
        (2.0, "Pending", "ImagePullBackOff"),
        (11.0, "Pending", "ImagePullBackOff"),
        (12.0, "Pending", "ErrImagePull"),
        (13.0, "Pending", "ImagePullBackOff"),
        (32.0, "Pending", "ImagePullBackOff"),
        (33.0, "Pending", "ErrImagePull"),
        (34.0, "Pending", "ImagePullBackOff"),
        (73.0, "Pending", "ImagePullBackOff"),
        (74.0, "Pending", "ErrImagePull"),
        (75.0, "Pending", "ImagePullBackOff"),
    ]
    status = cluster.status(namespace=NS, release="web")
    assert status.degraded and not status.ready
    assert status.pods[0].message == 'Back-off pulling image "nginx:1.27"'
    failed = [e for e in status.events if e.reason == "Failed"]
    assert len(failed) == 1 and failed[0].count == 4 and failed[0].type == "Warning"


def test_crash_loop_restarts_with_kubernetes_back_off_and_is_never_ready(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=failing("crash-loop"), now=0)
    restarts_at = []
    restarts = 0
    for due in step(cluster, 2000):
        pod = cluster.status(namespace=NS, release="web").pods[0]
        assert not pod.ready
        if pod.restarts > restarts:
            restarts = pod.restarts
            restarts_at.append(due)
            assert (pod.phase, pod.reason) == ("Running", "Running")
    # runs 1s from t=1, then waits 10, 20, 40, 80, 160, 300, 300 s before each restart
    assert restarts_at == [12.0, 33.0, 74.0, 155.0, 316.0, 617.0, 918.0, 1219.0, 1520.0, 1821.0]
    pod = cluster.status(namespace=NS, release="web").pods[0]
    assert (pod.phase, pod.reason, pod.restarts) == ("Running", "CrashLoopBackOff", 10)
    assert pod.message == f"back-off 300s restarting failed container=web pod={pod.name}"
    status = cluster.status(namespace=NS, release="web")
    assert status.degraded and not status.ready
    assert [e.count for e in status.events if e.reason == "BackOff"] == [11]


def test_never_ready_runs_without_ever_being_ready(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=failing("never-ready"), now=0)
    run(cluster, 1000)
    status = cluster.status(namespace=NS, release="web")
    pod = status.pods[0]
    assert (pod.phase, pod.ready, pod.reason, pod.restarts) == ("Running", False, "Running", 0)
    assert status.degraded and not status.ready
    assert [(e.type, e.reason, e.time) for e in status.events if e.reason == "Unhealthy"] == [
        ("Warning", "Unhealthy", 16.0)
    ]
    assert cluster.next_change_at() is None


def test_an_admin_injected_crash_hits_running_pods_and_clearing_it_lets_them_recover(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    run(cluster, 20)
    cluster.inject(namespace=NS, release="web", kind="Deployment", name="web", failure=Failure.CRASH_LOOP, now=20)
    cluster.tick(20)
    status = cluster.status(namespace=NS, release="web")
    assert status.pods[0].reason == "CrashLoopBackOff" and status.degraded and not status.ready
    cluster.clear(namespace=NS, release="web", kind="Deployment", name="web", now=25)
    run(cluster, 100)
    status = cluster.status(namespace=NS, release="web")
    assert status.ready and not status.degraded and status.pods[0].restarts == 1
    # restarted at 20 + 10; ready after its readiness probe passes again: 5 + 5 x 2 later
    assert {c.type: c.last_transition for c in status.pods[0].conditions}["Ready"] == 45.0


def test_never_ready_injected_into_a_ready_pod_takes_its_readiness_away(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    run(cluster, 20)
    cluster.inject(namespace=NS, release="web", kind="Deployment", name="web", failure="never-ready", now=20)
    cluster.tick(20)
    status = cluster.status(namespace=NS, release="web")
    assert not status.ready and status.degraded and status.pods[0].phase == "Running"
    cluster.clear(namespace=NS, release="web", kind="Deployment", name="web", now=30)
    cluster.tick(30)
    assert cluster.next_change_at() == 40.0  # periodSeconds 5 x successThreshold 2
    cluster.tick(40)
    assert cluster.status(namespace=NS, release="web").ready


def test_an_unknown_failure_is_refused(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    with pytest.raises(ValueError, match="unknown failure 'oom'"):
        cluster.inject(namespace=NS, release="web", kind="Deployment", name="web", failure="oom", now=0)
    with pytest.raises(ManifestError, match="unknown failure 'oom'"):
        cluster.apply(namespace=NS, release="bad", manifests=failing("oom"), now=0)


# Invalid manifests


def broken(change: str) -> list[dict[str, Any]]:
    manifests = web()
    deployment = manifests[3]
    if change == "no kind":
        del deployment["kind"]
    elif change == "no name":
        del deployment["metadata"]["name"]
    elif change == "bad apiVersion":
        deployment["apiVersion"] = "apps/v1/beta"
    elif change == "wrong group":
        deployment["apiVersion"] = "v1"
    elif change == "no selector":
        del deployment["spec"]["selector"]
    elif change == "selector mismatch":
        deployment["spec"]["selector"]["matchLabels"] = {"app.kubernetes.io/name": "other"}
    elif change == "bad name":
        deployment["metadata"]["name"] = "My_Web"
    elif change == "bad quantity":
        deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "lots"
    elif change == "unknown volume":
        deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["name"] = "nope"
    return manifests


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no kind", "document 4: kind is missing"),
        ("no name", "Deployment in document 4: metadata.name is required"),
        ("bad apiVersion", "Deployment/web: apiVersion 'apps/v1/beta' is not of the form"),
        ("wrong group", "Deployment/web: no matches for kind 'Deployment' in version 'v1'"),
        ("no selector", "Deployment/web: spec.selector is required"),
        ("selector mismatch", "Deployment/web: spec.selector (app.kubernetes.io/name=other) does not match"),
        ("bad name", "Deployment/My_Web: metadata.name 'My_Web' is not valid: must be a DNS-1123 subdomain"),
        ("bad quantity", "Deployment/web: spec.template.spec.containers[0].resources: 'lots' is not a quantity"),
        ("unknown volume", "Deployment/web: spec.template.spec.containers[0].volumeMounts[0].name: volume 'nope'"),
    ],
)
def test_invalid_manifests_are_refused_and_nothing_is_applied(
    cluster: Cluster, tmp_path: Path, change: str, message: str
) -> None:
    with pytest.raises(ManifestError) as raised:
        cluster.apply(namespace=NS, release="web", manifests=broken(change), now=0)
    assert message in str(raised.value)
    assert cluster.releases() == [] and cluster.objects(namespace=NS, release="web") == []
    assert not (tmp_path / "volumes").exists()  # not even the valid PVC's directory
    assert cluster.next_change_at() is None


def test_a_refused_upgrade_leaves_the_running_release_alone(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    run(cluster, 20)
    before = cluster.snapshot()
    with pytest.raises(ManifestError, match="apiVersion"):
        cluster.apply(namespace=NS, release="web", manifests=web(replicas=3)[:3] + broken("bad apiVersion")[3:], now=20)
    assert cluster.snapshot() == before


def test_an_object_of_another_release_is_not_taken_over(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    with pytest.raises(ManifestError, match="Secret/web: exists and belongs to release 'apps/web'"):
        cluster.apply(namespace=NS, release="web2", manifests=web(), now=0)


# Uninstall


def test_uninstall_deletes_volumes_unless_asked_to_keep_them(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    cluster.apply(namespace=NS, release="db", manifests=db(), now=0)
    run(cluster, 60)
    web_data = cluster.volume_path(namespace=NS, claim="web-data")
    db_data = cluster.volume_path(namespace=NS, claim="data-db-0")
    (db_data / "PG_VERSION").write_text("16")
    empty_dir = next(m.host_path for m in cluster.pod_mounts(namespace=NS, pod="db-0") if m.mount_path != "/data")

    cluster.uninstall(namespace=NS, release="web", now=60)
    cluster.uninstall(namespace=NS, release="db", now=60, keep_volumes=True)
    cluster.tick(60)
    assert web_data.exists()  # its pod still mounts it while it shuts down
    cluster.tick(60 + cluster.config.stop_s)
    assert cluster.releases() == []
    assert not web_data.exists()
    assert (db_data / "PG_VERSION").read_text() == "16" and empty_dir.exists()
    kept = cluster.status(namespace=NS, release="db")
    assert (
        not kept.ready and kept.pods == () and [c.name for c in kept.claims] == ["data-db-0", "data-db-1", "data-db-2"]
    )
    assert cluster.objects(namespace=NS, release="web") == []

    # Installing it again finds the data where it was.
    cluster.apply(namespace=NS, release="db", manifests=db(), now=100)
    run(cluster, 200)
    assert cluster.status(namespace=NS, release="db").ready
    assert (cluster.volume_path(namespace=NS, claim="data-db-0") / "PG_VERSION").read_text() == "16"
    cluster.uninstall(namespace=NS, release="db", now=200)
    cluster.tick(200 + cluster.config.stop_s)
    assert not db_data.exists()
    with pytest.raises(NotFoundError, match="no release apps/db"):
        cluster.status(namespace=NS, release="db")


def test_uninstall_drops_pod_directories(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    run(cluster, 20)
    pod = cluster.status(namespace=NS, release="web").pods[0].name
    cache = next(m.host_path for m in cluster.pod_mounts(namespace=NS, pod=pod) if m.mount_path == "/cache")
    assert cache.is_dir()
    cluster.uninstall(namespace=NS, release="web", now=20)
    assert cache.is_dir()  # the pod is still shutting down
    cluster.tick(20 + cluster.config.stop_s)
    assert not cache.exists()


def test_uninstalled_pods_terminate_within_their_grace_period(cluster: Cluster) -> None:
    manifests = db()
    statefulset = next(m for m in manifests if m["kind"] == "StatefulSet")
    statefulset["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 0.5  # under stop_s: it bounds
    cluster.apply(namespace=NS, release="db", manifests=manifests, now=0)
    run(cluster, 60)
    cluster.apply(namespace=NS, release="web", manifests=web(), now=60)
    run(cluster, 80)
    assert cluster.status(namespace=NS, release="db").ready and cluster.status(namespace=NS, release="web").ready

    cluster.uninstall(namespace=NS, release="db", now=80)
    cluster.uninstall(namespace=NS, release="web", now=80)
    cluster.tick(80)
    # The claims the pods still mount stay until they are gone (the pvc-protection finalizer), data with them.
    claims = [f"PersistentVolumeClaim/data-db-{n}" for n in range(3)]
    assert cluster.terminating(namespace=NS, release="db") == [*claims, "Pod/db-0", "Pod/db-1", "Pod/db-2"]
    assert cluster.volume_path(namespace=NS, claim="data-db-0").is_dir()
    assert len(cluster.terminating(namespace=NS, release="web")) == 2  # its pod and the claim it mounts
    assert cluster.next_change_at() == 80.5
    cluster.tick(80.5)
    assert cluster.terminating(namespace=NS, release="db") == []  # the grace period ended: killed
    with pytest.raises(NotFoundError):
        cluster.volume_path(namespace=NS, claim="data-db-0")
    assert len(cluster.terminating(namespace=NS, release="web")) == 2  # 30 s grace: it exits after stop_s
    cluster.tick(80 + cluster.config.stop_s)
    assert cluster.terminating(namespace=NS, release="web") == []
    assert cluster.next_change_at() is None


# Other workload kinds


def test_a_daemonset_runs_one_pod_per_node_and_a_job_completes(cluster: Cluster) -> None:
    manifests = [
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {"containers": [{"name": "agent", "image": "agent:1"}]},
                },
            },
        },
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "migrate"},
            "spec": {
                "template": {
                    "metadata": {"annotations": {"sim.quickon.io/run-seconds": 3}},
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "migrate", "image": "app:1"}]},
                }
            },
        },
    ]
    cluster.apply(namespace=NS, release="ops", manifests=manifests, now=0)
    cluster.tick(0)
    status = cluster.status(namespace=NS, release="ops")
    agents = [p for p in status.pods if p.owner == "DaemonSet/agent"]
    assert sorted(p.node or "" for p in agents) == ["sim-node-1", "sim-node-2", "sim-node-3"]
    cluster.tick(3.5)
    assert not cluster.status(namespace=NS, release="ops").ready
    cluster.tick(4)  # started at 1, ran 3s
    status = cluster.status(namespace=NS, release="ops")
    job_pod = next(p for p in status.pods if p.owner == "Job/migrate")
    assert (job_pod.phase, job_pod.reason, job_pod.ready) == ("Succeeded", "Completed", False)
    assert status.ready and [w.complete for w in status.workloads] == [True, True]
    assert [n.pods for n in cluster.nodes()] == [1, 1, 1]  # the finished Job pod no longer takes a place

    cluster.stop(namespace=NS, release="ops", now=10)
    cluster.tick(10)
    status = cluster.status(namespace=NS, release="ops")
    assert status.stopped and [p.owner for p in status.pods] == ["Job/migrate"]
    cluster.start(namespace=NS, release="ops", now=20)
    cluster.tick(20)
    assert len(cluster.status(namespace=NS, release="ops").pods) == 4


# Time and persistence


def test_delay_scale_zero_makes_a_release_ready_at_the_first_tick(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(delay_scale=0))
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=2), now=5)
    cluster.apply(namespace=NS, release="db", manifests=db(), now=5)
    assert cluster.tick(5)
    assert cluster.status(namespace=NS, release="web").ready and cluster.status(namespace=NS, release="db").ready
    assert cluster.next_change_at() is None


def test_a_crash_loop_at_delay_scale_zero_still_backs_off(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(delay_scale=0))
    cluster.apply(namespace=NS, release="web", manifests=failing("crash-loop"), now=0)
    cluster.tick(0)
    assert cluster.next_change_at() == pytest.approx(0.1)  # 10s at the 1/100 floor of back-offs


def saved(cluster: Cluster, parts: dict[str, bytes]) -> dict[str, bytes]:
    """Save what changed since the last save into ``parts``, as the sim runtime does."""
    for name, body in cluster.saved_parts(cluster.take_touched()).items():
        if body is None:
            parts.pop(name, None)
        else:
            parts[name] = body
    return parts


def reloaded(cluster: Cluster, parts: dict[str, bytes], volumes: Path) -> Cluster:
    return Cluster.load(cluster.saved_globals(), parts.values(), volume_root=volumes)


def test_a_saved_cluster_mid_rollout_continues_identically(cluster: Cluster, tmp_path: Path) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=3), now=0)
    cluster.apply(namespace=NS, release="db", manifests=db(), now=0)
    run(cluster, 40)
    cluster.restart(namespace=NS, release="web", now=40)
    run(cluster, 50)
    assert len(cluster.status(namespace=NS, release="web").pods) == 4  # mid-rollout
    restored = reloaded(cluster, saved(cluster, {}), tmp_path / "volumes")
    assert restored.snapshot() == cluster.snapshot()
    while (due := cluster.next_change_at()) is not None:
        assert restored.next_change_at() == due
        cluster.tick(due)
        restored.tick(due)
        assert restored.snapshot() == cluster.snapshot()
    assert restored.next_change_at() is None
    assert restored.status(namespace=NS, release="web") == cluster.status(namespace=NS, release="web")
    assert restored.status(namespace=NS, release="web").ready


def test_saving_only_the_touched_releases_keeps_the_saved_cluster_whole(cluster: Cluster, tmp_path: Path) -> None:
    """After every change, the parts rewritten so far load into exactly the cluster in memory: no change
    escapes the touched set (scheduling, probes, crash loops, rollouts, stop, volumes changing hands)."""
    parts: dict[str, bytes] = {}
    volumes = tmp_path / "volumes"

    def check(until: float | None = None) -> None:
        for _ in step(cluster, until) if until is not None else [None]:
            assert reloaded(cluster, saved(cluster, parts), volumes).snapshot() == cluster.snapshot()

    cluster.apply(namespace=NS, release="web", manifests=web(replicas=2), now=0)
    check()
    cluster.apply(namespace=NS, release="db", manifests=db(), now=0)
    cluster.apply(namespace="other", release="web", manifests=web(volume=False), now=0)  # the same name elsewhere
    check(40)
    cluster.inject(namespace=NS, release="web", kind="Deployment", name="web", failure=Failure.CRASH_LOOP, now=40)
    check(80)
    cluster.clear(namespace=NS, release="web", kind="Deployment", name="web", now=80)
    cluster.scale(namespace=NS, release="web", kind="Deployment", name="web", replicas=3, now=80)
    check(120)
    cluster.stop(namespace=NS, release="db", now=120)
    assert cluster.take_touched() == {"db"}  # a change to one release rewrites its part only
    cluster.start(namespace=NS, release="db", now=120)
    cluster.restart(namespace=NS, release="web", now=120)
    check(200)
    cluster.uninstall(namespace=NS, release="db", now=200, keep_volumes=True)
    check(200)
    cluster.apply(namespace=NS, release="db2", manifests=db(), now=210)  # takes over the kept claims
    check(300)
    kept = {c.name for c in cluster.status(namespace=NS, release="db2").claims}
    assert kept == {"data-db-0", "data-db-1", "data-db-2"}
    cluster.uninstall(namespace=NS, release="web", now=300)
    cluster.uninstall(namespace="other", release="web", now=300)
    check(320)
    assert set(parts) == {"db2"}


def test_the_clock_never_goes_back_and_events_are_bounded(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(events_per_release=5))
    cluster.apply(namespace=NS, release="web", manifests=web(), now=10)
    cluster.tick(3)
    assert cluster.now == 10
    run(cluster, 100)
    events = cluster.events(namespace=NS, release="web")
    assert len(events) == 5 and events[-1].reason == "Started"
