"""Monitor context: alerts raised and cleared (owned by the monitor service)."""

from __future__ import annotations

from typing import Literal

from .base import Event


class AlertEvent(Event):
    """An event about one alert rule firing for one service."""

    alert_id: str
    rule: str
    service: str | None = None
    namespace: str = "default"
    severity: Literal["info", "warning", "critical"] = "warning"


class AlertFired(AlertEvent):
    subject = "qc.monitor.alert.fired"
    summary: str


class AlertResolved(AlertEvent):
    subject = "qc.monitor.alert.resolved"
