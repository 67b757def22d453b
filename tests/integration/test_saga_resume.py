"""The saga runner stopped while a repeatable step runs long: the next runner resumes from the last step
whose outcome is on record, so nothing a step before decided is missing (and nothing ends twice)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quickon_common.db import Database
from quickon_common.migrations import migrate
from quickon_common.outbox import Outbox, UnitOfWork
from quickon_deployer.migrations import MIGRATIONS
from quickon_deployer.models import OperationRecord, ServiceRecord
from quickon_deployer.saga import TELL_AFTER_S, Run, Saga, SagaRunner
from support.bus import eventually


@pytest.fixture
async def outbox(database_url: str, tmp_path: Path) -> AsyncIterator[Outbox]:
    db = Database(database_url)
    await migrate(db, MIGRATIONS)
    yield Outbox(db, source="deployer")
    await db.dispose()


def operation() -> OperationRecord:
    now = datetime.now(UTC)
    cause = {"id": str(uuid.uuid4()), "source": "test", "type": "t", "time": now.isoformat(), "correlation_id": "c"}
    return OperationRecord(
        id=str(uuid.uuid4()), service_id=str(uuid.uuid4()), namespace="ns", service="svc", kind="install",
        state="running", plan={}, deadline=now + timedelta(minutes=5), cause=cause, created_at=now,
    )  # fmt: skip


async def test_a_run_stopped_in_a_long_repeatable_step_resumes_where_its_inputs_are_on_record(outbox: Outbox) -> None:
    calls: list[str] = []
    ended: list[str] = []
    resumed = False

    async def decide(run: Run) -> None:
        calls.append("decide")
        run.plan["decided"] = "yes"

    async def slow(run: Run) -> None:
        calls.append("slow")
        await asyncio.sleep(TELL_AFTER_S * 2 if resumed else 60)  # the first run is stopped in here

    async def use(run: Run) -> None:
        calls.append(f"use:{run.plan.get('decided')}")

    async def finish(run: Run, _uow: UnitOfWork, _service: ServiceRecord | None) -> None:
        ended.append("completed")

    async def fail(run: Run, _uow: UnitOfWork, _service: ServiceRecord | None, reason: str) -> None:
        ended.append(f"failed: {reason}")

    saga = Saga(
        steps=(("decide", decide), ("slow", slow), ("use", use)),
        finish=finish, compensation=(), fail=fail, repeatable=frozenset({"decide", "slow", "use"}),
    )  # fmt: skip
    op = operation()

    first = SagaRunner(outbox, {"install": saga}, compensation_s=60)
    first_runs = asyncio.ensure_future(first.run())
    async with outbox.begin() as uow:  # accepted: recorded with its first step started, and run at once
        first.begin(uow, op)
        uow.session.add(op)

    async def told() -> bool:  # the long step's start is on record, the plan of the steps before it is not
        async with outbox.db.read_session() as session:
            stored = await session.get(OperationRecord, op.id)
        return stored is not None and stored.current_step == "slow"

    await eventually(told, timeout_s=10, what="the slow step told while it runs")
    first_runs.cancel()  # the process stopping: its runs are cancelled wherever they are
    await asyncio.gather(first_runs, return_exceptions=True)
    assert calls == ["decide", "slow"] and not ended
    calls.clear()
    resumed = True

    second = asyncio.ensure_future(SagaRunner(outbox, {"install": saga}, compensation_s=60).run())
    try:

        async def over() -> bool:  # finish() runs inside the operation's last transaction: wait for its commit
            async with outbox.db.read_session() as session:
                stored = await session.get(OperationRecord, op.id)
            return stored is not None and stored.state in ("completed", "failed")

        await eventually(over, timeout_s=20, what="the resumed operation to end")
    finally:
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)
    assert ended == ["completed"]
    assert calls == ["decide", "slow", "use:yes"], "the resumed run starts from the last step with its outcome"
    async with outbox.db.read_session() as session:
        stored = await session.get(OperationRecord, op.id)
    assert stored is not None and stored.state == "completed" and stored.plan["decided"] == "yes"
