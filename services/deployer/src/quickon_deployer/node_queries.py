"""The cluster's nodes as the runtime reads them, for platform admins: the list and one node with its pods."""

from __future__ import annotations

from dataclasses import asdict

from sqlmodel import col, select

from quickon_common.contracts.queries import deployer as contract
from quickon_common.contracts.queries.deployer import NodeRequest, NodesRequest
from quickon_common.db import Database
from quickon_common.queries import QueryError, caller_of
from quickon_common.saga.record import RUNNING_STATES
from quickon_common.service import Service

from .models import OperationRecord
from .plans import NODE_KINDS, NODE_NAMESPACE
from .runtime.base import NodeInfo, NodeNotFound, Runtime, RuntimeFailure


def _admin_only(request: NodesRequest) -> None:
    if not caller_of(request).is_admin:
        raise QueryError(403, "the cluster's nodes are shown to platform admins only")


def _summary(node: NodeInfo, operation_id: str | None) -> dict[str, object]:
    found = asdict(node)
    found.pop("pods")
    for name in ("memory_capacity", "memory_allocatable", "memory_requested"):
        found[f"{name}_bytes"] = found.pop(name)
    return {**found, "operation_id": operation_id}


async def _running(db: Database) -> dict[str, str]:
    """The node operations running now: node -> operation id."""
    async with db.read_session() as session:
        found = await session.exec(
            select(OperationRecord).where(
                OperationRecord.namespace == NODE_NAMESPACE,
                col(OperationRecord.state).in_(RUNNING_STATES),
                col(OperationRecord.kind).in_(NODE_KINDS),
            )
        )
        return {op.service: op.id for op in found}


def register(service: Service, *, runtime: Runtime) -> None:
    """Answer the node queries from ``runtime``."""

    def unavailable(failure: RuntimeFailure) -> QueryError:
        return QueryError(503, f"the {runtime.name} runtime cannot tell its nodes: {failure.reason}")

    @service.answers(contract.NODES)
    async def nodes(request: NodesRequest) -> contract.Nodes:
        """Every node: capacity, allocatable, requests, conditions, taints, cordoned, kubelet version."""
        _admin_only(request)
        try:
            found = await runtime.nodes()
        except RuntimeFailure as failure:
            raise unavailable(failure) from None
        running = await _running(service.db)
        return contract.Nodes.model_validate(
            {"runtime": runtime.name, "nodes": [_summary(node, running.get(node.name)) for node in found]}
        )

    @service.answers(contract.NODE)
    async def node(request: NodeRequest) -> contract.NodeDetail:
        """One node and the pods bound to it."""
        _admin_only(request)
        try:
            found = await runtime.node(request.node)
        except NodeNotFound as missing:
            raise QueryError(404, f"{missing.reason}; `qc nodes` lists them") from None
        except RuntimeFailure as failure:
            raise unavailable(failure) from None
        running = await _running(service.db)
        pods = [{**asdict(pod), "memory_requested_bytes": pod.memory_requested} for pod in found.pods]
        for pod in pods:
            pod.pop("memory_requested")
        return contract.NodeDetail.model_validate({**_summary(found, running.get(found.name)), "pods": pods})
