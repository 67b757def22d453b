"""The platform itself: the dashboard's overview, the cluster's resources, and each QuickOn service's health
and desired replicas, which platform admins scale (an operation the deployer runs on its runtime)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from quickon_common.contracts.deploy import COMPONENT_REPLICAS_MAX, COMPONENT_REPLICAS_MIN, ComponentScaleRequested
from quickon_common.contracts.queries import NoRequest
from quickon_common.contracts.queries.deployer import (
    COMPONENTS,
    RESOURCES,
    SERVICE_OVERVIEW,
    ComponentsRequest,
    NodeResources,
    ServiceOverview,
    ServiceOverviewRequest,
)
from quickon_common.contracts.queries.deployer import Components as DesiredReplicas
from quickon_common.contracts.queries.info import INFO, SERVICES

from ..auth import AdminUser, CurrentUser
from ..deps import GatewayParts
from ..operations import ACCEPTED, OperationView, Target, submit
from ..principal import Principal
from ..problems import Problem

router = APIRouter(prefix="/api/v1", tags=["platform"])
# A service that has not answered its info query within this is reported down: the page of components must
# come back quickly even when several are, and a healthy one answers in milliseconds.
COMPONENT_TIMEOUT_S = 2.0
# After a component's first replica answered, how long the others have to: replicas on one bus answer
# within milliseconds of each other.
REPLICAS_SETTLE_S = 0.2


class Usage(BaseModel):
    requested: int = Field(description="what is requested (CPU in millicores, memory and storage in bytes)")
    capacity: int | None = Field(description="what there is; null where the runtime cannot tell")


class ClusterResources(BaseModel):
    runtime: str = Field(description="sim or kubernetes")
    nodes: int
    nodes_ready: int
    cpu: Usage = Field(description="millicores, allocatable on the nodes against the pods' requests")
    memory: Usage = Field(description="bytes, allocatable on the nodes against the pods' requests")
    storage: Usage = Field(description="bytes the volume claims ask for, against what the volumes may take")
    per_node: list[NodeResources] | None = Field(default=None, description="each node (platform admins only)")


class Instance(BaseModel):
    """One replica of a component, as it answered."""

    instance: str = Field(description="its host and process")
    ready: bool
    version: str
    failing: dict[str, str] = Field(default={}, description="each failing check and why")
    outbox_backlog: int | None = Field(default=None, description="events it committed and has not published yet")
    leads: bool = Field(default=False, description="whether it leads its service: it runs the periodic jobs")


class Component(BaseModel):
    service: str
    up: bool = Field(description="at least one replica answered over NATS")
    ready: bool = Field(description="up, and every check of every replica's /readyz passes")
    version: str | None = None
    detail: str | None = Field(default=None, description="why it is down or not ready, when it is not")
    failing: dict[str, str] = Field(default={}, description="each failing check and why (of any replica)")
    replicas: int = Field(default=0, description="how many replicas answered")
    instances: list[Instance] = Field(default=[], description="each replica, by instance")
    desired_replicas: int | None = Field(
        default=None,
        description="the replicas its Deployment asks for (what a scale sets); null when the deployer cannot tell",
    )
    operation_id: str | None = Field(default=None, description="the scale of it running now")


class Components(BaseModel):
    components: list[Component]
    desired_detail: str | None = Field(
        default=None, description="why the desired replicas are missing, when the deployer could not tell them"
    )


class ScaleRequest(BaseModel):
    replicas: int = Field(
        ge=COMPONENT_REPLICAS_MIN, le=COMPONENT_REPLICAS_MAX,
        description=f"the replicas its Deployment should ask for, {COMPONENT_REPLICAS_MIN} to {COMPONENT_REPLICAS_MAX}",
    )  # fmt: skip


ComponentName = Annotated[
    str, PathParam(pattern=r"^[a-z]+$", min_length=1, max_length=53, description="gateway, market, deployer, ...")
]


class Overview(BaseModel):
    services: ServiceOverview = Field(description="the services the caller may see, counted by status")
    resources: ClusterResources


@router.get(
    "/overview", response_model=Overview,
    summary="The dashboard's numbers in one call: services by status, the newest, the cluster's resources",
)  # fmt: skip
async def overview(parts: GatewayParts, user: CurrentUser) -> Overview:
    services, resources = await asyncio.gather(
        parts.reads.recent(SERVICE_OVERVIEW, ServiceOverviewRequest(caller=user.caller())),
        _resources(parts, user, recent=True),
    )
    return Overview(services=services, resources=resources)


@router.get(
    "/cluster/resources", response_model=ClusterResources,
    summary="Nodes, CPU, memory and storage: capacity and requests (members of any team; the nodes: admins)",
)  # fmt: skip
async def cluster_resources(parts: GatewayParts, user: CurrentUser) -> ClusterResources:
    return await _resources(parts, user)


async def _resources(parts: GatewayParts, user: Principal, *, recent: bool = False) -> ClusterResources:
    # The totals tell every team how full the platform is; which nodes it has is the admins' business.
    if not user.is_admin and not user.roles:
        raise Problem(403, "you are in no team yet, so there is nothing of the platform to show you; ask a "
                           "platform admin to add you to a team")  # fmt: skip
    # The dashboard's overview may take the answer of a moment ago (Reads.recent); this route asks every time.
    found = await (parts.reads.recent if recent else parts.reads.ask)(RESOURCES, NoRequest())
    nodes = found.nodes
    return ClusterResources(
        runtime=found.runtime,
        nodes=len(nodes),
        nodes_ready=sum(n.ready for n in nodes),
        cpu=Usage(requested=sum(n.cpu_requested_m for n in nodes), capacity=sum(n.cpu_m for n in nodes)),
        memory=Usage(
            requested=sum(n.memory_requested_bytes for n in nodes), capacity=sum(n.memory_bytes for n in nodes)
        ),
        storage=Usage(requested=found.storage_requested_bytes, capacity=found.storage_capacity_bytes),
        per_node=nodes if user.is_admin else None,
    )


@router.get(
    "/platform/components", response_model=Components,
    summary="Each QuickOn service and each of its replicas: up (it answers), ready, version (platform admins)",
)  # fmt: skip
async def platform_components(parts: GatewayParts, admin: AdminUser) -> Components:
    async def desired() -> DesiredReplicas | str:
        try:
            # As quick as the services' own answers: a deployer that is away must not hold the page back.
            request = ComponentsRequest(caller=admin.caller())
            return await parts.reads.ask(COMPONENTS, request, timeout_s=COMPONENT_TIMEOUT_S)
        except Problem as problem:  # the deployer is down: the rest of the page still tells what runs
            return problem.detail

    async def one(service: str) -> Component:
        found = await parts.reads.every(
            INFO[service], NoRequest(), timeout_s=COMPONENT_TIMEOUT_S, settle_s=REPLICAS_SETTLE_S
        )
        if not found:
            return Component(
                service=service, up=False, ready=False,
                detail=f"no replica of the {service} service answered within {COMPONENT_TIMEOUT_S:g}s: it is not "
                "running, or cannot reach NATS",
            )  # fmt: skip
        instances = sorted(
            (Instance(instance=i.instance, ready=i.ready is not False, version=i.version, failing=i.failing,
                      outbox_backlog=i.outbox_backlog, leads=i.leads) for i in found),
            key=lambda instance: instance.instance,
        )  # fmt: skip
        failing = {k: v for i in instances for k, v in i.failing.items()}
        ready = all(i.ready for i in instances)
        detail = None if ready else "not ready: " + "; ".join(f"{k}: {v}" for k, v in failing.items())
        versions = sorted({i.version for i in instances})
        return Component(
            service=service, up=True, ready=ready, version=", ".join(versions), detail=detail, failing=failing,
            replicas=len(instances), instances=instances,
        )  # fmt: skip

    wanted, found = await asyncio.gather(desired(), asyncio.gather(*(one(s) for s in SERVICES)))
    if isinstance(wanted, str):
        return Components(components=found, desired_detail=f"the deployer cannot tell the desired replicas: {wanted}")
    scaled = {c.component: c for c in wanted.components}
    components = [
        c.model_copy(update={"desired_replicas": s.replicas, "operation_id": s.operation_id})
        if (s := scaled.get(c.service)) is not None else c
        for c in found
    ]  # fmt: skip
    return Components(components=components)


@router.post(
    "/platform/components/{name}/scale", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Set how many replicas a QuickOn service's Deployment asks for (platform admins)",
)  # fmt: skip
async def scale_component(
    parts: GatewayParts, admin: AdminUser, name: ComponentName, body: ScaleRequest, response: Response
) -> OperationView:
    wanted = await parts.reads.ask(COMPONENTS, ComponentsRequest(caller=admin.caller()))
    found = next((c for c in wanted.components if c.component == name), None)
    if found is None:
        known = ", ".join(sorted(c.component for c in wanted.components)) or "none"
        raise Problem(
            404, f"there is no platform component {name!r} to scale on the {wanted.runtime} runtime; the components "
            f"are {known} (GET /api/v1/platform/components)",
        )  # fmt: skip
    if found.operation_id is not None:
        raise Problem(
            409, f"component {name} is being scaled ({found.operation_id}); wait until it ends "
            f"(qc operation {found.operation_id} --wait), then ask again",
        )  # fmt: skip
    return await submit(
        parts, admin, response, kind="scale_component",
        event=ComponentScaleRequested(component=name, replicas=body.replicas), target=Target(component=name),
        subject=f"components/{name}", team=None,
    )  # fmt: skip
