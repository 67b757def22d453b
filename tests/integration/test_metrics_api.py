"""The metrics proxy and the monitoring commands of ``qc``, against a real Prometheus (Debian's, scraping the
sim runtime's exporters every second), a real monitor, deployer, market and gateway.

Two teams, red and blue, each with a service ``cache``. A viewer of red reads red's series, per pod or per
service, and nothing else: blue's service is refused, and so are the nodes' series and raw PromQL; a
platform admin reads those, and PromQL that Prometheus refuses comes back as a 422 with its reason. ``qc
top``, ``qc rules`` and ``qc alerts`` run in a worker thread against the same gateway. With Prometheus
stopped, the proxy answers 503 saying what to do, and ``qc top`` still lists the services.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from quickon_cli.main import run as qc
from quickon_common.natsserver import NatsServer
from quickon_common.prometheusserver import PrometheusServer
from quickon_monitor.app import build as build_monitor
from quickon_monitor.settings import MonitorSettings
from support.bus import eventually, query, running, settings_for
from support.deployer import platform
from support.gateway import LoopTransport, client, gateway_service, log_in
from support.gateway_flows import succeeded
from support.prometheus import scraping

PASSWORD = "metrics-viewer-password"
QUERY = "/api/v1/metrics/query"


def problem(answer: httpx.Response, status: int, *words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    for word in words:
        assert word in answer.json()["detail"], (word, answer.json())


async def test_metrics_are_scoped_to_the_callers_services_and_qc_reads_them(
    nats_server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = nats_server.url
    async with (
        platform(url, f"sqlite:///{tmp_path / 'deployer.db'}", tmp_path) as deployer,
        scraping(deployer, tmp_path) as prometheus,
    ):
        settings = settings_for("monitor", nats_url=url, database_url=f"sqlite:///{tmp_path / 'm.db'}",
                                var_dir=tmp_path)  # fmt: skip
        monitor = build_monitor(settings, MonitorSettings(prometheus_url=prometheus.url))
        gateway, app = gateway_service(url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path)
        async with running(monitor.service), running(gateway):
            admin_token = await log_in(app)
            async with client(app, admin_token) as admin:
                viewer_token = await _two_teams_and_a_viewer(app, admin)
                async with client(app, viewer_token) as viewer:
                    await _scoped(url, admin, viewer)
                await _qc(app, admin_token, viewer_token, admin, tmp_path, capsys, prometheus)


async def _two_teams_and_a_viewer(app: Any, admin: httpx.AsyncClient) -> str:
    """Teams red and blue with ``cache`` installed in each; a viewer of red (their token)."""
    for team in ("red", "blue"):
        assert (await admin.post("/api/v1/teams", json={"name": team})).status_code == 201
        await succeeded(admin, await admin.post("/api/v1/services", json={"name": "cache", "app": "redis",
                                                                           "team": team}))  # fmt: skip
    made = await admin.post("/api/v1/users", json={"username": "vera", "password": PASSWORD})
    assert made.status_code == 201, made.text
    added = await admin.post("/api/v1/teams/red/members", json={"username": "vera", "role": "viewer"})
    assert added.status_code == 200, added.text
    return await log_in(app, "vera", PASSWORD)


async def _scoped(nats_url: str, admin: httpx.AsyncClient, viewer: httpx.AsyncClient) -> None:
    listed = (await viewer.get("/api/v1/metrics/series")).json()["series"]
    assert {s["scope"] for s in listed} == {"service"} and "service_cpu" in {s["name"] for s in listed}
    everything = (await admin.get("/api/v1/metrics/series")).json()["series"]
    assert {"node_cpu", "component_up"} <= {s["name"] for s in everything}

    own = {"series": "service_cpu", "service": "cache", "namespace": "red", "since": 120}
    found: dict[str, Any] = {}

    async def scraped() -> bool:
        nonlocal found
        answer = await viewer.get(QUERY, params=own)
        assert answer.status_code == 200, answer.text
        found = answer.json()
        return bool(found["result"])

    await eventually(scraped, timeout_s=60, what="red's cache's CPU in Prometheus")
    assert (found["series"], found["unit"], found["step_s"]) == ("service_cpu", "cores", 15)
    assert 'namespace="red"' in found["query"] and 'label_app_kubernetes_io_instance="cache"' in found["query"]
    for series in found["result"]:  # one per pod of red's cache, and nothing of blue's
        assert series["labels"]["namespace"] == "red" and series["labels"]["service"] == "cache"
        assert series["labels"]["pod"].startswith("cache")
        assert series["points"] and all(value is None or value >= 0 for _, value in series["points"])
        assert all(found["start"] <= t <= found["end"] for t, _ in series["points"])
    # The namespace's every service, one series each; the value now with since=0.
    now = (await viewer.get(QUERY, params={"series": "service_memory", "namespace": "red", "since": 0})).json()
    assert now["step_s"] is None and [s["labels"] for s in now["result"]] == [{"namespace": "red", "service": "cache"}]
    assert now["result"][0]["points"][0][1] > 0

    # Another team's service, the platform's series and raw PromQL: refused, naming why.
    problem(await viewer.get(QUERY, params={**own, "namespace": "blue"}), 403, "not in team 'blue'")
    problem(await viewer.get(QUERY, params={"series": "service_cpu", "namespace": "blue"}), 403, "'blue'")
    problem(await viewer.get(QUERY, params={"series": "node_cpu"}), 403, "platform admins")
    problem(await viewer.get(QUERY, params={"expr": "up"}), 403, "platform admins")
    # The monitor checks again, whatever the gateway let through.
    asked = {"series": "service_cpu", "namespace": "blue", "caller": {"teams": ["red"]}}
    refused = await query(nats_url, "qc.query.monitor.metrics", asked)
    assert refused["error"]["status"] == 403, refused
    # Bad parameters: 422 naming the one to change.
    for params, field in (
        ({"series": "nope"}, "series"),
        ({}, "series"),
        ({"series": "service_cpu", "expr": "up"}, "series"),
        ({**own, "since": 7 * 86400, "step": 1}, "step"),
        ({"series": "node_cpu", "service": "cache"}, "service"),
        ({**own, "service": 'cache"} or vector(1) #'}, "service"),
        ({**own, "since": 8 * 86400}, "since"),
    ):
        answer = await viewer.get(QUERY, params=params)
        assert answer.status_code == 422 and field in json.dumps(answer.json()["errors"]), (params, answer.text)

    # A platform admin: the nodes, the components, raw PromQL, and Prometheus' own refusal passed on.
    nodes = (await admin.get(QUERY, params={"series": "node_cpu", "since": 60})).json()
    assert {s["labels"]["node"] for s in nodes["result"]} <= {"sim-node-1", "sim-node-2", "sim-node-3"}
    raw = (await admin.get(QUERY, params={"expr": 'up{job="quickon-deployer"}', "since": 0})).json()
    assert raw["series"] is None and raw["result"][0]["points"][0][1] == 1
    problem(await admin.get(QUERY, params={"expr": "sum(("}), 422, "Prometheus refused", "parse error")


async def _qc(
    app: Any, admin_token: str, viewer_token: str, admin: httpx.AsyncClient, home: Path,
    capsys: pytest.CaptureFixture[str], prometheus: PrometheusServer,
) -> None:  # fmt: skip
    loop = asyncio.get_running_loop()

    async def run(token: str, *argv: str) -> tuple[int, str]:
        capsys.readouterr()
        env = {"QC_URL": "http://gateway", "QC_TOKEN": token, "HOME": str(home)}
        code = await asyncio.to_thread(qc, list(argv), env=env, transport=LoopTransport(app, loop))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    # qc top: the viewer's services with their usage; the nodes to an admin, the totals to others.
    code, out = await run(viewer_token, "top", "--json")
    (cache,) = json.loads(out)["services"]
    assert code == 0 and (cache["namespace"], cache["status"]) == ("red", "running") and cache["cpu_cores"] > 0
    code, out = await run(admin_token, "top", "nodes")
    assert code == 0 and "sim-node-1" in out and "%" in out, out
    code, out = await run(viewer_token, "top", "nodes")
    assert code == 0 and "shown to platform admins" in out, out

    # qc rules: made from a template, turned off, shown, deleted.
    code, out = await run(admin_token, "rules", "create", "RedDisk", "--template", "node_disk", "--param",
                          "percent=95", "--team", "red", "--wait")  # fmt: skip
    assert code == 0 and "rule id" in out, out
    rule_id = out.rsplit("rule id ", 1)[1].split()[0]
    code, out = await run(admin_token, "rules", "disable", rule_id, "--wait")
    assert code == 0, out
    code, out = await run(viewer_token, "rules", "show", rule_id)
    assert code == 0 and "node_disk(percent=95)" in out and "node_filesystem_avail_bytes" in out, out
    assert (await admin.get(f"/api/v1/alert-rules/{rule_id}")).json()["enabled"] is False
    code, out = await run(viewer_token, "rules", "delete", rule_id)
    assert code == 1 and "admin role in team 'red'" in out, out
    code, out = await run(admin_token, "rules", "create", "Odd", "--template", "nope", "--wait")
    assert code == 1 and "nope" in out, out
    code, out = await run(admin_token, "rules", "delete", rule_id, "--wait")
    assert code == 0, out

    # qc alerts: an alert about red's namespace, listed to red's viewer, acknowledged and silenced by an admin.
    webhook = {"status": "firing", "alerts": [{"status": "firing",
                                               "labels": {"alertname": "RedSlow", "namespace": "red"}}]}  # fmt: skip
    await succeeded(admin, await admin.post("/api/v1/alerts/alertmanager", json=webhook))
    code, out = await run(viewer_token, "alerts", "--json")
    (alert,) = [a for a in json.loads(out)["alerts"] if a["rule"] == "RedSlow"]
    code, out = await run(viewer_token, "alerts", "ack", alert["alert_id"])
    assert code == 1 and "operator" in out, out
    code, out = await run(admin_token, "alerts", "ack", alert["alert_id"], "--wait")
    assert code == 0, out
    code, out = await run(admin_token, "alerts", "silence", alert["alert_id"], "--for", "2h", "--wait")
    assert code == 0 and "silence id" in out, out
    code, out = await run(viewer_token, "alerts", "silences", "--json")
    (silence,) = json.loads(out)["silences"]
    assert silence["team"] == "red" and {m["name"] for m in silence["matchers"]} == {"alertname", "namespace"}
    code, out = await run(admin_token, "alerts", "unsilence", silence["silence_id"], "--wait")
    assert code == 0, out
    for argv in (("silence", alert["alert_id"]), ("silence", alert["alert_id"], "--for", "soon")):
        code, out = await run(admin_token, "alerts", *argv)
        assert code == 2 and "--for" in out, out

    # Prometheus gone: the proxy says what to do; qc top still lists the services, their usage unknown.
    await asyncio.to_thread(prometheus.stop)
    problem(await admin.get(QUERY, params={"series": "node_cpu"}), 503, "QC_MONITOR_PROMETHEUS_URL")
    code, out = await run(viewer_token, "top")
    assert code == 0 and "cache" in out and "usage unknown" in out, out
