"""The saga runner: every saga's progress recorded, every saga bounded by its deadline, resumed after a crash.

A service accepts a request by writing a saga's row in state ``running``, its first step started
(:meth:`SagaRunner.begin`); the runner runs it, step after step. A step whose repetition could do harm
is on record as started before it runs; a repeatable one is recorded with the next record (or once it
runs long). A step's completion is recorded with the next step's start: one transaction, not two. Every
step is idempotent, so a process killed anywhere resumes the saga from the last step on record. A step
that fails, or a deadline that passes, ends the saga: its compensation runs, recorded too (a crash
during compensation resumes the compensation), then ``fail`` tells the outcome.

Replicas of a service share its sagas: each saga is run by one of them, its owner, which holds a lease on
it (in the saga's row) and renews it every third of its length with one UPDATE for all it runs. A replica
that dies stops renewing; once the lease has passed, another one's pick-up (every poll) claims the saga and
resumes it from the last step on record, as after a crash. A replica that finds it lost a saga (another
claimed it), or could not renew before its lease passed, stops running it; every record it writes is
guarded by its ownership too. A replica that stops cleanly gives up its sagas, for another to take at once.

The runner knows no service's tables: it is handed a store of its sagas (``store.py``: the rows of a
:class:`SagaRecord` table), the event that tells a step's progress, the subject of a saga's events, and
how to word a service's error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import SQLModel

from ..contracts import Event
from ..outbox import UnitOfWork
from ..tasks import cancel_and_wait, woken
from ..telemetry import continued, step_span
from .definition import Saga, Step
from .errors import RecordTaken, StepFailed
from .record import ENDED_STATES, aware
from .run import ENGINE_KEYS, R, Run
from .store import SagaStore

log = logging.getLogger(__name__)
POLL_S = 5.0
LEASE_S = 10.0  # how long a saga stays its owner's without a renewal (see the module's docstring)
# A repeatable step's start is put on record with the next record, or once it has run this long:
# a quick one costs no transaction of its own, a long wait still shows at once.
TELL_AFTER_S = 0.25
# The database away or busy: the run stops and the next pick-up resumes it (never a step's failure).
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)

StepEvent = Callable[[R, str, str, str | None], Event]


class SagaRunner(Generic[R]):
    """Runs every saga of one store in state running or compensating, each in its own task."""

    def __init__(
        self,
        store: SagaStore[R],
        *,
        sagas: Mapping[str, Saga[R, Any]],
        step_event: StepEvent[R],
        subject: Callable[[R], str],
        compensation_s: float,
        parallel: int = 32,
        reason_of: Callable[[Exception], str | None] = lambda _error: None,
        failpoints: Sequence[str] = (),
        failpoint_name: Callable[[R], str] = lambda record: record.id,
        owner: str | None = None,
        lease_s: float = LEASE_S,
    ) -> None:
        """``step_event(record, step, state, detail)`` tells a step's progress on the bus; ``subject``
        is the CloudEvents subject of a saga's events; ``reason_of`` words a service's error that ends
        a step (None: an internal error). ``failpoints`` (``kind:name:step:before|after``, the name
        from ``failpoint_name``) freeze the process there, for crash tests. ``owner`` names this replica
        (one per process unless given); ``lease_s`` is how long its sagas stay its own without renewal."""
        self.store = store
        self.sagas = sagas
        self.step_event = step_event
        self.subject = subject
        self.reason_of = reason_of
        # Sagas run at once; the others wait their turn (a burst of hundreds would otherwise queue on
        # the database's write lock and time out there).
        self.parallel = parallel
        self.compensation_s = compensation_s  # the budget of undoing a failed saga
        self.failpoints = frozenset(failpoints)
        self.failpoint_name = failpoint_name
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.lease_s = lease_s
        self._tasks: dict[str, asyncio.Task[None]] = {}
        # Sagas that ended since the current pick-up began reading: its answer may still show them
        # running, and a run started from it would only repeat steps before it found out.
        self._ended: set[str] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def begin(self, uow: UnitOfWork, record: R) -> None:
        """Record a new saga's first step as started, in the transaction that accepts it, and start
        running it as soon as that commits (no pick-up query, no transaction of its own)."""
        saga = self.sagas[record.kind]
        first = saga.steps[0].name
        record.step, record.steps = first, self._log_progress(uow, record, [(first, "started")])
        record.owner, record.lease_until = self.owner, self._lease_end()
        if saga.early is not None:
            saga.early(record)
        uow.after_commit(lambda: self._start(record))

    async def run(self) -> None:
        """Pick up sagas (new ones when woken, interrupted ones at start) until cancelled."""
        renewing = asyncio.create_task(self._renew(), name="saga-leases")
        try:
            while True:
                self._wake.clear()
                await self._pick_up()
                await woken(self._wake, min(POLL_S, self.lease_s / 2))
        finally:
            renewing.cancel()
            running = list(self._tasks)
            await cancel_and_wait([renewing, *self._tasks.values()])
            if running:  # given up for another replica to take at once (on failure, they expire)
                with contextlib.suppress(Exception):
                    await asyncio.shield(asyncio.wait_for(self.store.release(running, owner=self.owner), 5))

    def _lease_end(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.lease_s)

    async def _pick_up(self) -> None:
        self._ended.clear()  # what ended before this read shows as ended in it
        for record in await self.store.running():
            if record.id in self._ended or record.id in self._tasks or len(self._tasks) >= self.parallel:
                continue
            now = datetime.now(UTC)
            theirs = record.owner not in (None, self.owner) and aware(record.lease_until or now) >= now
            if theirs:  # another replica runs it and renews it (a stale read is settled by the claim)
                continue
            if await self.store.claim(record, owner=self.owner, until=self._lease_end(), now=now):
                if record.owner not in (None, self.owner):
                    log.warning(
                        "%s %s: its owner %s stopped renewing; taken over", record.kind, record.id, record.owner
                    )
                record.owner = self.owner
                self._start(record)

    async def _renew(self) -> None:
        """Every third of the lease, renew the lease of every saga running here; stop those lost, and all
        of them if no renewal got through before the lease passed (another replica may run them now)."""
        renewed_at = time.monotonic()
        while True:
            await asyncio.sleep(self.lease_s / 3)
            ids = list(self._tasks)
            asked_at = time.monotonic()
            try:
                kept = await self.store.renew(ids, owner=self.owner, until=self._lease_end()) if ids else set()
            except Exception as error:  # the database away: the sagas stop themselves on their next record
                log.warning("cannot renew the sagas' leases now: %s: %s", type(error).__name__, error)
                if time.monotonic() - renewed_at >= self.lease_s:
                    self._stop_runs(ids, why="its lease passed without a renewal")
                continue
            renewed_at = asked_at
            self._stop_runs([i for i in ids if i not in kept], why="another replica took it over")

    def _stop_runs(self, ids: Sequence[str], *, why: str) -> None:
        for saga_id in ids:
            task = self._tasks.get(saga_id)
            if task is not None and not task.done():
                log.warning("saga %s stops here: %s", saga_id, why)
                task.cancel()

    def _start(self, record: R) -> None:
        """Run ``record`` (this replica's) now if a place is free; otherwise a pick-up takes it when one is."""
        if record.id in self._tasks or len(self._tasks) >= self.parallel:
            return
        task = asyncio.create_task(self._execute(record), name=f"{record.kind}-{record.id}")
        self._tasks[record.id] = task
        task.add_done_callback(self._forget(record))

    def _load(self, record: R) -> Run[R, Any]:
        """The run of ``record``: its plan model read back from the stored JSON, the engine's facts apart."""
        stored = dict(record.plan)
        facts = {key: stored.pop(key, None) for key in ENGINE_KEYS}
        saga = self.sagas[record.kind]
        run: Run[R, Any] = Run(
            record, saga.load_plan(stored), failed_step=facts["failed_step"],
            compensation_deadline=facts["compensation_deadline"], compensation_failed=facts["compensation_failed"],
            asked=list(facts["asked"] or []),
        )  # fmt: skip
        run.recorder = self._note
        return run

    def _forget(self, record: R) -> Callable[[asyncio.Task[None]], None]:
        def forget(_task: asyncio.Task[None]) -> None:
            self._tasks.pop(record.id, None)
            if record.state in ENDED_STATES:
                self._ended.add(record.id)
            self._wake.set()  # a place is free for a waiting saga

        return forget

    async def _execute(self, record: R) -> None:
        with continued(record.cause):  # the request's trace goes on in every step and event of the saga
            await self._execute_saga(record, self.sagas[record.kind])

    async def _execute_saga(self, record: R, saga: Saga[R, Any]) -> None:
        try:
            run = self._load(record)  # a plan that does not load is a bug: told, and tried again at the next pick-up
            if record.state == "running":
                failed = await self._forward(run, saga)
                if failed is None:
                    return
                step, failure = failed
                run.failed_step = step
                run.compensation_deadline = time.time() + self.compensation_s
                await self._record(run, saga, step, "failed", detail=failure, state="compensating", error=failure)
            await self._compensate(run, saga)
        except asyncio.CancelledError:
            raise
        except RecordTaken:
            log.info("%s %s is run elsewhere already; this run stops", record.kind, record.id)
        except Exception:  # a bug or the database away: the next pick-up (restart or poll) resumes it
            log.exception("%s %s interrupted", record.kind, record.id)
            await asyncio.sleep(POLL_S)

    async def _forward(self, run: Run[R, Any], saga: Saga[R, Any]) -> tuple[str, str] | None:
        """Run the remaining steps; the step that failed and why, or None when the saga completed."""
        record = run.record
        names = [step.name for step in saga.steps]
        last = record.steps[-1] if record.steps else {}
        start = names.index(record.step) if record.step in names else 0
        if (last.get("step"), last.get("state")) == (names[start], "completed"):
            start += 1
        # The start of the step to run may be on record already (by the acceptance, before a crash, or
        # with a progress note of its own).
        on_record = start < len(names) and (last.get("step"), last.get("state")) in {
            (names[start], "started"), (names[start], "progress"),
        }  # fmt: skip
        for step in saga.steps[start:]:
            run.step = step.name
            if on_record or not step.repeatable:
                if not on_record:
                    await self._record(run, saga, step.name, "started")
                self._failpoint(run, step.name, "before")
                failure = await self.run_step(run, step)
            else:
                run.progress.append((step.name, "started"))
                self._failpoint(run, step.name, "before")
                failure = await self._run_repeatable(run, saga, step)
            on_record = False
            if failure is not None:
                return step.name, failure
            self._failpoint(run, step.name, "after")
            run.progress.append((step.name, "completed"))
        await self._end(run, saga, saga.finish, state="completed")
        return None

    async def _run_repeatable(self, run: Run[R, Any], saga: Saga[R, Any], step: Step[R, Any]) -> str | None:
        """Run a repeatable step; if it takes more than a moment, record its start meanwhile so that
        whoever follows the saga sees it."""
        attempt = asyncio.ensure_future(self.run_step(run, step))
        done, _ = await asyncio.wait({attempt}, timeout=TELL_AFTER_S)
        # A note of the step may have put its start on record already (then nothing is left to tell).
        if not done and (step.name, "started") in run.progress:
            run.progress.remove((step.name, "started"))  # _record appends it again: once on record, not twice
            try:
                await self._record(run, saga, step.name, "started", progress_only=True)
            except BaseException:
                attempt.cancel()
                await asyncio.gather(attempt, return_exceptions=True)
                raise
        return await attempt

    async def _compensate(self, run: Run[R, Any], saga: Saga[R, Any]) -> None:
        names = [step.name for step in saga.compensation]
        start = names.index(run.record.step) if run.record.step in names else 0
        reason = run.record.error or "failed"
        for step in saga.compensation[start:]:
            run.step = step.name
            await self._record(run, saga, step.name, "started")
            self._failpoint(run, step.name, "before")
            failure = await self.run_step(run, step, compensating=True)
            if failure is not None:
                reason = f"{reason}; then {step.name} failed too: {failure}"
                run.compensation_failed = failure
                break
            self._failpoint(run, step.name, "after")
            await self._record(run, saga, step.name, "compensated")

        async def failed(run: Run[R, Any], uow: UnitOfWork) -> None:
            await saga.fail(run, uow, reason)

        await self._end(run, saga, failed, state="failed", error=reason)

    def _failpoint(self, run: Run[R, Any], step: str, moment: str) -> None:
        """Freeze the whole process here when asked, so that a test can SIGKILL it at an exact point of
        a saga: after a step was recorded as started and before it runs, or after its effect and before
        that is recorded."""
        if not self.failpoints:
            return
        point = f"{run.record.kind}:{self.failpoint_name(run.record)}:{step}:{moment}"
        if point in self.failpoints:
            log.warning("failpoint %s reached; stopping the process", point)
            os.kill(os.getpid(), signal.SIGSTOP)

    async def run_step(self, run: Run[R, Any], step: Step[R, Any], *, compensating: bool = False) -> str | None:
        """Run one step, retrying what its policy says may pass, until the deadline (the compensation's
        when ``compensating``); None when it succeeded, else why it failed (for the user)."""
        tries = 0
        while True:
            last = run.memory.get("last_failure")
            if compensating and time.time() >= (run.compensation_deadline or 0.0):
                return f"it could not be undone in {self.compensation_s:.0f}s" + (f": {last}" if last else "")
            if run.deadline_passed and not compensating:
                passed = f"the deadline ({aware(run.record.deadline):%H:%M:%S} UTC) passed during {step.name}"
                return passed + (f": {last}" if last else "")
            try:
                with step_span(run.record.cause, step.name, id=run.record.id, kind=run.record.kind, attempt=tries + 1):
                    await step.run(run)
                return None
            except DATABASE_ERRORS:
                raise
            except Exception as error:
                passing = step.retry.retryable(error)
                wait = step.retry.wait_before(tries) if passing is not None else None
                if passing is not None and wait is not None:
                    run.memory["last_failure"] = passing
                    log.warning("%s %s, %s: %s (try %d)", run.record.kind, run.record.id, step.name, passing, tries + 1)
                    await asyncio.sleep(wait)
                    tries += 1
                    continue
                if passing is not None:
                    return passing
                if isinstance(error, StepFailed):
                    return error.reason
                if (reason := self.reason_of(error)) is not None:
                    return reason
                # A bug must end the saga, not leave it running forever.
                log.exception("%s %s, %s failed unexpectedly", run.record.kind, run.record.id, step.name)
                return f"internal error during {step.name}: {type(error).__name__}: {error}"

    async def _note(self, run: Run[R, Any], detail: str) -> None:
        """A step's progress note (see :meth:`Run.note`): a full record of the running step."""
        await self._record(run, self.sagas[run.record.kind], run.step, "progress", detail=detail)

    async def _record(
        self,
        run: Run[R, Any],
        saga: Saga[R, Any],
        step: str,
        progress: str,
        *,
        detail: str | None = None,
        progress_only: bool = False,
        **changes: Any,
    ) -> None:
        """Note a step's progress (after what ``run.progress`` holds) with the plan, events and rows so
        far, and tell it on the bus, in one transaction: one UPDATE of the saga's row, which this runner
        alone writes. ``progress_only``: the step log alone, while a repeatable step runs (its plan,
        events and rows are not complete yet)."""
        async with run.recording:  # a long repeatable step's start and its own note: one after the other
            record = run.record
            # Taken before the first await: a repeatable step may run on meanwhile and add more.
            entries, run.progress = [*run.progress, (step, progress)], []
            outgoing: list[Event] = []
            rows: list[SQLModel] = []
            plan: dict[str, Any] = {}
            if not progress_only:
                outgoing, rows, plan = run.outgoing[:], run.rows[:], run.stored_plan(saga.dump_plan)
                run.outgoing.clear()
                run.rows.clear()
            async with self.store.transaction(run.cause()) as uow:
                logged = self._log_progress(uow, record, entries, detail=detail)
                await self._save_pending(uow, record, outgoing, rows)
                values: dict[str, Any] = {
                    "steps": [*record.steps, *logged],
                    "lease_until": self._lease_end(),
                    **changes,
                }
                if not progress_only:
                    # Only a full record moves the step a resumed run starts from: a progress note leaves
                    # out the plan, events and rows of the steps before it, which that run must make again.
                    values.update(step=step, plan=plan)
                await self.store.update(uow, record, values)
            for key, value in values.items():
                setattr(record, key, value)

    async def _save_pending(self, uow: UnitOfWork, record: R, events: list[Event], rows: list[SQLModel]) -> None:
        """What steps announced and wrote since the last record, into this transaction."""
        for event in events:
            uow.emit(event, subject=self.subject(record))
        await self.store.save(uow, rows)

    async def _end(self, run: Run[R, Any], saga: Saga[R, Any], outcome: Any, *, state: str, **changes: Any) -> None:
        """The saga's last transaction: the steps not on record yet, what the outcome (``finish``, or
        ``fail`` with its reason) leaves and announces, and the saga's end (guarded as in :meth:`_record`)."""
        record = run.record
        async with self.store.transaction(run.cause()) as uow:
            logged = self._log_progress(uow, record, run.progress)
            await self._save_pending(uow, record, run.outgoing, run.rows)
            await outcome(run, uow)
            values = {
                "state": state, "finished_at": datetime.now(UTC), "steps": [*record.steps, *logged],
                "plan": run.stored_plan(saga.dump_plan), **changes,
            }  # fmt: skip
            await self.store.update(uow, record, values)
        run.progress, run.outgoing, run.rows = [], [], []
        for key, value in values.items():
            setattr(record, key, value)

    def _log_progress(
        self, uow: UnitOfWork, record: R, entries: list[tuple[str, str]], *, detail: str | None = None
    ) -> list[dict[str, Any]]:
        """Tell each (step, state) on the bus; their entries for the saga's step log (``detail`` goes
        with the last)."""
        logged = []
        for index, (step, state) in enumerate(entries):
            said = detail if index == len(entries) - 1 else None
            uow.emit(self.step_event(record, step, state, said), subject=self.subject(record))
            logged.append({"step": step, "state": state, "at": datetime.now(UTC).isoformat(), "detail": said})
        return logged
