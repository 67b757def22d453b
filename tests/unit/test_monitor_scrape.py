"""What the monitor has the embedded Prometheus scrape, and how the sim reads an app's metrics annotation."""

from __future__ import annotations

import pytest

from quickon_deployer.runtime.sim.apps import metrics_endpoint
from quickon_monitor.scrape import ScrapeTargets, prometheus_config
from quickon_monitor.settings import MonitorSettings


def test_on_kubernetes_without_node_exporter_only_the_platform_is_scraped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QC_GATEWAY_INTERNAL_PORT", raising=False)
    monkeypatch.setenv("QC_MARKET_HTTP_HOST", "0.0.0.0")
    targets = MonitorSettings(QC_RUNTIME="kubernetes").scrape_targets()
    # The gateway's public port answers /metrics to admins only: without an internal port it is not scraped.
    assert "gateway" not in targets.platform and targets.platform["market"] == "127.0.0.1:8091"
    config = prometheus_config(targets, interval_s=15)
    assert [job["job_name"] for job in config["scrape_configs"]] == ["quickon"]
    assert config["global"] == {"scrape_interval": "15s", "evaluation_interval": "15s", "scrape_timeout": "10s"}


def test_on_sim_the_cluster_and_its_apps_are_scraped_through_the_deployer() -> None:
    targets = ScrapeTargets(platform={"deployer": "127.0.0.1:8092"}, node_exporter="127.0.0.1:9100",
                            sim_cluster="127.0.0.1:8092")  # fmt: skip
    config = prometheus_config(targets, interval_s=1.5)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["sim"]["metrics_path"] == "/sim/metrics" and jobs["sim"]["honor_labels"] is True
    assert jobs["apps"]["http_sd_configs"] == [
        {"url": "http://127.0.0.1:8092/sim/targets", "refresh_interval": "1500ms"}
    ]
    assert jobs["node"]["static_configs"] == [{"targets": ["127.0.0.1:9100"]}]
    assert config["global"]["scrape_timeout"] == "1500ms"  # never above the interval: Prometheus refuses it


@pytest.mark.parametrize(
    ("annotation", "endpoint"),
    [
        ("9121/metrics", (9121, "/metrics")),
        ("8080", (8080, "/metrics")),
        ("3000/minio/v2/metrics/cluster", (3000, "/minio/v2/metrics/cluster")),
        (" 80/m ", (80, "/m")),
        ("0/metrics", None),
        ("70000/metrics", None),
        ("http/metrics", None),
        ("80/a b", None),
        ("", None),
    ],
)
def test_an_apps_metrics_annotation_is_port_slash_path(annotation: str, endpoint: tuple[int, str] | None) -> None:
    assert metrics_endpoint(annotation) == endpoint
