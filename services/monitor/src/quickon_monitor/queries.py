"""The monitor's answers: alert rules, alerts and silences, scoped to the caller's teams."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import col, select

from quickon_common.contracts.monitor import RuleSpec
from quickon_common.contracts.queries.monitor import (
    ALERT,
    ALERT_RULE,
    ALERT_RULES,
    ALERTS,
    SILENCE,
    SILENCES,
    Alert,
    AlertList,
    AlertRequest,
    AlertsRequest,
    Rule,
    RuleList,
    RuleRequest,
    RulesRequest,
    Silence,
    SilenceList,
    SilenceRequest,
    SilencesRequest,
)
from quickon_common.queries import QueryError, caller_of, visible_rows
from quickon_common.service import Service

from . import promql
from .alerts import ACTIVE, aware
from .models import AlertRecord, RuleRecord, SilenceRecord


def _iso(moment: datetime | None) -> str | None:
    return aware(moment).isoformat() if moment is not None else None


def rule_view(record: RuleRecord) -> Rule:
    spec = RuleSpec.model_validate(record.spec)
    query = promql.render(spec) if spec.kind == "prometheus" else None
    return Rule(
        rule_id=record.id, name=record.name, team=record.team, kind=record.kind, template=spec.template,
        params=spec.params, expr=spec.expr, query=query, for_s=spec.for_s, keep_firing_for_s=spec.keep_firing_for_s,
        severity=spec.severity, labels=spec.labels, summary=spec.summary, enabled=record.enabled,
        builtin=record.builtin, last_error=record.last_error, updated_at=_iso(record.updated_at),
        deleted_at=_iso(record.deleted_at),
    )  # fmt: skip


def alert_view(record: AlertRecord) -> Alert:
    return Alert(
        alert_id=record.id, rule_id=record.rule_id, rule=record.rule, team=record.team, origin=record.origin,
        state=record.state, severity=record.severity, labels=record.labels, summary=record.summary,
        value=record.value, service=record.service, namespace=record.namespace, silenced=record.silenced,
        active_at=_iso(record.active_at), fired_at=_iso(record.fired_at), resolved_at=_iso(record.resolved_at),
        acknowledged_by=record.acknowledged_by, acknowledged_at=_iso(record.acknowledged_at),
    )  # fmt: skip


def silence_view(record: SilenceRecord, now: datetime) -> Silence:
    return Silence(
        silence_id=record.id, team=record.team, matchers=record.matchers, starts_at=_iso(record.starts_at) or "",
        ends_at=_iso(record.ends_at) or "", comment=record.comment, created_by=record.created_by,
        active=aware(record.starts_at) <= now < aware(record.ends_at),
    )  # fmt: skip


def register(service: Service, *, clock: Callable[[], datetime]) -> None:
    """Answer the monitor's queries in ``service``."""

    @service.answers(ALERT_RULES)
    async def rules(request: RulesRequest) -> RuleList:
        caller = caller_of(request)
        visible = visible_rows(caller, col(RuleRecord.team))
        query = select(RuleRecord).where(visible, col(RuleRecord.deleted_at).is_(None)).order_by(col(RuleRecord.name))
        async with service.db.read_session() as session:
            return RuleList(rules=[rule_view(r) for r in (await session.exec(query)).all()])

    @service.answers(ALERT_RULE)
    async def rule(request: RuleRequest) -> Rule:
        caller = caller_of(request)
        async with service.db.read_session() as session:
            found = await session.get(RuleRecord, request.rule_id)
        if found is None or not caller.sees(found.team):
            raise QueryError(404, f"there is no alert rule {request.rule_id!r}; list them with GET /api/v1/alert-rules")
        return rule_view(found)

    @service.answers(ALERTS)
    async def alerts(request: AlertsRequest) -> AlertList:
        caller = caller_of(request)
        query = select(AlertRecord).where(visible_rows(caller, col(AlertRecord.team)))
        if request.state == "active":
            query = query.where(col(AlertRecord.state).in_(ACTIVE))
        elif request.state != "all":
            query = query.where(AlertRecord.state == request.state)
        if request.service is not None:
            query = query.where(AlertRecord.service == request.service)
        if request.severity is not None:
            query = query.where(AlertRecord.severity == request.severity)
        query = query.order_by(col(AlertRecord.active_at).desc(), col(AlertRecord.id)).limit(request.limit)
        async with service.db.read_session() as session:
            return AlertList(alerts=[alert_view(a) for a in (await session.exec(query)).all()])

    @service.answers(ALERT)
    async def alert(request: AlertRequest) -> Alert:
        caller = caller_of(request)
        async with service.db.read_session() as session:
            found = await session.get(AlertRecord, request.alert_id)
        if found is None or not caller.sees(found.team):
            raise QueryError(404, f"there is no alert {request.alert_id!r}; list them with GET /api/v1/alerts")
        return alert_view(found)

    @service.answers(SILENCES)
    async def silences(request: SilencesRequest) -> SilenceList:
        caller, now = caller_of(request), clock()
        query = select(SilenceRecord).where(visible_rows(caller, col(SilenceRecord.team)))
        if not request.include_expired:
            query = query.where(col(SilenceRecord.ends_at) > now)
        async with service.db.read_session() as session:
            found = (await session.exec(query.order_by(col(SilenceRecord.starts_at).desc()))).all()
        return SilenceList(silences=[silence_view(s, now) for s in found])

    @service.answers(SILENCE)
    async def silence(request: SilenceRequest) -> Silence:
        caller = caller_of(request)
        async with service.db.read_session() as session:
            found = await session.get(SilenceRecord, request.silence_id)
        if found is None or not caller.sees(found.team):
            raise QueryError(404, f"there is no silence {request.silence_id!r}; list them with GET /api/v1/silences")
        return silence_view(found, clock())
