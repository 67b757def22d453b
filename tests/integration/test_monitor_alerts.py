"""The monitor against a real Prometheus (Debian's, on a free port, scraping every second) and a real
nats-server: a platform component whose /metrics stops answering fires the component rule (``up == 0`` of
its job) only once ``for`` has passed, and resolves when it answers again; a silence holds an alert back
until it is expired; five failed logins of one user fire the behaviour rule; and the monitor SIGKILLed
after a round committed an alert, before its relay published it, announces it exactly once after restart.

The component is a real HTTP /metrics endpoint (prometheus-client's own server) named as the platform's
scrape jobs are (``quickon-<service>``); rules are changed through the requests the gateway publishes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from quickon_common.contracts.audit import AuditVerificationFailed
from quickon_common.contracts.backup import BackupCompleted, BackupFailed
from quickon_common.contracts.deploy import AppUninstallRequested
from quickon_common.contracts.iam import UserLoginFailed
from quickon_common.contracts.monitor import (
    AlertFired,
    AlertResolved,
    AlertRuleFailed,
    AlertRuleRequested,
    AlertRuleSaved,
    Matcher,
    RuleSpec,
    SilenceExpired,
    SilenceRequested,
    SilenceSet,
)
from quickon_common.db import Database
from quickon_common.envelope import Envelope
from quickon_common.migrations import migrate
from quickon_common.natsserver import NatsServer, free_port
from quickon_common.prometheusserver import PrometheusServer
from quickon_monitor.alerts import aware
from quickon_monitor.app import build
from quickon_monitor.migrations import MIGRATIONS
from quickon_monitor.models import AlertRecord, HitRecord, RuleRecord
from quickon_monitor.settings import MonitorSettings
from support.bus import connect, events, eventually, publish, query, running, service_environment, settings_for
from support.prometheus import Component

FOR_S = 2.0


def prometheus_config(path: Path, jobs: dict[str, int]) -> Path:
    scrape = "\n".join(
        f"  - job_name: {job}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']" for job, port in jobs.items()
    )
    path.write_text(f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n{scrape}\n")
    return path


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[PrometheusServer, Component, int]]:
    """Prometheus scraping a running component (quickon-market) and one that is down (quickon-audit)."""
    component, absent = Component(), free_port()
    component.start()
    config = prometheus_config(tmp_path / "prometheus.yml", {"quickon-market": component.port, "quickon-audit": absent})
    with PrometheusServer(config, tmp_path / "prometheus") as server:
        yield server, component, absent
    component.stop()


async def fired_and_resolved(nats_url: str) -> tuple[list[AlertFired], list[AlertResolved]]:
    found = [e for e, _ in await events(nats_url, "qc.monitor.alert.>")]
    return [e for e in found if isinstance(e, AlertFired)], [e for e in found if isinstance(e, AlertResolved)]


async def outcome(nats_url: str, operation_id: str, kind: type[Any]) -> None:
    async def done() -> bool:
        return any(
            isinstance(e, kind) and e.operation_id == operation_id for e, _ in await events(nats_url, "qc.monitor.>")
        )

    await eventually(done, what=f"{kind.__name__} of {operation_id}")


async def request(nats_url: str, event: Any, kind: type[Any]) -> None:
    """Publish a request as the gateway does (an operation id, a platform admin, no team) and await its outcome."""
    operation_id = str(uuid.uuid4())
    event = event.model_copy(update={"operation_id": operation_id})
    await publish(nats_url, event, envelope=Envelope.new(event, source="gateway", actor="admin"))
    await outcome(nats_url, operation_id, kind)


def component_rule(for_s: float) -> RuleSpec:
    return RuleSpec(
        name="PlatformComponentDown", template="component_down", for_s=for_s, severity="critical",
        summary="platform component {{ $labels.job }} ({{ $labels.instance }}) is down",
    )  # fmt: skip


async def alerts(nats_url: str, state: str = "all") -> list[dict[str, Any]]:
    reply = await query(nats_url, "qc.query.monitor.alerts", {"state": state, "caller": {"is_admin": True}})
    found: list[dict[str, Any]] = reply["alerts"]
    return found


async def test_a_stopped_component_fires_after_for_is_silenced_and_resolves(
    nats_server: NatsServer, database_url: str, tmp_path: Path, prometheus: tuple[PrometheusServer, Component, int]
) -> None:
    server, component, _ = prometheus
    url = nats_server.url
    settings = settings_for("monitor", nats_url=url, database_url=database_url, var_dir=tmp_path)
    parts = build(settings, MonitorSettings(prometheus_url=server.url, evaluation_interval_s=0.3))
    # A second replica on the same database: only the lease's holder evaluates, so each alert fires once.
    replica = build(settings, MonitorSettings(prometheus_url=server.url, evaluation_interval_s=0.3))
    async with running(parts.service), running(replica.service):
        # quickon-audit is down from the start: silence it first, then shorten the rule's `for`.
        silence_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        silence = SilenceRequested(
            silence_id=silence_id, matchers=[Matcher(name="job", value="quickon-audit")], starts_at=now.isoformat(),
            ends_at=(now + timedelta(hours=1)).isoformat(), comment="known down",
        )  # fmt: skip
        await request(url, silence, SilenceSet)
        rule = AlertRuleRequested(action="update", rule_id="builtin-component-down", spec=component_rule(FOR_S))
        await request(url, rule, AlertRuleSaved)
        # PromQL Prometheus cannot parse is refused, saying so, and nothing is saved.
        broken = AlertRuleRequested(action="create", rule_id="broken", spec=RuleSpec(name="Broken", expr="sum(("))
        await request(url, broken, AlertRuleFailed)
        failed = [e for e, _ in await events(url, "qc.monitor.rule.failed") if isinstance(e, AlertRuleFailed)]
        assert "expr: Prometheus cannot parse it" in failed[0].reason
        async with parts.service.db.read_session() as session:
            assert await session.get(RuleRecord, "broken") is None

        async def firing(job: str) -> dict[str, Any] | None:
            return next((a for a in await alerts(url, "firing") if a["labels"].get("job") == job), None)

        async def audit_firing() -> bool:
            return await firing("quickon-audit") is not None

        await eventually(audit_firing, what="the down component's alert to fire")
        audit = await firing("quickon-audit")
        assert audit is not None and audit["silenced"] is True
        # `for` was respected: it was pending at least FOR_S before firing.
        assert datetime.fromisoformat(audit["fired_at"]) - datetime.fromisoformat(audit["active_at"]) >= timedelta(
            seconds=FOR_S
        )
        fired, _ = await fired_and_resolved(url)
        assert [f for f in fired if f.labels.get("job") == "quickon-audit"] == []  # silenced: not announced

        component.stop()  # the market's /metrics stops answering

        async def market_fired() -> bool:
            fired, _ = await fired_and_resolved(url)
            return any(f.labels.get("job") == "quickon-market" for f in fired)

        await eventually(market_fired, what="AlertFired for the stopped component")
        fired, _ = await fired_and_resolved(url)
        market = [f for f in fired if f.labels.get("job") == "quickon-market"]
        assert len(market) == 1 and market[0].severity == "critical" and market[0].rule == "PlatformComponentDown"
        assert market[0].summary == f"platform component quickon-market (127.0.0.1:{component.port}) is down"
        assert market[0].origin == "prometheus" and market[0].team is None

        component.start()  # back

        async def market_resolved() -> bool:
            _, resolved = await fired_and_resolved(url)
            return any(r.alert_id == market[0].alert_id for r in resolved)

        await eventually(market_resolved, what="AlertResolved once the component is back")

        await request(url, SilenceRequested(silence_id=silence_id, expire=True), SilenceExpired)

        async def audit_announced() -> bool:
            fired, _ = await fired_and_resolved(url)
            return any(f.labels.get("job") == "quickon-audit" for f in fired)

        await eventually(audit_announced, what="the silenced alert announced once its silence ended")
        fired, resolved = await fired_and_resolved(url)
        assert len([f for f in fired if f.labels.get("job") == "quickon-audit"]) == 1
        assert len([f for f in fired if f.labels.get("job") == "quickon-market"]) == 1  # fired once, not per round
        assert len(resolved) == 1


async def test_behaviour_rules_fire_from_the_event_stream(
    nats_server: NatsServer, database_url: str, tmp_path: Path, prometheus: tuple[PrometheusServer, Component, int]
) -> None:
    """Five failed logins of one user; an uninstall on a Sunday night; a dead letter; a failed audit
    verification; backups of one service failing twice (cleared by the next success)."""
    server, _, _ = prometheus
    url = nats_server.url
    settings = settings_for("monitor", nats_url=url, database_url=database_url, var_dir=tmp_path)
    parts = build(settings, MonitorSettings(prometheus_url=server.url, evaluation_interval_s=5))

    async def hits(key: str) -> int:
        async with parts.service.db.read_session() as session:
            return len((await session.exec(select(HitRecord).where(HitRecord.key == key))).all())

    async def fired_by(rule: str) -> list[AlertFired]:
        return [f for f in (await fired_and_resolved(url))[0] if f.rule == rule]

    async with running(parts.service):
        for i in range(4):
            await publish(url, UserLoginFailed(username="mallory", reason="wrong password"))
            await publish(url, UserLoginFailed(username=f"other-{i}", reason="wrong password"))

        async def four_seen() -> bool:
            return await hits("mallory") == 4

        await eventually(four_seen, what="the monitor to count the first four failed logins")
        assert await fired_by("RepeatedLoginFailures") == []
        await publish(url, UserLoginFailed(username="mallory", reason="wrong password"))

        async def logins_fired() -> bool:
            return bool(await fired_by("RepeatedLoginFailures"))

        await eventually(logins_fired, what="the failed-logins rule to fire")
        await publish(url, UserLoginFailed(username="mallory", reason="wrong password"))  # a sixth: same alert

        async def sixth_seen() -> bool:
            return await hits("mallory") == 6

        await eventually(sixth_seen, what="the sixth failed login counted")

        # An uninstall asked for at 03:00 on a Sunday, and one on a Monday at noon (working hours).
        for name, moment in (
            ("night", datetime(2026, 12, 6, 3, 0, tzinfo=UTC)),
            ("noon", datetime(2026, 12, 7, 12, 0, tzinfo=UTC)),
        ):
            asked = AppUninstallRequested(service=name, namespace="shop", operation_id=str(uuid.uuid4()))
            await publish(url, asked, envelope=replace(Envelope.new(asked, source="gateway", actor="eve"), time=moment))
        await publish(url, AuditVerificationFailed(first_bad_sequence=17, reason="hash mismatch"))
        for _ in range(2):
            await publish(url, BackupFailed(backup_id=str(uuid.uuid4()), service="db", namespace="shop", reason="disk"))
        nc = await connect(url)
        try:
            headers = {"qc-dlq-consumer": "deployer-install", "qc-dlq-subject": "qc.deploy.install.requested",
                       "qc-dlq-reason": "bad chart", "qc-dlq-stream-sequence": "7"}  # fmt: skip
            await nc.jetstream().publish("qc.dlq.deployer", b"{}", headers=headers)
        finally:
            await nc.close()

        async def all_fired() -> bool:
            names = {"UninstallOutsideWorkingHours", "AuditVerificationFailed", "BackupFailing", "EventDeadLettered"}
            return names <= {f.rule for f in (await fired_and_resolved(url))[0]}

        await eventually(all_fired, what="every behaviour rule to fire")
        uninstalls = await fired_by("UninstallOutsideWorkingHours")
        assert [(u.labels["service"], u.labels["actor"]) for u in uninstalls] == [("night", "eve")]
        backups = await fired_by("BackupFailing")
        assert backups[0].summary == "backups of db in shop failed 2 times in a row"
        dead = await fired_by("EventDeadLettered")
        assert dead[0].labels["consumer"] == "deployer-install" and dead[0].severity == "critical"
        assert (await fired_by("AuditVerificationFailed"))[0].value == 17

        done = BackupCompleted(backup_id="ok", service="db", namespace="shop", size_bytes=1, parts=1, location="x")
        await publish(url, done)

        async def backup_cleared() -> bool:
            return any(r.alert_id == backups[0].alert_id for r in (await fired_and_resolved(url))[1])

        await eventually(backup_cleared, what="a successful backup to resolve the backup alert")
    found = await fired_by("RepeatedLoginFailures")
    assert len(found) == 1
    assert found[0].labels["username"] == "mallory" and found[0].origin == "behaviour"
    assert found[0].summary == "5 failed logins for user mallory within 5 minutes"


def start_monitor(
    database_url: str, nats_url: str, prometheus_url: str, log: Path, **extra: str
) -> subprocess.Popen[bytes]:
    # QC_INSTANCE: started again under its name, it leads again at once (another would wait for the lease).
    env = {**os.environ, **service_environment("monitor", nats_url=nats_url), "QC_MONITOR_DATABASE_URL": database_url,
           "QC_MONITOR_PROMETHEUS_URL": prometheus_url, "QC_MONITOR_EVALUATION_INTERVAL_S": "0.3",
           "QC_MONITOR_HTTP_PORT": str(free_port()), "QC_VAR_DIR": str(log.parent), "QC_INSTANCE": "monitor-1",
           **extra}  # fmt: skip
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "quickon_monitor"], stdout=out, stderr=out, env=env)


def stopped(process: subprocess.Popen[bytes]) -> bool:
    return Path(f"/proc/{process.pid}/stat").read_text().split(") ", 1)[1].startswith("T")


async def test_a_monitor_killed_between_evaluation_and_publish_announces_once(
    nats_server: NatsServer, database_url: str, tmp_path: Path, prometheus: tuple[PrometheusServer, Component, int]
) -> None:
    server, _, _ = prometheus
    url = nats_server.url
    db = Database(database_url)
    await migrate(db, MIGRATIONS)
    spec = RuleSpec(name="AlwaysOn", expr="vector(1)", summary="value {{ $value }}")
    async with db.session() as session:  # a rule that holds at once, so that the first round fires it
        session.add(RuleRecord(id="always", name=spec.name, kind="prometheus", spec=spec.model_dump(mode="json"),
                               updated_at=datetime.now(UTC)))  # fmt: skip
        await session.commit()
    log = tmp_path / "monitor.log"
    first = start_monitor(database_url, url, server.url, log, QC_MONITOR_FAILPOINT="after_commit")
    try:
        await eventually(lambda: asyncio.sleep(0, stopped(first)), timeout_s=60, what="the failpoint after the commit")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert [f for f in (await fired_and_resolved(url))[0] if f.rule == "AlwaysOn"] == []  # committed, not published

    second = start_monitor(database_url, url, server.url, log)
    try:

        async def announced() -> bool:
            return any(f.rule == "AlwaysOn" for f in (await fired_and_resolved(url))[0])

        await eventually(announced, timeout_s=60, what="the committed AlertFired to be published after the restart")

        restarted = datetime.now(UTC)

        async def rounds_later() -> bool:  # the restarted monitor has evaluated it in several rounds since
            async with db.read_session() as session:
                found = (await session.exec(select(AlertRecord).where(AlertRecord.rule_id == "always"))).all()
            return len(found) == 1 and aware(found[0].last_true_at) > restarted + timedelta(seconds=1)

        await eventually(rounds_later, timeout_s=60, what="more rounds after the restart")
    finally:
        second.terminate()
        second.wait(10)
        await db.dispose()
    found = [f for f in (await fired_and_resolved(url))[0] if f.rule == "AlwaysOn"]
    assert len(found) == 1 and found[0].summary == "value 1"
