"""The gateway's alert routes with a real monitor: bad rules and silences are refused with problem+json naming
the field and change nothing; a rule made through the API is listed with its PromQL; Alertmanager's webhook
JSON becomes AlertFired / AlertResolved events."""

from __future__ import annotations

from pathlib import Path

from quickon_common.contracts.monitor import AlertFired, AlertResolved
from quickon_common.natsserver import NatsServer, free_port
from quickon_monitor.app import create_service as create_monitor
from quickon_monitor.settings import MonitorSettings
from support.bus import events, eventually, running, settings_for
from support.gateway import client, gateway_service, log_in
from support.gateway_flows import succeeded

WEBHOOK = {
    "version": "4", "status": "firing", "receiver": "quickon", "groupKey": "{}:{}", "truncatedAlerts": 0,
    "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
    "alerts": [{
        "status": "firing", "labels": {"alertname": "HighLatency", "severity": "critical", "instance": "db:9100"},
        "annotations": {"summary": "latency is high on db"}, "startsAt": "2026-12-07T03:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom/graph", "fingerprint": "c0ffee00c0ffee00",
    }],
}  # fmt: skip


async def test_rules_silences_and_alertmanager_through_the_api(nats_server: NatsServer, tmp_path: Path) -> None:
    url = nats_server.url
    settings = settings_for("monitor", nats_url=url, database_url=f"sqlite:///{tmp_path / 'm.db'}", var_dir=tmp_path)
    port = free_port()
    monitor = create_monitor(
        settings, MonitorSettings(prometheus_url=f"http://127.0.0.1:{port}", evaluation_interval_s=0.5)
    )
    service, app = gateway_service(url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path)
    async with running(service), running(monitor, but=("prometheus",)):
        token = await log_in(app)
        async with client(app, token) as http:
            before = (await http.get("/api/v1/alert-rules")).json()["rules"]
            assert {r["rule_id"] for r in before} >= {"builtin-component-down", "builtin-login-failures"}
            for body, field in (
                ({"name": "x", "template": "node_disk", "params": {"percent": 500}}, "params.percent"),
                ({"name": "x", "template": "nope"}, "template"),
                ({"name": "x", "expr": "up", "severity": "loud"}, "severity"),
                ({"name": "x", "expr": "up", "team": "no-such-team"}, "no-such-team"),
            ):
                refused = await http.post("/api/v1/alert-rules", json=body)
                assert refused.status_code in (404, 422), refused.text
                assert refused.headers["content-type"].startswith("application/problem+json")
                assert field in refused.text
            for body, field in (
                ({"matchers": [], "ends_at": "2099-01-01T00:00:00Z"}, "matchers"),
                ({"matchers": [{"name": "job", "value": "x"}], "ends_at": "2099-01-01T00:00:00Z"}, "ends_at"),
                ({"matchers": [{"name": "job", "value": "x"}], "ends_at": "2026-12-31T00:00:00"}, "ends_at"),
                ({"matchers": [{"name": "bad-name", "value": "x"}], "ends_at": "2026-12-31T00:00:00Z"}, "name"),
            ):
                bad_silence = await http.post("/api/v1/silences", json=body)
                assert bad_silence.status_code == 422 and field in bad_silence.text, bad_silence.text
            assert (await http.get("/api/v1/silences")).json()["silences"] == []
            assert (await http.get("/api/v1/alert-rules")).json()["rules"] == before  # nothing changed

            made = await succeeded(http, await http.post("/api/v1/alert-rules", json={
                "name": "Restarts", "template": "restarts", "params": {"count": 5}, "for_s": 60}))  # fmt: skip
            rule = (await http.get(f"/api/v1/alert-rules/{made['result']['rule_id']}")).json()
            assert rule["query"].startswith(
                "sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total"
            )
            failed = await http.post("/api/v1/alert-rules", json={"name": "Broken", "expr": "sum(("})
            assert failed.status_code == 202  # Prometheus is away: the PromQL is checked when evaluated

            await succeeded(http, await http.post("/api/v1/alerts/alertmanager", json=WEBHOOK))
            firing = (await http.get("/api/v1/alerts", params={"state": "firing"})).json()["alerts"]
            assert [a["rule"] for a in firing] == ["HighLatency"] and firing[0]["origin"] == "alertmanager"
            acked = await succeeded(
                http, await http.post(f"/api/v1/alerts/{firing[0]['alert_id']}/acknowledge", json={})
            )
            assert acked["result"]["by"] == "admin"
            seen = (await http.get(f"/api/v1/alerts/{firing[0]['alert_id']}")).json()
            assert seen["acknowledged_by"] == "admin"
            resolved = {**WEBHOOK, "status": "resolved", "alerts": [{**WEBHOOK["alerts"][0], "status": "resolved"}]}  # type: ignore[dict-item]
            await succeeded(http, await http.post("/api/v1/alerts/alertmanager", json=resolved))
            bad = await http.post("/api/v1/alerts/alertmanager", json={"status": "firing", "alerts": [{"status": "x"}]})
            assert bad.status_code == 422 and "alerts" in bad.text

        # Prometheus is not there: the monitor keeps running and its readiness says why.
        async def unreachable() -> bool:
            return "unreachable" in (monitor.checks["prometheus"] or "")

        await eventually(unreachable, what="the readiness reason about Prometheus")
        assert f"127.0.0.1:{port}" in (monitor.checks["prometheus"] or "")
        readiness = await monitor.readiness()
        assert readiness["ready"] is False and "unreachable" in readiness["checks"]["prometheus"]

    async def announced() -> bool:
        found = [e for e, _ in await events(url, "qc.monitor.alert.>")]
        return any(isinstance(e, AlertResolved) for e in found)

    await eventually(announced, what="AlertResolved of the Alertmanager alert")
    found = [e for e, _ in await events(url, "qc.monitor.alert.>")]
    fired = [e for e in found if isinstance(e, AlertFired)]
    assert len(fired) == 1 and fired[0].summary == "latency is high on db" and fired[0].severity == "critical"
