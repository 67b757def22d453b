"""``qc up``'s side of the metrics: Debian's Prometheus and node-exporter, run like nats-server.

Prometheus stores its samples under ``var/prometheus``; the monitor writes its configuration
(``var/prometheus/prometheus.yml``: what is scraped) and reloads it, so ``qc up`` only starts it on an
empty one and tells the monitor where both are (``QC_MONITOR_PROMETHEUS_URL``, ``…_CONFIG``,
``…_NODE_EXPORTER``). The gateway shows its metrics only on an internal port: ``qc up`` gives it one
(``QC_GATEWAY_INTERNAL_PORT``), which the monitor has scraped.

When the operator names a Prometheus (``QC_MONITOR_PROMETHEUS_URL``), ``qc up`` starts neither: that
Prometheus is theirs, and so is what it scrapes. A missing binary stops nothing: the platform runs, and
the monitor's ``/readyz`` says Prometheus does not answer and how to install it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from quickon_common.files import owner_only_file
from quickon_common.natsserver import free_port, port_answers
from quickon_common.prometheusserver import PrometheusServer, PrometheusServerError, prometheus_binary

PROMETHEUS_PORT = 9090  # the usual ports, when free; another free one otherwise
NODE_EXPORTER_PORT = 9100
NODE_EXPORTER = "prometheus-node-exporter"
EMPTY_CONFIG = {"global": {"scrape_interval": "15s"}, "scrape_configs": []}


def _port(preferred: int) -> int:
    return preferred if not port_answers("127.0.0.1", preferred) else free_port()


@dataclass
class Metrics:
    """The Prometheus and node-exporter ``qc up`` runs (either may be missing), and what the services are told."""

    var_dir: Path
    say: Callable[..., None]
    prometheus: PrometheusServer | None = None
    node_exporter: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self, environ: Mapping[str, str]) -> dict[str, str]:
        """Start what is missing; returns the variables every service gets."""
        if not environ.get("QC_GATEWAY_INTERNAL_PORT"):
            self.env["QC_GATEWAY_INTERNAL_PORT"] = str(free_port())
        if environ.get("QC_MONITOR_PROMETHEUS_URL"):
            self.say(f"  using Prometheus at {environ['QC_MONITOR_PROMETHEUS_URL']}", component="prometheus",
                     state="external")  # fmt: skip
            return self.env
        self._start_node_exporter()
        self._start_prometheus()
        return self.env

    def _start_node_exporter(self) -> None:
        try:
            binary = prometheus_binary(install=False, name=NODE_EXPORTER, package=NODE_EXPORTER)
        except PrometheusServerError as error:
            self.say(f"  node-exporter not started: {error} (make prometheus installs it)", component="node-exporter",
                     state="missing")  # fmt: skip
            return
        port = _port(NODE_EXPORTER_PORT)
        log_file = owner_only_file(self.var_dir / "logs" / "node-exporter.log")
        with open(log_file, "ab") as log:
            self.node_exporter = subprocess.Popen(
                [binary, f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=log
            )
        deadline = time.monotonic() + 10
        while not port_answers("127.0.0.1", port) and self.node_exporter.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if self.node_exporter.poll() is not None or not port_answers("127.0.0.1", port):
            self.say(f"  node-exporter did not start; see {log_file}", component="node-exporter", state="failed")
            self._stop_node_exporter()
            return
        self.env["QC_MONITOR_NODE_EXPORTER"] = f"127.0.0.1:{port}"
        url = f"http://127.0.0.1:{port}"
        self.say(f"  started node-exporter {url}", component="node-exporter", state="running", url=url)

    def _start_prometheus(self) -> None:
        folder = self.var_dir / "prometheus"
        config = folder / "prometheus.yml"
        port = _port(PROMETHEUS_PORT)
        self.env["QC_MONITOR_PROMETHEUS_URL"] = f"http://127.0.0.1:{port}"
        self.env["QC_MONITOR_PROMETHEUS_CONFIG"] = str(config)
        folder.mkdir(parents=True, exist_ok=True)
        if not config.exists():  # the monitor writes the real one; Prometheus needs a file to start
            config.write_text(json.dumps(EMPTY_CONFIG) + "\n", encoding="utf-8")
        try:
            prometheus_binary(install=False)  # qc up installs nothing: make does (make prometheus)
            self.prometheus = PrometheusServer(
                config, folder, port=port, log_file=owner_only_file(self.var_dir / "logs" / "prometheus.log")
            ).start()
        except PrometheusServerError as error:
            self.say(f"  Prometheus not started: {error} (make prometheus installs it)", component="prometheus",
                     state="missing")  # fmt: skip
            return
        self.say(f"  started Prometheus {self.prometheus.url} (data in {folder})", component="prometheus",
                 state="running", url=self.prometheus.url)  # fmt: skip

    def stop(self) -> None:
        """Stop both (SIGTERM, then SIGKILL)."""
        if self.prometheus is not None:
            self.prometheus.stop()
            self.prometheus = None
        self._stop_node_exporter()

    def _stop_node_exporter(self) -> None:
        if self.node_exporter is None:
            return
        self.node_exporter.terminate()
        try:
            self.node_exporter.wait(10)
        except subprocess.TimeoutExpired:
            self.node_exporter.kill()
            self.node_exporter.wait()
        self.node_exporter = None
