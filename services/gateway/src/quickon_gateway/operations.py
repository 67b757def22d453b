"""Operations: every command is recorded with the request event it publishes, in one transaction.

:func:`submit` is the one way a route issues a command: the operation row and the ``*Requested``
event go into the gateway's database together (the outbox), so a command is never recorded and
lost, nor published and unrecorded; while NATS is away the relay holds it, and the answer is
``202`` all the same. :mod:`quickon_gateway.tracking` keeps the rows current from the events.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import col, select

from quickon_common.contracts.common import OperationEvent
from quickon_common.queries import visible_rows

from .deps import Parts
from .models import OperationRecord
from .principal import Principal
from .problems import Problem
from .visibility import can_see

OperationState = Literal["pending", "running", "succeeded", "failed"]
DONE = frozenset({"succeeded", "failed"})


def _absent(value: object) -> bool:
    return value is None


class Target(BaseModel):
    """What an operation acts on: a service in a namespace, a chart repository, or a node of the cluster
    (only those keys)."""

    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(default=None, exclude_if=_absent)
    namespace: str | None = Field(default=None, exclude_if=_absent)
    repository: str | None = Field(default=None, exclude_if=_absent)
    node: str | None = Field(default=None, exclude_if=_absent)
    component: str | None = Field(default=None, exclude_if=_absent, description="a platform service (its scale)")


# The operations on a node keep its name in the row's service column (no namespace): their kind says so.
NODE_KINDS = frozenset({"cordon_node", "uncordon_node", "drain_node"})
# So do the scales of the platform's own components, the component's name in the service column.
COMPONENT_KINDS = frozenset({"scale_component"})
# The platform's work, which only platform admins see.
ADMIN_KINDS = NODE_KINDS | COMPONENT_KINDS


class Step(BaseModel):
    step: str
    state: str = Field(description="started, completed, failed or compensated")
    detail: str | None = None
    at: datetime | None = None


class OperationError(BaseModel):
    reason: str
    step: str | None = None


class FieldWarning(BaseModel):
    """Something accepted that looks wrong, named by its field as errors are."""

    field: str = Field(description="e.g. body.values.replicaCount")
    message: str


class OperationView(BaseModel):
    """An operation as the API shows it."""

    operation_id: str
    kind: str = Field(
        description="install, upgrade, rollback, start, stop, restart, expose, uninstall, *_repository, backup, "
        "restore, verify_backup, delete_backup, schedule_backups, export, import, cordon_node, uncordon_node, "
        "drain_node, scale_component"
    )
    target: Target
    state: OperationState
    steps: list[Step]
    error: OperationError | None = None
    result: dict[str, Any] | None = Field(default=None, description="the outcome event's body")
    actor: str | None = None
    team: str | None = None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    warnings: list[FieldWarning] = Field(
        default=[],
        description="what the command was accepted with but looks wrong (a values key the chart neither declares "
        "nor has a default for); in the answer to the command only",
    )


class Operations(BaseModel):
    operations: list[OperationView]


LOCATION = {"Location": {"description": "where to follow the operation", "schema": {"type": "string"}}}
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"description": "Accepted: follow the operation at its Location", "headers": LOCATION}
}


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; every one stored here is UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def view(record: OperationRecord) -> OperationView:
    """The API's view of an operation row."""
    if record.kind in NODE_KINDS:
        target = Target(node=record.service)
    elif record.kind in COMPONENT_KINDS:
        target = Target(component=record.service)
    else:
        target = Target(service=record.service, namespace=record.namespace, repository=record.repository)
    return OperationView(
        operation_id=record.id, kind=record.kind, target=target, state=record.state,  # type: ignore[arg-type]
        steps=[Step.model_validate(s) for s in record.steps],
        error=OperationError.model_validate(record.error) if record.error else None,
        result=record.result, actor=record.actor, team=record.team,
        created_at=_utc(record.created_at) or record.created_at,
        updated_at=_utc(record.updated_at) or record.updated_at, finished_at=_utc(record.finished_at),
    )  # fmt: skip


async def submit(
    parts: Parts,
    user: Principal,
    response: Response,
    *,
    kind: str,
    event: OperationEvent,
    target: Target,
    subject: str,
    team: str | None,
    result: dict[str, Any] | None = None,
    warnings: list[FieldWarning] | None = None,
) -> OperationView:
    """Record the operation and publish ``event`` (given the operation's id) in one transaction; the
    ``Location`` of the operation goes on ``response``. ``team``: the team that owns what it acts on (the
    event carries it, and the owning service checks it again; None: the platform's, such as a repository).
    ``result``: what is known of it at once (a new backup's id), until its outcome replaces it;
    ``warnings``: what the caller should hear of at once."""
    now = datetime.now(UTC)
    record = OperationRecord(
        id=str(uuid.uuid4()), kind=kind, service=target.node or target.component or target.service,
        namespace=target.namespace,
        repository=target.repository, state="pending", steps=[], actor=user.username, team=team,
        created_at=now, updated_at=now, result=result,
    )  # fmt: skip
    try:
        async with parts.service.outbox.begin(actor=user.username, team=team) as uow:
            uow.session.add(record)
            uow.emit(event.model_copy(update={"operation_id": record.id}), subject=subject)
    except (OperationalError, InterfaceError) as error:
        raise Problem(
            503, f"the gateway cannot write to its database now ({type(error).__name__}); nothing was done: retry"
        ) from None
    response.headers["Location"] = f"/api/v1/operations/{record.id}"
    return view(record).model_copy(update={"warnings": warnings or []})


async def find(parts: Parts, user: Principal, operation_id: str) -> OperationView:
    """One operation: 404 when there is none, 403 when it is another team's."""
    async with parts.service.db.read_session() as session:
        record = await session.get(OperationRecord, operation_id)
    if record is None:
        raise Problem(404, f"there is no operation {operation_id!r}; list them with GET /api/v1/operations")
    if not can_see(user, record.team):
        raise Problem(403, f"operation {operation_id!r} is of a team you are not in; ask an admin of that team")
    if record.kind in ADMIN_KINDS and not user.is_admin:
        raise Problem(
            403, f"operation {operation_id!r} is on the platform itself (a node or a component): platform admins only"
        )
    return view(record)


async def recent(
    parts: Parts,
    user: Principal,
    *,
    service: str | None,
    namespace: str | None,
    state: OperationState | None = None,
    limit: int,
) -> list[OperationView]:
    """The newest operations the caller may see, newest first."""
    query = select(OperationRecord).order_by(col(OperationRecord.created_at).desc(), col(OperationRecord.id))
    if service is not None:
        query = query.where(OperationRecord.service == service)
    if namespace is not None:
        query = query.where(OperationRecord.namespace == namespace)
    if state is not None:  # the console's filter: the failed ones among many, without paging through all
        query = query.where(OperationRecord.state == state)
    if not user.is_admin:
        query = query.where(visible_rows(user.caller(), col(OperationRecord.team)))
        query = query.where(col(OperationRecord.kind).not_in(ADMIN_KINDS))  # nodes, components: admins only
    async with parts.service.db.read_session() as session:
        rows = (await session.exec(query.limit(limit))).all()
    return [view(r) for r in rows]
