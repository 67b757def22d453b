"""Operations: the gateway's record of each command, from ``202`` to its outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from .. import operations
from ..auth import CurrentUser
from ..deps import GatewayParts
from ..operations import OperationState, OperationView
from .params import DNS_LABEL, SERVICE_NAME_MAX, OperationId

router = APIRouter(prefix="/api/v1/operations", tags=["operations"])


@router.get("", response_model=operations.Operations, summary="The newest operations, newest first")
async def list_operations(
    parts: GatewayParts,
    user: CurrentUser,
    service: Annotated[str | None, Query(pattern=DNS_LABEL, max_length=SERVICE_NAME_MAX)] = None,
    namespace: Annotated[str | None, Query(pattern=DNS_LABEL, max_length=63)] = None,
    state: Annotated[OperationState | None, Query(description="only those in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> operations.Operations:
    found = await operations.recent(parts, user, service=service, namespace=namespace, state=state, limit=limit)
    return operations.Operations(operations=found)


@router.get("/{operation_id}", response_model=OperationView, summary="One operation: its steps and outcome")
async def get_operation(parts: GatewayParts, user: CurrentUser, operation_id: OperationId) -> OperationView:
    return await operations.find(parts, user, operation_id)
