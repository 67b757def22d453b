"""The deployer's queries: services with their live status, operations, and the upgrade preview."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import col, func, select

from quickon_common.contracts.exposure import Exposure
from quickon_common.contracts.queries import Caller, NoRequest
from quickon_common.contracts.queries import deployer as contract
from quickon_common.contracts.queries import market as market_queries
from quickon_common.contracts.queries.deployer import (
    FillDiskRequest,
    InjectRequest,
    OperationRequest,
    OperationsRequest,
    PreviewRequest,
    ServiceOverviewRequest,
    ServiceRequest,
    ServicesRequest,
)
from quickon_common.contracts.queries.market import UpgradesRequest, VersionSummary
from quickon_common.db import Database
from quickon_common.helm import merge_values
from quickon_common.queries import QueryError, caller_of, visible_rows
from quickon_common.sealing import Sealer, SealError
from quickon_common.secret_values import (
    credential_paths,
    masked,
    scrub,
    secret_paths_of,
    secret_strings,
    split_secrets,
)
from quickon_common.service import Service

from .adapters.market import Market, MarketRefused
from .adapters.render import RenderFailed, render
from .exposure.ingress import parse_web_entry
from .exposure.ingress import urls as exposure_urls
from .models import OperationRecord, RevisionRecord, ServiceRecord
from .plans import PLANS, DeployPlan, RollbackPlan
from .preview import manifest_diff, values_diff
from .runtime.base import Runtime, RuntimeFailure
from .runtime.simulated import SimRuntime
from .stored import stored_manifests


def summary(record: ServiceRecord) -> dict[str, Any]:
    return {
        "service": record.name, "namespace": record.namespace, "team": record.team, "app": record.app,
        "repository": record.repository, "version": record.version, "status": record.status,
        "status_reason": record.status_reason, "revision": record.revision, "operation_id": record.operation_id,
        "created_at": record.created_at.isoformat(), "updated_at": record.updated_at.isoformat(),
    }  # fmt: skip


def operation_view(op: OperationRecord) -> contract.Operation:
    plan = PLANS[op.kind].model_validate(op.plan)  # the typed plan: the engine's own keys are ignored
    return contract.Operation(
        operation_id=op.id, kind=op.kind, service=op.service, namespace=op.namespace, state=op.state,
        step=op.current_step, steps=op.steps, error=op.error, deadline=op.deadline.isoformat(),
        created_at=op.created_at.isoformat(), finished_at=op.finished_at.isoformat() if op.finished_at else None,
        revision=plan.revision if isinstance(plan, DeployPlan | RollbackPlan) else None,
        version=plan.version if isinstance(plan, DeployPlan) else None,
    )  # fmt: skip


async def find_service(db: Database, request: ServiceRequest, caller: Caller) -> ServiceRecord:
    """The service a query names, or a 404 saying there is none (also when ``caller`` may not see it)."""
    async with db.read_session() as session:
        found = await session.exec(
            select(ServiceRecord).where(
                ServiceRecord.namespace == request.namespace, ServiceRecord.name == request.service
            )
        )
        record = found.first()
    if record is None or not caller.sees(record.team):
        raise QueryError(404, f"there is no service {request.service!r} in {request.namespace!r}")
    return record


def register(
    service: Service, *, runtime: Runtime, market: Callable[[], Market], sealer: Sealer, base_domain: str | None = None
) -> None:
    """Wire the deployer's queries into ``service``."""

    @service.answers(contract.SERVICES)
    async def services(request: ServicesRequest) -> contract.ServiceList:
        caller = caller_of(request)
        query = (
            select(ServiceRecord)
            .where(visible_rows(caller, col(ServiceRecord.team)))
            .order_by(col(ServiceRecord.namespace), col(ServiceRecord.name))
        )
        for column, value in (("namespace", request.namespace), ("team", request.team), ("status", request.status)):
            if value is not None:
                query = query.where(getattr(ServiceRecord, column) == value)
        async with service.db.read_session() as session:
            rows = (await session.exec(query.offset(request.offset).limit(request.limit))).all()
        return contract.ServiceList.model_validate({"services": [summary(r) for r in rows]})

    @service.answers(contract.SERVICE_OVERVIEW)
    async def service_overview(request: ServiceOverviewRequest) -> contract.ServiceOverview:
        """Counted in the database: the dashboard's numbers cost the same for ten services or ten thousand."""
        visible = visible_rows(caller_of(request), col(ServiceRecord.team))
        by_status = select(ServiceRecord.status, func.count()).where(visible).group_by(col(ServiceRecord.status))
        newest = select(ServiceRecord).where(visible).order_by(col(ServiceRecord.updated_at).desc())
        async with service.db.read_session() as session:
            counts = {str(status): int(count) for status, count in (await session.exec(by_status)).all()}
            rows = (await session.exec(newest.limit(request.newest))).all() if request.newest else []
        return contract.ServiceOverview.model_validate(
            {"total": sum(counts.values()), "by_status": counts, "newest": [summary(r) for r in rows]}
        )

    def reached(record: ServiceRecord) -> dict[str, Any]:
        """How the service is reached: its settings (the uploaded certificates' keys are never in them), its web
        entry and its URLs."""
        exposure = Exposure.model_validate(record.exposure or {})
        entry = parse_web_entry(record.web)
        return {
            "exposure": exposure, "web": record.web,
            "urls": exposure_urls(record.name, record.namespace, exposure, base_domain, entry),
        }  # fmt: skip

    @service.answers(contract.SERVICE)
    async def service_detail(request: ServiceRequest) -> contract.ServiceDetail:
        """One service: its record, live health from the runtime, revisions and the running operation."""
        record = await find_service(service.db, request, caller_of(request))
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
        # The sealed ones, and any credential a record from before lists were understood still holds in clear.
        secret_paths = sorted(
            {*(record.secret_paths if record.sealed_secrets else []), *credential_paths(record.values)}
        )
        return contract.ServiceDetail.model_validate({
            **summary(record),
            "values": masked(record.values, secret_paths),
            "secret_values": secret_paths,
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
            **reached(record),
        })  # fmt: skip

    @service.answers(contract.SEALED_SECRETS)
    async def sealed_secrets(request: ServiceRequest) -> contract.SealedSecrets:
        """A service's secret values, sealed again under the platform key (the gateway has no other) for
        the gateway to open in its audited reveal; they never cross the bus in clear."""
        record = await find_service(service.db, request, caller_of(request))
        try:
            sealed = sealer.reseal(record.sealed_secrets)
        except SealError as error:
            raise QueryError(422, str(error)) from None
        return contract.SealedSecrets(
            service=record.name, namespace=record.namespace, team=record.team, sealed=sealed,
            secret_paths=record.secret_paths if sealed else [],
        )  # fmt: skip

    @service.answers(contract.OPERATIONS)
    async def operations(request: OperationsRequest) -> contract.Operations:
        caller = caller_of(request)
        query = select(OperationRecord).order_by(col(OperationRecord.created_at).desc()).limit(request.limit)
        if not caller.is_admin:  # the team is the service's: an uninstalled one's operations are admins' only
            query = query.join(ServiceRecord, col(ServiceRecord.id) == col(OperationRecord.service_id)).where(
                visible_rows(caller, col(ServiceRecord.team))
            )
        if request.namespace is not None:
            query = query.where(OperationRecord.namespace == request.namespace)
        if request.service is not None:
            query = query.where(OperationRecord.service == request.service)
        async with service.db.read_session() as session:
            rows = (await session.exec(query)).all()
        return contract.Operations(operations=[operation_view(op) for op in rows])

    @service.answers(contract.OPERATION)
    async def operation(request: OperationRequest) -> contract.Operation:
        caller = caller_of(request)
        async with service.db.read_session() as session:
            op = await session.get(OperationRecord, request.operation_id)
            owner = await session.get(ServiceRecord, op.service_id) if op is not None else None
        if op is None or not caller.sees(owner.team if owner else None):
            raise QueryError(404, f"there is no operation {request.operation_id!r}")
        return operation_view(op)

    @service.answers(contract.PREVIEW)
    async def preview(request: PreviewRequest) -> contract.Preview:
        """What an upgrade would change, before anything does: changelog, values and objects."""
        record = await find_service(service.db, request, caller_of(request))
        target_version = request.version or record.version
        hidden: set[str] = set()  # the secret values themselves, kept out of every text the preview shows
        try:
            current_user = sealer.joined(record.values, record.sealed_secrets)
            wanted = merge_values(current_user, request.values) if request.reuse_values else request.values
            target = await market().chart(
                record.app, version=target_version, repository=record.repository, values=wanted
            )
            # Secret by the one rule, on both sides: what the service has and what the upgrade would give.
            secrets = {
                *secret_paths_of(current_user, record.secret_paths),
                *secret_paths_of(wanted, [*record.secret_paths, *target.secret_paths]),
            }
            hidden = secret_strings(split_secrets(current_user, [*secrets])[1])
            hidden |= secret_strings(split_secrets(wanted, [*secrets])[1])
            # The running version's defaults: the same chart unless the preview changes version.
            now = target if target.version == record.version else await market().chart(
                record.app, version=record.version, repository=record.repository
            )  # fmt: skip
            problems = target.problems
            newer = (
                await market().ask(
                    market_queries.UPGRADES,
                    UpgradesRequest(app=record.app, repository=record.repository, version=record.version),
                )
                if target_version != record.version
                else None
            )
            rendered = [] if problems else await render(
                target.path, release=record.name, namespace=record.namespace,
                values=merge_values(target.defaults, wanted),
            )  # fmt: skip
        except (MarketRefused, RuntimeFailure) as error:
            raise QueryError(404 if isinstance(error, MarketRefused) else 503, error.reason) from None
        except (RenderFailed, SealError) as error:
            raise QueryError(422, scrub(str(error), hidden)) from None
        async with service.db.read_session() as session:
            current = await session.get(RevisionRecord, (record.id, record.revision))
        before = current.objects() if current else []
        steps = _up_to(newer.newer if newer else [], target_version)
        return contract.Preview.model_validate({
            "service": record.name, "namespace": record.namespace, "app": record.app,
            "from_version": record.version, "to_version": target.version,
            "changelog": [{"version": v.version, "changes": v.changes} for v in steps],
            "breaking": any(v.breaking for v in steps),
            "values_valid": not problems, "values_errors": problems,
            "values_diff": values_diff(
                merge_values(now.defaults, current_user), merge_values(target.defaults, wanted),
                secret_paths=secrets,
            ),
            "manifest_diff": None if problems else manifest_diff(
                before, stored_manifests(rendered, hidden=hidden), hidden=hidden
            ),
        })  # fmt: skip

    @service.answers(contract.RESOURCES)
    async def resources(_request: NoRequest) -> contract.Resources:
        """The nodes' capacity and their pods' requests, and the volumes' storage, from the runtime."""
        try:
            found = await runtime.resources()
        except RuntimeFailure as failure:
            raise QueryError(503, f"the {runtime.name} runtime cannot tell its resources: {failure.reason}") from None
        return contract.Resources(
            runtime=runtime.name,
            nodes=[
                contract.NodeResources(
                    name=n.name, ready=n.ready, cpu_m=n.cpu_m, memory_bytes=n.memory, cpu_requested_m=n.cpu_requested_m,
                    memory_requested_bytes=n.memory_requested, pods=n.pods,
                )
                for n in found.nodes
            ],
            storage_requested_bytes=found.storage_requested,
            storage_capacity_bytes=found.storage_capacity,
        )  # fmt: skip

    if isinstance(runtime, SimRuntime):
        sim = runtime

        @service.answers(contract.INJECT)
        async def inject(request: InjectRequest) -> contract.Injected:
            """The sim runtime's admin call: make a workload's pods fail, or heal them (``failure: null``)."""
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
            return contract.Injected(injected=request.failure, workload=f"{request.kind}/{request.name}")

        @service.answers(contract.FILL_DISK)
        async def fill_disk(request: FillDiskRequest) -> contract.DiskFilled:
            """The sim runtime's admin call: put bytes on a node's disk (0 takes them away)."""
            try:
                await sim.fill_disk(node=request.node, size=request.size_bytes)
            except RuntimeFailure as failure:
                raise QueryError(404, failure.reason) from None
            return contract.DiskFilled(node=request.node, size_bytes=request.size_bytes)


def _up_to(newer: list[VersionSummary], target: str) -> list[VersionSummary]:
    """The versions of the market's oldest-first list up to ``target`` (none when it is not in it)."""
    order = [v.version for v in newer]
    return newer[: order.index(target) + 1] if target in order else []
