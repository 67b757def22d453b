"""Asking the deployer for an operation from inside a job, and waiting for how it ended.

The request is emitted with a record of the job (one transaction: a job resumed after a crash knows
whether it asked); the deployer's outcome event arrives through a consumer (``handlers.py``), which
records it in ``backup_deploy_outcome`` and wakes the waiting step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from quickon_common.contracts.deploy import ServiceEvent
from quickon_common.db import Database
from quickon_common.tasks import woken

from .jobs import Job, StepFailed
from .models import DeployOutcomeRecord

WAKE_CHECK_S = 2.0


class DeployOutcomes:
    """Outcomes of deployer operations, as they arrive."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: dict[str, asyncio.Event] = {}

    def arrived(self, operation_id: str) -> None:
        """Called once an outcome is committed."""
        if (event := self._waiting.get(operation_id)) is not None:
            event.set()

    async def wait(self, operation_id: str, *, until: float, what: str) -> DeployOutcomeRecord:
        """The outcome of ``operation_id``; a step failure if none by ``until`` (epoch seconds)."""
        event = self._waiting.setdefault(operation_id, asyncio.Event())
        try:
            while True:
                async with self.db.read_session() as session:
                    found = await session.get(DeployOutcomeRecord, operation_id)
                if found is not None:
                    return found
                left = until - time.time()
                if left <= 0:
                    raise StepFailed(f"the deployer did not {what} in time (operation {operation_id})")
                await woken(event, min(WAKE_CHECK_S, left))
                event.clear()
        finally:
            self._waiting.pop(operation_id, None)


class DeployerOperations:
    """Requests to the deployer made by a job's steps."""

    def __init__(self, outcomes: DeployOutcomes, record: Callable[[Job, str, str], Awaitable[None]]) -> None:
        self.outcomes = outcomes
        self.tell = record

    async def run(
        self, job: Job, step: str, request: Callable[[str], ServiceEvent], *, what: str, until: float
    ) -> DeployOutcomeRecord:
        """Ask once (``request(operation_id)``), then wait; a step failure when the deployer refused or failed."""
        operation_id = f"{job.record.id}:{step}"
        asked: list[str] = job.plan.get("asked", [])
        if operation_id not in asked:
            event = request(operation_id)
            job.announce(event)
            job.plan["asked"] = [*asked, operation_id]
            await self.tell(job, step, f"asked the deployer to {what} {event.service}")
        outcome = await self.outcomes.wait(operation_id, until=until, what=what)
        if not outcome.succeeded:
            raise StepFailed(f"the deployer could not {what}: {outcome.reason}")
        return outcome
