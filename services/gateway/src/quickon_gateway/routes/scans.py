"""Security scans of installed services, and the platform's scan policy that can block installs and upgrades
(see :mod:`quickon_gateway.scan_policy`). The market's scan of a chart version is under ``apps``."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import Field

from quickon_common.contracts.iam import ScanPolicyChanged
from quickon_common.contracts.queries.deployer import SERVICE_SCAN, ServiceRequest, ServiceScan
from quickon_common.scan_report import described, of_severities

from ..auth import AdminUser, CurrentUser
from ..deps import GatewayParts
from ..scan_policy import POLICY_ID, ScanPolicy, ScanPolicyRecord, ScanPolicyView, current
from ..teams.access import ServiceViewer

router = APIRouter(prefix="/api/v1", tags=["scans"])


class ServiceScanView(ServiceScan):
    warnings: list[str] = Field(
        default=[], description="the findings the platform's scan policy blocks or warns about, each said once"
    )


@router.get(
    "/services/{name}/scan", response_model=ServiceScanView,
    summary="The security scan of a service's deployed manifests (Trivy misconfiguration checks)",
)  # fmt: skip
async def service_scan(parts: GatewayParts, access: ServiceViewer) -> ServiceScanView:
    body = ServiceRequest(service=access.name, namespace=access.namespace, caller=access.user.caller())
    report = await parts.reads.ask(SERVICE_SCAN, body)
    policy = await current(parts)
    findings = [f.model_dump() for f in report.findings]
    flagged = of_severities({"findings": findings}, {*policy.block, *policy.warn})
    warnings = [described([finding]) for finding in flagged]
    return ServiceScanView.model_validate({**report.model_dump(), "warnings": warnings})


@router.get(
    "/platform/scan-policy", response_model=ScanPolicyView,
    summary="Which security findings block an install or upgrade, and which only warn (any user may read it)",
)  # fmt: skip
async def get_scan_policy(parts: GatewayParts, _user: CurrentUser) -> ScanPolicyView:
    return await current(parts)


@router.put(
    "/platform/scan-policy", response_model=ScanPolicyView,
    summary="Set which security findings block an install or upgrade, and which warn (platform admins; audited)",
)  # fmt: skip
async def put_scan_policy(parts: GatewayParts, admin: AdminUser, policy: ScanPolicy) -> ScanPolicyView:
    record = ScanPolicyRecord(
        id=POLICY_ID, block=sorted(set(policy.block)), warn=sorted(set(policy.warn)), updated_by=admin.username,
        updated_at=datetime.now(UTC),
    )  # fmt: skip
    async with parts.service.outbox.begin(actor=admin.username) as uow:
        await uow.session.merge(record)
        uow.emit(ScanPolicyChanged(block=record.block, warn=record.warn), subject="platform/scan-policy")
    return await current(parts)
