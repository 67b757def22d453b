"""Asking the deployer for an operation from inside a job, and waiting for how it ended.

The request goes out with a progress note of the job (``quickon_common.saga.Outcomes``: a job resumed
after a crash knows whether it asked); the deployer's outcome event arrives through a consumer
(``handlers.py``), which records it in ``backup_deploy_outcome`` and wakes the waiting step.
"""

from __future__ import annotations

from collections.abc import Callable

from quickon_common.contracts.deploy import ServiceEvent
from quickon_common.saga import Outcomes

from .jobs import Job, StepFailed
from .models import DeployOutcomeRecord

DeployOutcomes = Outcomes[DeployOutcomeRecord]


class DeployerOperations:
    """Requests to the deployer made by a job's steps."""

    def __init__(self, outcomes: DeployOutcomes) -> None:
        self.outcomes = outcomes

    async def run(
        self, job: Job, step: str, request: Callable[[str], ServiceEvent], *, what: str, until: float
    ) -> DeployOutcomeRecord:
        """Ask once (``request(operation_id)``), then wait; a step failure when the deployer refused or failed."""
        operation_id = f"{job.record.id}:{step}"
        event = request(operation_id)
        outcome = await self.outcomes.ask_once(
            job, operation_id, event, until=until, asked=f"asked the deployer to {what} {event.service}",
            late=f"the deployer did not {what} in time (operation {operation_id})",
        )  # fmt: skip
        if not outcome.succeeded:
            raise StepFailed(f"the deployer could not {what}: {outcome.reason}")
        return outcome
