"""The platform's scan policy: which severities of security findings in a service's rendered manifests block
an install or an upgrade, and which only warn. Kept by the gateway (platform admins set it) and put on each
install and upgrade request it sends, so that the deployer enforces exactly what the gateway decided and
trusts nothing else on the bus; a platform admin may override it for one request, which that request (and so
the audit log) carries.

Read from the database at each install and upgrade rather than cached: a change must hold at once on every
replica, and one primary-key read is nothing beside what an install costs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlmodel
from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, DateTime

from quickon_common.contracts.deploy import FindingSeverity

from .deps import Parts
from .principal import Principal
from .problems import Problem

POLICY_ID = 1  # one policy for the platform: one row


class ScanPolicyRecord(sqlmodel.SQLModel, table=True):
    __tablename__ = "gateway_scan_policy"

    id: int = sqlmodel.Field(primary_key=True)
    block: list[str] = sqlmodel.Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    warn: list[str] = sqlmodel.Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_by: str | None = sqlmodel.Field(default=None, max_length=255)
    updated_at: datetime = sqlmodel.Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class ScanPolicy(BaseModel):
    """What a platform admin sets (unknown fields refused)."""

    model_config = {"extra": "forbid"}

    block: list[FindingSeverity] = Field(
        default=[], max_length=5,
        description="findings of these severities fail an install or upgrade at its scan step (none: nothing blocks)",
    )  # fmt: skip
    warn: list[FindingSeverity] = Field(
        default=["CRITICAL"], max_length=5,
        description="findings of these severities are named as a warning; the operation goes on",
    )  # fmt: skip


class ScanPolicyView(ScanPolicy):
    updated_by: str | None = Field(default=None, description="the platform admin who set it last; none: the default")
    updated_at: str | None = None


async def current(parts: Parts) -> ScanPolicyView:
    """The platform's policy (the default until a platform admin sets one)."""
    async with parts.service.db.read_session() as session:
        record = await session.get(ScanPolicyRecord, POLICY_ID)
    if record is None:
        return ScanPolicyView()
    return ScanPolicyView.model_validate(
        {"block": record.block, "warn": record.warn, "updated_by": record.updated_by,
         "updated_at": record.updated_at.isoformat()}
    )  # fmt: skip


async def request_fields(parts: Parts, user: Principal, *, override: bool) -> dict[str, Any]:
    """The policy as an install or upgrade request carries it; 403 when someone but a platform admin asks to
    override it."""
    if override and not user.is_admin:
        raise Problem(
            403, "only a platform admin may override the scan policy; fix what the scan finds (GET "
            "/api/v1/apps/{app}/versions/{version}/scan shows it) or ask a platform admin",
        )  # fmt: skip
    policy = await current(parts)
    return {"scan_blocks": policy.block, "scan_warns": policy.warn, "scan_override": override}
