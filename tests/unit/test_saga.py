"""The saga engine (quickon_common.saga) on an in-memory store: resume after each step, compensation,
deadlines, retry policies, repeatable steps, typed plans, and the guard against a second run."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import SQLModel

from quickon_common.contracts import Event
from quickon_common.contracts.backup import BackupStepRecorded
from quickon_common.envelope import Envelope
from quickon_common.outbox import AFTER_COMMIT, UnitOfWork, pending_rows
from quickon_common.saga import (
    TELL_AFTER_S,
    Plan,
    RecordTaken,
    RetryPolicy,
    Run,
    Saga,
    SagaRecord,
    SagaRunner,
    Step,
    StepFailed,
    TryLater,
    cause_of,
    try_later,
)

Job = Run[SagaRecord, Any]


class Session:
    """What a unit of work needs of a session: its ``info`` (pending events, after-commit callbacks)."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}


class MemoryStore:
    """Sagas kept in memory; a transaction's updates and events count only once it ends without error."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.steps_told: list[tuple[str, str]] = []  # (step, state) of every committed step event
        self.events: list[dict[str, Any]] = []  # every committed event's body
        self.transactions = 0

    def add(self, record: SagaRecord) -> None:
        self.rows[record.id] = record.model_dump()

    def load(self, record_id: str) -> SagaRecord:
        return SagaRecord.model_validate(self.rows[record_id])

    @asynccontextmanager
    async def transaction(self, cause: Envelope) -> AsyncIterator[UnitOfWork]:
        session = Session()
        session.info["updates"] = []
        uow = UnitOfWork(session, source="test", cause=cause, actor=None, team=None)  # type: ignore[arg-type]
        yield uow
        for record_id, values in session.info["updates"]:
            self.rows[record_id].update(json.loads(json.dumps(values, default=str)))
        for row in pending_rows(session):  # type: ignore[arg-type]
            body = json.loads(row["body"])
            self.events.append(body)
            if "step" in body and "job" in body:
                self.steps_told.append((body["step"], body["state"]))
        self.transactions += 1
        for callback in session.info.get(AFTER_COMMIT, []):
            callback()

    async def running(self) -> Sequence[SagaRecord]:
        found = [self.load(i) for i, row in self.rows.items() if row["state"] in ("running", "compensating")]
        return sorted(found, key=lambda r: r.created_at)

    async def save(self, uow: UnitOfWork, rows: Sequence[SQLModel]) -> None:
        assert not rows

    async def update(self, uow: UnitOfWork, record: SagaRecord, values: dict[str, Any]) -> None:
        row = self.rows[record.id]
        if row["state"] != record.state or row["owner"] != record.owner:
            raise RecordTaken(record.id)
        uow.session.info["updates"].append((record.id, values))

    async def claim(self, record: SagaRecord, *, owner: str, until: datetime, now: datetime) -> bool:
        row = self.rows[record.id]
        lease = row["lease_until"]
        passed = lease is not None and datetime.fromisoformat(str(lease)) < now
        if row["state"] not in ("running", "compensating") or (row["owner"] not in (None, owner) and not passed):
            return False
        row.update(owner=owner, lease_until=until.isoformat())
        return True

    async def renew(self, ids: Collection[str], *, owner: str, until: datetime) -> set[str]:
        kept = {i for i in ids if self.rows[i]["owner"] == owner}
        for i in kept:
            self.rows[i]["lease_until"] = until.isoformat()
        return kept

    async def release(self, ids: Collection[str], *, owner: str) -> None:
        for i in ids:
            if self.rows[i]["owner"] == owner:
                self.rows[i].update(owner=None, lease_until=None)


class Counted(Plan):
    """A typed plan: what the steps decided."""

    size: int = 0
    location: str | None = None
    seen: list[str] = []


def step_told(record: SagaRecord, step: str, state: str, detail: str | None) -> Event:
    return BackupStepRecorded(
        backup_id="b1", service="svc", namespace="ns", operation_id=record.id, job="backup",
        step=step, state=state, detail=detail,  # type: ignore[arg-type]
    )  # fmt: skip


def new_record(*, deadline_s: float = 300, plan: dict[str, Any] | None = None) -> SagaRecord:
    now = datetime.now(UTC)
    envelope = Envelope(id=str(uuid.uuid4()), source="test", type="t", time=now, correlation_id="c")
    return SagaRecord(
        id=str(uuid.uuid4()), kind="backup", state="running", plan=plan or {},
        deadline=now + timedelta(seconds=deadline_s), cause=cause_of(envelope), created_at=now,
    )  # fmt: skip


class Calls:
    """Steps that note each call; ``block`` makes a step wait forever on its first call (a crash there)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.block: set[str] = set()
        self.ended: list[str] = []

    def step(self, name: str, **update: Any) -> Callable[[Job], Awaitable[None]]:
        async def run(job: Job) -> None:
            self.calls.append(name)
            if name in self.block:
                self.block.discard(name)
                await asyncio.Event().wait()
            plan: Counted = job.plan
            job.plan = plan.model_copy(update={**update, "seen": [*plan.seen, name]})

        run.__name__ = name
        return run

    async def finish(self, job: Job, uow: UnitOfWork) -> None:
        self.ended.append("completed")

    async def fail(self, job: Job, uow: UnitOfWork, reason: str) -> None:
        self.ended.append(f"failed at {job.failed_step}: {reason}")


def refusing(reason: str, calls: list[str] | None = None) -> Callable[[Job], Awaitable[None]]:
    """A step that cannot succeed (noted in ``calls`` as ``copy``)."""

    async def refuse(job: Job) -> None:
        if calls is not None:
            calls.append("copy")
        raise StepFailed(reason)

    return refuse


def saga(
    calls: Calls, names: Sequence[str], *, repeatable: Sequence[str] = (), undo: Sequence[str] = ()
) -> Saga[SagaRecord, Any]:
    return Saga(
        plan=Counted,
        steps=tuple(Step(n, calls.step(n, size=len(n)), repeatable=n in repeatable) for n in names),
        compensation=tuple(Step(n, calls.step(n)) for n in undo),
        finish=calls.finish, fail=calls.fail,
    )  # fmt: skip


def runner(store: MemoryStore, definition: Saga[SagaRecord, Any], **options: Any) -> SagaRunner[SagaRecord]:
    return SagaRunner(
        store, sagas={"backup": definition}, step_event=step_told, subject=lambda r: f"jobs/{r.id}",
        compensation_s=60, **options,
    )  # fmt: skip


async def accept(store: MemoryStore, run: SagaRunner[SagaRecord], record: SagaRecord) -> None:
    """Accept ``record`` as a handler does: its first step on record as started with it."""
    async with store.transaction(_cause(record)) as uow:
        run.begin(uow, record)
        store.add(record)


def _cause(record: SagaRecord) -> Envelope:
    return Envelope(id=record.cause["id"], source="test", type="t", time=datetime.now(UTC), correlation_id="c")


async def until_ended(store: MemoryStore, record_id: str) -> SagaRecord:
    for _ in range(2000):
        record = store.load(record_id)
        if record.state in ("completed", "failed"):
            return record
        await asyncio.sleep(0.005)
    raise AssertionError(f"saga {record_id} did not end: {store.rows[record_id]}")


async def until_called(calls: Calls, name: str, times: int = 1) -> None:
    for _ in range(2000):
        if calls.calls.count(name) >= times:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{name} was not called {times} times: {calls.calls}")


async def run_to_end(store: MemoryStore, definition: Saga[SagaRecord, Any], **options: Any) -> SagaRecord:
    """Accept a new saga and run it to its end."""
    first = runner(store, definition, **options)
    record = new_record()
    async with running(first):
        await accept(store, first, record)
        return await until_ended(store, record.id)


@asynccontextmanager
async def running(run: SagaRunner[SagaRecord]) -> AsyncIterator[None]:
    task = asyncio.ensure_future(run.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_saga_runs_its_steps_in_order_and_stores_its_typed_plan_as_json() -> None:
    store, calls = MemoryStore(), Calls()
    definition = saga(calls, ["source", "copy", "manifest"])
    first = runner(store, definition)
    record = new_record(plan=Counted(location="here").model_dump(mode="json"))
    async with running(first):
        await accept(store, first, record)
        ended = await until_ended(store, record.id)
    assert calls.calls == ["source", "copy", "manifest"] and calls.ended == ["completed"]
    assert Counted.model_validate(ended.plan) == Counted(size=8, location="here", seen=["source", "copy", "manifest"])
    assert [s["state"] for s in ended.steps if s["step"] == "copy"] == ["started", "completed"]
    # A completion is recorded with the next start: one transaction per step, plus the acceptance and the end.
    assert store.transactions == 1 + 2 + 1


@pytest.mark.parametrize("crash_in", ["source", "copy", "manifest"])
async def test_a_run_stopped_in_any_step_resumes_at_that_step_with_what_the_steps_before_decided(
    crash_in: str,
) -> None:
    store, calls = MemoryStore(), Calls()
    names = ["source", "copy", "manifest"]
    definition = saga(calls, names)
    calls.block.add(crash_in)
    first = runner(store, definition)
    record = new_record()
    async with running(first):  # the process stops while the step runs
        await accept(store, first, record)
        await until_called(calls, crash_in)
    before = names[: names.index(crash_in) + 1]
    assert calls.calls == before and not calls.ended
    async with running(runner(store, definition)):
        ended = await until_ended(store, record.id)
    assert calls.calls == [*before, *names[names.index(crash_in) :]], "only the interrupted step runs again"
    assert calls.ended == ["completed"]
    assert Counted.model_validate(ended.plan).seen == names, "the resumed run reads the same plan model back"


async def test_a_failed_step_is_compensated_in_order_then_fail_tells_why() -> None:
    store, calls = MemoryStore(), Calls()

    definition = Saga(
        plan=Counted,
        steps=(
            Step("source", calls.step("source")),
            Step("copy", refusing("the volume is gone; back it up again", calls.calls)),
        ),
        compensation=(Step("discard", calls.step("discard")), Step("clean", calls.step("clean"))),
        finish=calls.finish, fail=calls.fail,
    )  # fmt: skip
    ended = await run_to_end(store, definition)
    assert calls.calls == ["source", "copy", "discard", "clean"]
    assert calls.ended == ["failed at copy: the volume is gone; back it up again"]
    assert ended.state == "failed" and ended.error == "the volume is gone; back it up again"
    assert ("copy", "failed") in store.steps_told and store.steps_told[-1] == ("clean", "compensated")
    assert ended.plan["failed_step"] == "copy" and "compensation_deadline" in ended.plan


async def test_a_run_stopped_during_compensation_resumes_the_compensation_not_the_steps() -> None:
    store, calls = MemoryStore(), Calls()

    definition = Saga(
        plan=Counted, steps=(Step("copy", refusing("no")),),
        compensation=(Step("discard", calls.step("discard")), Step("clean", calls.step("clean"))),
        finish=calls.finish, fail=calls.fail,
    )  # fmt: skip
    calls.block.add("clean")
    first = runner(store, definition)
    record = new_record()
    async with running(first):
        await accept(store, first, record)
        await until_called(calls, "clean")
    assert store.load(record.id).state == "compensating"
    async with running(runner(store, definition)):
        await until_ended(store, record.id)
    assert calls.calls == ["discard", "clean", "clean"] and calls.ended == ["failed at copy: no"]


async def test_a_compensation_step_that_fails_too_is_told_with_the_first_failure() -> None:
    store, calls = MemoryStore(), Calls()

    definition = Saga(
        plan=Counted, steps=(Step("copy", refusing("no space")),),
        compensation=(Step("discard", refusing("no space")),),
        finish=calls.finish, fail=calls.fail,
    )  # fmt: skip
    ended = await run_to_end(store, definition)
    assert calls.ended == ["failed at copy: no space; then discard failed too: no space"]
    assert ended.plan["compensation_failed"] == "no space"


async def test_a_saga_past_its_deadline_fails_at_the_step_it_reached() -> None:
    store, calls = MemoryStore(), Calls()
    definition = saga(calls, ["source", "copy"])
    first = runner(store, definition)
    record = new_record(deadline_s=-1)
    async with running(first):
        await accept(store, first, record)
        ended = await until_ended(store, record.id)
    assert calls.calls == [] and ended.state == "failed"
    assert ended.error is not None and "deadline" in ended.error and "passed during source" in ended.error


def flaky(times: int, error: Exception, calls: list[str]) -> Callable[[Job], Awaitable[None]]:
    async def run(job: Job) -> None:
        calls.append("try")
        if len(calls) <= times:
            raise error

    return run


async def run_one(step: Step[SagaRecord, Any], **options: Any) -> tuple[SagaRecord, list[str]]:
    store, calls = MemoryStore(), Calls()
    definition = Saga(plan=Counted, steps=(step,), finish=calls.finish, fail=calls.fail)
    first = runner(store, definition, **options)
    record = new_record()
    async with running(first):
        await accept(store, first, record)
        return await until_ended(store, record.id), calls.ended


async def test_a_retry_policy_retries_what_may_pass_within_its_waits() -> None:
    tries: list[str] = []
    policy = RetryPolicy(waits=(0.0, 0.0), retryable=try_later)
    ended, _ = await run_one(Step("copy", flaky(2, TryLater("the store is away"), tries), retry=policy))
    assert ended.state == "completed" and tries == ["try"] * 3


async def test_a_retry_policy_gives_up_after_its_last_wait_with_the_last_reason() -> None:
    tries: list[str] = []
    policy = RetryPolicy(waits=(0.0, 0.0), retryable=try_later)
    ended, told = await run_one(Step("copy", flaky(10, TryLater("the store is away"), tries), retry=policy))
    assert ended.state == "failed" and tries == ["try"] * 3
    assert told == ["failed at copy: the store is away"]


async def test_a_policy_until_the_deadline_keeps_trying_at_its_last_pace() -> None:
    tries: list[str] = []
    policy = RetryPolicy(waits=(0.0,), retryable=try_later, until_deadline=True)
    ended, _ = await run_one(Step("copy", flaky(6, TryLater("away"), tries), retry=policy))
    assert ended.state == "completed" and len(tries) == 7


async def test_without_a_policy_a_passing_failure_ends_the_step_at_once() -> None:
    tries: list[str] = []
    _ended, told = await run_one(Step("copy", flaky(1, TryLater("the store is away"), tries)))
    assert tries == ["try"] and told == ["failed at copy: the store is away"]


async def test_an_unexpected_error_ends_the_saga_as_an_internal_error_unless_the_service_words_it() -> None:
    _ended, told = await run_one(Step("copy", flaky(1, KeyError("x"), [])))
    assert told == ["failed at copy: internal error during copy: KeyError: 'x'"]

    def word(error: Exception) -> str | None:
        return f"the cluster said: {error}" if isinstance(error, LookupError) else None

    _ended, told = await run_one(Step("copy", flaky(1, LookupError("gone"), [])), reason_of=word)
    assert told == ["failed at copy: the cluster said: gone"]


async def test_a_quick_repeatable_step_costs_no_transaction_of_its_own() -> None:
    store, calls = MemoryStore(), Calls()
    definition = saga(calls, ["resolve", "render", "apply"], repeatable=["render", "apply"])
    ended = await run_to_end(store, definition)
    assert store.transactions == 2, "the acceptance and the end"
    assert [(s["step"], s["state"]) for s in ended.steps] == [
        ("resolve", "started"), ("resolve", "completed"), ("render", "started"), ("render", "completed"),
        ("apply", "started"), ("apply", "completed"),
    ]  # fmt: skip


async def test_a_long_repeatable_step_is_told_but_a_resumed_run_starts_from_the_last_full_record() -> None:
    store, calls = MemoryStore(), Calls()
    definition = saga(calls, ["resolve", "render", "apply"], repeatable=["resolve", "render", "apply"])
    calls.block.add("render")
    first = runner(store, definition)
    record = new_record()
    async with running(first):
        await accept(store, first, record)
        await until_called(calls, "render")
        await asyncio.sleep(TELL_AFTER_S * 2)
        told = store.load(record.id)
        assert told.current_step == "render" and told.step == "resolve", "a progress note moves no resume point"
    async with running(runner(store, definition)):
        ended = await until_ended(store, record.id)
    assert calls.calls == ["resolve", "render", "resolve", "render", "apply"]
    assert Counted.model_validate(ended.plan).seen == ["resolve", "render", "apply"]


async def test_a_repeatable_step_that_notes_then_runs_long_is_on_record_once_and_ends() -> None:
    """Its note puts its start on record: the runner's own telling of a long step has nothing left to add."""
    store, calls = MemoryStore(), Calls()

    async def wait(job: Job) -> None:  # asks, notes it, then waits for the answer longer than a moment
        await job.note("asked")
        await asyncio.sleep(TELL_AFTER_S * 2)

    definition = Saga(
        plan=Counted, steps=(Step("resolve", calls.step("resolve")), Step("wait", wait, repeatable=True)),
        finish=calls.finish, fail=calls.fail,
    )  # fmt: skip
    ended = await run_to_end(store, definition)
    assert calls.ended == ["completed"]
    assert [(s["step"], s["state"]) for s in ended.steps] == [
        ("resolve", "started"), ("resolve", "completed"), ("wait", "started"), ("wait", "progress"),
        ("wait", "completed"),
    ]  # fmt: skip


async def test_a_progress_note_puts_the_plan_so_far_on_record_and_a_resumed_run_keeps_it() -> None:
    store, calls = MemoryStore(), Calls()
    landed: list[str] = []

    async def copy(job: Job) -> None:
        plan: Counted = job.plan
        for part in ("a", "b", "c"):
            if part in plan.seen:
                continue
            if part == "c" and "stopped" not in landed:
                landed.append("stopped")
                await asyncio.Event().wait()
            plan = job.plan = plan.model_copy(update={"seen": [*plan.seen, part]})
            landed.append(part)
            await job.note(f"part {part}")

    definition = Saga(plan=Counted, steps=(Step("copy", copy),), finish=calls.finish, fail=calls.fail)
    first = runner(store, definition)
    record = new_record()
    async with running(first):
        await accept(store, first, record)
        for _ in range(2000):
            if "stopped" in landed:
                break
            await asyncio.sleep(0.005)
    assert store.load(record.id).steps[-1]["state"] == "progress"
    async with running(runner(store, definition)):
        ended = await until_ended(store, record.id)
    assert landed == ["a", "b", "stopped", "c"], "the parts on record are not copied again"
    assert Counted.model_validate(ended.plan).seen == ["a", "b", "c"]


async def test_a_run_whose_saga_another_run_ended_stops_without_ending_it_twice() -> None:
    store, calls = MemoryStore(), Calls()
    definition = saga(calls, ["source", "copy"])
    record = new_record()
    first = runner(store, definition)
    async with running(first):
        await accept(store, first, record)
        await until_ended(store, record.id)
    ended, committed = dict(store.rows[record.id]), store.transactions
    stale = store.load(record.id).model_copy(update={"state": "running"})  # read just before it ended
    second = runner(store, definition)
    second._start(stale)
    await asyncio.gather(*second._tasks.values())
    assert store.rows[record.id] == ended and store.transactions == committed, "its end rolled back"


async def test_a_row_stored_by_the_dict_plans_of_before_loads_into_the_plan_model() -> None:
    store, calls = MemoryStore(), Calls()
    definition = saga(calls, ["source", "copy"])
    stored = {"size": 3, "location": "old", "an_old_key": 1, "asked": ["x"], "failed_step": None}
    record = new_record(plan=stored)
    record.step = "copy"
    record.steps = [{"step": "copy", "state": "started", "at": "", "detail": None}]
    store.add(record)
    async with running(runner(store, definition)):
        ended = await until_ended(store, record.id)
    assert calls.calls == ["copy"]
    assert Counted.model_validate(ended.plan) == Counted(size=4, location="old", seen=["copy"])
    assert ended.plan["asked"] == ["x"]


async def test_early_starts_with_the_acceptance() -> None:
    store, calls = MemoryStore(), Calls()
    early: list[str] = []
    definition = Saga(
        plan=Counted, steps=(Step("source", calls.step("source")),), finish=calls.finish, fail=calls.fail,
        early=lambda record: early.append(record.id),
    )  # fmt: skip
    first = runner(store, definition)
    record = new_record()
    async with running(first):
        await accept(store, first, record)
        await until_ended(store, record.id)
    assert early == [record.id]


async def test_a_pick_up_that_read_a_saga_just_before_it_ended_does_not_run_it_again() -> None:
    store, calls = MemoryStore(), Calls()
    gate, read, release = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def copy(job: Job) -> None:
        calls.calls.append("copy")
        await gate.wait()

    definition = Saga(
        plan=Counted,
        steps=(Step("source", calls.step("source"), repeatable=True), Step("copy", copy, repeatable=True)),
        finish=calls.finish, fail=calls.fail,
    )  # fmt: skip
    first = runner(store, definition)
    record = new_record()
    await accept(store, first, record)  # runs at once, and waits in copy
    await until_called(calls, "copy")
    reading = store.running

    async def slow_read() -> Sequence[SagaRecord]:
        found = await reading()  # the saga is running in this answer...
        read.set()
        await release.wait()  # ...which comes back after it ended
        return found

    store.running = slow_read  # type: ignore[method-assign]
    async with running(first):
        await read.wait()
        gate.set()
        await until_ended(store, record.id)
        await asyncio.sleep(0)  # the ended run's task is forgotten
        release.set()
        await asyncio.sleep(0.05)
    assert calls.calls == ["source", "copy"] and calls.ended == ["completed"]


# -- replicas: one owner per saga, taken over when its lease passes ------------------------------------------


def owned(store: MemoryStore, record: SagaRecord, *, owner: str, lease_s: float) -> None:
    """Make ``owner`` (another replica) the saga's owner, its lease passing in ``lease_s`` (negative: passed)."""
    until = datetime.now(UTC) + timedelta(seconds=lease_s)
    store.rows[record.id].update(owner=owner, lease_until=until.isoformat())


async def test_a_saga_another_replica_renews_is_left_to_it_and_taken_over_once_its_lease_passed() -> None:
    store, calls = MemoryStore(), Calls()
    names = ["source", "copy"]
    definition = saga(calls, names)
    calls.block.add("copy")
    first = runner(store, definition, owner="replica-1", lease_s=0.3)
    record = new_record()
    async with running(first):
        await accept(store, first, record)
        await until_called(calls, "copy")
    # replica-1 died there (its row as a SIGKILL leaves it: still its own, the lease not passed yet).
    owned(store, record, owner="replica-1", lease_s=60)
    async with running(runner(store, definition, owner="replica-2", lease_s=0.3)):
        await asyncio.sleep(0.5)  # a few pick-ups of replica-2
        assert calls.calls == ["source", "copy"], "a saga whose lease has not passed is left to its owner"
        owned(store, record, owner="replica-1", lease_s=-1)
        ended = await until_ended(store, record.id)
    assert calls.calls == ["source", "copy", "copy"] and calls.ended == ["completed"]
    assert ended.owner == "replica-2", "replica-2 took it over and resumed it at the step on record"


async def test_a_replica_that_finds_its_saga_taken_over_stops_running_it_and_writes_nothing_more() -> None:
    store, calls = MemoryStore(), Calls()
    definition = saga(calls, ["source", "copy"])
    calls.block.add("copy")
    first = runner(store, definition, owner="replica-1", lease_s=0.3)
    record = new_record()
    async with running(first):
        await accept(store, first, record)
        await until_called(calls, "copy")
        assert record.id in first._tasks
        owned(store, record, owner="replica-2", lease_s=60)  # it stalled, and replica-2 claimed the saga
        for _ in range(200):
            if record.id not in first._tasks:
                break
            await asyncio.sleep(0.01)
        assert record.id not in first._tasks, "its renewal found the saga lost and stopped the run"
        committed = store.transactions
        await asyncio.sleep(0.3)
    row = store.rows[record.id]
    assert row["owner"] == "replica-2" and row["state"] == "running" and store.transactions == committed
    assert not calls.ended


async def test_a_record_of_a_run_whose_saga_was_taken_over_is_refused() -> None:
    store, calls = MemoryStore(), Calls()
    definition = saga(calls, ["source", "copy"])
    record = new_record()
    first = runner(store, definition, owner="replica-1")
    async with store.transaction(_cause(record)) as uow:
        first.begin(uow, record)
        store.add(record)
    owned(store, record, owner="replica-2", lease_s=60)
    before = dict(store.rows[record.id])
    first._start(record)  # replica-1 still thinks the saga is its own
    await asyncio.gather(*first._tasks.values())
    assert store.rows[record.id] == before, "its record was refused: the run stopped at its first write"


async def test_a_replica_that_stops_gives_its_sagas_up_for_another_to_take_at_once() -> None:
    store, calls = MemoryStore(), Calls()
    definition = saga(calls, ["source", "copy"])
    calls.block.add("copy")
    first = runner(store, definition, owner="replica-1", lease_s=60)
    record = new_record()
    async with running(first):
        await accept(store, first, record)
        await until_called(calls, "copy")
    assert store.rows[record.id]["owner"] is None
    async with running(runner(store, definition, owner="replica-2", lease_s=60)):
        ended = await until_ended(store, record.id)
    assert ended.owner == "replica-2" and calls.ended == ["completed"], "taken at once, not after a minute's lease"
