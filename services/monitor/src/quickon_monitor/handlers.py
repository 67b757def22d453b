"""The monitor's requests (from the gateway): rules, silences, acknowledgements, and alerts an outside
Alertmanager sent. Each checks that the request's team (the envelope's, which the gateway authorized) owns
what it names, changes the monitor's tables and answers with an outcome, in the consumer's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, get_args

from sqlmodel import col, select

from quickon_common.consumer import Handling
from quickon_common.contracts.monitor import (
    AlertAcknowledged,
    AlertAcknowledgeFailed,
    AlertAcknowledgeRequested,
    AlertRuleDeleted,
    AlertRuleFailed,
    AlertRuleRequested,
    AlertRuleSaved,
    ExternalAlertsRequested,
    ExternalAlertsTaken,
    Severity,
    SilenceExpired,
    SilenceFailed,
    SilenceRequested,
    SilenceSet,
)
from quickon_common.outbox import UnitOfWork
from quickon_common.service import Service

from .adapters.prometheus_client import PrometheusClient, PrometheusUnavailable, QueryRejected
from .alerts import ACTIVE, RuleFacts, resolve
from .firing import clear, fire
from .models import AlertRecord, RuleRecord, SilenceRecord

MAX_SILENCE_S = 366 * 86_400


def _whose(team: str | None) -> str:
    return f"team {team!r}" if team else "the platform"


async def _resolve_rule_alerts(uow: UnitOfWork, rule_id: str, now: datetime) -> None:
    found = await uow.session.exec(
        select(AlertRecord).where(AlertRecord.rule_id == rule_id, col(AlertRecord.state).in_(ACTIVE))
    )
    for alert in found.all():
        if alert.state == "pending":
            await uow.session.delete(alert)
            continue
        resolve(uow, alert, now=now)
        uow.session.add(alert)


def register(service: Service, *, prometheus: PrometheusClient, clock: Callable[[], datetime]) -> None:
    """Wire the request consumers into ``service``."""

    @service.handles(AlertRuleRequested)
    async def rule_requested(event: AlertRuleRequested, handling: Handling[AlertRuleRequested]) -> None:
        """Create, replace or delete a rule of the request's team."""
        uow, team, now = handling.uow, handling.envelope.team, clock()
        ids: dict[str, Any] = {"operation_id": event.operation_id, "rule_id": event.rule_id}
        record = await uow.session.get(RuleRecord, event.rule_id)
        if event.action == "create" and record is not None:
            uow.emit(AlertRuleFailed(**ids, reason=f"a rule {event.rule_id!r} exists already"))
            return
        if event.action != "create" and (record is None or record.team != team or record.deleted_at is not None):
            uow.emit(AlertRuleFailed(**ids, reason=f"{_whose(team)} has no rule {event.rule_id!r}"))
            return
        if event.action == "delete":
            assert record is not None
            await _resolve_rule_alerts(uow, record.id, now)
            record.enabled, record.deleted_at, record.updated_at = False, now, now
            uow.session.add(record)
            uow.emit(AlertRuleDeleted(**ids))
            return
        spec = event.spec
        if spec is None:
            uow.emit(AlertRuleFailed(**ids, reason="spec: a rule to save is needed"))
            return
        if spec.expr is not None:
            try:
                await prometheus.check(spec.expr)
            except QueryRejected as error:
                uow.emit(AlertRuleFailed(**ids, reason=f"expr: Prometheus cannot parse it: {error}", step="validate"))
                return
            except PrometheusUnavailable:
                pass  # checked when it is evaluated: its last_error will say
        if record is None:
            record = RuleRecord(id=event.rule_id, name=spec.name, team=team, kind=spec.kind, spec={},
                                created_by=handling.envelope.actor, updated_at=now)  # fmt: skip
        elif record.spec != spec.model_dump(mode="json") or not spec.enabled:
            await _resolve_rule_alerts(uow, record.id, now)  # what it watches changed: start afresh
        record.name, record.kind, record.enabled = spec.name, spec.kind, spec.enabled
        record.spec, record.updated_at, record.last_error = spec.model_dump(mode="json"), now, None
        uow.session.add(record)
        uow.emit(AlertRuleSaved(**ids, name=spec.name))

    @service.handles(SilenceRequested)
    async def silence_requested(event: SilenceRequested, handling: Handling[SilenceRequested]) -> None:
        """Set a silence of the request's team, or expire one."""
        uow, team, now = handling.uow, handling.envelope.team, clock()
        ids: dict[str, Any] = {"operation_id": event.operation_id, "silence_id": event.silence_id}
        record = await uow.session.get(SilenceRecord, event.silence_id)
        if event.expire:
            if record is None or record.team != team:
                uow.emit(SilenceFailed(**ids, reason=f"{_whose(team)} has no silence {event.silence_id!r}"))
                return
            record.ends_at = min(
                now, record.ends_at if record.ends_at.tzinfo else record.ends_at.replace(tzinfo=now.tzinfo)
            )
            uow.session.add(record)
            uow.emit(SilenceExpired(**ids))
            return
        try:
            starts = datetime.fromisoformat(event.starts_at) if event.starts_at else now
            ends = datetime.fromisoformat(event.ends_at or "")
        except ValueError:
            uow.emit(SilenceFailed(**ids, reason="starts_at, ends_at: give ISO 8601 times with a zone"))
            return
        if (
            starts.tzinfo is None
            or ends.tzinfo is None
            or not starts < ends
            or (ends - starts).total_seconds() > MAX_SILENCE_S
        ):
            uow.emit(
                SilenceFailed(**ids, reason="ends_at: must be after starts_at, both with a zone, at most a year apart")
            )
            return
        if not event.matchers or record is not None:
            reason = (
                "matchers: at least one is needed" if not event.matchers else f"silence {event.silence_id!r} exists"
            )
            uow.emit(SilenceFailed(**ids, reason=reason))
            return
        uow.session.add(SilenceRecord(
            id=event.silence_id, team=team, matchers=[m.model_dump() for m in event.matchers], starts_at=starts,
            ends_at=ends, comment=event.comment, created_by=handling.envelope.actor,
        ))  # fmt: skip
        uow.emit(SilenceSet(**ids))

    @service.handles(AlertAcknowledgeRequested)
    async def acknowledge(event: AlertAcknowledgeRequested, handling: Handling[AlertAcknowledgeRequested]) -> None:
        """Someone of the alert's team has seen it."""
        uow, team = handling.uow, handling.envelope.team
        ids: dict[str, Any] = {"operation_id": event.operation_id, "alert_id": event.alert_id}
        alert = await uow.session.get(AlertRecord, event.alert_id)
        if alert is None or alert.team != team:
            uow.emit(AlertAcknowledgeFailed(**ids, reason=f"{_whose(team)} has no alert {event.alert_id!r}"))
            return
        alert.acknowledged_by, alert.acknowledged_at = handling.envelope.actor, clock()
        uow.session.add(alert)
        uow.emit(AlertAcknowledged(**ids, by=handling.envelope.actor))

    @service.handles(ExternalAlertsRequested)
    async def external(event: ExternalAlertsRequested, handling: Handling[ExternalAlertsRequested]) -> None:
        """An outside Alertmanager's alerts become QuickOn's: fired, or resolved, by their fingerprint. An alert
        labelled with a namespace a team owns is that team's; any other is the platform's."""
        uow, now = handling.uow, clock()
        fired = resolved = 0
        for alert in event.alerts:
            key = "am:" + (
                alert.fingerprint or hashlib.sha256(json.dumps(sorted(alert.labels.items())).encode()).hexdigest()[:24]
            )
            if alert.status == "resolved":
                resolved += await clear(uow, key, now=now)
                continue
            severity = alert.labels.get("severity", "warning")
            name = alert.labels.get("alertname", "ExternalAlert")[:255]
            facts = RuleFacts(
                rule_id=None, name=name, team=None, origin="alertmanager",  # the team: the namespace's owner
                severity=severity if severity in get_args(Severity) else "warning",  # type: ignore[arg-type]
            )  # fmt: skip
            text = alert.annotations.get("summary") or alert.annotations.get("description") or name
            fired += await fire(uow, facts, labels=alert.labels, value=None, summary_text=text.replace("{{", "{ {"),
                                now=now, hold_s=None, fingerprint=key)  # fmt: skip
        uow.emit(ExternalAlertsTaken(operation_id=event.operation_id, fired=fired, resolved=resolved))
