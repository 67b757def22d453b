"""The whole chain, with every part real: the sim cluster's exporters scraped by a real Prometheus, the monitor
(its own process) evaluating the default rules against it, and its notifications reaching a real webhook
receiver (signature checked), a Slack-format receiver and a real SMTP server.

A crash-looping pod fires "restarts" and "not ready" for its team, and both resolve once it is fixed; a node
filled past the threshold, a platform component that stops answering and five failed logins of one user fire
the platform's rules. The monitor is SIGKILLed at its first send, after
the alert fired and before any channel got it: after the restart every channel gets every event meant for it
exactly once. (Silences, `for` and the evaluator's lease: tests/integration/test_monitor_alerts.py.)
"""

from __future__ import annotations

import email
from pathlib import Path
from typing import Any

from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested
from quickon_common.contracts.iam import TeamNamespaceAssigned, UserLoginFailed
from quickon_common.contracts.monitor import AlertFired, AlertResolved, AlertRuleRequested, AlertRuleSaved, RuleSpec
from quickon_common.envelope import Envelope
from quickon_common.natsserver import NatsServer
from support.bus import eventually, publish, wait_frozen
from support.deployer import ask, finished, outcome, request
from support.monitor import (
    Received,
    monitor_events,
    monitor_outcome,
    receiver,
    save_channel,
    sealer,
    signature_ok,
    smtp_server,
    start_monitor,
)
from support.prometheus import Component, scraped_sim, until

TEAM, NS = "team-a", "shop"
SECRET = "chain-webhook-secret"
DISK = 100 * 2**30  # the sim nodes' default disk
ALERT_TOPICS = ["alert.fired", "alert.resolved"]
PLATFORM_RULES = {"NodeDiskFilling", "PlatformComponentDown", "RepeatedLoginFailures"}

# The default rules, as shipped, with their waits shortened to a test's: not ready for 2 s instead of 5 min,
# two restarts in a minute instead of three in 10 minutes, disk for 2 s instead of 5 min.
FASTER = {
    "builtin-not-ready": RuleSpec(name="ServiceNotReady", template="service_not_ready", for_s=2,
                                  summary="pod {{ $labels.pod }} in {{ $labels.namespace }} is not ready"),
    "builtin-restarts": RuleSpec(name="ServiceRestarting", template="restarts", params={"count": 1, "window_s": 60},
                                 summary="pod {{ $labels.pod }} restarted {{ $value }} times"),
    "builtin-component-down": RuleSpec(name="PlatformComponentDown", template="component_down", for_s=2,
                                       severity="critical", summary="platform component {{ $labels.job }} is down"),
    "builtin-node-disk": RuleSpec(name="NodeDiskFilling", template="node_disk", for_s=2, params={"percent": 85},
                                  summary="disk of {{ $labels.instance }} is {{ $value }}% full"),
}  # fmt: skip


async def test_sim_alerts_reach_every_channel_once_across_a_monitor_killed_before_its_first_send(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url, log = nats_server.url, tmp_path / "monitor.log"
    database = f"sqlite:///{tmp_path / 'monitor.db'}"
    audit = Component()  # a platform component's /metrics, up until the test stops it
    audit.start()
    async with (
        receiver() as http,
        smtp_server() as (mailbox, smtp_port),
        scraped_sim(url, tmp_path, components={"audit": audit.address}) as sim,
    ):
        assigned = TeamNamespaceAssigned(team_id=TEAM, namespace=NS)
        await publish(url, assigned, envelope=Envelope.new(assigned, source="gateway", actor="admin"))
        installing = AppInstallRequested(service="cache", namespace=NS, app="redis", version="1.0.0")
        assert isinstance(outcome(await finished(url, await request(url, installing, team=TEAM))), AppInstalled)
        (ready,) = await until(sim.api, f'kube_statefulset_status_replicas_ready{{namespace="{NS}"}} == 1',
                               what="the app's replica ready")  # fmt: skip
        statefulset = ready["metric"]["statefulset"]

        monitor = {"prometheus_url": sim.prometheus.url, "evaluation_interval_s": 0.5}
        process = start_monitor(url, database, tmp_path, log, failpoints=["before_send"], **monitor)
        try:
            for rule_id, spec in FASTER.items():
                await _update_rule(url, rule_id, spec)
            sealing = sealer(tmp_path)
            channels = {}
            for team, prefix in ((TEAM, "/team"), (None, "/platform")):
                channels[f"{prefix}-hook"] = await save_channel(
                    url, sealing, team=team, name="hook", kind="webhook", topics=ALERT_TOPICS,
                    target={"url": http.url(f"{prefix}-hook"), "secret": SECRET}, timeout_s=90)  # fmt: skip
                await save_channel(url, sealing, team=team, name="slack", kind="slack", topics=ALERT_TOPICS,
                                   target={"url": http.url(f"{prefix}-slack")})  # fmt: skip
                await save_channel(
                    url, sealing, team=team, name="mail", kind="email", topics=ALERT_TOPICS, target={"password": "-"},
                    email={"host": "127.0.0.1", "port": smtp_port, "starttls": False, "sender": "qc@example.com",
                           "recipients": [f"{prefix[1:]}@example.com"]},
                )  # fmt: skip

            # The app crash-loops: its restarts rise and its pod is not ready.
            crash = {"namespace": NS, "service": "cache", "kind": "StatefulSet", "name": statefulset}
            assert (await ask(url, "inject", **crash, failure="crash-loop"))["injected"] == "crash-loop"
            await wait_frozen(process, "the monitor's first send")
            process.kill()
            process.wait()
            assert http.requests == [] and mailbox.messages == [], "nothing was sent before the kill"
            process = start_monitor(url, database, tmp_path, log, **monitor)

            await _alerts(url, AlertFired, team=TEAM, rules={"ServiceNotReady", "ServiceRestarting"})
            # Fixed: the pod is ready again and stops restarting (the restarts' minute runs out meanwhile).
            assert (await ask(url, "inject", **crash, failure=None))["injected"] is None
            # A node's disk filled past 85 %: the platform's alert (a node belongs to no team).
            node = (await ask(url, "nodes"))["nodes"][0]["name"]
            await ask(url, "fill_disk", node=node, size_bytes=int(DISK * 0.9))
            # A platform component stops answering; someone tries five passwords of one user.
            audit.stop()
            for _ in range(5):
                await publish(url, UserLoginFailed(username="mallory", reason="wrong password"))
            fired = await _alerts(url, AlertFired, team=None, rules=PLATFORM_RULES)
            by_rule = {e.rule: e for e in fired}
            assert by_rule["NodeDiskFilling"].labels["instance"] == node
            assert by_rule["PlatformComponentDown"].labels["job"] == "quickon-audit"
            assert by_rule["RepeatedLoginFailures"].labels["username"] == "mallory"
            await _alerts(url, AlertResolved, team=TEAM, rules={"ServiceNotReady", "ServiceRestarting"}, timeout_s=120)

            team_events = await _announced(url, team=TEAM)
            platform_events = await _announced(url, team=None)
            assert {e.rule for e in team_events.values()} == {"ServiceNotReady", "ServiceRestarting"}
            assert {e.rule for e in platform_events.values()} == PLATFORM_RULES
            assert all(e.namespace == NS for e in team_events.values())
            await eventually(lambda: _each_once(http, mailbox, "team", team_events), timeout_s=60,
                             what="every team alert at each of the team's channels")  # fmt: skip
            await eventually(lambda: _each_once(http, mailbox, "platform", platform_events), timeout_s=60,
                             what="the platform's alerts at each of the platform's channels")  # fmt: skip
            for hook in http.on("/team-hook") + http.on("/platform-hook"):
                assert signature_ok(hook, SECRET)
            assert any("ServiceRestarting" in r.json()["text"] for r in http.on("/team-slack"))
        finally:
            process.kill()
            process.wait()


async def _update_rule(url: str, rule_id: str, spec: RuleSpec) -> None:
    event = AlertRuleRequested(action="update", rule_id=rule_id, spec=spec)
    operation_id = await request(url, event, actor="admin", team=None)  # type: ignore[arg-type]
    assert isinstance(await monitor_outcome(url, operation_id, timeout_s=90), AlertRuleSaved)


async def _alerts(url: str, kind: type[Any], *, team: str | None, rules: set[str], timeout_s: float = 45) -> list[Any]:
    """The announced alerts of ``kind`` of a team, once every rule named has one."""
    found: list[Any] = []

    async def each_rule() -> bool:
        found[:] = [e for e in (await _announced(url, team=team)).values() if isinstance(e, kind) and e.rule in rules]
        return {e.rule for e in found} == rules

    try:
        await eventually(each_rule, timeout_s=timeout_s, what=f"{kind.__name__} of {sorted(rules)} for {team}")
    except AssertionError:
        for event, envelope in await monitor_events(url):
            if isinstance(event, AlertFired | AlertResolved):
                print("DEBUG", envelope.team, type(event).__name__, event.rule, event.labels)
        raise
    return found


async def _announced(url: str, *, team: str | None) -> dict[str, Any]:
    """Every alert event the monitor published for ``team``, by envelope id."""
    return {
        envelope.id: event for event, envelope in await monitor_events(url)
        if isinstance(event, AlertFired | AlertResolved) and envelope.team == team
    }  # fmt: skip


async def _each_once(http: Any, mailbox: Any, prefix: str, expected: dict[str, Any]) -> bool:
    """Whether the webhook, the Slack receiver and the mailbox of ``prefix`` each got every expected event
    once, and nothing else."""
    hooks: list[Received] = http.on(f"/{prefix}-hook")
    slack: list[Received] = http.on(f"/{prefix}-slack")
    mails = [m for m in mailbox.messages if m[1] == [f"{prefix}@example.com"]]
    by_hook = sorted(r.headers["X-QuickOn-Event-Id"] for r in hooks)
    by_mail = sorted(str(email.message_from_bytes(m[2])["X-QuickOn-Event-Id"]) for m in mails)
    return by_hook == by_mail == sorted(expected) and len(slack) == len(expected)
