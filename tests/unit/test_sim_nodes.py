"""Node maintenance on the simulated cluster: cordon keeps new pods away (the scheduler's own wording),
DaemonSet pods still go there, a drain's evictions move controller-made pods elsewhere, and a pod whose
local volume lives on the drained node stays Pending, as on a real cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_sim_cluster import NS, db, run, web

from quickon_deployer.runtime.sim import Cluster, NotFoundError, SimConfig, default_nodes
from quickon_deployer.runtime.sim.disruption import EvictionRefused

AGENT = {
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
}


def nodes_of(cluster: Cluster, release: str) -> list[str | None]:
    return [pod.node for pod in cluster.status(namespace=NS, release=release).pods]


def test_a_cordoned_node_gets_no_new_pod_and_is_tried_again_once_uncordoned(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(nodes=default_nodes(1)))
    assert cluster.cordon(node="sim-node-1", now=0)
    assert not cluster.cordon(node="sim-node-1", now=0)  # cordoning twice changes nothing
    cluster.apply(namespace=NS, release="web", manifests=web(volume=False), now=0)
    cluster.tick(0)
    status = cluster.status(namespace=NS, release="web")
    assert nodes_of(cluster, "web") == [None]
    assert status.pending_reason == "0/1 nodes are available: 1 node(s) were unschedulable."
    assert [view.unschedulable for view in cluster.node_views()] == [True]
    assert cluster.uncordon(node="sim-node-1", now=1)
    cluster.tick(1)
    assert nodes_of(cluster, "web") == ["sim-node-1"]


def test_new_pods_avoid_a_cordoned_node_but_daemonset_pods_go_there(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(nodes=default_nodes(3)))
    cluster.cordon(node="sim-node-1", now=0)
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=4, volume=False), now=0)
    cluster.apply(namespace=NS, release="ops", manifests=[AGENT], now=0)
    cluster.tick(0)
    assert "sim-node-1" not in nodes_of(cluster, "web") and None not in nodes_of(cluster, "web")
    assert sorted(node or "" for node in nodes_of(cluster, "ops")) == ["sim-node-1", "sim-node-2", "sim-node-3"]


def test_a_drain_moves_controller_pods_and_a_pod_pinned_by_its_volume_stays_pending(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(nodes=default_nodes(3)))
    cluster.apply(namespace=NS, release="web", manifests=web(replicas=3, volume=False), now=0)
    cluster.apply(namespace=NS, release="db", manifests=db(), now=0)
    cluster.apply(namespace=NS, release="ops", manifests=[AGENT], now=0)
    run(cluster, 40)
    assert cluster.status(namespace=NS, release="db").ready and cluster.status(namespace=NS, release="web").ready
    target = "sim-node-1"
    pinned = next(p.name for p in cluster.status(namespace=NS, release="db").pods if p.node == target)

    cluster.cordon(node=target, now=40)
    groups, kept = cluster.drain_candidates(node=target, now=40)
    assert len(kept) == 1 and "DaemonSet" in kept[0]  # the agent stays (--ignore-daemonsets)
    assert {group.label for group in groups} == {f"{NS}/Deployment/web", f"{NS}/StatefulSet/db"}
    for group in groups:
        for namespace, name, _ in group.pods:
            assert cluster.evict(namespace=namespace, pod=name, now=40)
            assert not cluster.evict(namespace=namespace, pod=name, now=40)  # Terminating already
    cluster.tick(40)
    evicted_web = {name for group in groups if "Deployment" in group.label for _, name, _ in group.pods}
    web_pods = cluster.status(namespace=NS, release="web").pods
    # A ReplicaSet replaces an evicted pod at once, while it terminates; none of the new ones on the cordoned node.
    assert evicted_web and len(web_pods) == 3 + len(evicted_web)
    assert all(pod.node != target for pod in web_pods if pod.name not in evicted_web)
    run(cluster, 80)
    outcome = {
        group.label: cluster.replacement_state(owner=group.owner, evicted={s for *_, s in group.pods}, now=80)
        for group in groups
    }
    assert outcome[f"{NS}/Deployment/web"][0] == "moved"
    assert target not in nodes_of(cluster, "web")
    state, why = outcome[f"{NS}/StatefulSet/db"]
    assert state == "stuck" and pinned in why
    assert why.endswith(
        "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had volume node affinity conflict."
    )
    view = next(v for v in cluster.node_views() if v.name == target)
    assert [p.owner for p in view.pods] == ["DaemonSet/agent"]

    cluster.uncordon(node=target, now=81)
    run(cluster, 120)
    assert cluster.status(namespace=NS, release="db").ready  # its volume's node takes it back


def test_cordoned_nodes_survive_a_save_and_unknown_nodes_are_refused(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(nodes=default_nodes(2)))
    cluster.cordon(node="sim-node-2", now=0)
    restored = Cluster.load(cluster.saved_globals(), [], volume_root=tmp_path)
    assert [view.unschedulable for view in restored.node_views()] == [False, True]
    with pytest.raises(NotFoundError, match="no node 'nope'"):
        restored.cordon(node="nope", now=1)
    with pytest.raises(NotFoundError):
        restored.drain_candidates(node="nope", now=1)


def test_metrics_say_which_node_is_unschedulable(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(nodes=default_nodes(2)))
    cluster.cordon(node="sim-node-2", now=0)
    text: Any = cluster.metrics(now=0, disk_used={})
    assert 'kube_node_spec_unschedulable{node="sim-node-2"} 1' in text
    assert 'kube_node_spec_unschedulable{node="sim-node-1"} 0' in text


def budget(**rule: Any) -> dict[str, Any]:
    selector = {"matchLabels": {"app.kubernetes.io/name": "web"}}
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
            "spec": {"selector": selector, **rule}}  # fmt: skip


def test_an_eviction_waits_for_the_pod_disruption_budget(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(nodes=default_nodes(3)))
    cluster.apply(namespace=NS, release="web", manifests=[*web(replicas=2, volume=False), budget(maxUnavailable=1)],
                  now=0)  # fmt: skip
    run(cluster, 30)
    first, second = (pod.name for pod in cluster.status(namespace=NS, release="web").pods)
    assert cluster.evict(namespace=NS, pod=first, now=30)
    with pytest.raises(EvictionRefused, match="needs 1 healthy pods and has 1 currently"):
        cluster.evict(namespace=NS, pod=second, now=30)  # the first one's replacement is not ready yet
    run(cluster, 60)
    assert cluster.evict(namespace=NS, pod=second, now=60)  # it is now: one more may go


def test_a_budget_of_every_pod_allows_no_eviction(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, SimConfig(nodes=default_nodes(3)))
    cluster.apply(namespace=NS, release="web", manifests=[*web(replicas=2, volume=False), budget(minAvailable="100%")],
                  now=0)  # fmt: skip
    run(cluster, 30)
    pod = cluster.status(namespace=NS, release="web").pods[0].name
    with pytest.raises(EvictionRefused, match="would violate the pod's disruption budget"):
        cluster.evict(namespace=NS, pod=pod, now=30)
