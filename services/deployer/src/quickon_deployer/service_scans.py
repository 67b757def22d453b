"""The deployer's ``service_scan`` query: a service's deployed manifests as its scan found them."""

from __future__ import annotations

from quickon_common.contracts.queries import deployer as contract
from quickon_common.contracts.queries.deployer import ServiceRequest
from quickon_common.queries import QueryError, caller_of
from quickon_common.service import Service

from .models import RevisionRecord
from .queries import find_service
from .scans import ServiceScans


def register(service: Service, scans: ServiceScans) -> None:
    """Wire the ``service_scan`` query into ``service``."""

    @service.answers(contract.SERVICE_SCAN)
    async def service_scan(request: ServiceRequest) -> contract.ServiceScan:
        """The report of the deployed revision's manifests; ``scanning`` while the worker has it to do."""
        record = await find_service(service.db, request, caller_of(request))
        async with service.db.read_session() as session:
            revision = await session.get(RevisionRecord, (record.id, record.revision)) if record.revision else None
        if revision is None:
            raise QueryError(
                409, f"{record.name} has no deployed revision yet ({record.status}); ask again once its install has "
                "finished",
            )  # fmt: skip
        head = {
            "service": record.name, "namespace": record.namespace, "revision": revision.number,
            "manifest_digest": revision.manifest_digest,
        }  # fmt: skip
        found = await scans.report(record.id, revision.manifest_digest)
        if found is None:
            state = "scanning" if scans.settings.scan_services else "off"
            scans.wake()
            return contract.ServiceScan.model_validate({**head, "state": state})
        return contract.ServiceScan.model_validate(
            {
                **head, "state": found.state, "scanner": found.report.get("scanner"),
                "scanned_at": found.scanned_at.isoformat(), "error": found.error,
                "counts": found.report.get("counts") or {}, "findings": found.report.get("findings") or [],
                "images": found.report.get("images") or [],
            }
        )  # fmt: skip
