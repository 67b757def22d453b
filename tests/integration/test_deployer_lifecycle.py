"""A built-in catalog app through its whole life on the sim runtime, against a real nats-server and both
databases: install -> stop -> start -> restart -> upgrade -> failed upgrade with automatic rollback ->
manual rollback -> uninstall, checking status, revisions and every event on the way."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sqlmodel import select

from quickon_common.contracts import Event
from quickon_common.contracts.deploy import (
    AppInstalled,
    AppInstallRequested,
    AppRollbackRequested,
    AppRolledBack,
    AppUninstalled,
    AppUninstallRequested,
    AppUpgraded,
    AppUpgradeFailed,
    AppUpgradeRequested,
    ServiceRestarted,
    ServiceRestartRequested,
    ServiceStarted,
    ServiceStartRequested,
    ServiceStatusChanged,
    ServiceStopped,
    ServiceStopRequested,
)
from quickon_common.natsserver import NatsServer
from quickon_deployer.models import OperationRecord, RevisionRecord, ServiceRecord
from quickon_deployer.runtime.simulated import SimRuntime
from support.bus import events, eventually, stream_messages
from support.deployer import ask, finished, outcome, platform, request

NS = "team-a"
PASSWORD = "s3cret-Pa55word"
CRASH = {"podAnnotations": {"sim.quickon.io/fail": "crash-loop"}}


def steps(found: list[Event]) -> list[tuple[str, str]]:
    return [(e.step, e.state) for e in found if type(e).__name__ == "SagaStepRecorded"]  # type: ignore[attr-defined]


async def detail(nats_url: str) -> dict[str, Any]:
    return await ask(nats_url, "service", namespace=NS, service="cache")


async def statuses(nats_url: str) -> list[tuple[str | None, str]]:
    found = await events(nats_url, "qc.deploy.service.status_changed")
    return [(e.previous, e.status) for e, _ in found if isinstance(e, ServiceStatusChanged) and e.service == "cache"]


def redis_password(runtime: SimRuntime) -> str:
    secret = next(o for o in runtime.cluster.objects(namespace=NS, release="cache") if o.kind == "Secret")
    return base64.b64decode(secret.live["data"]["redis-password"]).decode()


async def test_an_app_lives_through_every_operation(nats_server: NatsServer, database_url: str, tmp_path: Path) -> None:
    url = nats_server.url
    async with platform(url, database_url, tmp_path) as deployer:
        runtime = deployer.runtime
        assert isinstance(runtime, SimRuntime)

        # Install: every step recorded, the secret value sealed, the service running.
        op = await request(url, AppInstallRequested(
            service="cache", namespace=NS, app="redis", version="1.0.0", values={"auth": {"password": PASSWORD}},
        ))  # fmt: skip
        found = await finished(url, op)
        assert outcome(found) == AppInstalled(
            service="cache", namespace=NS, app="redis", version="1.0.0", revision=1, operation_id=op
        )
        assert steps(found) == [
            ("resolve", "started"), ("resolve", "completed"), ("render", "started"), ("render", "completed"),
            ("scan", "started"), ("scan", "completed"), ("apply", "started"), ("apply", "completed"),
            ("wait", "started"), ("wait", "completed"), ("expose", "started"), ("expose", "completed"),
        ]  # fmt: skip
        service = await detail(url)
        assert (service["status"], service["version"], service["revision"]) == ("running", "1.0.0", 1)
        assert service["health"]["ready"] and service["health"]["pods"][0]["name"] == "cache-redis-0"
        assert service["secret_values"] == ["auth.password"] and PASSWORD not in str(service)
        assert redis_password(runtime) == PASSWORD
        data = runtime.cluster.volume_path(namespace=NS, claim="cache-redis")
        (data / "dump.rdb").write_text("the user's data")

        # Stop keeps the data and runs no pod; start brings the same volume back.
        found = await finished(url, await request(url, ServiceStopRequested(service="cache", namespace=NS)))
        assert isinstance(outcome(found), ServiceStopped)
        service = await detail(url)
        assert service["status"] == "stopped" and service["health"]["pods"] == []
        found = await finished(url, await request(url, ServiceStartRequested(service="cache", namespace=NS)))
        assert isinstance(outcome(found), ServiceStarted)
        assert (await detail(url))["status"] == "running" and (data / "dump.rdb").read_text() == "the user's data"

        # Restart: a new pod, ready again.
        before = runtime.cluster.status(namespace=NS, release="cache").pods[0].created_at
        found = await finished(url, await request(url, ServiceRestartRequested(service="cache", namespace=NS)))
        assert isinstance(outcome(found), ServiceRestarted)
        pod = runtime.cluster.status(namespace=NS, release="cache").pods[0]
        assert pod.ready and pod.created_at > before

        # Upgrade to 1.0.1 reusing the values (the sealed password too).
        op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="1.0.1"))
        found = await finished(url, op)
        assert outcome(found) == AppUpgraded(
            service="cache", namespace=NS, from_version="1.0.0", to_version="1.0.1", revision=2, operation_id=op
        )
        assert redis_password(runtime) == PASSWORD
        assert runtime.cluster.status(namespace=NS, release="cache").ready

        # An upgrade whose pods crash-loop is rolled back by itself, and says so.
        op = await request(url, AppUpgradeRequested(service="cache", namespace=NS, version="2.0.0", values=CRASH))
        found = await finished(url, op)
        failed = outcome(found)
        assert isinstance(failed, AppUpgradeFailed) and failed.rolled_back and failed.step == "wait"
        assert "CrashLoopBackOff" in failed.reason and "rolled back to revision 2 (now revision 4)" in failed.reason
        assert ("undo_upgrade", "compensated") in steps(found) and ("wait_rollback", "compensated") in steps(found)
        service = await detail(url)
        assert (service["status"], service["version"], service["revision"]) == ("running", "1.0.1", 4)
        assert [(r["revision"], r["version"], r["operation"], r["outcome"]) for r in service["revisions"]] == [
            (1, "1.0.0", "install", "superseded"), (2, "1.0.1", "upgrade", "superseded"),
            (3, "2.0.0", "upgrade", "failed"), (4, "1.0.1", "rollback", "deployed"),
        ]  # fmt: skip
        assert [r.number for r in await runtime.history(namespace=NS, release="cache")] == [1, 2, 3, 4]
        assert runtime.cluster.status(namespace=NS, release="cache").ready

        # Manual rollback to the first revision.
        op = await request(url, AppRollbackRequested(service="cache", namespace=NS, revision=1))
        found = await finished(url, op)
        assert outcome(found) == AppRolledBack(
            service="cache", namespace=NS, to_revision=1, revision=5, operation_id=op
        )
        service = await detail(url)
        assert (service["status"], service["version"], service["revision"]) == ("running", "1.0.0", 5)
        assert (data / "dump.rdb").read_text() == "the user's data"

        # Uninstall, volumes too: nothing is left.
        op = await request(url, AppUninstallRequested(service="cache", namespace=NS, keep_volumes=False))
        assert outcome(await finished(url, op)) == AppUninstalled(
            service="cache", namespace=NS, volumes_kept=False, operation_id=op
        )
        assert (await detail(url))["error"]["status"] == 404
        assert await runtime.releases() == [] and not data.exists()
        async with deployer.service.db.read_session() as session:
            assert (await session.exec(select(ServiceRecord))).all() == []
            assert (await session.exec(select(RevisionRecord))).all() == []
            operations = (await session.exec(select(OperationRecord).order_by(OperationRecord.created_at))).all()
        assert [(o.kind, o.state) for o in operations] == [
            ("install", "completed"), ("stop", "completed"), ("start", "completed"), ("restart", "completed"),
            ("upgrade", "completed"), ("upgrade", "failed"), ("rollback", "completed"), ("uninstall", "completed"),
        ]  # fmt: skip

    assert await statuses(url) == [
        (None, "installing"), ("installing", "running"), ("running", "stopped"), ("stopped", "running"),
        ("running", "upgrading"), ("upgrading", "running"), ("running", "upgrading"), ("upgrading", "running"),
        ("running", "rolling_back"), ("rolling_back", "running"), ("running", "uninstalling"),
    ]  # fmt: skip
    # The password was sealed by the deployer: no event on the bus carries it, save the request itself.
    leaks = [m.subject for m in await stream_messages(url) if PASSWORD.encode() in m.data]
    assert leaks == ["qc.deploy.install.requested"]


async def test_a_crashing_pod_makes_the_service_degraded_and_recovery_running(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    async with platform(url, database_url, tmp_path):
        op = await request(url, AppInstallRequested(service="cache", namespace=NS, app="redis"))
        assert isinstance(outcome(await finished(url, op)), AppInstalled)
        workload = {"namespace": NS, "service": "cache", "kind": "StatefulSet", "name": "cache-redis"}
        answer = await ask(url, "inject", **workload, failure="crash-loop")
        assert answer == {"injected": "crash-loop", "workload": "StatefulSet/cache-redis"}
        # The running pod is replaced by a restart, so the new one crashes.
        await finished(url, await request(url, ServiceRestartRequested(service="cache", namespace=NS)))

        async def status_is(wanted: str) -> bool:
            return bool((await detail(url))["status"] == wanted)

        await eventually(lambda: status_is("degraded"), what="the service to be degraded")
        assert "CrashLoopBackOff" in (await detail(url))["status_reason"]
        await ask(url, "inject", **workload, failure=None)
        await eventually(lambda: status_is("running"), timeout_s=60, what="the service to run again")
        unknown = await ask(url, "inject", **{**workload, "service": "nope"}, failure="crash-loop")
        assert unknown["error"]["status"] == 404
    changes = await statuses(url)
    assert ("running", "degraded") in changes and changes[-1] == ("degraded", "running")


async def test_the_upgrade_preview_shows_changelog_values_and_objects_before_anything_changes(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    async with platform(url, database_url, tmp_path):
        op = await request(url, AppInstallRequested(
            service="cache", namespace=NS, app="redis", version="1.0.0", values={"auth": {"password": PASSWORD}},
        ))  # fmt: skip
        assert isinstance(outcome(await finished(url, op)), AppInstalled)
        preview = await ask(
            url, "preview", namespace=NS, service="cache", version="2.0.0",
            values={"auth": {"password": "another-one"}, "podLabels": {"tier": "cache"}},
        )  # fmt: skip
        assert (preview["from_version"], preview["to_version"], preview["breaking"]) == ("1.0.0", "2.0.0", True)
        assert [entry["version"] for entry in preview["changelog"]] == ["1.0.1", "2.0.0"]
        assert any("CVE-2024-31449" in c["description"] for c in preview["changelog"][0]["changes"])
        changes = {d["path"]: (d["change"], d["before"], d["after"]) for d in preview["values_diff"]}
        assert changes["image.tag"] == ("changed", "7.2.5", "7.4.1")
        assert changes["podLabels.tier"] == ("added", None, "cache")
        assert changes["auth.password"] == ("changed", "***redacted***", "***redacted***")
        diff = preview["manifest_diff"]
        assert diff["added"] == [] and diff["removed"] == []
        changed = {c["object"]: c for c in diff["changed"]}
        statefulset = changed["StatefulSet/cache-redis"]
        assert "spec.template.spec.containers" in statefulset["paths"] and "redis:7.4.1" in statefulset["diff"]
        assert changed["Secret/cache-redis"]["diff"] == "(Secret: contents hidden)"
        assert PASSWORD not in str(preview) and "another-one" not in str(preview)
        # Only a preview: nothing changed.
        service = await detail(url)
        assert (service["version"], service["revision"], len(service["revisions"])) == ("1.0.0", 1, 1)

        bad = await ask(url, "preview", namespace=NS, service="cache", values={"service": {"port": "x"}})
        assert not bad["values_valid"] and bad["values_errors"][0].startswith("service.port")
        missing = await ask(url, "preview", namespace=NS, service="cache", version="9.0.0")
        assert missing["error"]["status"] == 404


async def test_a_slow_wait_is_told_while_it_runs_and_recorded_once(nats_server: NatsServer, tmp_path: Path) -> None:
    # Pods take about a second to be ready: longer than the moment after which a read-only step's
    # start is written on its own (so that followers see it), and it must then be written once.
    url = nats_server.url
    async with platform(url, f"sqlite:///{tmp_path / 'deployer.db'}", tmp_path, sim_delay_scale=0.1) as deployer:
        op = await request(url, AppInstallRequested(service="slow", namespace=NS, app="redis", version="1.0.0"))
        found = await finished(url, op)
        assert isinstance(outcome(found), AppInstalled)
        assert steps(found) == [
            ("resolve", "started"), ("resolve", "completed"), ("render", "started"), ("render", "completed"),
            ("scan", "started"), ("scan", "completed"), ("apply", "started"), ("apply", "completed"),
            ("wait", "started"), ("wait", "completed"), ("expose", "started"), ("expose", "completed"),
        ]  # fmt: skip
        async with deployer.service.db.read_session() as session:
            record = await session.get(OperationRecord, op)
        assert record is not None
        assert [(s["step"], s["state"]) for s in record.steps].count(("wait", "started")) == 1
