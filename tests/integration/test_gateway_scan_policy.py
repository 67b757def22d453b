"""The platform's scan policy through the gateway: platform admins set it, every install and upgrade request
carries it to the deployer (which enforces it at the scan step), an override is a platform admin's alone and
goes to the audit log with its request, and a service's scan report is read through the API with the policy's
warnings. The market, the deployer (sim, the real Trivy) and the gateway, on both databases (the gateway's)."""

from __future__ import annotations

from pathlib import Path

from quickon_common.contracts.deploy import AppInstallRequested
from quickon_common.contracts.iam import ScanPolicyChanged
from quickon_common.envelope import decode
from quickon_common.natsserver import NatsServer
from support.bus import eventually, stream_messages
from support.gateway import client, log_in
from support.gateway_flows import accepted, settled, stack, steps, succeeded
from support.scan_charts import risky_chart

PASSWORD = "teams-admin-password"
RISKY = {"app": "risky", "version": "1.0.0"}


async def test_a_blocking_policy_refuses_a_privileged_chart_unless_a_platform_admin_overrides(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    async with stack(url, database_url, tmp_path, deployer={"scan_services": True}) as s:
        http = s.http
        assert (await http.get("/api/v1/platform/scan-policy")).json()["block"] == []  # the default: nothing blocks
        published = await http.post("/api/v1/charts", files={"chart": ("risky-1.0.0.tgz", risky_chart(), "x")})
        assert published.status_code == 201, published.text

        # Set by a platform admin (and told on the bus for the audit log); a bad severity names the field.
        refused = await http.put("/api/v1/platform/scan-policy", json={"block": ["SEVERE"]})
        assert refused.status_code == 422 and "block" in refused.text, refused.text
        policy = await http.put("/api/v1/platform/scan-policy", json={"block": ["HIGH", "CRITICAL"], "warn": []})
        assert policy.status_code == 200, policy.text
        assert (policy.json()["block"], policy.json()["updated_by"]) == (["CRITICAL", "HIGH"], "admin")

        # Blocked at the scan step, the finding named; nothing installed.
        failed = await settled(http, accepted(await http.post("/api/v1/services", json={"name": "held", **RISKY})))
        assert failed["state"] == "failed" and ("scan", "failed") in steps(failed), failed
        assert "KSV-0017" in str(failed["error"]) and "override_scan_policy" in str(failed["error"]), failed
        assert (await http.get("/api/v1/services/held")).status_code == 404

        # A team admin may not override; a platform admin may, and the request says so.
        assert (await http.post("/api/v1/users", json={"username": "tina", "password": PASSWORD})).is_success
        added = await http.post("/api/v1/teams/default/members", json={"username": "tina", "role": "admin"})
        assert added.is_success, added.text
        body = {"name": "forced", "override_scan_policy": True, **RISKY}
        async with client(s.app, await log_in(s.app, "tina", PASSWORD)) as tina:
            denied = await tina.post("/api/v1/services", json=body)
            assert denied.status_code == 403 and "platform admin" in denied.json()["detail"], denied.text
            await succeeded(http, await http.post("/api/v1/services", json=body))
            denied = await tina.post("/api/v1/services/forced/upgrade", json={"override_scan_policy": True})
            assert denied.status_code == 403 and "platform admin" in denied.json()["detail"], denied.text

        # The report, with the policy's warnings, once the deployer's worker has scanned it.
        report: dict[str, object] = {}

        async def scanned() -> bool:
            nonlocal report
            response = await http.get("/api/v1/services/forced/scan")
            assert response.status_code == 200, response.text
            report = response.json()
            return report["state"] != "scanning"

        await eventually(scanned, timeout_s=120, what="the scan of forced")
        assert report["state"] == "done", report
        warnings = report["warnings"]
        assert isinstance(warnings, list) and any(w.startswith("KSV-0017 Privileged (HIGH) in Deployment/forced")
                                                  for w in warnings), warnings  # fmt: skip
        assert (await http.get("/api/v1/services/nope/scan")).status_code == 404

        # On the bus, for the audit log: the policy's change and each request with the policy it carried.
        events = [decode(m.subject, m.headers, m.data) for m in await stream_messages(url, "qc.>")]
        changes = [e for e, _ in events if isinstance(e, ScanPolicyChanged)]
        assert [c.block for c in changes] == [["CRITICAL", "HIGH"]]
        installs = {e.service: (e, envelope) for e, envelope in events if isinstance(e, AppInstallRequested)}
        forced, envelope = installs["forced"]
        assert (forced.scan_override, forced.scan_blocks, envelope.actor) == (True, ["CRITICAL", "HIGH"], "admin")
        assert installs["held"][0].scan_override is False
