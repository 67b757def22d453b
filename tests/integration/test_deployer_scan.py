"""The scan policy and the security scan of installed services, through the deployer on the sim runtime with
the real Trivy, against a real nats-server and both databases: a chart with a privileged container is refused
at the scan step when the policy blocks HIGH findings (nothing installed, the finding named), goes in when a
platform admin overrides, and with a policy that blocks nothing is scanned after its install; a missing Trivy
fails a blocking policy closed and a report of a non-blocking one says why it failed. A scheduled rescan that
finds more than the report before it raises the monitor's alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from quickon_common.contracts.deploy import (
    AppInstalled,
    AppInstallFailed,
    AppInstallRequested,
    AppUpgradeFailed,
    AppUpgradeRequested,
    SagaStepRecorded,
    ServiceScanWorsened,
)
from quickon_common.contracts.market import RepositoryAddRequested
from quickon_common.contracts.monitor import AlertFired
from quickon_common.natsserver import NatsServer
from quickon_deployer.app import DeployerParts
from quickon_deployer.scans import ServiceScanRecord
from support.bus import events, eventually, publish, running
from support.deployer import ask, finished, outcome, platform, request
from support.market import wait_repository
from support.monitor import WITHOUT_PROMETHEUS, monitor_service
from support.scan_charts import risky_repository

NS = "team-a"
BLOCKS: list[Any] = ["HIGH", "CRITICAL"]


def install(service: str, **policy: Any) -> AppInstallRequested:
    return AppInstallRequested(service=service, namespace=NS, app="risky", repository="mine", version="1.0.0", **policy)


async def scanned(url: str, service: str) -> dict[str, Any]:
    """The service's report once the background worker has scanned it."""
    report: dict[str, Any] = {}

    async def done() -> bool:
        nonlocal report
        report = await ask(url, "service_scan", namespace=NS, service=service)
        assert "error" not in report or isinstance(report["error"], str | None), report
        return report["state"] != "scanning"

    await eventually(done, timeout_s=120, what=f"the scan of {service}")
    return report


async def age_report(deployer: DeployerParts, digest: str, *, by: timedelta, without: str | None = None) -> None:
    """Make the kept report of ``digest`` older (and without the findings of check ``without``), as time and an
    older Trivy would have."""
    async with deployer.service.db.session() as session:
        (record,) = (
            await session.exec(select(ServiceScanRecord).where(ServiceScanRecord.manifest_digest == digest))
        ).all()
        findings = [f for f in record.report.get("findings") or [] if f["id"] != without]
        record.report = {**record.report, "findings": findings}
        record.scanned_at = datetime.now(UTC) - by
        session.add(record)
        await session.commit()


def privileged(report: dict[str, Any], service: str) -> dict[str, Any]:
    found = [f for f in report["findings"] if f["id"] == "KSV-0017"]
    assert found, [f["id"] for f in report["findings"]]
    assert (found[0]["severity"], found[0]["object_kind"], found[0]["object_name"]) == ("HIGH", "Deployment", service)
    return found[0]


async def test_the_scan_policy_blocks_warns_and_is_overridden_and_services_are_scanned_after_install(
    nats_server: NatsServer, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = nats_server.url
    repo = risky_repository(tmp_path / "repo")
    async with platform(url, database_url, tmp_path, scan_services=True) as deployer:
        await publish(url, RepositoryAddRequested(repository="mine", url=str(repo)))
        await wait_repository(url, "mine", "ok", apps=1)

        # Blocked: fails at the scan step naming the finding and what to do; nothing of it is installed.
        events = await finished(url, await request(url, install("held", scan_blocks=BLOCKS)))
        failed = outcome(events)
        assert isinstance(failed, AppInstallFailed) and failed.step == "scan", failed
        assert "KSV-0017" in failed.reason and "(HIGH) in Deployment/held" in failed.reason, failed.reason
        assert "override_scan_policy=true" in failed.reason and "Fix the chart" in failed.reason
        assert not any(isinstance(e, SagaStepRecorded) and e.step == "apply" for e in events)
        assert (await ask(url, "service", namespace=NS, service="held"))["error"]["status"] == 404
        assert "held" not in {release for _, release in await deployer.runtime.releases()}

        # A platform admin's override: installed, and said so in the scan step.
        events = await finished(url, await request(url, install("forced", scan_blocks=BLOCKS, scan_override=True)))
        assert isinstance(outcome(events), AppInstalled), outcome(events)
        notes = [e.detail for e in events if isinstance(e, SagaStepRecorded) and e.step == "scan" and e.detail]
        assert any("overridden by a platform admin" in (n or "") for n in notes), notes

        # A policy that blocks only CRITICAL and warns about HIGH: installed, the warning in the scan step's detail,
        # and the report the step made kept for the service.
        warned = install("warned", scan_blocks=["CRITICAL"], scan_warns=["HIGH"])
        events = await finished(url, await request(url, warned))
        assert isinstance(outcome(events), AppInstalled), outcome(events)
        notes = [e.detail or "" for e in events if isinstance(e, SagaStepRecorded) and e.step == "scan"]
        assert any(n.startswith("warning:") and "KSV-0017" in n for n in notes), notes
        privileged(await scanned(url, "warned"), "warned")

        # No blocking policy: no scan on the way, the service scanned after its install.
        events = await finished(url, await request(url, install("open", scan_warns=["CRITICAL"])))
        assert isinstance(outcome(events), AppInstalled), outcome(events)
        report = await scanned(url, "open")
        assert report["state"] == "done" and report["scanner"].startswith("trivy"), report
        assert report["revision"] == 1 and report["counts"]["HIGH"] >= 1
        assert "resolution" in privileged(report, "open")
        assert not [f for f in report["findings"] if f["kind"] != "misconfig"]  # never the secret scanner
        assert privileged(await scanned(url, "forced"), "forced")

        # An upgrade the policy blocks fails at its scan step before anything changes.
        upgrade = AppUpgradeRequested(service="open", namespace=NS, values={"tag": "1.28"}, scan_blocks=BLOCKS)
        failed = outcome(await finished(url, await request(url, upgrade)))
        assert isinstance(failed, AppUpgradeFailed) and failed.step == "scan" and not failed.rolled_back, failed
        detail = await ask(url, "service", namespace=NS, service="open")
        assert (detail["status"], detail["revision"]) == ("running", 1), detail

        # Trivy missing: a blocking policy fails closed with the reason, a non-blocking one installs and its report
        # says why there are no findings.
        monkeypatch.setenv("QC_TRIVY_BIN", str(tmp_path / "no-trivy"))
        failed = outcome(await finished(url, await request(url, install("blind", scan_blocks=BLOCKS))))
        assert isinstance(failed, AppInstallFailed) and failed.step == "scan", failed
        assert "QC_TRIVY_BIN" in failed.reason and "could not run" in failed.reason, failed.reason
        assert isinstance(outcome(await finished(url, await request(url, install("unseen")))), AppInstalled)
        report = await scanned(url, "unseen")
        assert report["state"] == "failed" and "QC_TRIVY_BIN" in report["error"], report

        # Trivy back, and the failure old enough to be tried again: the report is made.
        monkeypatch.delenv("QC_TRIVY_BIN")
        await age_report(deployer, report["manifest_digest"], by=timedelta(hours=1))
        deployer.scans.wake()

        async def made() -> bool:
            return (await ask(url, "service_scan", namespace=NS, service="unseen"))["state"] == "done"

        await eventually(made, timeout_s=120, what="the failed scan of unseen to be made again")

        # Asked about what is not there: a clear refusal.
        assert (await ask(url, "service_scan", namespace=NS, service="nope"))["error"]["status"] == 404


async def test_a_rescan_that_finds_more_raises_the_monitors_alert(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    repo = risky_repository(tmp_path / "repo")
    monitor = monitor_service(url, f"sqlite:///{tmp_path / 'monitor.db'}", tmp_path)
    async with (
        running(monitor, but=WITHOUT_PROMETHEUS),
        platform(url, database_url, tmp_path, scan_services=True, scan_rescan_s=3600) as deployer,
    ):
        await publish(url, RepositoryAddRequested(repository="mine", url=str(repo)))
        await wait_repository(url, "mine", "ok", apps=1)
        assert isinstance(outcome(await finished(url, await request(url, install("web")))), AppInstalled)
        first = await scanned(url, "web")
        privileged(first, "web")

        # The report as an older Trivy, which knew no KSV-0017, would have made it, a day ago.
        await age_report(deployer, first["manifest_digest"], by=timedelta(days=1), without="KSV-0017")
        deployer.scans.wake()

        async def alerted() -> list[AlertFired]:
            found = [e for e, _ in await events(url, "qc.monitor.alert.>") if isinstance(e, AlertFired)]
            return [e for e in found if e.rule == "ServiceScanWorsened"]

        async def fired() -> bool:
            return bool(await alerted())

        await eventually(fired, timeout_s=120, what="the monitor's alert about the rescan")
        (worse,) = [e for e, _ in await events(url, "qc.deploy.scan.>") if isinstance(e, ServiceScanWorsened)]
        assert (worse.service, worse.namespace, worse.revision, worse.worst) == ("web", NS, 1, "HIGH"), worse
        assert [f for f in worse.findings if f.startswith("KSV-0017 Privileged (HIGH) in Deployment/web")], worse
        (alert,) = await alerted()
        assert (alert.labels["service"], alert.labels["namespace"], alert.severity) == ("web", NS, "warning"), alert
        assert "new finding" in alert.summary and "HIGH" in alert.summary, alert.summary
        privileged(await ask(url, "service_scan", namespace=NS, service="web"), "web")  # the new report is kept
