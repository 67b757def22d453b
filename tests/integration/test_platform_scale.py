"""Scaling the platform's own components end to end on the sim runtime, through the gateway and ``qc``: the
deployer scaled to 3 and the components view shows it desired; several at once with ``qc platform scale``;
and the refusals, each changing nothing: an unknown component, replicas out of range, a caller who is not a
platform admin, a request that does not come from the platform."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from quickon_cli.main import run as qc
from quickon_common.contracts.deploy import ComponentScaleFailed, ComponentScaleRequested
from quickon_common.natsserver import NatsServer
from support.bus import events, eventually, running
from support.deployer import ask, request
from support.gateway import LoopTransport, client, gateway_service, log_in
from support.gateway_flows import accepted, settled, stack

PASSWORD = "scale-Pa55word-viewer"


async def _desired(http: httpx.AsyncClient) -> dict[str, int | None]:
    answer = await http.get("/api/v1/platform/components")
    assert answer.status_code == 200, answer.text
    return {c["service"]: c["desired_replicas"] for c in answer.json()["components"]}


async def test_scale_platform_components(
    nats_server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = nats_server.url
    async with stack(url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path) as s:
        http = s.http
        loop = asyncio.get_running_loop()

        async def run(*argv: str, token: str | None = None) -> tuple[int, str]:
            capsys.readouterr()
            env = {"QC_URL": "http://gateway", "QC_TOKEN": token or admin_token, "HOME": str(tmp_path)}
            code = await asyncio.to_thread(qc, list(argv), env=env, transport=LoopTransport(s.app, loop))
            captured = capsys.readouterr()
            return code, captured.out + captured.err

        admin_token = await log_in(s.app)
        before = await _desired(http)
        assert before == dict.fromkeys(("market", "deployer", "backup", "monitor", "audit", "gateway"), 1), before

        # The deployer scaled to 3: an operation on the component, whose outcome tells the replicas before.
        scale = accepted(await http.post("/api/v1/platform/components/deployer/scale", json={"replicas": 3}))
        assert scale["kind"] == "scale_component" and scale["target"] == {"component": "deployer"}, scale
        done = await settled(http, scale)
        assert done["state"] == "succeeded", done
        assert done["result"]["replicas"] == 3 and done["result"]["previous"] == 1, done
        assert [step["step"] for step in done["steps"]][-1] == "scale", done
        assert await _desired(http) == {**before, "deployer": 3}

        # Several at once with qc, followed to their end.
        code, out = await run("platform", "scale", "backup=2,monitor=2", "--wait")
        assert code == 0, out
        assert await _desired(http) == {**before, "deployer": 3, "backup": 2, "monitor": 2}
        code, out = await run("platform", "components", "--json")
        assert code == 0
        shown = {c["service"]: c["desired_replicas"] for c in json.loads(out)["components"]}
        assert shown["deployer"] == 3 and shown["backup"] == 2, shown
        scaled = await _desired(http)

        # Refusals, each changing nothing: an unknown component, replicas out of range, a name that is none.
        missing = await http.post("/api/v1/platform/components/nginx/scale", json={"replicas": 2})
        assert missing.status_code == 404, missing.text
        assert "no platform component 'nginx'" in missing.json()["detail"], missing.text
        assert "audit, backup, deployer, gateway, market, monitor" in missing.json()["detail"], missing.text
        for replicas in (0, 21):
            refused = await http.post("/api/v1/platform/components/deployer/scale", json={"replicas": replicas})
            assert refused.status_code == 422, refused.text
            assert "replicas" in refused.text, refused.text
        assert (await http.post("/api/v1/platform/components/Deployer/scale", json={"replicas": 2})).status_code == 422
        code, out = await run("platform", "scale", "deployer=0")
        assert code == 2 and "1 to 20 replicas" in out, out
        code, out = await run("platform", "scale", "nginx=2")
        assert code == 1 and "no platform component 'nginx'" in out, out
        assert await _desired(http) == scaled

        # A caller who is not a platform admin sees neither the components nor their scales, and scales nothing.
        made = await http.post("/api/v1/users", json={"username": "val", "password": PASSWORD})
        assert made.status_code == 201, made.text
        viewer_token = await log_in(s.app, "val", PASSWORD)
        async with client(s.app, viewer_token) as viewer:
            assert (await viewer.get("/api/v1/platform/components")).status_code == 403
            answer = await viewer.post("/api/v1/platform/components/deployer/scale", json={"replicas": 5})
            assert answer.status_code == 403, answer.text
            assert (await viewer.get(f"/api/v1/operations/{scale['operation_id']}")).status_code == 403
            listed = (await viewer.get("/api/v1/operations")).json()["operations"]
            assert not [op for op in listed if op["kind"] == "scale_component"], listed
        code, out = await run("platform", "scale", "deployer=5", token=viewer_token)
        assert code != 0 and "admin" in out, out
        refused_query: dict[str, Any] = await ask(url, "components", caller={"is_admin": False, "teams": []})
        assert refused_query["error"]["status"] == 403, refused_query

        # A request with a team does not come from the platform: the deployer refuses it.
        forged = await request(url, ComponentScaleRequested(component="deployer", replicas=7), team="red")

        async def refused_by_the_deployer() -> bool:
            found = [e for e, _ in await events(url, "qc.deploy.component_scale.failed") if e.operation_id == forged]
            return bool(found) and isinstance(found[0], ComponentScaleFailed) and "names no team" in found[0].reason

        await eventually(refused_by_the_deployer, what="the deployer to refuse a scale asked with a team")
        assert await _desired(http) == scaled


async def test_without_a_deployer_the_components_say_why_their_desired_replicas_are_missing(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    service, app = gateway_service(nats_server.url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path)
    async with running(service), client(app, await log_in(app)) as http:
        answer = await http.get("/api/v1/platform/components")
        assert answer.status_code == 200, answer.text
        found = answer.json()
        assert [c["desired_replicas"] for c in found["components"]] == [None] * 6, found
        assert found["desired_detail"].startswith("the deployer cannot tell the desired replicas: "), found
        refused = await http.post("/api/v1/platform/components/deployer/scale", json={"replicas": 2})
        assert refused.status_code == 503 and "deployer" in refused.json()["detail"], refused.text
