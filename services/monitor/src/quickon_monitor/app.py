"""Wiring of the monitor service: alert rules evaluated against Prometheus on one elected replica,
behaviour rules over the event stream, silences, acknowledgements and Alertmanager's alerts, each alert
published as ``AlertFired`` / ``AlertResolved`` through the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from quickon_common.service import Service
from quickon_common.settings import Settings

from . import handlers, queries, watching
from .adapters.prometheus_client import PrometheusClient
from .deadletters import follow_dead_letters
from .evaluator import Evaluator, utc_now
from .migrations import MIGRATIONS
from .settings import MonitorSettings


@dataclass(frozen=True)
class MonitorParts:
    """The monitor service and the parts a test or benchmark may drive directly."""

    service: Service
    evaluator: Evaluator
    prometheus: PrometheusClient


def build(
    settings: Settings | None = None,
    monitor: MonitorSettings | None = None,
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
    service.checks["prometheus"] = "not asked yet"

    async def evaluate_rules() -> None:
        try:
            await evaluator.run()
        finally:
            await prometheus.close()

    async def follow_dead_letters_for_alerts() -> None:
        await follow_dead_letters(service, clock=clock)

    service.runs(evaluate_rules)
    service.runs(follow_dead_letters_for_alerts)
    return MonitorParts(service=service, evaluator=evaluator, prometheus=prometheus)


def create_service(settings: Settings | None = None, monitor: MonitorSettings | None = None) -> Service:
    """The monitor service, ready to run."""
    return build(settings, monitor).service
