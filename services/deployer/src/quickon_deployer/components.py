"""The platform's own services as components a platform admin scales: the replicas each one's Deployment asks
for (a query), and a scale of one (a request accepted as an operation, a saga of one step on the runtime, as a
node's cordon is; its outcome is :class:`ComponentScaled` or :class:`ComponentScaleFailed`).

A scale is an operation row on no service (:data:`plans.COMPONENT_NAMESPACE`, the component's name as the
service's), so that the saga engine, the ``operations`` query and the gateway's tracking serve it unchanged.
One scale at a time per component. The gateway lets only platform admins ask and sends their requests with
no team; the deployer refuses one that names a team.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from quickon_common.consumer import Handling
from quickon_common.contracts.deploy import ComponentScaled, ComponentScaleFailed, ComponentScaleRequested
from quickon_common.contracts.queries import deployer as contract
from quickon_common.contracts.queries.deployer import ComponentsRequest
from quickon_common.db import Database
from quickon_common.outbox import UnitOfWork
from quickon_common.queries import QueryError, caller_of
from quickon_common.saga.record import RUNNING_STATES
from quickon_common.service import Service

from .domain import Refused
from .models import OperationRecord, ServiceRecord
from .plans import COMPONENT_KINDS, COMPONENT_NAMESPACE, ComponentPlan
from .runtime.base import PLATFORM_COMPONENTS, Runtime, RuntimeFailure
from .saga import Run, Saga, SagaRunner, cause_of, component_subject
from .settings import DeployerSettings

KIND = "scale_component"


def component_sagas(runtime: Runtime) -> dict[str, Saga]:
    """The saga of a component's scale: one step, which may simply run again after a crash."""

    async def scale(run: Run) -> None:
        plan: ComponentPlan = run.plan
        if plan.previous is None:  # on record before the scale: a step run again after a crash keeps the first
            previous = (await runtime.components()).get(plan.component)
            plan = run.plan = plan.model_copy(update={"previous": previous})
            await run.note(f"{plan.component} asks for {previous} replicas; scaling it to {plan.replicas}")
        replicas = await runtime.scale_component(plan.component, plan.replicas)
        run.plan = plan.model_copy(update={"replicas": replicas})

    async def finish(run: Run, uow: UnitOfWork, _service: ServiceRecord | None) -> None:
        plan: ComponentPlan = run.plan
        event = ComponentScaled(
            component=plan.component, operation_id=run.record.id, replicas=plan.replicas, previous=plan.previous
        )
        uow.emit(event, subject=component_subject(plan.component))

    async def fail(run: Run, uow: UnitOfWork, _service: ServiceRecord | None, reason: str) -> None:
        component = run.plan.component
        event = ComponentScaleFailed(
            component=component, operation_id=run.record.id, reason=reason, step=run.failed_step
        )
        uow.emit(event, subject=component_subject(component))

    return {
        KIND: Saga(
            plan=ComponentPlan, steps=(("scale", scale),), finish=finish, fail=fail, repeatable=frozenset({"scale"})
        )
    }


def register(service: Service, *, runner: SagaRunner, runtime: Runtime, settings: DeployerSettings) -> None:
    """Answer the components query and accept scale requests, in ``service``."""

    @service.answers(contract.COMPONENTS)
    async def components(request: ComponentsRequest) -> contract.Components:
        """The replicas each platform component's Deployment asks for, and the scale of it running now."""
        if not caller_of(request).is_admin:
            raise QueryError(403, "the platform's components are shown to platform admins only")
        try:
            found = await runtime.components()
        except RuntimeFailure as failure:
            raise QueryError(
                503, f"the {runtime.name} runtime cannot tell the components' replicas: {failure.reason}"
            ) from None
        running = await _running(service.db)
        return contract.Components(
            runtime=runtime.name,
            components=[
                contract.ComponentReplicas(component=name, replicas=replicas, operation_id=running.get(name))
                for name, replicas in found.items()
            ],
        )

    @service.handles(ComponentScaleRequested)
    async def scale_component(event: ComponentScaleRequested, handling: Handling[ComponentScaleRequested]) -> None:
        """Accept a component's scale as an operation, or refuse it with the reason."""
        uow, envelope = handling.uow, handling.envelope
        op_id = event.operation_id or envelope.id
        try:
            if envelope.team is not None:
                raise Refused(
                    f"a scale of a platform component is a platform admin's and names no team; this one names "
                    f"{envelope.team!r}"
                )
            if event.component not in PLATFORM_COMPONENTS:
                raise Refused(
                    f"no platform component {event.component!r}; the components are "
                    f"{', '.join(sorted(PLATFORM_COMPONENTS))}"
                )
            if await uow.session.get(OperationRecord, op_id) is not None:
                raise Refused(f"operation id {op_id} was used already; each request needs its own")
            busy = (
                await uow.session.exec(
                    select(OperationRecord).where(
                        OperationRecord.namespace == COMPONENT_NAMESPACE, OperationRecord.service == event.component,
                        col(OperationRecord.kind).in_(COMPONENT_KINDS), col(OperationRecord.state).in_(RUNNING_STATES),
                    )
                )
            ).first()  # fmt: skip
            if busy is not None:
                raise Refused(
                    f"component {event.component} is being scaled (operation {busy.id}); wait until it ends, then "
                    f"ask again"
                )
        except Refused as refused:
            failure = ComponentScaleFailed(
                component=event.component, operation_id=op_id, reason=str(refused), step="accept"
            )
            uow.emit(failure, subject=component_subject(event.component))
            return
        now = datetime.now(UTC)
        plan = ComponentPlan(component=event.component, replicas=event.replicas)
        op = OperationRecord(
            id=op_id, service_id="", namespace=COMPONENT_NAMESPACE, service=event.component, kind=KIND,
            state="running", plan=plan.model_dump(mode="json"),
            deadline=now + timedelta(seconds=settings.operation_deadline_s), cause=cause_of(envelope), created_at=now,
        )  # fmt: skip
        runner.begin(uow, op)
        uow.session.add(op)


async def _running(db: Database) -> dict[str, str]:
    """The scales running now: component -> operation id."""
    async with db.read_session() as session:
        found = await session.exec(
            select(OperationRecord).where(
                OperationRecord.namespace == COMPONENT_NAMESPACE, col(OperationRecord.kind).in_(COMPONENT_KINDS),
                col(OperationRecord.state).in_(RUNNING_STATES),
            )
        )  # fmt: skip
        return {op.service: op.id for op in found}
