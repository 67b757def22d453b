"""The deployer's operations on the common saga engine (``quickon_common.saga``).

An operation's saga here is declared the deployer's way: steps as ``(name, function)`` pairs, each
retried while the runtime says its failure may pass (a cluster or market away) until the deadline;
``finish`` and ``fail`` get the service the operation is about. A repeatable step (a read, or a deploy
that recognises its own revision) is recorded with the next record (or once it runs long); any other is
on record as started before it runs. Events of an operation have its service as their subject, its
steps are told as :class:`SagaStepRecorded`, and ``QC_DEPLOYER_FAILPOINTS`` (``kind:service:step:moment``)
freezes the process at a point of a saga for the crash test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from quickon_common import saga as engine
from quickon_common.contracts import Event
from quickon_common.contracts.deploy import ComponentStepRecorded, NodeStepRecorded, SagaStepRecorded
from quickon_common.outbox import Outbox, UnitOfWork
from quickon_common.saga import TELL_AFTER_S, RecordTaken, RetryPolicy, SqlSagaStore, StepFailed, cause_of

from .domain import service_subject
from .models import OperationRecord, ServiceRecord
from .plans import COMPONENT_KINDS, NODE_KINDS
from .runtime.base import RuntimeFailure

__all__ = [
    "TELL_AFTER_S", "OperationTaken", "Run", "Saga", "SagaRunner", "Step", "StepFailed", "cause_of",
    "service_subject",
]  # fmt: skip

OperationTaken = RecordTaken
Run = engine.Run[OperationRecord, Any]
Step = Callable[[Run], Awaitable[None]]
Finish = Callable[[Run, UnitOfWork, ServiceRecord | None], Awaitable[None]]
Fail = Callable[[Run, UnitOfWork, ServiceRecord | None, str], Awaitable[None]]


def runtime_may_pass(error: Exception) -> str | None:
    """A runtime failure that may pass (the cluster or the market away): its reason."""
    return error.reason if isinstance(error, RuntimeFailure) and error.retryable else None


def runtime_reason(error: Exception) -> str | None:
    """A runtime failure that will not pass ends the step with its reason."""
    return error.reason if isinstance(error, RuntimeFailure) else None


# Every step of an operation: a runtime's passing failure is tried again, ever more slowly, until the
# operation's deadline (or its compensation's).
RUNTIME_RETRY = RetryPolicy(waits=(0.5, 1.0, 2.0, 5.0, 10.0), retryable=runtime_may_pass, until_deadline=True)


@dataclass(frozen=True, kw_only=True)
class Saga:
    """The steps of one kind of operation, what success records, and how a failure is undone.

    ``repeatable``: steps whose start need not be on record before they run, since a crash during one
    only means running it again. ``early``: a read the first steps will want, started when the request
    is accepted (before its transaction commits). ``plan``: the operation kind's plan model.
    """

    steps: tuple[tuple[str, Step], ...]
    finish: Finish
    fail: Fail
    compensation: tuple[tuple[str, Step], ...] = ()
    repeatable: frozenset[str] = frozenset()
    early: Callable[[OperationRecord], None] | None = None
    plan: type[Any] | None = None

    def engine(self) -> engine.Saga[OperationRecord, Any]:
        """This operation's saga for the engine."""
        finish, fail = self.finish, self.fail

        async def finished(run: Run, uow: UnitOfWork) -> None:
            await finish(run, uow, await uow.session.get(ServiceRecord, run.record.service_id))

        async def failed(run: Run, uow: UnitOfWork, reason: str) -> None:
            await fail(run, uow, await uow.session.get(ServiceRecord, run.record.service_id), reason)

        def steps(pairs: tuple[tuple[str, Step], ...]) -> tuple[engine.Step[OperationRecord, Any], ...]:
            return tuple(
                engine.Step(name, step, retry=RUNTIME_RETRY, repeatable=name in self.repeatable) for name, step in pairs
            )

        return engine.Saga(
            plan=self.plan, steps=steps(self.steps), compensation=steps(self.compensation), finish=finished,
            fail=failed, early=self.early,
        )  # fmt: skip


def step_recorded(op: OperationRecord, step: str, state: str, detail: str | None) -> Event:
    """How a step's progress is told on the bus."""
    if op.kind in NODE_KINDS:
        return NodeStepRecorded(
            node=op.service, operation_id=op.id, operation=op.kind, step=step, state=state,  # type: ignore[arg-type]
            detail=detail,
        )  # fmt: skip
    if op.kind in COMPONENT_KINDS:
        return ComponentStepRecorded(
            component=op.service, operation_id=op.id, operation=op.kind, step=step, state=state,  # type: ignore[arg-type]
            detail=detail,
        )  # fmt: skip
    return SagaStepRecorded(
        service=op.service, namespace=op.namespace, operation_id=op.id, operation=op.kind,
        step=step, state=state, detail=detail,  # type: ignore[arg-type]
    )  # fmt: skip


def subject_of(op: OperationRecord) -> str:
    if op.kind in COMPONENT_KINDS:
        return component_subject(op.service)
    return node_subject(op.service) if op.kind in NODE_KINDS else service_subject(op.namespace, op.service)


def node_subject(node: str) -> str:
    """The CloudEvents subject of events about one node."""
    return f"nodes/{node}"


def component_subject(component: str) -> str:
    """The CloudEvents subject of events about one of the platform's own services."""
    return f"components/{component}"


class SagaRunner(engine.SagaRunner[OperationRecord]):
    """Runs every operation in state running or compensating, each in its own task."""

    def __init__(
        self,
        outbox: Outbox,
        sagas: dict[str, Saga],
        *,
        compensation_s: float,
        parallel: int = 32,
        failpoints: Sequence[str] = (),
        owner: str | None = None,
        lease_s: float = engine.LEASE_S,
    ) -> None:
        super().__init__(
            SqlSagaStore(outbox, OperationRecord), sagas={kind: saga.engine() for kind, saga in sagas.items()},
            step_event=step_recorded, subject=subject_of, compensation_s=compensation_s, parallel=parallel,
            reason_of=runtime_reason, failpoints=failpoints, failpoint_name=lambda op: op.service, owner=owner,
            lease_s=lease_s,
        )  # fmt: skip
