"""What the embedded Prometheus scrapes (pure): every platform service's ``/metrics``, the host through
node-exporter, and on the sim runtime the simulated cluster's exporters (the deployer's ``/sim/metrics``)
and the apps whose charts declare ``quickon.io/metrics`` (found through the deployer, Prometheus' HTTP
service discovery).

Prometheus reads YAML, and JSON is YAML: the configuration is written as JSON, with no YAML library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PLATFORM_JOB = "quickon"  # up{job="quickon", component="deployer"}: one series per platform service
NODE_JOB = "node"
SIM_JOB = "sim"
APPS_JOB = "apps"
SIM_METRICS_PATH = "/sim/metrics"  # the deployer's, on the sim runtime
APP_TARGETS_PATH = "/sim/targets"  # the deployer's HTTP service discovery of the apps' metrics endpoints
MAX_SCRAPE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ScrapeTargets:
    """Where each thing to scrape answers (``host:port``)."""

    platform: Mapping[str, str] = field(default_factory=dict)  # component name -> address of its /metrics
    node_exporter: str | None = None
    sim_cluster: str | None = None  # the deployer, when it runs the sim runtime


def prometheus_config(targets: ScrapeTargets, *, interval_s: float) -> dict[str, Any]:
    """The whole configuration file's content."""
    interval = _duration(interval_s)
    timeout = _duration(min(interval_s, MAX_SCRAPE_TIMEOUT_S))  # Prometheus refuses a timeout above the interval
    jobs: list[dict[str, Any]] = []
    if targets.platform:
        platform = sorted(targets.platform.items())
        static = [{"targets": [address], "labels": {"component": name}} for name, address in platform]
        jobs.append({"job_name": PLATFORM_JOB, "static_configs": static})
    if targets.node_exporter:
        jobs.append({"job_name": NODE_JOB, "static_configs": [{"targets": [targets.node_exporter]}]})
    if targets.sim_cluster:
        # One exporter speaks for every simulated node: the instance each node-exporter series names is kept.
        jobs.append({
            "job_name": SIM_JOB, "metrics_path": SIM_METRICS_PATH, "honor_labels": True,
            "static_configs": [{"targets": [targets.sim_cluster]}],
        })  # fmt: skip
        discovery = {"url": f"http://{targets.sim_cluster}{APP_TARGETS_PATH}", "refresh_interval": interval}
        jobs.append({"job_name": APPS_JOB, "http_sd_configs": [discovery]})
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": timeout},
        "scrape_configs": jobs,
    }


def config_text(config: Mapping[str, Any]) -> str:
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def _duration(seconds: float) -> str:
    """A Prometheus duration: whole milliseconds (``1500ms``), or seconds when whole (``15s``)."""
    millis = max(round(seconds * 1000), 1)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"
