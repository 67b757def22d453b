"""Behaviour rules over the event stream: the monitor's own durable consumers of the events they watch.

Each consumer applies its event to the enabled behaviour rules of its template, in the consumer's
transaction: the hits a rule counts, the alert it fires and its ``AlertFired`` commit with the inbox claim,
so a redelivered event counts once. A team's rule watches only its team's events (the envelope's team).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from quickon_common.consumer import Handling
from quickon_common.contracts.audit import AuditVerificationFailed
from quickon_common.contracts.backup import BackupCompleted, BackupEvent, BackupFailed
from quickon_common.contracts.deploy import AppUninstallRequested, ServiceScanWorsened
from quickon_common.contracts.iam import TeamNamespaceAssigned, TeamNamespaceReleased, UserLoginFailed
from quickon_common.contracts.monitor import TEMPLATES, RuleSpec
from quickon_common.outbox import UnitOfWork
from quickon_common.service import Service

from . import domain
from .alerts import RuleFacts
from .behaviour import in_window, outside_working_hours
from .firing import clear, fire
from .models import HitRecord, RuleRecord, TeamNamespaceRecord

MAX_WINDOW_S = float(TEMPLATES["login_failures"][1]["window_s"].maximum or 86_400)


async def rules_of(session: AsyncSession, template: str, *, team: str | None) -> list[tuple[RuleRecord, RuleSpec]]:
    """The enabled behaviour rules of ``template`` that watch an event of ``team`` (the platform's watch all)."""
    found = await session.exec(select(RuleRecord).where(RuleRecord.enabled == True, RuleRecord.kind == "behaviour"))  # noqa: E712
    chosen = []
    for rule in found.all():
        spec = RuleSpec.model_validate(rule.spec)
        if spec.template == template and (rule.team is None or rule.team == team):
            chosen.append((rule, spec))
    return chosen


def facts(rule: RuleRecord, spec: RuleSpec) -> RuleFacts:
    return RuleFacts(rule_id=rule.id, name=spec.name, team=rule.team, severity=spec.severity, origin="behaviour")


def labelled(spec: RuleSpec, **labels: str) -> dict[str, str]:
    return domain.alert_labels(spec.labels, labels, rule_name=spec.name, severity=spec.severity)


async def count_hit(uow: UnitOfWork, rule_id: str, key: str, *, at: datetime, window_s: float | None) -> int:
    """Record one hit of ``key`` and count its hits (within ``window_s`` of ``at``; None: all kept)."""
    session = uow.session
    session.add(HitRecord(rule_id=rule_id, key=key, at=at))
    await session.flush()
    where = [col(HitRecord.rule_id) == rule_id, col(HitRecord.key) == key]
    if window_s is not None:
        since = at - timedelta(seconds=window_s)
        await session.exec(delete(HitRecord).where(*where, col(HitRecord.at) < since))
        times = (await session.exec(select(HitRecord.at).where(*where))).all()
        return in_window([t if t.tzinfo else t.replace(tzinfo=at.tzinfo) for t in times], now=at, window_s=window_s)
    return int((await session.exec(select(func.count()).select_from(HitRecord).where(*where))).one())


async def prune_stale_hits(session: AsyncSession, *, now: datetime) -> None:
    """Forget counted hits older than any window can reach (a user who failed once and never again), for the
    rules that count within a window; hits counted in a row (failed backups) stay until a success clears them."""
    rules = (await session.exec(select(RuleRecord).where(RuleRecord.kind == "behaviour"))).all()
    windowed = [r.id for r in rules if r.spec.get("template") == "login_failures"]
    if windowed:
        since = now - timedelta(seconds=MAX_WINDOW_S)
        await session.exec(delete(HitRecord).where(col(HitRecord.rule_id).in_(windowed), col(HitRecord.at) < since))


def register(service: Service, *, clock: Callable[[], datetime]) -> None:
    """Wire the behaviour rules' consumers into ``service``."""

    @service.handles(UserLoginFailed, name="watch_login_failures")
    async def login_failed(event: UserLoginFailed, handling: Handling[UserLoginFailed]) -> None:
        """N failed logins of one user within the window fire the rule."""
        uow, at = handling.uow, handling.envelope.time
        for rule, spec in await rules_of(uow.session, "login_failures", team=handling.envelope.team):
            window = float(spec.param("window_s"))
            hits = await count_hit(uow, rule.id, event.username, at=at, window_s=window)
            if hits >= float(spec.param("count")):
                labels = labelled(spec, username=event.username)
                hold = max(spec.keep_firing_for_s, window)
                await fire(uow, facts(rule, spec), labels=labels, value=hits, summary_text=spec.summary, now=clock(),
                           hold_s=hold)  # fmt: skip

    @service.handles(AppUninstallRequested, name="watch_uninstalls")
    async def uninstall(event: AppUninstallRequested, handling: Handling[AppUninstallRequested]) -> None:
        """An uninstall asked for outside working hours fires the rule."""
        at = handling.envelope.time
        chosen = await rules_of(handling.uow.session, "uninstall_off_hours", team=handling.envelope.team)
        for rule, spec in chosen:
            hours = {"start_hour": int(float(spec.param("start_hour"))), "end_hour": int(float(spec.param("end_hour")))}
            if outside_working_hours(at, **hours, timezone=str(spec.param("timezone"))):
                labels = labelled(spec, service=event.service, namespace=event.namespace,
                                  actor=handling.envelope.actor or "")  # fmt: skip
                await fire(handling.uow, facts(rule, spec), labels=labels, value=None, summary_text=spec.summary,
                           now=clock(), hold_s=spec.keep_firing_for_s or 3600)  # fmt: skip

    @service.handles(AuditVerificationFailed, name="watch_audit_verifications")
    async def verification_failed(event: AuditVerificationFailed, handling: Handling[AuditVerificationFailed]) -> None:
        """An audit verification that failed fires the rule."""
        for rule, spec in await rules_of(
            handling.uow.session, "audit_verification_failed", team=handling.envelope.team
        ):
            await fire(handling.uow, facts(rule, spec), labels=labelled(spec), value=event.first_bad_sequence,
                       summary_text=spec.summary, now=clock(), hold_s=spec.keep_firing_for_s or 86_400)  # fmt: skip

    @service.handles(ServiceScanWorsened, name="watch_service_scans")
    async def scan_worsened(event: ServiceScanWorsened, handling: Handling[ServiceScanWorsened]) -> None:
        """A rescan that found new HIGH or CRITICAL findings in a service fires the rule."""
        for rule, spec in await rules_of(handling.uow.session, "service_scan_worsened", team=handling.envelope.team):
            labels = labelled(spec, service=event.service, namespace=event.namespace, worst=event.worst)
            await fire(handling.uow, facts(rule, spec), labels=labels, value=len(event.findings),
                       summary_text=spec.summary, now=clock(), hold_s=spec.keep_firing_for_s or 86_400)  # fmt: skip

    @service.handles(
        BackupEvent, subject="qc.backup.backup.>", name="watch_backups", only=(BackupFailed, BackupCompleted)
    )
    async def backup_outcome(event: BackupEvent, handling: Handling[BackupEvent]) -> None:
        """Backups of one service failing N times in a row fire the rule; the next success clears it."""
        uow, key = handling.uow, f"{event.namespace}/{event.service}"
        for rule, spec in await rules_of(uow.session, "backup_failed", team=handling.envelope.team):
            labels = labelled(spec, service=event.service, namespace=event.namespace)
            if isinstance(event, BackupCompleted):
                stale = delete(HitRecord).where(col(HitRecord.rule_id) == rule.id, col(HitRecord.key) == key)
                await uow.session.exec(stale)
                await clear(uow, domain.fingerprint(rule.id, labels), now=clock())
                continue
            failures = await count_hit(uow, rule.id, key, at=handling.envelope.time, window_s=None)
            if failures >= float(spec.param("count")):
                await fire(uow, facts(rule, spec), labels=labels, value=failures, summary_text=spec.summary,
                           now=clock(), hold_s=None)  # fmt: skip

    @service.handles(TeamNamespaceAssigned, name="follow_team_namespaces_assigned")
    async def namespace_assigned(event: TeamNamespaceAssigned, handling: Handling[TeamNamespaceAssigned]) -> None:
        """A team's rules see its namespaces' series."""
        await handling.uow.session.merge(TeamNamespaceRecord(namespace=event.namespace, team=event.team_id))

    @service.handles(TeamNamespaceReleased, name="follow_team_namespaces_released")
    async def namespace_released(event: TeamNamespaceReleased, handling: Handling[TeamNamespaceReleased]) -> None:
        found = await handling.uow.session.get(TeamNamespaceRecord, event.namespace)
        if found is not None and found.team == event.team_id:
            await handling.uow.session.delete(found)
