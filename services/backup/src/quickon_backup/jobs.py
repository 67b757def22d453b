"""Backups, restores, verifications and deletions as sagas of recorded steps, each bounded by a deadline.

A consumer accepts a request by writing a job in state ``running`` (``handlers.py``); the
:class:`JobRunner` runs it here, step after step. Each step is on record as started before it runs and
is idempotent, so a backup service killed anywhere resumes the job from the step on record. A step
that fails, or a deadline that passes, ends the job: the saga's compensation runs (a failed restore
puts the service back as it was), recorded too, then the failure is announced. The deployer's
``saga.py`` is the model; this one is smaller because a job's steps are few and long.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import col, select, update

from quickon_common.contracts import Event
from quickon_common.contracts.backup import BackupStepRecorded
from quickon_common.envelope import Envelope
from quickon_common.outbox import Outbox, UnitOfWork
from quickon_common.tasks import cancel_and_wait, woken
from quickon_common.telemetry import continued, step_span, trace_carrier

from .models import JobRecord

log = logging.getLogger(__name__)
POLL_S = 5.0
RETRY_WAIT_S = (0.5, 1.0, 2.0)


class StepFailed(Exception):
    """A step cannot succeed; ``reason`` is for the user and says what to do next."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TryLater(StepFailed):
    """A step failed for a reason that may pass (the store unreachable): tried a few times, then failed."""


class JobTaken(Exception):
    """The job's row is not in the state this run left it: another run got there first."""


@dataclass
class Job:
    """One job while it runs: its record, and what steps keep in memory between them."""

    record: JobRecord
    memory: dict[str, Any] = field(default_factory=dict)
    outgoing: list[Event] = field(default_factory=list)

    @property
    def plan(self) -> dict[str, Any]:
        return self.record.plan

    def announce(self, event: Event) -> None:
        """Publish ``event`` with the next record of this job (in its transaction)."""
        self.outgoing.append(event)

    def cause(self) -> Envelope:
        c = self.record.cause
        return Envelope(
            id=c["id"], source=c["source"], type=c["type"], time=datetime.fromisoformat(c["time"]),
            correlation_id=c["correlation_id"], actor=c.get("actor"), team=c.get("team"),
        )  # fmt: skip

    @property
    def deadline_passed(self) -> bool:
        return datetime.now(UTC) >= aware(self.record.deadline)


Step = Callable[[Job], Awaitable[None]]
Finish = Callable[[Job, UnitOfWork], Awaitable[None]]
Fail = Callable[[Job, UnitOfWork, str], Awaitable[None]]


@dataclass(frozen=True)
class Saga:
    steps: tuple[tuple[str, Step], ...]
    finish: Finish
    fail: Fail
    compensation: tuple[tuple[str, Step], ...] = ()


def cause_of(envelope: Envelope) -> dict[str, Any]:
    return {
        "id": envelope.id, "source": envelope.source, "type": envelope.type, "time": envelope.time.isoformat(),
        "correlation_id": envelope.correlation_id, "actor": envelope.actor, "team": envelope.team,
        **trace_carrier(),  # the request's trace, which the job's steps and events continue
    }  # fmt: skip


class JobRunner:
    """Runs every job in state running or compensating, each in its own task."""

    def __init__(self, outbox: Outbox, sagas: dict[str, Saga], *, compensation_s: float, parallel: int) -> None:
        self.outbox = outbox
        self.sagas = sagas
        self.compensation_s = compensation_s
        self.parallel = parallel
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()

    def begin(self, uow: UnitOfWork, job: JobRecord) -> None:
        """Record a new job's first step as started with its acceptance; run it once that commits."""
        first = self.sagas[job.kind].steps[0][0]
        job.step, job.steps = first, [self._entry(uow, job, first, "started")]
        uow.after_commit(lambda: self._start(job))

    async def run(self) -> None:
        """Pick up jobs (new ones when woken, interrupted ones at start) until cancelled."""
        try:
            while True:
                self._wake.clear()
                await self._pick_up()
                await woken(self._wake, POLL_S)
        finally:
            await cancel_and_wait(self._tasks.values())

    async def _pick_up(self) -> None:
        async with self.outbox.db.read_session() as session:
            found = await session.exec(
                select(JobRecord)
                .where(col(JobRecord.state).in_(("running", "compensating")))
                .order_by(col(JobRecord.created_at))
            )
            jobs = found.all()
        for job in jobs:
            self._start(job)

    def _start(self, job: JobRecord) -> None:
        if job.id in self._tasks or len(self._tasks) >= self.parallel:
            return
        task = asyncio.create_task(self._execute(Job(job)), name=f"job-{job.id}")
        self._tasks[job.id] = task

        def forget(_task: asyncio.Task[None]) -> None:
            self._tasks.pop(job.id, None)
            self._wake.set()

        task.add_done_callback(forget)

    async def _execute(self, job: Job) -> None:
        saga = self.sagas[job.record.kind]
        with continued(job.record.cause):
            await self._execute_saga(job, saga)

    async def _execute_saga(self, job: Job, saga: Saga) -> None:
        try:
            if job.record.state == "running":
                failed = await self._forward(job, saga)
                if failed is None:
                    return
                step, reason = failed
                job.plan["failed_step"] = step
                job.plan["compensation_deadline"] = time.time() + self.compensation_s
                await self.record(job, step, "failed", detail=reason, state="compensating", error=reason)
            await self._compensate(job, saga)
        except asyncio.CancelledError:
            raise
        except JobTaken:
            log.info("job %s is run elsewhere already; this run stops", job.record.id)
        except Exception:  # the database away or a bug: the next pick-up resumes it
            log.exception("job %s (%s) interrupted", job.record.id, job.record.kind)
            await asyncio.sleep(POLL_S)

    async def _forward(self, job: Job, saga: Saga) -> tuple[str, str] | None:
        names = [name for name, _ in saga.steps]
        last = job.record.steps[-1] if job.record.steps else {}
        start = names.index(job.record.step) if job.record.step in names else 0
        on_record = (last.get("step"), last.get("state")) in {(names[start], "started"), (names[start], "progress")}
        if last.get("step") == names[start] and last.get("state") == "completed":
            start, on_record = start + 1, False
        for name, step in saga.steps[start:]:
            if not on_record:
                await self.record(job, name, "started")
            on_record = False
            failure = await self._attempt(job, name, step)
            if failure is not None:
                return name, failure
            await self.record(job, name, "completed")
        await self._end(job, saga.finish, state="completed")
        return None

    async def _compensate(self, job: Job, saga: Saga) -> None:
        names = [name for name, _ in saga.compensation]
        start = names.index(job.record.step) if job.record.step in names else 0
        reason = job.record.error or "failed"
        for name, step in saga.compensation[start:]:
            await self.record(job, name, "started")
            failure = await self._attempt(job, name, step, compensating=True)
            if failure is not None:
                reason = f"{reason}; then {name} failed too: {failure}"
                job.plan["compensation_failed"] = failure
                break
            await self.record(job, name, "compensated")

        async def failed(job: Job, uow: UnitOfWork) -> None:
            await saga.fail(job, uow, reason)

        await self._end(job, failed, state="failed", error=reason)

    async def _attempt(self, job: Job, name: str, step: Step, *, compensating: bool = False) -> str | None:
        tries = 0
        while True:
            if compensating and time.time() >= job.plan["compensation_deadline"]:
                return f"it could not be undone in {self.compensation_s:.0f}s"
            if job.deadline_passed and not compensating:
                return f"the deadline ({aware(job.record.deadline):%H:%M:%S} UTC) passed during {name}"
            try:
                with step_span(job.record.cause, name, job=job.record.id, attempt=tries + 1):
                    await step(job)
                return None
            except TryLater as later:
                if tries >= len(RETRY_WAIT_S):
                    return later.reason
                log.warning("job %s, %s: %s (try %d)", job.record.id, name, later.reason, tries + 1)
                await asyncio.sleep(RETRY_WAIT_S[tries])
                tries += 1
            except StepFailed as failed:
                return failed.reason
            except (OperationalError, InterfaceError):
                raise
            except Exception as error:  # a bug ends the job, never leaves it running forever
                log.exception("job %s, %s failed unexpectedly", job.record.id, name)
                return f"internal error during {name}: {type(error).__name__}: {error}"

    async def record(self, job: Job, step: str, progress: str, *, detail: str | None = None, **changes: Any) -> None:
        """Put a step's progress on record with the plan and the events announced so far, in one
        transaction (guarded: only while the job is in the state this run knows)."""
        record = job.record
        outgoing, job.outgoing = job.outgoing, []
        async with self.outbox.transaction() as session:
            uow = self.outbox.unit(session, cause=job.cause())
            for event in outgoing:
                uow.emit(event, subject=subject_of(record))
            entry = self._entry(uow, record, step, progress, detail)
            values = {"step": step, "steps": [*record.steps, entry], "plan": dict(job.plan), **changes}
            await _update(session, record, values)
        for key, value in values.items():
            if key != "plan":
                setattr(record, key, value)

    async def _end(self, job: Job, outcome: Finish, *, state: str, **changes: Any) -> None:
        record = job.record
        async with self.outbox.transaction() as session:
            uow = self.outbox.unit(session, cause=job.cause())
            for event in job.outgoing:
                uow.emit(event, subject=subject_of(record))
            await outcome(job, uow)
            values = {"state": state, "finished_at": datetime.now(UTC), "plan": dict(job.plan), **changes}
            await _update(session, record, values)
        job.outgoing.clear()
        for key, value in values.items():
            setattr(record, key, value)

    @staticmethod
    def _entry(uow: UnitOfWork, job: JobRecord, step: str, state: str, detail: str | None = None) -> dict[str, Any]:
        uow.emit(
            BackupStepRecorded(
                backup_id=job.backup_id, service=job.service, namespace=job.namespace, operation_id=job.operation_id,
                job=job.kind, step=step, state=state, detail=detail,  # type: ignore[arg-type]
            ),
            subject=subject_of(job),
        )  # fmt: skip
        return {"step": step, "state": state, "at": datetime.now(UTC).isoformat(), "detail": detail}


async def _update(session: Any, job: JobRecord, values: dict[str, Any]) -> None:
    result = await session.exec(
        update(JobRecord).where(col(JobRecord.id) == job.id, col(JobRecord.state) == job.state).values(**values)
    )
    if result.rowcount != 1:
        raise JobTaken(job.id)


def subject_of(job: JobRecord) -> str:
    """The CloudEvents subject of a job's events: the backup it is about."""
    return f"backups/{job.namespace}/{job.service}/{job.backup_id}"


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
