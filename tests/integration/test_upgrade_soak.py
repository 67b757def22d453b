"""Health-gated upgrades (``soak_seconds``): once the new revision is ready, the deployer watches the service's
alerts for the soak, and one that fires rolls the upgrade back, naming it.

The first test runs it all for real: the deployer on the sim runtime, a real Prometheus (Debian's, scraping
the simulated cluster's exporters every second, as the monitor's configuration says), the real monitor with
its default rules, and a real nats-server. The new revision crash-loops during its soak: the monitor's
ServiceRestarting fires about its pod and the upgrade is rolled back by itself. Then an upgrade soaks while
another service of the namespace crash-loops: that one's alert is not this one's, and it completes.

The second restarts the deployer during a soak, with an alert published meanwhile as the monitor publishes
them: the resumed step keeps its window (one start, not two) and hears the alert it missed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from quickon_common.contracts import Event
from quickon_common.contracts.deploy import (
    AppInstalled,
    AppInstallRequested,
    AppUpgraded,
    AppUpgradeFailed,
    AppUpgradeRequested,
    SagaStepRecorded,
)
from quickon_common.contracts.monitor import AlertFired
from quickon_common.envelope import Envelope
from quickon_common.natsserver import NatsServer
from quickon_deployer.app import DeployerParts
from quickon_monitor.app import build as build_monitor
from quickon_monitor.settings import MonitorSettings
from support.bus import events, eventually, publish, running, settings_for
from support.deployer import CATALOG, ask, deployer_parts, finished, outcome, platform, request
from support.market import market_service, wait_repository
from support.prometheus import scraping

NS = "team-soak"
# A crash-looping pod must not fail the rollback's wait before the test heals the workload (the sim's failure
# is the workload's, not the revision's; a real bad revision's pods would be replaced by good ones).
PATIENT = {"failure_grace_s": 30, "sim_disk_scan_s": 0}


def steps(found: list[Event]) -> list[tuple[str, str]]:
    return [(e.step, e.state) for e in found if isinstance(e, SagaStepRecorded)]


async def install(url: str, name: str) -> None:
    op = await request(url, AppInstallRequested(service=name, namespace=NS, app="redis", version="1.0.0"))
    assert isinstance(outcome(await finished(url, op)), AppInstalled)


async def soaking(url: str, operation_id: str) -> None:
    """Until the upgrade's soak has started (its start, the window's, is on record)."""

    async def started() -> bool:
        return any(
            isinstance(e, SagaStepRecorded) and e.operation_id == operation_id and e.step == "soak"
            and e.state == "started"
            for e, _ in await events(url, "qc.deploy.saga.step")
        )  # fmt: skip

    await eventually(started, what=f"the soak of {operation_id}")


def statefulset(deployer: DeployerParts, service: str) -> str:
    found = deployer.runtime.cluster.objects(namespace=NS, release=service)  # type: ignore[attr-defined]
    return next(o.name for o in found if o.kind == "StatefulSet")


async def crash(url: str, deployer: DeployerParts, service: str, failure: str | None = "crash-loop") -> None:
    """Make every pod of the service's StatefulSet crash-loop from now on (None: heal them)."""
    answer = await ask(url, "inject", namespace=NS, service=service, kind="StatefulSet",
                       name=statefulset(deployer, service), failure=failure)  # fmt: skip
    assert answer.get("injected") == failure, answer


async def fired_about(url: str, pod: str) -> AlertFired:
    """The monitor's first alert about ``pod`` of the namespace, once it fired."""
    found: list[AlertFired] = []

    async def fired() -> bool:
        found[:] = [
            e for e, _ in await events(url, "qc.monitor.alert.fired")
            if isinstance(e, AlertFired) and e.labels.get("pod") == pod and e.namespace == NS
        ]  # fmt: skip
        return bool(found)

    await eventually(fired, timeout_s=60, what=f"an alert about pod {pod}")
    return found[0]


async def scraped(prometheus: str, promql: str) -> None:
    """Until Prometheus answers ``promql`` with a sample."""

    async def answered() -> bool:
        async with httpx.AsyncClient(base_url=prometheus, timeout=10) as api:
            response = await api.get("/api/v1/query", params={"query": promql})
        return bool(response.json()["data"]["result"])

    await eventually(answered, what=promql)


@asynccontextmanager
async def watched(url: str, deployer: DeployerParts, tmp_path: Path) -> AsyncIterator[str]:
    """Prometheus scraping the simulated cluster every second, and the monitor evaluating its default rules
    against it every 0.3 s; Prometheus' URL."""
    async with scraping(deployer, tmp_path) as prometheus:
        settings = settings_for("monitor", nats_url=url, database_url=f"sqlite:///{tmp_path / 'monitor.db'}",
                                var_dir=tmp_path)  # fmt: skip
        monitor = build_monitor(settings, MonitorSettings(prometheus_url=prometheus.url, evaluation_interval_s=0.3))
        async with running(monitor.service):
            yield prometheus.url


async def test_a_revision_that_crash_loops_while_it_soaks_is_rolled_back_naming_the_alert(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url, database = nats_server.url, f"sqlite:///{tmp_path / 'deployer.db'}"
    async with (
        platform(url, database, tmp_path, **PATIENT) as deployer,
        watched(url, deployer, tmp_path) as prometheus,
    ):
        await install(url, "cache")
        await install(url, "cache-2")  # a neighbour whose name starts with the other's
        # Samples of the pods' restart counters before they crash, as on a cluster that watches them all along
        # (increase() counts from a sample: a series first seen at 4 restarts has not increased yet).
        await scraped(prometheus, f'count(kube_pod_container_status_restarts_total{{namespace="{NS}"}}) == 2')
        # The new revision is ready, then crash-loops during its soak: the monitor's rule fires about its pod.
        op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.1",
                                                     soak_seconds=120))  # fmt: skip
        await soaking(url, op)
        await crash(url, deployer, "cache")
        [pod] = [p.name for p in (await deployer.runtime.health(namespace=NS, release="cache")).pods]
        alert = await fired_about(url, pod)
        await crash(url, deployer, "cache", None)  # healed: the rollback's pods run, as the previous revision's do
        found = await finished(url, op)
        failed = outcome(found)
        assert isinstance(failed, AppUpgradeFailed), failed
        assert (failed.step, failed.rolled_back, failed.alert, failed.alert_id) == (
            "soak", True, "ServiceRestarting", alert.alert_id,
        )  # fmt: skip
        assert failed.reason.startswith(f"alert ServiceRestarting (pod {pod} in {NS} restarted "), failed.reason
        assert "fired during the 120 s soak" in failed.reason
        assert "rolled back to revision 1 (now revision 3)" in failed.reason
        assert ("wait", "completed") in steps(found) and ("soak", "failed") in steps(found)
        assert ("undo_upgrade", "compensated") in steps(found) and ("wait_rollback", "compensated") in steps(found)
        service = await ask(url, "service", namespace=NS, service="cache")
        assert (service["version"], service["revision"], service["status"]) == ("1.0.0", 3, "running")
        assert deployer.runtime.cluster.status(namespace=NS, release="cache").ready  # type: ignore[attr-defined]

        # A healthy upgrade soaks while its neighbour crash-loops: the neighbour's alert is not its own.
        op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.1",
                                                     soak_seconds=12))  # fmt: skip
        await soaking(url, op)
        await crash(url, deployer, "cache-2")
        [neighbour] = [p.name for p in (await deployer.runtime.health(namespace=NS, release="cache-2")).pods]
        noise = await fired_about(url, neighbour)
        found = await finished(url, op)
        upgraded = outcome(found)
        assert isinstance(upgraded, AppUpgraded) and (upgraded.to_version, upgraded.revision) == ("1.0.1", 4)
        assert ("soak", "completed") in steps(found)
        # The neighbour's alert fired within the soak (before the upgrade completed), and was not this service's.
        stream = [e for e, _ in await events(url, "qc.>")]
        assert stream.index(noise) < stream.index(upgraded)
        service = await ask(url, "service", namespace=NS, service="cache")
        assert (service["version"], service["revision"], service["status"]) == ("1.0.1", 4, "running")


async def test_a_soak_keeps_its_window_and_hears_an_alert_across_a_deployer_restart(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url, database = nats_server.url, f"sqlite:///{tmp_path / 'deployer.db'}"
    market = market_service(url, f"sqlite:///{tmp_path / 'market.db'}", tmp_path, builtin=CATALOG)
    async with running(market):
        await wait_repository(url, "builtin", "ok")
        first = deployer_parts(url, database, tmp_path)
        async with running(first.service):
            await install(url, "cache")
            op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.1",
                                                         soak_seconds=300))  # fmt: skip
            await soaking(url, op)
            [pod] = [p.name for p in (await first.runtime.health(namespace=NS, release="cache")).pods]
        # The deployer is down; the monitor announces an alert about the new revision's pod meanwhile.
        await publish_alert(url, pod)
        second = deployer_parts(url, database, tmp_path)
        async with running(second.service):
            found = await finished(url, op)
        failed = outcome(found)
        assert isinstance(failed, AppUpgradeFailed) and failed.rolled_back and failed.alert == "ServiceRestarting"
        assert "alert ServiceRestarting (pod restarted 4 times) fired during the 300 s soak" in failed.reason
        # One window: the resumed step went on with the one on record rather than starting another.
        assert [s for s in steps(found) if s[0] == "soak"] == [("soak", "started"), ("soak", "failed")]


async def publish_alert(url: str, pod: str, **fields: Any) -> None:
    """An alert fired as the monitor's restarts rule announces one."""
    alert = AlertFired(
        alert_id=f"alert-{pod}", rule="ServiceRestarting", rule_id="builtin-restarts", namespace=NS, severity="warning",
        labels={"namespace": NS, "pod": pod}, value=4, origin="prometheus", summary="pod restarted 4 times",
        started_at=datetime.now(UTC).isoformat(), **fields,
    )  # fmt: skip
    await publish(url, alert, envelope=Envelope.new(alert, source="monitor", team=NS))
