"""Operations as sagas: each step recorded before the next starts, every operation bounded by its deadline.

A consumer accepts a request (``handlers.py``) by writing an operation in state ``running``; the
:class:`SagaRunner` runs it here, step after step (``steps.py``). A step is idempotent, so a
deployer killed anywhere resumes the operation at the step it was in. A step that fails, or a
deadline that passes, ends the operation: the saga then compensates (``compensation.py``) — a
failed install is uninstalled, a failed upgrade rolled back — recording that too, so that a
crash during compensation resumes the compensation.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from sqlmodel import SQLModel, col, select

from quickon_common.contracts import Event
from quickon_common.contracts.deploy import SagaStepRecorded
from quickon_common.envelope import Envelope
from quickon_common.outbox import Outbox, UnitOfWork

from .models import OperationRecord, ServiceRecord
from .runtime.base import RuntimeFailure

log = logging.getLogger(__name__)
RETRY_WAIT_S = (0.5, 1.0, 2.0, 5.0, 10.0)
POLL_S = 5.0


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


def cause_of(envelope: Envelope) -> dict[str, Any]:
    return {
        "id": envelope.id, "source": envelope.source, "type": envelope.type, "time": envelope.time.isoformat(),
        "correlation_id": envelope.correlation_id, "actor": envelope.actor, "team": envelope.team,
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
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Pick up operations (new ones when woken, interrupted ones at start) until cancelled."""
        try:
            while True:
                self._wake.clear()
                await self._pick_up()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_S)
        finally:
            for task in self._tasks.values():
                task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _pick_up(self) -> None:
        async with self.outbox.db.read_session() as session:
            found = await session.exec(
                select(OperationRecord)
                .where(col(OperationRecord.state).in_(("running", "compensating")))
                .order_by(col(OperationRecord.created_at))
            )
            operations = [op for op in found.all() if op.id not in self._tasks]
        for op in operations[: max(self.parallel - len(self._tasks), 0)]:
            task = asyncio.create_task(self._execute(Run(op)), name=f"operation-{op.id}")
            self._tasks[op.id] = task
            task.add_done_callback(self._forget(op.id))

    def _forget(self, op_id: str) -> Callable[[asyncio.Task[None]], None]:
        def forget(_task: asyncio.Task[None]) -> None:
            self._tasks.pop(op_id, None)
            self._wake.set()  # a place is free for a waiting operation

        return forget

    async def _execute(self, run: Run) -> None:
        saga = self.sagas[run.op.kind]
        try:
            if run.op.state == "running":
                failure = await self._forward(run, saga)
                if failure is None:
                    return
                run.plan["failed_step"] = run.op.step
                run.plan["compensation_deadline"] = time.time() + self.compensation_s
                await self._record(run, run.op.step, "failed", detail=failure, state="compensating", error=failure)
            await self._compensate(run, saga)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug or the database away: the next pick-up (restart or poll) resumes it
            log.exception("operation %s (%s) interrupted", run.op.id, run.op.kind)
            await asyncio.sleep(POLL_S)

    async def _forward(self, run: Run, saga: Saga) -> str | None:
        """Run the remaining steps; the reason of the failure, or None when the operation completed."""
        names = [name for name, _ in saga.steps]
        done = run.op.steps[-1]["state"] == "completed" if run.op.steps else False
        start = names.index(run.op.step) + (1 if done else 0) if run.op.step in names else 0
        completed: str | None = None  # recorded with the next step's start: one transaction, not two
        for name, step in saga.steps[start:]:
            await self._record(run, name, "started", completed=completed)
            self._failpoint(run, name, "before")
            failure = await self._attempt(run, name, step)
            if failure is not None:
                return failure
            self._failpoint(run, name, "after")
            completed = name
        async with self.outbox.transaction() as session:
            uow, op, service = await self._load(run, session)
            self._log_step(uow, op, names[-1], "completed", None)
            op.state, op.finished_at = "completed", datetime.now(UTC)
            await saga.finish(Run(op, run.memory), uow, service)
            session.add(op)
        return None

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
        async with self.outbox.transaction() as session:
            uow, op, service = await self._load(run, session)
            op.state, op.finished_at, op.error = "failed", datetime.now(UTC), reason
            op.plan = dict(run.plan)
            await saga.fail(Run(op, run.memory), uow, service, reason)
            session.add(op)

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
        completed: str | None = None,
        **changes: Any,
    ) -> None:
        """Note a step's progress (with the plan so far, and the step ``completed`` before it) and tell
        it on the bus, in one transaction."""
        async with self.outbox.transaction() as session:
            uow, op, _service = await self._load(run, session)
            if completed is not None:
                self._log_step(uow, op, completed, "completed", None)
            self._log_step(uow, op, step, progress, detail)
            for event in run.outgoing:
                uow.emit(event, subject=service_subject(op.namespace, op.service))
            for row in run.rows:
                await session.merge(row)
            run.outgoing.clear()
            run.rows.clear()
            op.step, op.plan = step, dict(run.plan)
            for key, value in changes.items():
                setattr(op, key, value)
            session.add(op)
        run.op = op

    async def _load(self, run: Run, session: Any) -> tuple[UnitOfWork, OperationRecord, ServiceRecord | None]:
        op = await session.get(OperationRecord, run.op.id)
        op.plan = dict(run.plan)
        service = await session.get(ServiceRecord, op.service_id)
        return self.outbox.unit(session, cause=run.cause()), op, service

    @staticmethod
    def _log_step(uow: UnitOfWork, op: OperationRecord, step: str, state: str, detail: str | None) -> None:
        entry = {"step": step, "state": state, "at": datetime.now(UTC).isoformat(), "detail": detail}
        op.steps = [*op.steps, entry]
        uow.emit(
            SagaStepRecorded(
                service=op.service, namespace=op.namespace, operation_id=op.id,
                operation=op.kind, step=step, state=state, detail=detail,  # type: ignore[arg-type]
            ),
            subject=service_subject(op.namespace, op.service),
        )  # fmt: skip


def service_subject(namespace: str, name: str) -> str:
    """The CloudEvents subject of events about one service."""
    return f"services/{namespace}/{name}"


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
