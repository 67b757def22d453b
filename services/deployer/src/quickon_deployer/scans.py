"""Security scans of what each service deploys: Trivy's misconfiguration checks on the manifests the deployer
rendered (as it keeps them: Secret contents replaced by digests, the user's secret values masked), one report
per service and manifest digest.

Not Trivy's secret scanner: those manifests hold the user's own Secret values (as digests, but a key named
like a credential is still flagged), which would bury what the chart gets wrong.

Off the operations' way: an install or upgrade whose policy blocks nothing is scanned afterwards, by one worker
per replica (Trivy takes a core while it runs). The worker looks for deployed revisions whose manifests have
no report yet, so a restart, a rollback or a service from before scans existed is caught up the same way; it
is woken when an operation commits and looks again every ``LOOK_S`` anyway. Two replicas may scan the same
digest; the second report replaces the first, the same.

Rescans: a failed scan is tried again after ``FAILED_RETRY_S``, and a report older than
``QC_DEPLOYER_SCAN_RESCAN_S`` is made again (the manifests have not changed, but a newer Trivy knows more
checks). A rescan that finds HIGH or CRITICAL
findings the report before it did not have is told as ``ServiceScanWorsened``, with the new report in the same
transaction, and the monitor raises its alert.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, DateTime, and_, delete, or_
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from quickon_common.contracts.deploy import ServiceScanWorsened
from quickon_common.outbox import Outbox
from quickon_common.scan_report import described, new_findings, objects_of
from quickon_common.tasks import woken
from quickon_common.trivy import TrivyError
from quickon_common.trivy_scan import manifests_report

from .domain import service_subject
from .models import RevisionRecord, ServiceRecord
from .settings import DeployerSettings

log = logging.getLogger(__name__)

LOOK_S = 30.0  # how often the worker looks for unscanned revisions without being woken
WORSE = ("CRITICAL", "HIGH")  # new findings of these make a rescan worth an alert
# A scan that failed (Trivy missing or broken) is tried again this much later: soon after the operator fixed it,
# without running a broken Trivy at every look.
FAILED_RETRY_S = 600.0


class ServiceScanRecord(SQLModel, table=True):
    """The scan of one service's manifests (by their digest): the report, or why it failed."""

    __tablename__ = "deployer_service_scan"

    service_id: str = Field(primary_key=True, max_length=36)
    manifest_digest: str = Field(primary_key=True, max_length=64)
    state: str = Field(max_length=16)  # done or failed
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error: str | None = None
    scanned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


async def forget_scans(session: AsyncSession, service_id: str) -> None:
    """Drop a service's reports (with the service: nothing asks about them afterwards)."""
    await session.exec(delete(ServiceScanRecord).where(col(ServiceScanRecord.service_id) == service_id))


class ServiceScans:
    """Scanning manifests with Trivy, keeping the reports, and the background worker."""

    def __init__(
        self, outbox: Outbox, settings: DeployerSettings, cache_dir: Path, *, leads: Callable[[], bool] = lambda: True
    ) -> None:
        self.outbox = outbox
        self.leads = leads  # the replica that leads the deployer scans in the background; the others stand by
        self.db = outbox.db
        self.settings = settings
        self.cache_dir = cache_dir
        self._wake = asyncio.Event()

    async def scan(self, manifests: list[dict[str, Any]]) -> dict[str, Any]:
        """The report of ``manifests`` (as stored); :class:`TrivyError` when Trivy cannot run."""
        with tempfile.TemporaryDirectory(prefix="qc-service-scan-") as workdir:
            return await manifests_report(
                Path(workdir), objects=objects_of(manifests), scanners=("misconfig",), cache_dir=self.cache_dir,
                timeout_s=self.settings.scan_timeout_s,
            )  # fmt: skip

    async def keep(self, service_id: str, digest: str, *, report: dict[str, Any], error: str | None) -> None:
        """Keep a report (or the reason there is none) for the service's manifests of ``digest``."""
        record = ServiceScanRecord(
            service_id=service_id, manifest_digest=digest, state="failed" if error else "done", report=report,
            error=error, scanned_at=datetime.now(UTC),
        )  # fmt: skip
        async with self.db.session() as session:
            await session.merge(record)
            await session.commit()

    async def report(self, service_id: str, digest: str) -> ServiceScanRecord | None:
        async with self.db.read_session() as session:
            return await session.get(ServiceScanRecord, (service_id, digest))

    def wake(self) -> None:
        """Look for unscanned revisions now (an operation has just deployed one)."""
        self._wake.set()

    async def work(self) -> None:
        """Scan each deployed revision that has no report, one at a time; never raises. Does nothing when the
        operator turned service scans off (QC_DEPLOYER_SCAN_SERVICES=false)."""
        if not self.settings.scan_services:
            return
        while True:
            self._wake.clear()
            for service_id, digest, number in await self._unscanned() if self.leads() else []:
                await self._scan_revision(service_id, digest, number)
            rescan = self.settings.scan_rescan_s
            await woken(self._wake, min(LOOK_S, rescan) if rescan > 0 else LOOK_S)

    async def _unscanned(self) -> list[tuple[str, str, int]]:
        """(service id, manifest digest, revision) of each service's deployed revision without a report, or with
        one older than the rescan period."""
        now, state, at = datetime.now(UTC), col(ServiceScanRecord.state), col(ServiceScanRecord.scanned_at)
        missing: ColumnElement[bool] = or_(
            state.is_(None), and_(state == "failed", at < now - timedelta(seconds=FAILED_RETRY_S))
        )
        if self.settings.scan_rescan_s > 0:
            missing = or_(missing, at < now - timedelta(seconds=self.settings.scan_rescan_s))
        query = (
            select(RevisionRecord.service_id, RevisionRecord.manifest_digest, RevisionRecord.number)
            .join(ServiceRecord, col(ServiceRecord.id) == col(RevisionRecord.service_id))
            .outerjoin(
                ServiceScanRecord,
                (col(ServiceScanRecord.service_id) == col(RevisionRecord.service_id))
                & (col(ServiceScanRecord.manifest_digest) == col(RevisionRecord.manifest_digest)),
            )
            .where(col(RevisionRecord.number) == col(ServiceRecord.revision), missing)
        )
        async with self.db.read_session() as session:
            return [(str(s), str(d), int(n)) for s, d, n in (await session.exec(query)).all()]

    async def _scan_revision(self, service_id: str, digest: str, number: int) -> None:
        try:
            async with self.db.read_session() as session:
                revision = await session.get(RevisionRecord, (service_id, number))
            if revision is None:
                return  # uninstalled since
            try:
                report, error = await self.scan(revision.objects()), None
            except TrivyError as failed:  # kept as the report's reason, and tried again (FAILED_RETRY_S)
                report, error = {}, str(failed)
            await self._rescanned(service_id, digest, number, report=report, error=error)
            log.info("scanned service %s revision %s: %s", service_id, number, report.get("counts") or error)
        except Exception:  # a database hiccup: the next look tries again
            log.exception("scan of service %s revision %s failed", service_id, number)

    async def _rescanned(
        self, service_id: str, digest: str, number: int, *, report: dict[str, Any], error: str | None
    ) -> None:
        """Keep the new report; when it replaces one that found less, say so on the bus in the same transaction."""
        async with self.outbox.db.read_session() as session:
            before = await session.get(ServiceScanRecord, (service_id, digest))
            service = await session.get(ServiceRecord, service_id)
        found = new_findings(before.report, report, WORSE) if before and before.state == "done" and not error else []
        if not found or service is None:
            await self.keep(service_id, digest, report=report, error=error)
            return
        record = ServiceScanRecord(
            service_id=service_id, manifest_digest=digest, state="done", report=report, error=None,
            scanned_at=datetime.now(UTC),
        )  # fmt: skip
        event = ServiceScanWorsened(
            service=service.name, namespace=service.namespace, revision=number,
            worst=found[0]["severity"], findings=[described([f]) for f in found],
        )  # fmt: skip
        async with self.outbox.begin(team=service.team) as uow:
            await uow.session.merge(record)
            uow.emit(event, subject=service_subject(service.namespace, service.name))
