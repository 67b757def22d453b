"""A real Prometheus (Debian's, on a free port, scraping every second) reads a real deployer on the sim runtime
through the configuration the monitor writes: kube-state-metrics' queries answer for an installed app, a
crash-looping pod's restarts rise while it is not ready (and its own metrics endpoint stops answering), and a
node's disk filled past a threshold shows in node-exporter's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested
from quickon_common.natsserver import NatsServer
from support.deployer import ask, finished, outcome, request
from support.prometheus import promql, scraped_sim, until

NS = "team-metrics"
DISK = 100 * 2**30  # the sim nodes' default disk


async def test_prometheus_reads_the_sim_cluster_as_a_clusters_exporters(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    async with scraped_sim(nats_server.url, tmp_path) as sim:
        await _install_and_watch(nats_server.url, sim.api, sim.deployer.runtime)


async def _install_and_watch(url: str, api: httpx.AsyncClient, runtime: Any) -> None:
    op = await request(url, AppInstallRequested(
        service="cache", namespace=NS, app="redis", version="1.0.0",
        values={"podAnnotations": {"quickon.io/metrics": "9121/metrics"}},
    ))  # fmt: skip
    assert isinstance(outcome(await finished(url, op)), AppInstalled)

    # The deployer's own metrics and the cluster's are both scraped.
    await until(api, 'up{job="quickon-deployer",component="deployer"} == 1', what="the deployer scraped")
    # What its /readyz says, and its consumers' lag, are series too (the component rules read them).
    await until(api, 'quickon_ready{component="deployer",service="deployer"} == 1', what="the deployer ready")
    await until(api, 'quickon_consumer_pending{component="deployer"} >= 0', what="the consumers' lag")
    ready = await until(
        api, f'kube_statefulset_status_replicas_ready{{namespace="{NS}"}} == 1', what="the app's replicas"
    )
    statefulset = ready[0]["metric"]["statefulset"]
    pods = await promql(api, f'kube_pod_status_ready{{namespace="{NS}",condition="true"}} == 1')
    assert len(pods) == 1
    pod = pods[0]["metric"]["pod"]
    info = await promql(api, f'kube_pod_info{{namespace="{NS}",pod="{pod}"}}')
    node = info[0]["metric"]["node"]
    assert info[0]["metric"]["created_by_kind"] == "StatefulSet" and node.startswith("sim-node-")
    requested = await promql(api, f'kube_pod_container_resource_requests{{namespace="{NS}",resource="memory"}}')
    assert requested and float(requested[0]["value"][1]) > 0
    # cAdvisor's numbers: CPU used, as a rate of the counter, per QuickOn service (through the pods' labels).
    per_service = await until(
        api,
        "sum by (namespace, label_app_kubernetes_io_instance) ("
        f'rate(container_cpu_usage_seconds_total{{namespace="{NS}"}}[5s])'
        " * on (namespace, pod) group_left (label_app_kubernetes_io_instance) kube_pod_labels) > 0",
        what="the service's CPU",
    )
    assert [s["metric"]["label_app_kubernetes_io_instance"] for s in per_service] == ["cache"]
    # The app declares its own metrics: found through the deployer and scraped while it is ready.
    await until(api, f'up{{job="apps",namespace="{NS}",pod="{pod}"}} == 1', what="the app scraped")

    # A crash loop: restarts rise, ready is 0, and the app's own endpoint no longer answers.
    injected = await ask(url, "inject", namespace=NS, service="cache", kind="StatefulSet", name=statefulset,
                         failure="crash-loop")  # fmt: skip
    assert injected.get("injected") == "crash-loop", injected
    restarts = f'kube_pod_container_status_restarts_total{{namespace="{NS}",pod="{pod}"}}'
    await until(api, f"increase({restarts}[1m]) > 0", what="the restarts to rise")
    await until(
        api,
        f'kube_pod_status_ready{{namespace="{NS}",pod="{pod}",condition="true"}} == 0',
        what="the crash-looping pod not ready",
    )
    await until(api, f'kube_statefulset_status_replicas_ready{{namespace="{NS}"}} == 0', what="no ready replica")
    await until(api, f'up{{job="apps",pod="{pod}"}} == 0', what="the app's endpoint down")

    # A node's disk: what the volume holds is measured, and an injected fill takes it past 90 % used.
    used = f'1 - node_filesystem_avail_bytes{{node="{node}"}} / node_filesystem_size_bytes{{node="{node}"}}'
    assert await promql(api, f"{used} > 0.9") == []
    claim = Path(runtime.cluster.status(namespace=NS, release="cache").claims[0].path)
    (claim / "dump.rdb").write_bytes(b"\1" * 2**20)
    await until(api, f'node_filesystem_avail_bytes{{node="{node}"}} <= {DISK - 2**20}', what="the volume measured")
    filled = await ask(url, "fill_disk", node=node, size_bytes=int(DISK * 0.95))
    assert filled == {"node": node, "size_bytes": int(DISK * 0.95)}
    crossed = await until(api, f"{used} > 0.9", what="the node's disk past 90 %")
    assert crossed[0]["metric"]["instance"] == node  # the exporter's instance: the node, not the deployer
    others = await promql(api, f'node_filesystem_avail_bytes{{node!="{node}"}} / node_filesystem_size_bytes > 0.9')
    assert len(others) == 2, "the other nodes' disks stay empty"

    # Bad input changes nothing: an unknown node, a negative size.
    refused = await ask(url, "fill_disk", node="sim-node-9", size_bytes=1)
    assert refused["error"]["status"] == 404 and "no node 'sim-node-9'" in refused["error"]["detail"]
    negative = await ask(url, "fill_disk", node=node, size_bytes=-1)
    assert negative["error"]["status"] == 422 and "size_bytes" in str(negative["error"])
