"""Wiring of the monitor service: its tables, consumers, queries and workers (notifications), and on
embedded defaults the configuration of the Prometheus that qc up runs."""

from __future__ import annotations

from quickon_common.egress import Allowance
from quickon_common.sealing import Sealer
from quickon_common.service import Service
from quickon_common.settings import Settings

from .adapters.prometheus_config import PrometheusConfig, keep_applied
from .migrations import MIGRATIONS
from .notify import handlers as notify_handlers
from .notify import queries as notify_queries
from .notify.adapters.senders import Sender, smtp_tls
from .notify.delivery import DeliveryWorker
from .notify.settings import NotifySettings
from .scrape import config_text, prometheus_config
from .settings import MonitorSettings


def create_service(
    settings: Settings | None = None, monitor: MonitorSettings | None = None, notify: NotifySettings | None = None
) -> Service:
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
    _notifications(service, notify or NotifySettings())
    return service


def _notifications(service: Service, notify: NotifySettings) -> None:
    """Channels, the deliveries each followed event owes them, and the worker that sends them."""
    sealer = Sealer.platform(service.settings)
    allowance = Allowance.of(service.settings.notify_allowed_hosts)
    sender = Sender(timeout_s=notify.timeout_s, allowance=allowance, tls=smtp_tls(notify.smtp_ca_file))
    worker = DeliveryWorker(service.outbox, sender, sealer, notify, service.settings.public_url)
    notify_handlers.register(service, sealer=sealer, wake=worker.wake)
    notify_queries.register(service, worker=worker)
    service.runs(worker.run)
    service.runs(worker.prune_periodically)
