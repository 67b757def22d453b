"""The sim runtime's exporter (the deployer's /sim/metrics) with 1,000 services: one scrape's time, against
reading every release's status once (what the deployer's status watcher does in a round), in the same run.

Each service is a StatefulSet of one pod with a claim, requests and limits, and a Service, as the built-in
catalog's charts render; pods are ready at once (delays scaled to zero). The page is parsed once by
prometheus-client to count its samples (and to prove it parses). Goal: a scrape well under a second.

    uv run python benchmarks/sim_exporter.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from quickon_deployer.runtime.sim import Cluster, SimConfig, default_nodes
from quickon_deployer.runtime.sim.volumes import disk_used

ROUNDS = 5


def manifests(name: str) -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": name}
    container = {
        "name": "redis", "image": "redis:7.2",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "readinessProbe": {"exec": {"command": ["redis-cli", "ping"]}, "periodSeconds": 5},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }  # fmt: skip
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
         "spec": {"selector": labels, "ports": [{"port": 6379}]}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "labels": labels},
         "spec": {"replicas": 1, "serviceName": name, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
                  "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                            "spec": {"resources": {"requests": {"storage": "1Gi"}}}}]}},
    ]  # fmt: skip


def timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 services instead of 1,000")
    services = 200 if parser.parse_args().quick else 1000
    with tempfile.TemporaryDirectory() as folder:
        nodes = default_nodes(max(3, services // 50), cpu="16", memory="64Gi")
        cluster = Cluster(Path(folder) / "volumes", SimConfig(nodes=nodes, delay_scale=0))
        now = time.time()
        for index in range(services):
            cluster.apply(namespace=f"team-{index % 20}", release=f"svc-{index}", manifests=manifests(f"svc-{index}"),
                          now=now)  # fmt: skip
        cluster.tick(now + 60)
        releases = cluster.releases()
        disk = disk_used(cluster.disk_directories())
        exports, statuses = [], []
        for round_number in range(ROUNDS):  # interleaved: both measured under the same load
            moment = now + 60 + round_number
            exports.append(timed(lambda moment=moment: cluster.metrics(now=moment, disk_used=disk)))
            statuses.append(timed(lambda: [cluster.status(namespace=ns, release=name) for ns, name in releases]))
        page = cluster.metrics(now=now + 60, disk_used=disk)
        samples = sum(len(family.samples) for family in text_string_to_metric_families(page))
    export_s, status_s = statistics.median(exports), statistics.median(statuses)
    print(f"{services} services, {samples} samples, {len(page) // 1024} KiB a scrape")
    print(f"scrape: {export_s * 1000:.0f} ms   goal well under 1 s")
    print(f"every release's status read once: {status_s * 1000:.0f} ms")
    print(f"  = {export_s / status_s:.2f}x")
    print(json.dumps({"services": services, "samples": samples, "export_s": round(export_s, 4),
                      "export_ratio": round(export_s / status_s, 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
