"""The sim cluster's exporter: the series kube-state-metrics, cAdvisor and node-exporter would give of the same
cluster, under their names and labels, in a text prometheus-client's own parser reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_sim_cluster import NS, db, failing, run, web

from quickon_deployer.runtime.sim import Cluster, Failure, NotFoundError, SimConfig, default_nodes
from quickon_deployer.runtime.sim.volumes import disk_used

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(cluster: Cluster, now: float, disk: dict[str, int] | None = None) -> Samples:
    text = cluster.metrics(now=now, disk_used=disk or {})
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            assert key not in found, f"{key} twice"
            found[key] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    matching = [v for (n, ls), v in found.items() if n == name and set(labels.items()) <= ls]
    assert len(matching) == 1, f"{name}{labels}: {len(matching)} series"
    return matching[0]


def labels_of(found: Samples, name: str, **labels: str) -> dict[str, str]:
    matching = [dict(ls) for (n, ls), _ in found.items() if n == name and set(labels.items()) <= ls]
    assert len(matching) == 1, f"{name}{labels}: {len(matching)} series"
    return matching[0]


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    return Cluster(tmp_path / "volumes", SimConfig(nodes=default_nodes(2, disk="10Gi")))


def test_a_ready_deployment_as_kube_state_metrics_and_cadvisor_show_it(cluster: Cluster) -> None:
    manifests = web(replicas=2, volume=False)
    container = manifests[3]["spec"]["template"]["spec"]["containers"][0]
    container["resources"]["limits"] = {"cpu": "500m", "memory": "256Mi"}
    cluster.apply(namespace=NS, release="web", manifests=manifests, now=0)
    run(cluster, 60)
    found = samples(cluster, 60)
    pods = [pod.name for pod in cluster.status(namespace=NS, release="web").pods]
    assert len(pods) == 2
    for pod in pods:
        assert value(found, "kube_pod_status_ready", namespace=NS, pod=pod, condition="true") == 1
        assert value(found, "kube_pod_status_ready", namespace=NS, pod=pod, condition="false") == 0
        assert value(found, "kube_pod_status_phase", namespace=NS, pod=pod, phase="Running") == 1
        assert value(found, "kube_pod_status_phase", namespace=NS, pod=pod, phase="Pending") == 0
        info = labels_of(found, "kube_pod_info", pod=pod)
        assert info["namespace"] == NS and info["node"].startswith("sim-node-")
        assert info["created_by_kind"] == "ReplicaSet" and info["created_by_name"].startswith("web-")
        assert labels_of(found, "kube_pod_labels", pod=pod)["label_app_kubernetes_io_instance"] == "web"
        by_container = {"namespace": NS, "pod": pod, "container": "web"}
        assert value(found, "kube_pod_container_status_restarts_total", **by_container) == 0
        requests = "kube_pod_container_resource_requests"
        assert value(found, requests, **by_container, resource="cpu", unit="core") == 0.1
        assert value(found, requests, **by_container, resource="memory", unit="byte") == 128 * 2**20
        limits = "kube_pod_container_resource_limits"
        assert value(found, limits, **by_container, resource="cpu", unit="core") == 0.5
        assert labels_of(found, requests, **by_container, resource="cpu")["node"] == info["node"]
        working_set = value(found, "container_memory_working_set_bytes", **by_container)
        assert 0.4 * 128 * 2**20 <= working_set <= 0.8 * 128 * 2**20
    deployment = {"namespace": NS, "deployment": "web"}
    assert value(found, "kube_deployment_spec_replicas", **deployment) == 2
    assert value(found, "kube_deployment_status_replicas", **deployment) == 2
    assert value(found, "kube_deployment_status_replicas_available", **deployment) == 2
    assert value(found, "kube_deployment_status_replicas_unavailable", **deployment) == 0
    # Every series about a pod names its namespace: a team's query is scoped by it.
    for (name, labels), _ in found.items():
        if ("pod", pods[0]) in labels:
            assert ("namespace", NS) in labels, name


def test_cpu_usage_is_a_counter_that_grows_with_the_request_and_starts_again_after_a_restart(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(volume=False), now=0)
    run(cluster, 60)
    pod = cluster.status(namespace=NS, release="web").pods[0].name
    labels = {"namespace": NS, "pod": pod, "container": "web"}
    readings = []
    for now in range(60, 1260, 60):
        cluster.tick(now)
        readings.append(value(samples(cluster, now), "container_cpu_usage_seconds_total", **labels))
    assert readings == sorted(readings) and readings[0] > 0
    # Over twenty minutes (two waves of the load model) it averages half its 100m request.
    assert 0.04 < (readings[-1] - readings[0]) / 1140 < 0.06
    assert samples(cluster, 1200) == samples(cluster, 1200), "the same cluster at the same time: the same numbers"

    cluster.inject(namespace=NS, release="web", kind="Deployment", name="web", failure=Failure.CRASH_LOOP, now=1200)
    run(cluster, 1300)
    found = samples(cluster, 1300)
    assert value(found, "kube_pod_container_status_restarts_total", **labels) >= 2
    assert value(found, "kube_pod_status_ready", namespace=NS, pod=pod, condition="true") == 0
    restarted = [v for (n, ls), v in found.items() if n == "container_cpu_usage_seconds_total" and ("pod", pod) in ls]
    assert all(v < readings[-1] for v in restarted), "a restarted container's counter starts from zero"


def test_a_crash_looping_pod_waits_with_the_reason_kube_state_metrics_gives(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=failing("crash-loop"), now=0)
    run(cluster, 40)
    found = samples(cluster, 40)
    pod = cluster.status(namespace=NS, release="web").pods[0].name
    labels = {"namespace": NS, "pod": pod, "container": "web"}
    assert value(found, "kube_pod_container_status_waiting_reason", **labels, reason="CrashLoopBackOff") == 1
    assert value(found, "kube_pod_container_status_waiting", **labels) == 1
    assert value(found, "kube_pod_container_status_restarts_total", **labels) == 2
    assert value(found, "kube_deployment_status_replicas_available", namespace=NS, deployment="web") == 0


def test_statefulsets_and_nodes(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="db", manifests=db(), now=0)
    run(cluster, 120)
    found = samples(cluster, 120)
    assert value(found, "kube_statefulset_replicas", namespace=NS, statefulset="db") == 3
    assert value(found, "kube_statefulset_status_replicas_ready", namespace=NS, statefulset="db") == 3
    for node in ("sim-node-1", "sim-node-2"):
        assert value(found, "kube_node_status_allocatable", node=node, resource="cpu", unit="core") == 4
        assert value(found, "kube_node_status_capacity", node=node, resource="memory", unit="byte") == 8 * 2**30
        assert value(found, "kube_node_status_capacity", node=node, resource="pods", unit="integer") == 110
        assert value(found, "kube_node_status_condition", node=node, condition="Ready", status="true") == 1
    placed = [v for (n, ls), v in found.items() if n == "kube_pod_info" and ("namespace", NS) in ls]
    assert len(placed) == 3


def test_node_disks_fill_with_what_volumes_hold_and_what_is_injected(cluster: Cluster) -> None:
    cluster.apply(namespace=NS, release="web", manifests=web(), now=0)
    run(cluster, 60)
    node = cluster.status(namespace=NS, release="web").pods[0].node
    assert node is not None
    (cluster.volume_path(namespace=NS, claim="web-data") / "blob").write_bytes(b"x" * 2**20)
    measured = disk_used(cluster.disk_directories())
    assert set(measured) == {node} and measured[node] >= 2**20
    found = samples(cluster, 60, measured)
    where = {"node": node, "instance": node, "mountpoint": "/"}
    size = value(found, "node_filesystem_size_bytes", **where)
    assert size == 10 * 2**30
    assert value(found, "node_filesystem_avail_bytes", **where) == size - measured[node]

    cluster.fill_disk(node=node, size=int(size * 0.95), now=61)
    found = samples(cluster, 61, measured)
    assert value(found, "node_filesystem_avail_bytes", **where) / size < 0.05
    assert value(found, "kube_node_status_condition", node=node, condition="DiskPressure", status="true") == 1
    cluster.fill_disk(node=node, size=0, now=62)
    assert value(samples(cluster, 62, measured), "node_filesystem_avail_bytes", **where) == size - measured[node]

    with pytest.raises(NotFoundError, match="no node 'sim-node-9'"):
        cluster.fill_disk(node="sim-node-9", size=1, now=63)
    with pytest.raises(ValueError, match="must not be negative"):
        cluster.fill_disk(node=node, size=-1, now=63)


def test_a_fill_is_kept_with_the_cluster(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path / "volumes")
    cluster.fill_disk(node="sim-node-2", size=123, now=1)
    again = Cluster.load(cluster.saved_globals(), [], volume_root=tmp_path / "volumes")
    assert again.snapshot()["disk_fill"] == {"sim-node-2": 123}


def test_odd_names_and_values_still_make_a_page_prometheus_reads(cluster: Cluster) -> None:
    manifests = web(volume=False)
    template = manifests[3]["spec"]["template"]
    template["metadata"]["labels"].update({"tier.kind": "web", "tier_kind": "other"})  # both become label_tier_kind
    template["spec"]["containers"][0]["image"] = 'registry.example/web:"1"\\\nnext'
    cluster.apply(namespace=NS, release="web", manifests=manifests, now=0)
    run(cluster, 60)
    found = samples(cluster, 60)  # parsed: each sample once, no label twice
    pod = cluster.status(namespace=NS, release="web").pods[0].name
    assert labels_of(found, "kube_pod_labels", pod=pod)["label_tier_kind"] == "web"
    (line,) = [
        line for line in cluster.metrics(now=60, disk_used={}).splitlines() if line.startswith("kube_pod_labels")
    ]
    assert line.count("label_tier_kind=") == 1, line  # Prometheus refuses a whole scrape with a label twice
    assert labels_of(found, "kube_pod_container_info", pod=pod)["image"] == 'registry.example/web:"1"\\\nnext'
