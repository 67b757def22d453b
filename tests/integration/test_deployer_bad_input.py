"""Bad requests to the deployer: each gets a clear failure event and changes nothing; the service goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickon_common.contracts.asks import RestoreStartAsked, RestoreStopAsked
from quickon_common.contracts.common import Ask
from quickon_common.contracts.deploy import (
    AppInstalled,
    AppInstallFailed,
    AppInstallRequested,
    AppRollbackFailed,
    AppRollbackRequested,
    AppUpgradeRequested,
    ServiceRestartRequested,
    ServiceStarted,
    ServiceStopFailed,
    ServiceStopped,
)
from quickon_common.contracts.market import RepositoryAddRequested
from quickon_common.envelope import Envelope
from quickon_common.natsserver import NatsServer
from quickon_deployer.runtime.simulated import SimRuntime
from support.bus import events, eventually, publish, running
from support.charts import write_repository
from support.deployer import CATALOG, ask, deployer_service, finished, outcome, platform, request
from support.market import market_service, wait_repository

NS = "team-b"
BOMB = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  replicas: {{ .Values.replicaCount | quote }}
{{- if gt (int .Values.replicaCount) 5 }}
{{- fail "replicaCount above 5 is not supported by this chart" }}
{{- end }}
"""


async def install_fails(url: str, event: AppInstallRequested) -> AppInstallFailed:
    failed = outcome(await finished(url, await request(url, event)))
    assert isinstance(failed, AppInstallFailed), failed
    return failed


async def ask_as(url: str, event: Ask, *, team: str) -> str:
    """Publish an ask as the backup service's restore would (its team is the restore's); its operation id."""
    await publish(url, event, envelope=Envelope.new(event, source="backup", actor="alice", team=team))
    assert isinstance(event.operation_id, str)
    return event.operation_id


async def test_bad_installs_fail_clearly_and_leave_nothing(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    async with platform(url, database_url, tmp_path, install_deadline_s=4, upgrade_deadline_s=4) as deployer:
        runtime = deployer.runtime
        assert isinstance(runtime, SimRuntime)
        write_repository(tmp_path / "repo", [{"name": "bomb", "version": "1.0.0", "template": BOMB}])
        await publish(url, RepositoryAddRequested(repository="extra", url=str(tmp_path / "repo")))
        await wait_repository(url, "extra", "ok", apps=1)

        def install(name: str, app: str = "redis", **fields: object) -> AppInstallRequested:
            return AppInstallRequested(service=name, namespace=NS, app=app, **fields)  # type: ignore[arg-type]

        failed = await install_fails(url, install("a", app="no-such-app"))
        assert (failed.step, "no-such-app" in failed.reason) == ("resolve", True)
        failed = await install_fails(url, install("b", version="9.9.9"))
        assert (failed.step, "9.9.9" in failed.reason) == ("resolve", True)
        failed = await install_fails(url, install("c", values={"service": {"port": "not-a-port"}}))
        assert failed.step == "resolve" and "service.port" in failed.reason, failed.reason
        failed = await install_fails(url, install("Bad_Name"))
        assert failed.step == "accept" and "not a valid service name" in failed.reason
        failed = await install_fails(url, install("d", sealed_values="not-a-fernet-token"))
        assert failed.step == "accept" and "cannot be opened" in failed.reason
        failed = await install_fails(url, install("e", app="bomb", repository="extra", values={"replicaCount": 9}))
        assert failed.step == "render" and "replicaCount above 5 is not supported" in failed.reason, failed.reason

        # Does not fit any node: stays pending, fails at its deadline with the scheduler's reason.
        huge = {"resources": {"requests": {"cpu": "64", "memory": "64Mi"}, "limits": {"cpu": "64", "memory": "1Gi"}}}
        failed = await install_fails(url, install("f", values=huge))
        assert failed.step == "wait" and "Insufficient cpu" in failed.reason, failed.reason

        # A taken name is refused; the service that has it is untouched.
        assert isinstance(outcome(await finished(url, await request(url, install("g")))), AppInstalled)
        before = await ask(url, "service", namespace=NS, service="g")
        failed = await install_fails(url, install("g", app="gitea"))
        assert failed.step == "accept" and "exists in 'team-b' already (redis, running)" in failed.reason
        after = await ask(url, "service", namespace=NS, service="g")
        assert (after["app"], after["revision"], after["updated_at"]) == ("redis", 1, before["updated_at"])

        # Nothing of the failed installs stayed: not in the database, not in the cluster.
        names = [s["service"] for s in (await ask(url, "services", namespace=NS))["services"]]
        assert names == ["g"] and await runtime.releases() == [(NS, "g")]

        # A rollback to a revision that does not exist.
        failed_rollback = outcome(
            await finished(url, await request(url, AppRollbackRequested(service="g", namespace=NS, revision=7)))
        )
        assert isinstance(failed_rollback, AppRollbackFailed) and "has no revision 7" in failed_rollback.reason
        assert (await ask(url, "services", namespace=NS))["services"][0]["status"] == "running"

        # Two operations at once on one service: the second is refused, not queued behind a half-done first.
        # The first one's pods never become ready, so it is surely still waiting when the second comes.
        never_ready = {"podAnnotations": {"sim.quickon.io/fail": "never-ready"}}
        first = await request(url, AppUpgradeRequested(service="g", namespace=NS, version="1.0.1", values=never_ready))

        async def first_is_waiting() -> bool:
            return bool((await ask(url, "operation", operation_id=first)).get("step") == "wait")

        await eventually(first_is_waiting, what="the upgrade to wait for its pods")
        second = await request(url, ServiceRestartRequested(service="g", namespace=NS))
        results = [outcome(await finished(url, op)) for op in (first, second)]
        refused = [r for r in results if "busy" in getattr(r, "reason", "")]
        assert len(refused) == 1 and "try again when it has finished" in refused[0].reason  # type: ignore[attr-defined]

        # A restore's ask is accepted as the request it stands for: another team's is refused; asked again
        # (a restore resumed after a crash), it is neither done twice nor refused.
        stop = RestoreStopAsked(service="g", namespace=NS, operation_id="restore-r1:stop")
        crossed = outcome(await finished(url, await ask_as(url, stop, team="team-z")))
        assert isinstance(crossed, ServiceStopFailed) and "not to 'team-z'" in crossed.reason, crossed
        stop = stop.model_copy(update={"operation_id": "restore-r2:stop"})
        assert isinstance(outcome(await finished(url, await ask_as(url, stop, team="team-a"))), ServiceStopped)
        await ask_as(url, stop, team="team-a")
        start = RestoreStartAsked(service="g", namespace=NS, operation_id="restore-r2:start")
        assert isinstance(outcome(await finished(url, await ask_as(url, start, team="team-a"))), ServiceStarted)
        # The asks are read in order: the second stop was seen before the start, and answered nothing new.
        assert isinstance(outcome(await finished(url, stop.operation_id or "")), ServiceStopped)

        # Bad queries are answered with the field at fault.
        assert (await ask(url, "service", namespace=NS))["error"]["status"] == 422
        assert (await ask(url, "service", namespace=NS, service="zzz"))["error"]["status"] == 404
        assert (await ask(url, "operation", operation_id="nope"))["error"]["status"] == 404


async def test_an_unusable_runtime_is_reported_and_operations_fail_at_their_deadline(
    nats_server: NatsServer, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QC_RUNTIME=kubernetes with no kubeconfig and no cluster: /readyz says why; installs fail, clearly."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    url = nats_server.url
    async with platform(
        url, database_url, tmp_path, runtime="kubernetes", install_deadline_s=2, operation_deadline_s=2, ready=False
    ) as deployer:
        assert "no kubeconfig" in (deployer.service.all_checks()["runtime"] or "")
        failed = await install_fails(url, AppInstallRequested(service="x", namespace=NS, app="redis"))
        assert failed.step == "apply" and "the deadline" in failed.reason
        assert "the kubernetes runtime is unavailable: no kubeconfig" in failed.reason, failed.reason
        # Whether the cluster got anything is unknown: the service stays, failed, for an uninstall later.
        [service] = (await ask(url, "services"))["services"]
        assert (service["service"], service["status"], service["operation_id"]) == ("x", "failed", None)
    assert [e for e, _ in await events(url, "qc.deploy.install.completed")] == []


async def test_an_install_accepted_while_the_market_is_away_completes_once_it_is_back(
    nats_server: NatsServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The deployer asks the market for the chart as it accepts the request; that early question
    # fails here (try 1), and the resolve step must treat it as one failed try, not as the answer.
    url = nats_server.url
    deployer = deployer_service(url, f"sqlite:///{tmp_path / 'deployer.db'}", tmp_path)
    async with running(deployer):
        op = await request(url, AppInstallRequested(service="patient", namespace=NS, app="redis", version="1.0.0"))

        async def fourth_try_failed() -> bool:
            return "resolve: the market service does not answer; is it running? (try 4)" in caplog.text

        await eventually(fourth_try_failed, timeout_s=30, what="the install to wait for the market")
        # The next try comes 5 s later: time for the market to start and load its catalog (a market
        # that answers before it has loaded the catalog says the app does not exist).
        market = market_service(url, f"sqlite:///{tmp_path / 'market.db'}", tmp_path, builtin=CATALOG)
        async with running(market):
            await wait_repository(url, "builtin", "ok")
            assert isinstance(outcome(await finished(url, op)), AppInstalled)
