"""The cluster's nodes (platform admins): list, detail, and cordon, uncordon and drain as operations the
deployer runs on its runtime."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from quickon_common.contracts.deploy import NodeCordonRequested, NodeDrainRequested, NodeEvent, NodeUncordonRequested
from quickon_common.contracts.queries.deployer import NODE, NODES, NodeDetail, NodeRequest, Nodes, NodesRequest

from ..auth import AdminUser
from ..deps import GatewayParts
from ..operations import ACCEPTED, OperationView, Target, submit
from ..problems import Problem

router = APIRouter(prefix="/api/v1/cluster", tags=["cluster"])
# A node's name is a DNS subdomain; an operation's row holds 53 characters of it (a service name's room).
NodeName = Annotated[
    str,
    PathParam(pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", min_length=1, max_length=53, description="the node's name"),
]


@router.get("/nodes", response_model=Nodes, summary="The cluster's nodes: capacity, requests, state (platform admins)")
async def list_nodes(parts: GatewayParts, user: AdminUser) -> Nodes:
    return await parts.reads.ask(NODES, NodesRequest(caller=user.caller()))


@router.get("/nodes/{name}", response_model=NodeDetail, summary="One node and its pods (platform admins)")
async def node_detail(parts: GatewayParts, user: AdminUser, name: NodeName) -> NodeDetail:
    return await parts.reads.ask(NODE, NodeRequest(node=name, caller=user.caller()))


def _operation(verb: str, request: type[NodeEvent], summary: str) -> None:
    async def act(parts: GatewayParts, user: AdminUser, name: NodeName, response: Response) -> OperationView:
        node = await parts.reads.ask(NODE, NodeRequest(node=name, caller=user.caller()))  # 404 when there is none
        if node.operation_id is not None:
            raise Problem(
                409, f"node {name} has an operation running ({node.operation_id}); wait until it ends "
                f"(qc operation {node.operation_id} --wait), then ask again",
            )  # fmt: skip
        return await submit(
            parts, user, response, kind=f"{verb}_node", event=request(node=name), target=Target(node=name),
            subject=f"nodes/{name}", team=None,
        )  # fmt: skip

    act.__name__ = f"{verb}_node"
    router.post(
        f"/nodes/{{name}}/{verb}", status_code=202, response_model=OperationView, responses=ACCEPTED, summary=summary
    )(act)


_operation("cordon", NodeCordonRequested, "Mark a node unschedulable: no new pod goes there (platform admins)")
_operation("uncordon", NodeUncordonRequested, "Mark a node schedulable again (platform admins)")
_operation(
    "drain",
    NodeDrainRequested,
    "Cordon a node and evict its pods, one controller at a time, DaemonSet pods staying (platform admins)",
)
