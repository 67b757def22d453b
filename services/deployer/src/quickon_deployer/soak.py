"""The soak of a health-gated upgrade (``soak_seconds``): once the new revision is ready, the upgrade watches
the service's alerts that long, and one that fires fails the step, so that the upgrade is rolled back by the
compensation every failed upgrade has.

Alerts are the monitor's events: a durable consumer here notes each ``AlertFired`` of a namespace where an
upgrade with a soak runs (in ``deployer_soak_alert``, in the transaction that acknowledges it), and wakes the
step. The step decides which of them are about its service (:func:`~.domain.alert_about`, by the pods the
runtime lists) and fired within its window. Both survive a restart of the deployer: the consumer is durable,
and the window's start is the step's start on record, so a resumed step keeps only what was left of it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from functools import partial

from sqlalchemy import JSON, Column, DateTime, delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from quickon_common.consumer import Handling
from quickon_common.contracts.monitor import AlertFired
from quickon_common.saga import aware
from quickon_common.service import Service
from quickon_common.tasks import woken

from .domain import alert_about
from .models import OperationRecord
from .plans import UpgradePlan
from .saga import Run, StepFailed
from .steps import Steps

LOOK_S = 2.0  # how often the step looks again without being woken (an alert noted by another replica)
# Alerts that roll an upgrade back; an "info" one is only information.
GATING = ("warning", "critical")
SUMMARY_MAX = 300  # of an alert's summary in the upgrade's failure


class SoakAlertRecord(SQLModel, table=True):
    """An alert that fired in the namespace of an upgrade that soaks, noted for that upgrade. Its strings are
    the monitor's, unbounded (the contract bounds none of them)."""

    __tablename__ = "deployer_soak_alert"

    operation_id: str = Field(primary_key=True, max_length=80)
    alert_id: str = Field(primary_key=True)
    rule: str
    summary: str = ""
    severity: str
    service: str | None = None
    namespace: str
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fired_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


async def forget_alerts(session: AsyncSession, operation_id: str) -> None:
    """Drop what was noted for an upgrade (in its last transaction: nothing reads it afterwards)."""
    await session.exec(delete(SoakAlertRecord).where(col(SoakAlertRecord.operation_id) == operation_id))


class Soak:
    """The ``soak`` step of an upgrade, and the consumer that notes the alerts it watches."""

    def __init__(self, service: Service, steps: Steps) -> None:
        self.db = service.db
        self.steps = steps
        self._waiting: dict[str, asyncio.Event] = {}  # operation id -> its soak step's wake-up
        service.handles(AlertFired, name="soak_alert_fired")(self._fired)

    async def step(self, run: Run) -> None:
        """Watch the service's alerts for the plan's soak, from when the new revision is ready; the first one
        about it that fires (warning or critical) fails the step, naming it."""
        op, plan = run.record, run.plan
        assert isinstance(plan, UpgradePlan)
        if not plan.soak_s:
            return
        started = _window_start(run)
        ends_at = started + plan.soak_s
        pods: set[str] = run.memory.setdefault("soak_pods", set())  # every pod of the release seen soaking
        wake = self._waiting.setdefault(op.id, asyncio.Event())
        try:
            while True:
                health = await self.steps.runtime.health(namespace=op.namespace, release=op.service)
                run.memory["health"] = health
                pods.update(pod.name for pod in health.pods)
                if (alert := await self._fired_about(run, pods, since=started)) is not None:
                    run.plan = plan.model_copy(update={"soak_alert": alert.rule, "soak_alert_id": alert.alert_id})
                    into = aware(alert.fired_at).timestamp() - started
                    said = (alert.summary or alert.severity)[:SUMMARY_MAX]
                    raise StepFailed(
                        f"alert {alert.rule} ({said}) fired during the {plan.soak_s} s soak ({into:.0f} s in)"
                    )
                now = time.time()
                if now >= ends_at:
                    return
                if now >= run.deadline:
                    raise StepFailed(f"the upgrade's deadline passed {ends_at - now:.0f} s before the soak's end")
                if await woken(wake, min(LOOK_S, ends_at - now, max(run.deadline - now, 0.01))):
                    wake.clear()
        finally:
            self._waiting.pop(op.id, None)

    async def _fired_about(self, run: Run, pods: set[str], *, since: float) -> SoakAlertRecord | None:
        """The first alert about the service that fired since ``since`` (epoch seconds), if any."""
        op = run.record
        async with self.db.read_session() as session:
            found = await session.exec(select(SoakAlertRecord).where(SoakAlertRecord.operation_id == op.id))
            noted = sorted(found.all(), key=lambda a: aware(a.fired_at))
        for alert in noted:
            about = alert_about(
                labels=alert.labels, service=alert.service, namespace=alert.namespace, release=op.service,
                release_namespace=op.namespace, pods=pods,
            )  # fmt: skip
            if about and alert.severity in GATING and aware(alert.fired_at).timestamp() >= since:
                return alert
        return None

    async def _fired(self, event: AlertFired, handling: Handling[AlertFired]) -> None:
        """Note an alert for each upgrade with a soak running in its namespace (most alerts concern none)."""
        session = handling.uow.session
        running = await session.exec(
            select(OperationRecord).where(
                OperationRecord.kind == "upgrade", OperationRecord.state == "running",
                OperationRecord.namespace == event.namespace,
            )
        )  # fmt: skip
        fired_at = _moment(event.started_at) or handling.envelope.time
        for op in running.all():
            if not op.plan.get("soak_s") or await session.get(SoakAlertRecord, (op.id, event.alert_id)) is not None:
                continue
            session.add(
                SoakAlertRecord(
                    operation_id=op.id, alert_id=event.alert_id, rule=event.rule, summary=event.summary,
                    severity=event.severity, service=event.service, namespace=event.namespace,
                    labels=dict(event.labels), fired_at=fired_at,
                )
            )  # fmt: skip
            handling.uow.after_commit(partial(self._wake, op.id))

    def _wake(self, operation_id: str) -> None:
        if (wake := self._waiting.get(operation_id)) is not None:
            wake.set()


def _window_start(run: Run) -> float:
    """When the soak began (epoch seconds): its start on record, which a resumed run finds there too (a soak
    is not repeatable, so its start is recorded before it runs and not again on resume)."""
    for entry in reversed(run.record.steps):
        if (entry.get("step"), entry.get("state")) == ("soak", "started"):
            return datetime.fromisoformat(entry["at"]).timestamp()
    return time.time()


def _moment(text: str | None) -> datetime | None:
    """An alert's ISO start, made aware (UTC when it names no zone); None when it has none or is not one."""
    try:
        return aware(datetime.fromisoformat(text)) if text else None
    except ValueError:
        return None
