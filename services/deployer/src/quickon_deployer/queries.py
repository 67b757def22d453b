"""The deployer's queries: services with their live status, operations, and the upgrade preview."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

from pydantic import Field
from sqlmodel import col, select

from quickon_common.db import Database
from quickon_common.helm import merge_values
from quickon_common.queries import QueryRequest, parse
from quickon_common.sealing import Sealer, SealError
from quickon_common.service import QueryError, Service

from .adapters.market import Market, MarketRefused
from .adapters.render import RenderFailed, render
from .models import OperationRecord, RevisionRecord, ServiceRecord
from .preview import manifest_diff, values_diff
from .runtime.base import Runtime, RuntimeFailure
from .runtime.simulated import SimRuntime
from .stored import stored_manifests


class ServicesRequest(QueryRequest):
    namespace: str | None = None
    team: str | None = None
    status: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class ServiceRequest(QueryRequest):
    namespace: str = "default"
    service: str = Field(min_length=1, max_length=63)


class OperationsRequest(QueryRequest):
    namespace: str | None = None
    service: str | None = None
    limit: int = Field(default=50, ge=1, le=500)


class OperationRequest(QueryRequest):
    operation_id: str = Field(min_length=1, max_length=64)


class PreviewRequest(ServiceRequest):
    version: str | None = Field(default=None, max_length=128, description="the target; the current one if omitted")
    values: dict[str, Any] = Field(default_factory=dict)
    reuse_values: bool = True


class InjectRequest(ServiceRequest):
    kind: str = Field(description="Deployment, StatefulSet, ...")
    name: str = Field(description="the workload's name")
    failure: str | None = Field(default=None, description="image-pull-error, crash-loop, never-ready; null clears")
    count: int | None = Field(default=None, ge=1, description="only the next N pods it creates")


def summary(record: ServiceRecord) -> dict[str, Any]:
    return {
        "service": record.name, "namespace": record.namespace, "team": record.team, "app": record.app,
        "repository": record.repository, "version": record.version, "status": record.status,
        "status_reason": record.status_reason, "revision": record.revision, "operation_id": record.operation_id,
        "created_at": record.created_at.isoformat(), "updated_at": record.updated_at.isoformat(),
    }  # fmt: skip


def operation_view(op: OperationRecord) -> dict[str, Any]:
    return {
        "operation_id": op.id, "kind": op.kind, "service": op.service, "namespace": op.namespace, "state": op.state,
        "step": op.current_step, "steps": op.steps, "error": op.error, "deadline": op.deadline.isoformat(),
        "created_at": op.created_at.isoformat(), "finished_at": op.finished_at.isoformat() if op.finished_at else None,
        "revision": op.plan.get("revision"), "version": op.plan.get("version"),
    }  # fmt: skip


async def find_service(db: Database, request: ServiceRequest) -> ServiceRecord:
    """The service a query names, or a 404 saying there is none."""
    async with db.read_session() as session:
        found = await session.exec(
            select(ServiceRecord).where(
                ServiceRecord.namespace == request.namespace, ServiceRecord.name == request.service
            )
        )
        record = found.first()
    if record is None:
        raise QueryError(404, f"there is no service {request.service!r} in {request.namespace!r}")
    return record


def register(service: Service, *, runtime: Runtime, market: Callable[[], Market], sealer: Sealer) -> None:
    """Wire the deployer's queries into ``service``."""

    @service.answers("services")
    async def services(body: dict[str, Any]) -> dict[str, Any]:
        request = parse(ServicesRequest, body)
        query = select(ServiceRecord).order_by(col(ServiceRecord.namespace), col(ServiceRecord.name))
        for column, value in (("namespace", request.namespace), ("team", request.team), ("status", request.status)):
            if value is not None:
                query = query.where(getattr(ServiceRecord, column) == value)
        async with service.db.read_session() as session:
            rows = (await session.exec(query.offset(request.offset).limit(request.limit))).all()
        return {"services": [summary(r) for r in rows]}

    @service.answers("service")
    async def service_detail(body: dict[str, Any]) -> dict[str, Any]:
        """One service: its record, live health from the runtime, revisions and the running operation."""
        record = await find_service(service.db, parse(ServiceRequest, body))
        async with service.db.read_session() as session:
            revisions = (
                await session.exec(
                    select(RevisionRecord)
                    .where(RevisionRecord.service_id == record.id)
                    .order_by(col(RevisionRecord.number))
                )
            ).all()
            running = await session.get(OperationRecord, record.operation_id) if record.operation_id else None
        try:
            health: dict[str, Any] | str = (
                await runtime.health(namespace=record.namespace, release=record.name)
            ).to_json()
        except RuntimeFailure as failure:
            health = f"unknown: {failure.reason}"
        return {
            **summary(record),
            "values": record.values,
            "secret_values": [p for p in record.secret_paths if record.sealed_secrets],
            "health": health,
            "revisions": [
                {
                    "revision": r.number, "version": r.version, "operation": r.operation, "outcome": r.outcome,
                    "manifest_digest": r.manifest_digest, "description": r.description, "actor": r.actor,
                    "created_at": r.created_at.isoformat(),
                }
                for r in revisions
            ],
            "operation": operation_view(running) if running else None,
        }  # fmt: skip

    @service.answers("operations")
    async def operations(body: dict[str, Any]) -> dict[str, Any]:
        request = parse(OperationsRequest, body)
        query = select(OperationRecord).order_by(col(OperationRecord.created_at).desc()).limit(request.limit)
        if request.namespace is not None:
            query = query.where(OperationRecord.namespace == request.namespace)
        if request.service is not None:
            query = query.where(OperationRecord.service == request.service)
        async with service.db.read_session() as session:
            rows = (await session.exec(query)).all()
        return {"operations": [operation_view(op) for op in rows]}

    @service.answers("operation")
    async def operation(body: dict[str, Any]) -> dict[str, Any]:
        request = parse(OperationRequest, body)
        async with service.db.read_session() as session:
            op = await session.get(OperationRecord, request.operation_id)
        if op is None:
            raise QueryError(404, f"there is no operation {request.operation_id!r}")
        return operation_view(op)

    @service.answers("preview")
    async def preview(body: dict[str, Any]) -> dict[str, Any]:
        """What an upgrade would change, before anything does: changelog, values and objects."""
        request = parse(PreviewRequest, body)
        record = await find_service(service.db, request)
        target_version = request.version or record.version
        try:
            current_user = merge_values(record.values, sealer.open(record.sealed_secrets))
            wanted = merge_values(current_user, request.values) if request.reuse_values else request.values
            target = await market().chart(
                record.app, version=target_version, repository=record.repository, values=wanted
            )
            # The running version's defaults: the same chart unless the preview changes version.
            now = target if target.version == record.version else await market().chart(
                record.app, version=record.version, repository=record.repository
            )  # fmt: skip
            problems = target.problems
            changelog = (
                await market().ask("upgrades", app=record.app, repository=record.repository, version=record.version)
                if target_version != record.version
                else {"newer": []}
            )
            rendered = [] if problems else await render(
                target.path, release=record.name, namespace=record.namespace,
                values=merge_values(target.defaults, wanted),
            )  # fmt: skip
        except (MarketRefused, RuntimeFailure) as error:
            raise QueryError(404 if isinstance(error, MarketRefused) else 503, error.reason) from None
        except (RenderFailed, SealError) as error:
            raise QueryError(422, str(error)) from None
        async with service.db.read_session() as session:
            current = await session.get(RevisionRecord, (record.id, record.revision))
        before = json.loads(zlib.decompress(current.manifests)) if current else []
        steps = [v for v in changelog.get("newer", []) if _not_after(v["version"], target_version, changelog)]
        secrets = {*record.secret_paths, *target.secret_paths}
        return {
            "service": record.name, "namespace": record.namespace, "app": record.app,
            "from_version": record.version, "to_version": target.version,
            "changelog": [{"version": v["version"], "changes": v.get("changes", [])} for v in steps],
            "breaking": any(v.get("breaking") for v in steps),
            "values_valid": not problems, "values_errors": problems,
            "values_diff": values_diff(
                merge_values(now.defaults, current_user), merge_values(target.defaults, wanted),
                secret_paths=secrets,
            ),
            "manifest_diff": manifest_diff(before, stored_manifests(rendered)) if not problems else None,
        }  # fmt: skip

    if isinstance(runtime, SimRuntime):
        sim = runtime

        @service.answers("inject")
        async def inject(body: dict[str, Any]) -> dict[str, Any]:
            """The sim runtime's admin call: make a workload's pods fail, or heal them (``failure: null``)."""
            request = parse(InjectRequest, body)
            release = {"namespace": request.namespace, "release": request.service}
            try:
                if request.failure is None:
                    await sim.clear(**release, kind=request.kind, name=request.name)
                else:
                    await sim.inject(
                        **release, kind=request.kind, name=request.name, failure=request.failure, count=request.count
                    )
            except RuntimeFailure as failure:
                raise QueryError(404 if "no " in failure.reason else 422, failure.reason) from None
            return {"injected": request.failure, "workload": f"{request.kind}/{request.name}"}

        @service.answers("nodes")
        async def nodes(_body: dict[str, Any]) -> dict[str, Any]:
            return {"nodes": [vars(node) for node in sim.cluster.nodes()]}


def _not_after(version: str, target: str, changelog: dict[str, Any]) -> bool:
    """Whether ``version`` comes at or before ``target`` in the market's oldest-first list."""
    order = [v["version"] for v in changelog.get("newer", [])]
    return target in order and order.index(version) <= order.index(target)
