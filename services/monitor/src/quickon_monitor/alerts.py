"""Alerts written and announced: the one place an alert row changes state and its event is emitted, in
the caller's unit of work (so the state and the event commit together, and a restart neither loses nor
repeats an announcement).

A silenced alert is kept (the API shows it, silenced) but not announced; once its silence ends while it
still fires, the next round announces it. An alert is resolved aloud only if it was announced.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from quickon_common.contracts.monitor import AlertFired, AlertResolved, Matcher, Severity
from quickon_common.outbox import UnitOfWork

from .domain import SilenceWindow, silenced
from .models import AlertRecord, SilenceRecord, TeamNamespaceRecord

Origin = Literal["prometheus", "behaviour", "alertmanager"]
ACTIVE = ("pending", "firing")


def aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; every one stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RuleFacts:
    """What an alert takes from its rule."""

    rule_id: str | None
    name: str
    team: str | None
    severity: Severity
    origin: Origin


def new_alert(
    facts: RuleFacts, *, fingerprint: str, labels: Mapping[str, str], value: float | None, summary: str, now: datetime
) -> AlertRecord:
    """A pending alert, not yet written."""
    return AlertRecord(
        id=str(uuid.uuid4()), fingerprint=fingerprint, rule_id=facts.rule_id, rule=facts.name, team=facts.team,
        origin=facts.origin, state="pending", severity=facts.severity, labels=dict(labels), summary=summary,
        value=value, service=labels.get("service"), namespace=labels.get("namespace"), active_at=now,
        last_true_at=now,
    )  # fmt: skip


def announce(uow: UnitOfWork, alert: AlertRecord, *, silences: list[SilenceWindow], now: datetime) -> None:
    """Publish that a firing alert fired, unless a silence holds it back (then a later round will)."""
    alert.silenced = silenced(alert.labels, team=alert.team, silences=silences, now=now)
    if alert.silenced or alert.announced:
        return
    alert.announced = True
    uow.team = alert.team
    fired = AlertFired(**_common(alert), summary=alert.summary, started_at=aware(alert.fired_at or now).isoformat())
    uow.emit(fired, subject=f"alerts/{alert.id}")


def resolve(uow: UnitOfWork, alert: AlertRecord, *, now: datetime) -> None:
    """End an alert; say so if its firing was said."""
    alert.state, alert.resolved_at = "resolved", now
    if alert.announced:
        uow.team = alert.team
        uow.emit(AlertResolved(**_common(alert)), subject=f"alerts/{alert.id}")


def _common(alert: AlertRecord) -> dict[str, Any]:
    return {
        "alert_id": alert.id, "rule": alert.rule, "rule_id": alert.rule_id, "service": alert.service,
        "namespace": alert.namespace or "default", "severity": alert.severity, "labels": alert.labels,
        "value": alert.value, "origin": alert.origin, "team": alert.team,
    }  # fmt: skip


async def active_silences(session: AsyncSession, now: datetime) -> list[SilenceWindow]:
    """The silences not ended at ``now`` (those starting later included: a round may pass their start)."""
    found = await session.exec(select(SilenceRecord).where(col(SilenceRecord.ends_at) > now))
    return [
        SilenceWindow(
            team=s.team,
            matchers=tuple(Matcher.model_validate(m) for m in s.matchers),
            starts_at=aware(s.starts_at),
            ends_at=aware(s.ends_at),
        )
        for s in found.all()
    ]


async def team_namespaces(session: AsyncSession) -> dict[str, str]:
    """Namespace -> the team that owns it."""
    return {r.namespace: r.team for r in (await session.exec(select(TeamNamespaceRecord))).all()}


async def active_alert(session: AsyncSession, fingerprint: str) -> AlertRecord | None:
    """The pending or firing alert of a label set, if there is one."""
    found = await session.exec(
        select(AlertRecord).where(AlertRecord.fingerprint == fingerprint, col(AlertRecord.state).in_(ACTIVE))
    )
    return found.first()
