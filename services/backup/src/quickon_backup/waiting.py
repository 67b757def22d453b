"""Asking the deployer for an operation from inside a job, and waiting for how it ended.

The ask (``quickon_common.contracts.asks``: a ``Restore…Asked`` in the backup context, since only the
gateway sends requests) goes out with a progress note of the job (``quickon_common.saga.Outcomes``: a job resumed
after a crash knows whether it asked); the deployer's outcome event arrives through a consumer
(``handlers.py``), which records it in ``backup_deploy_outcome`` and wakes the waiting step.
"""

from __future__ import annotations

from collections.abc import Callable

from quickon_common.contracts.common import Ask
from quickon_common.saga import Outcomes

from .jobs import Job, StepFailed
from .models import DeployOutcomeRecord

DeployOutcomes = Outcomes[DeployOutcomeRecord]


class DeployerOperations:
    """Operations of the deployer asked by a job's steps."""

    def __init__(self, outcomes: DeployOutcomes) -> None:
        self.outcomes = outcomes

    async def run(
        self, job: Job, step: str, request: Callable[[str], Ask], *, what: str, until: float
    ) -> DeployOutcomeRecord:
        """Ask once (``request(operation_id)``), then wait; a step failure when the deployer refused or failed."""
        await self.ask(job, step, request, what=what)
        outcome = await self.outcome(job, step, what=what, until=until)
        if not outcome.succeeded:
            raise StepFailed(f"the deployer could not {what}: {outcome.reason}")
        return outcome

    async def ask(self, job: Job, step: str, request: Callable[[str], Ask], *, what: str) -> None:
        """Ask once without waiting: the step named ``step`` waits for it when it runs."""
        operation_id = f"{job.record.id}:{step}"
        event = request(operation_id)
        await self.outcomes.send_once(job, operation_id, event, asked=f"asked the deployer to {what}")

    def asked(self, job: Job, step: str) -> bool:
        """Whether ``step``'s request went out (it is on record)."""
        return f"{job.record.id}:{step}" in job.asked

    async def outcome(self, job: Job, step: str, *, what: str, until: float) -> DeployOutcomeRecord:
        """How the deployer ended ``step``'s request, once it has; a step failure if not by ``until``."""
        operation_id = f"{job.record.id}:{step}"
        late = f"the deployer did not {what} in time (operation {operation_id})"
        return await self.outcomes.wait(operation_id, until=until, late=late)
