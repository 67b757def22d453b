"""The rule evaluator: every interval, on the replica that leads the service, each enabled Prometheus rule's
query is sent to Prometheus (all of a round's at once, bounded), and the answers move the alerts' state
machines in one transaction with the events they raise.

A rule whose query failed keeps its alerts as they were (Prometheus being away must not resolve every
alert); Prometheus unreachable is the readiness reason ``prometheus``. The same round resolves behaviour
alerts whose hold has passed and announces alerts whose silence has ended.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from prometheus_client import Histogram
from sqlmodel import col, select

from quickon_common.contracts.monitor import RuleSpec
from quickon_common.outbox import UnitOfWork
from quickon_common.service import Service

from . import domain, promql
from .adapters.prometheus_client import PrometheusClient, PrometheusUnavailable, QueryRejected, Sample
from .alerts import ACTIVE, RuleFacts, active_silences, announce, aware, new_alert, resolve, team_namespaces
from .models import AlertRecord, RuleRecord
from .settings import MonitorSettings
from .watching import prune_stale_hits

log = logging.getLogger(__name__)
ROUND_SECONDS = Histogram("quickon_monitor_round_seconds", "One evaluation round, queries and writes")


@dataclass
class RoundReport:
    """What one round did (for tests and the benchmark)."""

    evaluated: bool = False
    rules: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    fired: int = 0
    resolved: int = 0


def utc_now() -> datetime:
    return datetime.now(UTC)


class Evaluator:
    """Evaluates the Prometheus rules of the monitor's database on an interval."""

    def __init__(
        self,
        service: Service,
        prometheus: PrometheusClient,
        settings: MonitorSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.service = service
        self.prometheus = prometheus
        self.settings = settings
        self.clock = clock
        self._limit = asyncio.Semaphore(settings.query_concurrency)

    async def run(self) -> None:
        """A round every interval until cancelled, on the replica that leads the service (the others say
        nothing of Prometheus: the leader does); a failed round is logged and the next one tries again."""
        await self.service.leadership.asked()
        while True:
            try:
                if self.service.leadership.leads:
                    await self.round()
                else:
                    self.service.checks["prometheus"] = None
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("an evaluation round failed; the next one tries again")
            await asyncio.sleep(self.settings.evaluation_interval_s)

    async def round(self) -> RoundReport:
        """One evaluation of every enabled Prometheus rule."""
        report = RoundReport()
        now = self.clock()
        with ROUND_SECONDS.time():
            async with self.service.db.read_session() as session:
                query = select(RuleRecord).where(RuleRecord.enabled == True, RuleRecord.kind == "prometheus")  # noqa: E712
                rules = list((await session.exec(query)).all())
            results = await self._ask_all(rules)
            unreachable = [a for a in results.values() if isinstance(a, PrometheusUnavailable)]
            self.service.checks["prometheus"] = (
                str(unreachable[0]) if unreachable and len(unreachable) == len(rules) else None
            )
            report.evaluated, report.rules = True, len(rules)
            await self._apply(rules, results, now, report)
        if (report.fired or report.resolved) and self.settings.failpoint == "after_commit":
            log.warning("failpoint after_commit reached; stopping the process")
            os.kill(os.getpid(), signal.SIGSTOP)
        return report

    async def _ask_all(self, rules: list[RuleRecord]) -> dict[str, list[Sample] | Exception]:
        """Each rule's samples (or why there are none): one query per distinct base, thresholds compared here."""
        conditions: dict[str, promql.Condition | ValueError] = {}
        for rule in rules:
            try:
                conditions[rule.id] = promql.condition(promql.render(RuleSpec.model_validate(rule.spec)))
            except ValueError as error:
                conditions[rule.id] = error
        bases = sorted({c.base for c in conditions.values() if isinstance(c, promql.Condition)})
        answers = dict(zip(bases, await asyncio.gather(*(self._ask(base) for base in bases)), strict=True))
        results: dict[str, list[Sample] | Exception] = {}
        for rule_id, found in conditions.items():
            if isinstance(found, ValueError):
                results[rule_id] = found
                continue
            answer = answers[found.base]
            results[rule_id] = answer if isinstance(answer, Exception) else [a for a in answer if found.holds(a.value)]
        return results

    async def _ask(self, query: str) -> list[Sample] | Exception:
        async with self._limit:
            try:
                return await self.prometheus.query(query)
            except (PrometheusUnavailable, QueryRejected) as error:
                return error

    async def _apply(
        self, rules: list[RuleRecord], results: dict[str, list[Sample] | Exception], now: datetime, report: RoundReport
    ) -> None:
        async with self.service.outbox.transaction() as session:
            uow = self.service.outbox.unit(session, actor="monitor")
            silences = await active_silences(session, now)
            namespaces = await team_namespaces(session)
            found = await session.exec(select(AlertRecord).where(col(AlertRecord.state).in_(ACTIVE)))
            active: dict[str, AlertRecord] = {a.fingerprint: a for a in found.all()}
            # The rules as they are now, in one read: one changed or deleted while its query ran is left to the
            # next round, which evaluates it as it is then.
            ids = [rule.id for rule in rules]
            current = {
                r.id: r for r in (await session.exec(select(RuleRecord).where(col(RuleRecord.id).in_(ids)))).all()
            }
            for rule in rules:
                outcome = results[rule.id]
                stored = current.get(rule.id)
                if stored is None or stored.spec != rule.spec or not stored.enabled:
                    continue
                if isinstance(outcome, Exception):
                    report.failed[rule.id] = str(outcome)
                    if stored.last_error != str(outcome):
                        stored.last_error = str(outcome)
                        session.add(stored)
                    continue
                if stored.last_error is not None:
                    stored.last_error = None
                    session.add(stored)
                await self._step_rule(uow, rule, outcome, active, silences, namespaces, now, report)
            await prune_stale_hits(session, now=now)
            for alert in active.values():  # behaviour alerts end when their hold passes quietly
                if alert.origin == "behaviour" and alert.hold_until and aware(alert.hold_until) <= now:
                    resolve(uow, alert, now=now)
                    session.add(alert)
                    report.resolved += 1
                elif alert.state == "firing" and not alert.announced:  # held back by a silence that has ended?
                    announce(uow, alert, silences=silences, now=now)
                    report.fired += int(alert.announced)
                    session.add(alert)

    async def _step_rule(
        self,
        uow: UnitOfWork,
        rule: RuleRecord,
        samples: list[Sample],
        active: dict[str, AlertRecord],
        silences: list[domain.SilenceWindow],
        namespaces: dict[str, str],
        now: datetime,
        report: RoundReport,
    ) -> None:
        spec = RuleSpec.model_validate(rule.spec)
        facts = RuleFacts(rule_id=rule.id, name=spec.name, team=rule.team, severity=spec.severity, origin="prometheus")
        seen: set[str] = set()
        for sample in samples:
            labels = domain.alert_labels(spec.labels, sample.labels, rule_name=spec.name, severity=spec.severity)
            if not domain.in_scope(labels, team=rule.team, namespaces=namespaces):
                continue
            key = domain.fingerprint(rule.id, labels)
            if key in seen:
                continue
            seen.add(key)
            record = active.get(key)
            state, change = domain.step(
                _state_of(record), holds=True, value=sample.value, now=now, for_s=spec.for_s,
                keep_firing_for_s=spec.keep_firing_for_s,
            )  # fmt: skip
            assert state is not None
            text = domain.summary(spec.summary, labels=labels, value=sample.value)
            if record is None:
                team = domain.owner(labels, team=rule.team, namespaces=namespaces)
                record = new_alert(
                    replace(facts, team=team), fingerprint=key, labels=labels, value=sample.value, summary=text, now=now
                )
                active[key] = record
            record.state, record.value, record.summary = state.state, sample.value, text
            record.last_true_at, record.fired_at = now, state.fired_at
            if change == "fired" or (record.state == "firing" and not record.announced):
                announce(uow, record, silences=silences, now=now)
                report.fired += int(change == "fired")
            uow.session.add(record)
        for key, record in list(active.items()):
            if record.rule_id != rule.id or key in seen:
                continue
            state, change = domain.step(
                _state_of(record), holds=False, value=None, now=now, for_s=spec.for_s,
                keep_firing_for_s=spec.keep_firing_for_s,
            )  # fmt: skip
            if state is None:  # a pending alert that stopped holding: never announced, gone
                del active[key]
                await uow.session.delete(record)
                continue
            if change == "resolved":
                del active[key]
                resolve(uow, record, now=now)
                uow.session.add(record)
                report.resolved += 1


def _state_of(record: AlertRecord | None) -> domain.AlertState | None:
    if record is None:
        return None
    return domain.AlertState(
        state=record.state,  # type: ignore[arg-type]
        active_at=aware(record.active_at), last_true_at=aware(record.last_true_at), value=record.value,
        fired_at=aware(record.fired_at) if record.fired_at else None,
    )  # fmt: skip
