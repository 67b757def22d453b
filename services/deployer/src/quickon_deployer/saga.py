"""Operations as sagas: every step's progress recorded, every operation bounded by its deadline.

A consumer accepts a request (``handlers.py``) by writing an operation in state ``running``, its
first step started; the :class:`SagaRunner` runs it here, step after step (``steps.py``). A step
whose repetition could do harm is on record as started before it runs; a repeatable one (a read,
or a deploy that recognises its own revision) is recorded with the next record (or once it runs
long), which keeps an install at one transaction of its own after its acceptance. Every step is
idempotent, so a deployer killed anywhere resumes the operation from the last step on record.
A step that fails, or a deadline that passes, ends the operation: the saga then compensates (the
``compensation`` steps of ``outcomes.py``) — a failed install is uninstalled, a failed upgrade
rolled back — recording that too, so that a crash during compensation resumes the compensation.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import SQLModel, col, select, update

from quickon_common.contracts import Event
from quickon_common.contracts.deploy import SagaStepRecorded
from quickon_common.envelope import Envelope
from quickon_common.outbox import Outbox, UnitOfWork
from quickon_common.tasks import cancel_and_wait, woken
from quickon_common.telemetry import continued, step_span, trace_carrier

from .models import OperationRecord, ServiceRecord
from .runtime.base import RuntimeFailure

log = logging.getLogger(__name__)
RETRY_WAIT_S = (0.5, 1.0, 2.0, 5.0, 10.0)
POLL_S = 5.0
# A repeatable step's start is put on record with the next record, or once it has run this long:
# a quick one costs no transaction of its own, a long wait still shows at once.
TELL_AFTER_S = 0.25


class OperationTaken(Exception):
    """The operation's row is not in the state this runner left it: another run of it got there first
    (a pick-up that read it just before it ended). This run stops without doing anything more."""


class StepFailed(Exception):
    """A step cannot succeed; ``reason`` is for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Run:
    """One operation while it runs: its record as loaded, and what steps keep in memory between them."""

    op: OperationRecord
    memory: dict[str, Any] = field(default_factory=dict)  # e.g. rendered manifests; lost on a crash
    outgoing: list[Event] = field(default_factory=list)  # events a step announces, sent with its record
    rows: list[SQLModel] = field(default_factory=list)  # rows a step writes, saved with its record
    progress: list[tuple[str, str]] = field(default_factory=list)  # (step, state) not on record yet

    def announce(self, event: Event) -> None:
        """Publish ``event`` with the record of the step that is running (in the same transaction)."""
        self.outgoing.append(event)

    @property
    def plan(self) -> dict[str, Any]:
        return self.op.plan

    @property
    def deadline_passed(self) -> bool:
        return datetime.now(UTC) >= _aware(self.op.deadline)

    def cause(self) -> Envelope:
        """The request's envelope, so that every event of the saga follows from it."""
        c = self.op.cause
        return Envelope(
            id=c["id"], source=c["source"], type=c["type"], time=datetime.fromisoformat(c["time"]),
            correlation_id=c["correlation_id"], actor=c.get("actor"), team=c.get("team"),
        )  # fmt: skip


Step = Callable[[Run], Awaitable[None]]
Finish = Callable[[Run, UnitOfWork, ServiceRecord | None], Awaitable[None]]


@dataclass(frozen=True)
class Saga:
    """The steps of one kind of operation, what success records, and how a failure is undone."""

    steps: tuple[tuple[str, Step], ...]
    finish: Finish
    compensation: tuple[tuple[str, Step], ...]
    fail: Callable[[Run, UnitOfWork, ServiceRecord | None, str], Awaitable[None]]
    # Steps whose start need not be on record before they run, since a crash during one only means
    # running it again: those that change nothing outside the deployer's memory, and those that
    # recognise their own effect when they run again.
    repeatable: frozenset[str] = frozenset()
    # Started when a request is accepted, before its transaction commits: a read the first steps will
    # want (so it runs during the commit, not after it). It must change nothing.
    early: Callable[[OperationRecord], None] | None = None


def cause_of(envelope: Envelope) -> dict[str, Any]:
    return {
        "id": envelope.id, "source": envelope.source, "type": envelope.type, "time": envelope.time.isoformat(),
        "correlation_id": envelope.correlation_id, "actor": envelope.actor, "team": envelope.team,
        **trace_carrier(),  # the request's trace, which the saga's steps and events continue
    }  # fmt: skip


class SagaRunner:
    """Runs every operation in state running or compensating, each in its own task."""

    def __init__(
        self,
        outbox: Outbox,
        sagas: dict[str, Saga],
        *,
        compensation_s: float,
        parallel: int = 32,
        failpoints: Sequence[str] = (),
    ) -> None:
        self.outbox = outbox
        self.sagas = sagas
        # Operations run at once; the others wait their turn (a burst of hundreds would otherwise
        # queue on the database's write lock and time out there).
        self.parallel = parallel
        self.compensation_s = compensation_s  # the budget of undoing a failed operation
        self.failpoints = frozenset(failpoints)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Operations that ended since the current pick-up began reading: its answer may still show
        # them running, and a run started from it would only repeat steps before it found out.
        self._ended: set[str] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def begin(self, uow: UnitOfWork, op: OperationRecord) -> None:
        """Record a new operation's first step as started, in the transaction that accepts it, and
        start running it as soon as that commits (no pick-up query, no transaction of its own)."""
        saga = self.sagas[op.kind]
        first = saga.steps[0][0]
        op.step, op.steps = first, self._log_progress(uow, op, [(first, "started")])
        if saga.early is not None:
            saga.early(op)
        uow.after_commit(lambda: self._start(op))

    async def run(self) -> None:
        """Pick up operations (new ones when woken, interrupted ones at start) until cancelled."""
        try:
            while True:
                self._wake.clear()
                await self._pick_up()
                await woken(self._wake, POLL_S)
        finally:
            await cancel_and_wait(self._tasks.values())

    async def _pick_up(self) -> None:
        self._ended.clear()  # what ended before this read shows as ended in it
        async with self.outbox.db.read_session() as session:
            found = await session.exec(
                select(OperationRecord)
                .where(col(OperationRecord.state).in_(("running", "compensating")))
                .order_by(col(OperationRecord.created_at))
            )
            operations = found.all()
        for op in operations:
            if op.id not in self._ended:
                self._start(op)

    def _start(self, op: OperationRecord) -> None:
        """Run ``op`` now if a place is free; otherwise a pick-up takes it when one is."""
        if op.id in self._tasks or len(self._tasks) >= self.parallel:
            return
        task = asyncio.create_task(self._execute(Run(op)), name=f"operation-{op.id}")
        self._tasks[op.id] = task
        task.add_done_callback(self._forget(op))

    def _forget(self, op: OperationRecord) -> Callable[[asyncio.Task[None]], None]:
        def forget(_task: asyncio.Task[None]) -> None:
            self._tasks.pop(op.id, None)
            if op.state in ("completed", "failed"):
                self._ended.add(op.id)
            self._wake.set()  # a place is free for a waiting operation

        return forget

    async def _execute(self, run: Run) -> None:
        saga = self.sagas[run.op.kind]
        with continued(run.op.cause):
            await self._execute_saga(run, saga)

    async def _execute_saga(self, run: Run, saga: Saga) -> None:
        try:
            if run.op.state == "running":
                failed = await self._forward(run, saga)
                if failed is None:
                    return
                step, failure = failed
                run.plan["failed_step"] = step
                run.plan["compensation_deadline"] = time.time() + self.compensation_s
                await self._record(run, step, "failed", detail=failure, state="compensating", error=failure)
            await self._compensate(run, saga)
        except asyncio.CancelledError:
            raise
        except OperationTaken:
            log.info("operation %s (%s) is run elsewhere already; this run stops", run.op.id, run.op.kind)
        except Exception:  # a bug or the database away: the next pick-up (restart or poll) resumes it
            log.exception("operation %s (%s) interrupted", run.op.id, run.op.kind)
            await asyncio.sleep(POLL_S)

    async def _forward(self, run: Run, saga: Saga) -> tuple[str, str] | None:
        """Run the remaining steps; the step that failed and why, or None when the operation completed.

        A step's completion is recorded with the next step's start: one transaction, not two. A
        repeatable step's start waits for the next record too (see :meth:`_run_repeatable`).
        """
        names = [name for name, _ in saga.steps]
        last = run.op.steps[-1] if run.op.steps else {}
        start = names.index(run.op.step) + (last.get("state") == "completed") if run.op.step in names else 0
        # The start of the step to run may be on record already (by the acceptance, or before a crash).
        on_record = start < len(names) and (last.get("step"), last.get("state")) == (names[start], "started")
        for name, step in saga.steps[start:]:
            if on_record or name not in saga.repeatable:
                if not on_record:
                    await self._record(run, name, "started")
                self._failpoint(run, name, "before")
                failure = await self._attempt(run, name, step)
            else:
                run.progress.append((name, "started"))
                self._failpoint(run, name, "before")
                failure = await self._run_repeatable(run, name, step)
            on_record = False
            if failure is not None:
                return name, failure
            self._failpoint(run, name, "after")
            run.progress.append((name, "completed"))
        await self._end(run, saga.finish, state="completed")
        return None

    async def _run_repeatable(self, run: Run, name: str, step: Step) -> str | None:
        """Run a repeatable step; if it takes more than a moment, record its start meanwhile
        so that whoever follows the operation sees it."""
        attempt = asyncio.ensure_future(self._attempt(run, name, step))
        done, _ = await asyncio.wait({attempt}, timeout=TELL_AFTER_S)
        if not done:
            run.progress.remove((name, "started"))  # _record appends it again: once on record, not twice
            try:
                await self._record(run, name, "started", progress_only=True)
            except BaseException:
                attempt.cancel()
                await asyncio.gather(attempt, return_exceptions=True)
                raise
        return await attempt

    async def _compensate(self, run: Run, saga: Saga) -> None:
        names = [name for name, _ in saga.compensation]
        start = names.index(run.op.step) if run.op.step in names else 0
        reason = run.op.error or "failed"
        for name, step in saga.compensation[start:]:
            await self._record(run, name, "started")
            self._failpoint(run, name, "before")
            failure = await self._attempt(run, name, step, compensating=True)
            if failure is not None:
                reason = f"{reason}; then {name} failed too: {failure}"
                run.plan["compensation_failed"] = failure
                break
            self._failpoint(run, name, "after")
            await self._record(run, name, "compensated")

        async def failed(run: Run, uow: UnitOfWork, service: ServiceRecord | None) -> None:
            await saga.fail(run, uow, service, reason)

        await self._end(run, failed, state="failed", error=reason)

    def _failpoint(self, run: Run, step: str, moment: str) -> None:
        """Freeze the whole process here when asked (``QC_DEPLOYER_FAILPOINTS``), so that a test can
        SIGKILL it at an exact point of a saga: after a step was recorded as started and before it
        runs, or after its effect and before that is recorded."""
        if f"{run.op.kind}:{run.op.service}:{step}:{moment}" in self.failpoints:
            log.warning(
                "failpoint %s:%s:%s:%s reached; stopping the process", run.op.kind, run.op.service, step, moment
            )
            os.kill(os.getpid(), signal.SIGSTOP)

    async def _attempt(self, run: Run, name: str, step: Step, *, compensating: bool = False) -> str | None:
        """Run one step, retrying what may pass later (a cluster or market away) until the deadline."""
        tries = 0
        while True:
            if compensating and time.time() >= run.plan["compensation_deadline"]:
                last = run.memory.get("last_failure")
                return f"it could not be undone in {self.compensation_s:.0f}s" + (f": {last}" if last else "")
            if run.deadline_passed and not compensating:
                last = run.memory.get("last_failure")
                passed = f"the deadline ({_aware(run.op.deadline):%H:%M:%S} UTC) passed during {name}"
                return passed + (f": {last}" if last else "")
            try:
                with step_span(run.op.cause, name, operation=run.op.id, attempt=tries + 1):
                    await step(run)
                return None
            except StepFailed as failed:
                return failed.reason
            except RuntimeFailure as failure:
                if not failure.retryable:
                    return failure.reason
                run.memory["last_failure"] = failure.reason
                log.warning("operation %s, %s: %s (try %d)", run.op.id, name, failure.reason, tries + 1)
                await asyncio.sleep(RETRY_WAIT_S[min(tries, len(RETRY_WAIT_S) - 1)])
                tries += 1
            except (OperationalError, InterfaceError, PoolTimeout):  # the database is away or busy: retried
                raise
            except Exception as error:  # a bug must end the operation, not leave it running forever
                log.exception("operation %s, %s failed unexpectedly", run.op.id, name)
                return f"internal error during {name}: {type(error).__name__}: {error}"

    async def _record(
        self,
        run: Run,
        step: str,
        progress: str,
        *,
        detail: str | None = None,
        progress_only: bool = False,
        **changes: Any,
    ) -> None:
        """Note a step's progress (after what ``run.progress`` holds) with the plan, events and rows
        so far, and tell it on the bus, in one transaction: one UPDATE of the operation, which this
        runner alone writes. ``progress_only``: the step log alone, while a repeatable step runs
        (its plan, events and rows are not complete yet)."""
        op = run.op
        # Taken before the first await: a repeatable step may run on meanwhile and add more.
        entries, run.progress = [*run.progress, (step, progress)], []
        outgoing: list[Event] = []
        rows: list[SQLModel] = []
        plan: dict[str, Any] = {}
        if not progress_only:
            outgoing, rows, plan = run.outgoing[:], run.rows[:], dict(run.plan)
            run.outgoing.clear()
            run.rows.clear()
        async with self.outbox.transaction() as session:
            uow = self.outbox.unit(session, cause=run.cause())
            logged = self._log_progress(uow, op, entries, detail=detail)
            await self._save_pending(uow, op, outgoing, rows)
            values: dict[str, Any] = {"steps": [*op.steps, *logged], **changes}
            if not progress_only:
                # Only a full record moves the step a resumed run starts from: a progress note leaves
                # out the plan, events and rows of the steps before it, which that run must make again.
                values.update(step=step, plan=plan)
            await _update(session, op, values)
        for key, value in values.items():
            if key != "plan":  # op.plan is run.plan, which a step may be changing
                setattr(op, key, value)

    @staticmethod
    async def _save_pending(uow: UnitOfWork, op: OperationRecord, events: list[Event], rows: list[SQLModel]) -> None:
        """What steps announced and wrote since the last record, into this transaction."""
        for event in events:
            uow.emit(event, subject=service_subject(op.namespace, op.service))
        for row in rows:
            await uow.session.merge(row)

    async def _end(self, run: Run, outcome: Finish, *, state: str, **changes: Any) -> None:
        """The operation's last transaction: the steps not on record yet, what the outcome leaves
        on the service and announces, and the operation's end (guarded as in :meth:`_record`)."""
        op = run.op
        async with self.outbox.transaction() as session:
            uow = self.outbox.unit(session, cause=run.cause())
            logged = self._log_progress(uow, op, run.progress)
            await self._save_pending(uow, op, run.outgoing, run.rows)
            await outcome(run, uow, await session.get(ServiceRecord, op.service_id))
            values = {
                "state": state, "finished_at": datetime.now(UTC), "steps": [*op.steps, *logged],
                "plan": dict(run.plan), **changes,
            }  # fmt: skip
            await _update(session, op, values)
        for key, value in values.items():
            setattr(op, key, value)

    @staticmethod
    def _log_progress(
        uow: UnitOfWork, op: OperationRecord, entries: list[tuple[str, str]], *, detail: str | None = None
    ) -> list[dict[str, Any]]:
        """Tell each (step, state) on the bus; their entries for the operation's step log (``detail``
        goes with the last)."""
        logged = []
        for index, (step, state) in enumerate(entries):
            said = detail if index == len(entries) - 1 else None
            uow.emit(
                SagaStepRecorded(
                    service=op.service, namespace=op.namespace, operation_id=op.id,
                    operation=op.kind, step=step, state=state, detail=said,  # type: ignore[arg-type]
                ),
                subject=service_subject(op.namespace, op.service),
            )  # fmt: skip
            logged.append({"step": step, "state": state, "at": datetime.now(UTC).isoformat(), "detail": said})
        return logged


async def _update(session: Any, op: OperationRecord, values: dict[str, Any]) -> None:
    """Change the operation's row, unless it is no longer in the state this run knows."""
    result = await session.exec(
        update(OperationRecord)
        .where(col(OperationRecord.id) == op.id, col(OperationRecord.state) == op.state)
        .values(**values)
    )
    if result.rowcount != 1:
        raise OperationTaken(op.id)


def service_subject(namespace: str, name: str) -> str:
    """The CloudEvents subject of events about one service."""
    return f"services/{namespace}/{name}"


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
