"""Wiring of the monitor service: alert rules evaluated against Prometheus on one elected replica,
behaviour rules over the event stream, silences, acknowledgements and Alertmanager's alerts, each alert
published as ``AlertFired`` / ``AlertResolved`` through the outbox; the metrics query (series read from
Prometheus); notifications to the channels that ask for them, delivered by a worker that never holds the
evaluation up; on embedded defaults, the configuration of the Prometheus that qc up runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from quickon_common.deadletters import follow_dead_letters
from quickon_common.egress import Allowance
from quickon_common.sealing import Sealer
from quickon_common.service import Service
from quickon_common.settings import Settings

from . import handlers, metrics, queries, watching
from .adapters.prometheus_client import PrometheusClient
from .adapters.prometheus_config import PrometheusConfig, keep_applied
from .deadletters import DURABLE as DEAD_LETTERS_DURABLE
from .deadletters import alert_dead_letters
from .evaluator import Evaluator, utc_now
from .migrations import MIGRATIONS
from .natswatch import watch_nats
from .notify import handlers as notify_handlers
from .notify import queries as notify_queries
from .notify.adapters.senders import Sender, smtp_tls
from .notify.delivery import DeliveryWorker
from .notify.settings import NotifySettings
from .scrape import config_text, prometheus_config
from .settings import MonitorSettings


@dataclass(frozen=True)
class MonitorParts:
    """The monitor service and the parts a test or benchmark may drive directly."""

    service: Service
    evaluator: Evaluator
    prometheus: PrometheusClient
    deliveries: DeliveryWorker


def build(
    settings: Settings | None = None,
    monitor: MonitorSettings | None = None,
    notify: NotifySettings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> MonitorParts:
    """The monitor, wired. ``clock`` is the time rules and alerts are judged at (tests pass their own)."""
    service = Service("monitor", settings=settings, migrations=MIGRATIONS)
    monitor = monitor or MonitorSettings()
    prometheus = PrometheusClient(monitor.prometheus_url, timeout_s=monitor.query_timeout_s)
    evaluator = Evaluator(service, prometheus, monitor, clock=clock)
    handlers.register(service, prometheus=prometheus, clock=clock)
    watching.register(service, clock=clock)
    queries.register(service, clock=clock)
    metrics.register(service, prometheus=prometheus, clock=clock)
    service.checks["prometheus"] = "not asked yet"

    async def evaluate_rules() -> None:
        try:
            await evaluator.run()
        finally:
            await prometheus.close()

    async def follow_dead_letters_for_alerts() -> None:
        await follow_dead_letters(
            service, DEAD_LETTERS_DURABLE, lambda messages: alert_dead_letters(service, messages, now=clock())
        )

    service.runs(evaluate_rules)
    service.runs(follow_dead_letters_for_alerts)
    if monitor.nats_monitor_url is not None:
        nats_url, interval_s = monitor.nats_monitor_url, monitor.scrape_interval_s
        service.runs(lambda: watch_nats(nats_url, interval_s=interval_s))
    deliveries = deliver_notifications(service, notify or NotifySettings())
    if monitor.prometheus_config is not None:
        keep_prometheus_configured(service, monitor, monitor.prometheus_config)
    return MonitorParts(service=service, evaluator=evaluator, prometheus=prometheus, deliveries=deliveries)


def deliver_notifications(service: Service, notify: NotifySettings) -> DeliveryWorker:
    """The channels, the deliveries the consumer records for them, and the worker that sends them."""
    sealer = Sealer.platform(service.settings)
    allowance = Allowance.of(service.settings.notify_allowed_hosts)
    sender = Sender(timeout_s=notify.timeout_s, allowance=allowance, tls=smtp_tls(notify.smtp_ca_file))
    worker = DeliveryWorker(service.outbox, sender, sealer, notify, service.settings.public_url)
    notify_handlers.register(service, sealer=sealer, wake=worker.wake)
    notify_queries.register(service, worker=worker)
    service.runs(worker.run)
    service.periodically(notify.prune_every_s, worker.prune_delivery_log, what="delivery log pruning", at_once=False)
    return worker


def keep_prometheus_configured(service: Service, monitor: MonitorSettings, path: Path) -> None:
    """On embedded defaults (qc up names the file): write what Prometheus scrapes and have it reload."""
    config = PrometheusConfig(path, monitor.prometheus_url)
    text = config_text(prometheus_config(monitor.scrape_targets(), interval_s=monitor.scrape_interval_s))
    service.checks["prometheus_config"] = "not checked yet"

    def report(reason: str | None) -> None:
        service.checks["prometheus_config"] = reason

    async def keep_prometheus_config() -> None:
        await keep_applied(config, text, every_s=monitor.config_check_s, report=report)

    service.runs(keep_prometheus_config)


def create_service(
    settings: Settings | None = None, monitor: MonitorSettings | None = None, notify: NotifySettings | None = None
) -> Service:
    """The monitor service, ready to run."""
    return build(settings, monitor, notify).service
