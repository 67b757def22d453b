"""Backups, restores, verifications and deletions as sagas on the common engine (``quickon_common.saga``).

A consumer accepts a request by writing a job in state ``running`` (``handlers.py``); the runner runs
it, step after step. Each step is on record as started before it runs and is idempotent, so a backup
service killed anywhere resumes the job from the step on record. What is the backup service's own:
a job's events have the backup as their subject, its steps are told as :class:`BackupStepRecorded`,
and a step that meets a passing failure (:class:`TryLater`: the store unreachable) tries a few times.
"""

from __future__ import annotations

from typing import Any

from quickon_common import saga as engine
from quickon_common.contracts import Event
from quickon_common.contracts.backup import BackupStepRecorded
from quickon_common.outbox import Outbox
from quickon_common.saga import RetryPolicy, SqlSagaStore, StepFailed, TryLater, aware, cause_of, try_later

from .models import JobRecord

__all__ = ["STORE_RETRY", "Job", "JobRunner", "StepFailed", "TryLater", "aware", "cause_of", "subject_of"]

Job = engine.Run[JobRecord, Any]
# A step that meets a store or deployer away (TryLater) tries three more times, then fails with its reason.
STORE_RETRY = RetryPolicy(waits=(0.5, 1.0, 2.0), retryable=try_later)


def subject_of(job: JobRecord) -> str:
    """The CloudEvents subject of a job's events: the backup it is about."""
    return f"backups/{job.namespace}/{job.service}/{job.backup_id}"


def step_recorded(job: JobRecord, step: str, state: str, detail: str | None) -> Event:
    """How a job's step progress is told on the bus."""
    return BackupStepRecorded(
        backup_id=job.backup_id, service=job.service, namespace=job.namespace, operation_id=job.operation_id,
        job=job.kind, step=step, state=state, detail=detail,  # type: ignore[arg-type]
    )  # fmt: skip


class JobRunner(engine.SagaRunner[JobRecord]):
    """Runs every job in state running or compensating, each in its own task."""

    def __init__(
        self,
        outbox: Outbox,
        sagas: dict[str, engine.Saga[JobRecord, Any]],
        *,
        compensation_s: float,
        parallel: int,
        owner: str | None = None,
        lease_s: float = engine.LEASE_S,
    ) -> None:
        super().__init__(
            SqlSagaStore(outbox, JobRecord), sagas=sagas, step_event=step_recorded, subject=subject_of,
            compensation_s=compensation_s, parallel=parallel, owner=owner, lease_s=lease_s,
        )  # fmt: skip
