"""On embedded defaults the monitor writes what Prometheus scrapes and keeps Prometheus on it: while
Prometheus is away (or not even installed) its /readyz says so, and once a Prometheus starts on that file
it is reloaded and scrapes what the monitor named."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from quickon_common.natsserver import NatsServer, free_port
from quickon_common.prometheusserver import PrometheusServer
from quickon_common.service import Service
from quickon_monitor.app import create_service
from quickon_monitor.settings import MonitorSettings
from support.bus import eventually, running, settings_for


async def test_the_monitor_keeps_prometheus_on_its_configuration(
    nats_server: NatsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    config = tmp_path / "prometheus" / "prometheus.yml"
    monkeypatch.setenv("QC_DEPLOYER_HTTP_PORT", "18992")
    monkeypatch.setenv("QC_PROMETHEUS_BIN", str(tmp_path / "no-prometheus-here"))
    monitor = MonitorSettings(
        prometheus_url=f"http://127.0.0.1:{port}", prometheus_config=config, node_exporter="127.0.0.1:9",
        scrape_interval_s=1, config_check_s=0.1, QC_GATEWAY_INTERNAL_PORT=18999,
    )  # fmt: skip
    settings = settings_for("monitor", nats_url=nats_server.url, database_url=f"sqlite:///{tmp_path / 'm.db'}",
                            var_dir=tmp_path)  # fmt: skip
    service = create_service(settings, monitor)
    async with running(service, but=("prometheus",)):
        # Away, and not installed: the reason names both, and how to install it.
        await eventually(lambda: _reason_has(service.checks, "does not answer"), what="the reason in /readyz")
        readiness = await service.readiness()
        assert not readiness["ready"]
        reason = readiness["checks"]["prometheus"]
        assert f"127.0.0.1:{port}" in reason and "QC_PROMETHEUS_BIN" in reason and "make prometheus" in reason
        # /metrics says it too, for the rules: the check by name, and the service not ready.
        assert 'quickon_check_ok{check="prometheus",service="monitor"} 0.0' in await _metrics(service)
        assert 'quickon_ready{service="monitor"} 0.0' in await _metrics(service)
        written = json.loads(config.read_text())
        jobs = {job["job_name"]: job for job in written["scrape_configs"]}
        assert set(jobs) == {"quickon", "node", "sim", "apps"}
        platform = {c["labels"]["component"]: c["targets"] for c in jobs["quickon"]["static_configs"]}
        assert platform["deployer"] == ["127.0.0.1:18992"] and platform["gateway"] == ["127.0.0.1:18999"]
        assert jobs["sim"]["static_configs"] == [{"targets": ["127.0.0.1:18992"]}] and jobs["sim"]["honor_labels"]
        assert jobs["node"]["static_configs"] == [{"targets": ["127.0.0.1:9"]}]
        assert written["global"]["scrape_interval"] == "1s"

        # A Prometheus comes (on an empty file, as qc up starts it): the monitor has it take the configuration.
        monkeypatch.delenv("QC_PROMETHEUS_BIN")
        config.write_text('{"scrape_configs": []}\n')
        prometheus = await asyncio.to_thread(PrometheusServer(config, tmp_path / "data", port=port).start)
        try:
            await eventually(lambda: _reason_is_none(service.checks), what="the monitor to see Prometheus take it")
            assert (await service.readiness())["ready"]
            assert 'quickon_check_ok{check="prometheus",service="monitor"} 1.0' in await _metrics(service)
            assert 'quickon_ready{service="monitor"} 1.0' in await _metrics(service)
            async with httpx.AsyncClient(base_url=prometheus.url) as api:
                loaded = (await api.get("/api/v1/status/config")).json()["data"]["yaml"]
                assert "job_name: sim" in loaded and "job_name: quickon" in loaded
                everything = {"market", "deployer", "backup", "monitor", "audit", "gateway"}

                async def all_platform_targets() -> bool:
                    targets = (await api.get("/api/v1/targets")).json()["data"]["activeTargets"]
                    found = {t["labels"].get("component") for t in targets if t["labels"]["job"] == "quickon"}
                    return found == everything

                await eventually(all_platform_targets, what="a target per platform service")
        finally:
            await asyncio.to_thread(prometheus.stop)


async def _metrics(service: Service) -> str:
    """The service's /metrics page, through its ASGI app (the service runs already: no lifespan)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.asgi()), base_url="http://monitor") as http:
        return (await http.get("/metrics")).text


async def _reason_has(checks: dict[str, str | None], text: str) -> bool:
    return text in (checks.get("prometheus") or "")


async def _reason_is_none(checks: dict[str, str | None]) -> bool:
    return checks.get("prometheus") is None
