"""The platform itself: the dashboard's overview, the cluster's resources, and each QuickOn service's health
(for platform admins)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel, Field

from quickon_common.contracts.queries import NoRequest
from quickon_common.contracts.queries.deployer import (
    RESOURCES,
    SERVICE_OVERVIEW,
    NodeResources,
    ServiceOverview,
    ServiceOverviewRequest,
)
from quickon_common.contracts.queries.info import INFO, SERVICES

from ..auth import AdminUser, CurrentUser
from ..deps import GatewayParts
from ..principal import Principal
from ..problems import Problem

router = APIRouter(prefix="/api/v1", tags=["platform"])
# A service that has not answered its info query within this is reported down: the page of components must
# come back quickly even when several are, and a healthy one answers in milliseconds.
COMPONENT_TIMEOUT_S = 2.0


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


class Component(BaseModel):
    service: str
    up: bool = Field(description="it answered over NATS")
    ready: bool = Field(description="up, and every check of its /readyz passes")
    version: str | None = None
    detail: str | None = Field(default=None, description="why it is down or not ready, when it is not")
    failing: dict[str, str] = Field(default={}, description="each failing check and why")


class Components(BaseModel):
    components: list[Component]


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
    summary="Each QuickOn service: up (it answers), ready, its version (platform admins)",
)  # fmt: skip
async def platform_components(parts: GatewayParts, _admin: AdminUser) -> Components:
    async def one(service: str) -> Component:
        try:
            info = await parts.reads.ask(INFO[service], NoRequest(), timeout_s=COMPONENT_TIMEOUT_S)
        except Problem as problem:
            return Component(service=service, up=False, ready=False, detail=problem.detail)
        ready = info.ready is not False
        detail = None if ready else "not ready: " + "; ".join(f"{k}: {v}" for k, v in info.failing.items())
        return Component(
            service=service, up=True, ready=ready, version=info.version, detail=detail, failing=info.failing
        )

    return Components(components=list(await asyncio.gather(*(one(s) for s in SERVICES))))
