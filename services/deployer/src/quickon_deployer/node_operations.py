"""Cordon, uncordon and drain of a cluster's node: a platform admin's requests, accepted as operations and
run as sagas on the runtime, as the operations on services are.

An operation on a node is an operation row on no service (:data:`plans.NODE_NAMESPACE`, the node's name
as the service's), so that the saga engine, the ``operations`` query and the gateway's tracking serve it
unchanged; its progress is told as :class:`NodeStepRecorded`. One operation at a time per node.

The gateway lets only platform admins ask, and sends their requests with no team (the platform's work);
the envelope carries no admin flag, so the deployer's second check is that: a request naming a team is
not a platform operation and is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from quickon_common.consumer import Handling
from quickon_common.contracts.deploy import (
    NodeCordoned,
    NodeCordonFailed,
    NodeCordonRequested,
    NodeDrained,
    NodeDrainFailed,
    NodeDrainRequested,
    NodeEvent,
    NodeUncordoned,
    NodeUncordonFailed,
    NodeUncordonRequested,
)
from quickon_common.outbox import UnitOfWork
from quickon_common.saga.record import RUNNING_STATES
from quickon_common.service import Service

from .domain import Refused
from .models import OperationRecord, ServiceRecord
from .plans import NODE_KINDS, NODE_NAMESPACE, NodePlan
from .runtime.base import Runtime
from .saga import Run, Saga, SagaRunner, cause_of, node_subject
from .settings import DeployerSettings

# kind -> (request, success, failure)
NODE_OPERATIONS: dict[str, tuple[type[NodeEvent], type[NodeEvent], type[Any]]] = {
    "cordon_node": (NodeCordonRequested, NodeCordoned, NodeCordonFailed),
    "uncordon_node": (NodeUncordonRequested, NodeUncordoned, NodeUncordonFailed),
    "drain_node": (NodeDrainRequested, NodeDrained, NodeDrainFailed),
}
NODE_NAME_MAX = 53  # what an operation row holds as its service's name
DOING = {"cordon_node": "cordoned", "uncordon_node": "uncordoned", "drain_node": "drained"}


def node_problem(node: str) -> str | None:
    if len(node) > NODE_NAME_MAX:
        return f"node names longer than {NODE_NAME_MAX} characters cannot be operated on from QuickOn yet"
    return None


def node_sagas(runtime: Runtime) -> dict[str, Saga]:
    """The saga of each operation on a node."""

    async def cordon(run: Run) -> None:
        await runtime.cordon(run.plan.node)

    async def uncordon(run: Run) -> None:
        await runtime.uncordon(run.plan.node)

    async def drain(run: Run) -> None:
        plan: NodePlan = run.plan
        outcome = await runtime.drain(plan.node, progress=run.note, until=run.deadline)
        run.plan = plan.model_copy(
            update={"evicted": [*plan.evicted, *outcome.evicted], "moved": [*plan.moved, *outcome.moved],
                    "stuck": list(outcome.stuck), "kept": list(outcome.kept)}
        )  # fmt: skip

    def ended(kind: str) -> tuple[Any, Any]:
        _, success, failure = NODE_OPERATIONS[kind]

        async def finish(run: Run, uow: UnitOfWork, _service: ServiceRecord | None) -> None:
            plan: NodePlan = run.plan
            extra = {"evicted": plan.evicted, "moved": plan.moved, "stuck": plan.stuck, "kept": plan.kept}
            fields = extra if success is NodeDrained else {}
            uow.emit(success(node=plan.node, operation_id=run.record.id, **fields), subject=node_subject(plan.node))

        async def fail(run: Run, uow: UnitOfWork, _service: ServiceRecord | None, reason: str) -> None:
            node = run.plan.node
            event = failure(node=node, operation_id=run.record.id, reason=reason, step=run.failed_step)
            uow.emit(event, subject=node_subject(node))

        return finish, fail

    sagas = {}
    for kind, steps in (
        ("cordon_node", (("cordon", cordon),)),
        ("uncordon_node", (("uncordon", uncordon),)),
        ("drain_node", (("cordon", cordon), ("drain", drain))),
    ):
        finish, fail = ended(kind)
        # Each step may simply run again after a crash: a cordon is idempotent, a drain goes on with what is left.
        repeatable = frozenset(name for name, _ in steps)
        sagas[kind] = Saga(plan=NodePlan, steps=steps, finish=finish, fail=fail, repeatable=repeatable)
    return sagas


def register(service: Service, *, runner: SagaRunner, settings: DeployerSettings) -> None:
    """Wire one consumer per request on a node into ``service``."""

    def consumer(kind: str) -> None:
        request, _, failure = NODE_OPERATIONS[kind]

        async def accept(event: NodeEvent, handling: Handling[Any]) -> None:
            uow, envelope = handling.uow, handling.envelope
            op_id = event.operation_id or envelope.id
            try:
                if envelope.team is not None:
                    raise Refused(
                        f"a request on a node is a platform admin's and names no team; this one names {envelope.team!r}"
                    )
                if problem := node_problem(event.node):
                    raise Refused(problem)
                if await uow.session.get(OperationRecord, op_id) is not None:
                    raise Refused(f"operation id {op_id} was used already; each request needs its own")
                busy = (
                    await uow.session.exec(
                        select(OperationRecord).where(
                            OperationRecord.namespace == NODE_NAMESPACE, OperationRecord.service == event.node,
                            col(OperationRecord.kind).in_(NODE_KINDS),
                            col(OperationRecord.state).in_(RUNNING_STATES),
                        )
                    )
                ).first()  # fmt: skip
                if busy is not None:
                    raise Refused(
                        f"node {event.node} is being {DOING[busy.kind]} (operation {busy.id}); wait until it ends, "
                        f"then ask again"
                    )
            except Refused as refused:
                uow.emit(
                    failure(node=event.node, operation_id=op_id, reason=str(refused), step="accept"),
                    subject=node_subject(event.node),
                )
                return
            now = datetime.now(UTC)
            seconds = settings.drain_deadline_s if kind == "drain_node" else settings.operation_deadline_s
            op = OperationRecord(
                id=op_id, service_id="", namespace=NODE_NAMESPACE, service=event.node, kind=kind, state="running",
                plan=NodePlan(node=event.node).model_dump(mode="json"),
                deadline=now + timedelta(seconds=seconds), cause=cause_of(envelope),
                created_at=now,
            )  # fmt: skip
            runner.begin(uow, op)
            uow.session.add(op)

        accept.__name__ = kind
        accept.__doc__ = f"Accept a {kind.replace('_', ' ')} request as an operation, or refuse it with the reason."
        service.handles(request)(accept)

    for kind in NODE_OPERATIONS:
        consumer(kind)
