"""What the backup service needs to back a service up (``qc.query.deployer.backup_source``): the release
as recorded (secret values still sealed), its rendered objects (Secret contents as digests) and its
volumes — on ``sim`` each claim's directory, which the backup service reads and writes directly; on a
runtime that cannot copy volumes, the claims the release's objects make, with no directory."""

from __future__ import annotations

from typing import Any

from quickon_common.contracts.queries import Caller
from quickon_common.contracts.queries.deployer import BACKUP_SOURCE, BackupSource, ServiceRequest
from quickon_common.queries import QueryError
from quickon_common.service import Service

from .domain import claims_of
from .models import RevisionRecord, ServiceRecord
from .queries import find_service
from .runtime.base import Runtime
from .runtime.sim import NotFoundError
from .runtime.simulated import SimRuntime


def register(service: Service, *, runtime: Runtime) -> None:
    """Wire the ``backup_source`` query into ``service``."""

    @service.answers(BACKUP_SOURCE)
    async def backup_source(request: ServiceRequest) -> BackupSource:
        record = await find_service(service.db, request, Caller.platform())  # the backup service asks
        async with service.db.read_session() as session:
            revision = await session.get(RevisionRecord, (record.id, record.revision))
        if revision is None or not record.version:
            raise QueryError(409, f"{record.name} has no deployed revision yet ({record.status}); try when it has")
        manifests = revision.objects()
        return BackupSource.model_validate({
            "service": record.name, "namespace": record.namespace, "team": record.team, "app": record.app,
            "repository": record.repository, "version": record.version, "revision": record.revision,
            "status": record.status, "operation_id": record.operation_id, "values": record.values,
            "sealed_secrets": record.sealed_secrets, "secret_paths": record.secret_paths, "manifests": manifests,
            "runtime": runtime.name, "volumes": _volumes(runtime, record, manifests),
            "exposure": record.exposure or {}, "exposure_secrets": record.exposure_secrets,
        })  # fmt: skip


def _volumes(runtime: Runtime, record: ServiceRecord, manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The release's claims; on ``sim`` with the directory holding each one's data, elsewhere with none
    (the backup service then refuses to back up data it cannot copy, rather than leave it out)."""
    if not isinstance(runtime, SimRuntime) or not runtime.copies_volumes:
        return [{"claim": claim, "path": None} for claim in claims_of(manifests)]
    try:
        status = runtime.cluster.status(namespace=record.namespace, release=record.name)
    except NotFoundError:
        return []
    return [{"claim": c.name, "size": c.size, "path": c.path, "owner": c.owner} for c in status.claims]
