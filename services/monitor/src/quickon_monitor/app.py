"""Wiring of the monitor service: its tables, consumers and queries, and on embedded defaults the
configuration of the Prometheus that qc up runs."""

from __future__ import annotations

from quickon_common.service import Service
from quickon_common.settings import Settings

from .adapters.prometheus_config import PrometheusConfig, keep_applied
from .migrations import MIGRATIONS
from .scrape import config_text, prometheus_config
from .settings import MonitorSettings


def create_service(settings: Settings | None = None, monitor: MonitorSettings | None = None) -> Service:
    """The monitor service, ready to run."""
    service = Service("monitor", settings=settings, migrations=MIGRATIONS)
    monitor = monitor or MonitorSettings()
    if monitor.prometheus_config is not None and monitor.prometheus_url:
        config = PrometheusConfig(monitor.prometheus_config, monitor.prometheus_url)
        text = config_text(prometheus_config(monitor.scrape_targets(), interval_s=monitor.scrape_interval_s))
        service.checks["prometheus"] = "not checked yet"

        def report(reason: str | None) -> None:
            service.checks["prometheus"] = reason

        async def keep_prometheus_config() -> None:
            await keep_applied(config, text, every_s=monitor.config_check_s, report=report)

        service.runs(keep_prometheus_config)
    return service
