"""Node maintenance end to end on the sim runtime, through the gateway and ``qc``: list the nodes; cordon two
and see a new install's pods avoid them; uncordon them; drain the third, whose pods move (a Deployment's)
or stay Pending and are reported (a pod whose local volume lives on that node), while a second drain of it
is refused; uncordon it and see it take pods again. And the refusals: an unknown node, a caller who is not
a platform admin, a request that does not come from the platform."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from quickon_cli.main import run as qc
from quickon_common.contracts.deploy import NodeDrainFailed, NodeDrainRequested
from quickon_common.natsserver import NatsServer
from support.bus import events, eventually
from support.deployer import ask, request
from support.gateway import LoopTransport, client, log_in
from support.gateway_flows import accepted, settled, stack, succeeded

PASSWORD = "nodes-Pa55word-viewer"
FIRST, OTHERS = "sim-node-1", ("sim-node-2", "sim-node-3")


async def _nodes(http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    answer = await http.get("/api/v1/cluster/nodes")
    assert answer.status_code == 200, answer.text
    return {node["name"]: node for node in answer.json()["nodes"]}


async def _pods(http: httpx.AsyncClient, node: str) -> list[dict[str, Any]]:
    answer = await http.get(f"/api/v1/cluster/nodes/{node}")
    assert answer.status_code == 200, answer.text
    pods: list[dict[str, Any]] = answer.json()["pods"]
    return pods


async def _service_nodes(http: httpx.AsyncClient, name: str) -> list[str | None]:
    detail = (await http.get(f"/api/v1/services/{name}")).json()
    return [pod.get("node") for pod in detail["health"]["pods"]]


async def test_cordon_drain_and_uncordon_a_node(
    nats_server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = nats_server.url
    # The drain waits for new pods to be ready: long enough here that the test decides when one is.
    async with stack(url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path, deployer={"drain_deadline_s": 300}) as s:
        http = s.http
        loop = asyncio.get_running_loop()

        async def run(*argv: str, token: str | None = None) -> tuple[int, str]:
            capsys.readouterr()
            env = {"QC_URL": "http://gateway", "QC_TOKEN": token or admin_token, "HOME": str(tmp_path)}
            code = await asyncio.to_thread(qc, list(argv), env=env, transport=LoopTransport(s.app, loop))
            captured = capsys.readouterr()
            return code, captured.out + captured.err

        admin_token = await log_in(s.app)
        nodes = await _nodes(http)
        assert sorted(nodes) == [FIRST, *OTHERS]
        assert all(n["ready"] and not n["unschedulable"] and n["taints"] == [] for n in nodes.values()), nodes
        assert nodes[FIRST]["cpu_allocatable_m"] == 4000 and nodes[FIRST]["kubelet_version"] == "sim", nodes
        code, out = await run("nodes")
        assert code == 0 and FIRST in out and "Ready" in out and "SchedulingDisabled" not in out, out

        # Cordoned, two nodes take no new pod: both installs land on the first.
        for node in OTHERS:
            code, out = await run("node", "cordon", node, "--wait")
            assert code == 0, out
        nodes = await _nodes(http)
        for node in OTHERS:
            assert nodes[node]["unschedulable"], nodes[node]
            assert nodes[node]["taints"] == [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                                              "value": ""}]  # fmt: skip
        code, out = await run("nodes")
        assert code == 0 and out.count("Ready,SchedulingDisabled") == 2, out
        await succeeded(http, await http.post("/api/v1/services", json={"name": "pinned", "app": "redis"}))
        free = {"name": "free", "app": "uptime-kuma", "values": {"persistence": {"enabled": False}}}
        await succeeded(http, await http.post("/api/v1/services", json=free))
        assert await _service_nodes(http, "pinned") == [FIRST]
        assert await _service_nodes(http, "free") == [FIRST]
        on_first = {pod["namespace"] + "/" + pod["name"] for pod in await _pods(http, FIRST)}
        assert len(on_first) == 2, on_first
        for node in OTHERS:
            await succeeded(http, await http.post(f"/api/v1/cluster/nodes/{node}/uncordon"))
        assert not any(n["unschedulable"] for n in (await _nodes(http)).values())

        # The free service's next pod will not get ready until the test heals it: the drain waits for it.
        workload = (await http.get("/api/v1/services/free")).json()["health"]["workloads"][0]
        heal = {"namespace": "default", "service": "free", "kind": workload["kind"], "name": workload["name"]}
        await ask(url, "inject", **heal, failure="never-ready", count=1)
        drain = accepted(await http.post(f"/api/v1/cluster/nodes/{FIRST}/drain"))
        assert drain["kind"] == "drain_node" and drain["target"] == {"node": FIRST}, drain

        async def waiting() -> bool:
            found = (await http.get(f"/api/v1/operations/{drain['operation_id']}")).json()
            return any("waiting for" in (step.get("detail") or "") for step in found["steps"])

        await eventually(waiting, timeout_s=60, what="the drain to wait for the free service's new pod")
        node = (await http.get(f"/api/v1/cluster/nodes/{FIRST}")).json()
        assert node["unschedulable"] and node["operation_id"] == drain["operation_id"], node
        again = await http.post(f"/api/v1/cluster/nodes/{FIRST}/drain")
        assert again.status_code == 409 and drain["operation_id"] in again.json()["detail"], again.text
        code, out = await run("node", "drain", FIRST)
        assert code == 1 and "operation running" in out, out
        await ask(url, "inject", **heal, failure=None)

        done = await settled(http, drain)
        assert done["state"] == "succeeded", done
        result = done["result"]
        assert sorted(result["evicted"]) == sorted(on_first), result
        assert [line.split(":")[0] for line in result["moved"]] == [f"default/{workload['kind']}/{workload['name']}"]
        (stuck,) = result["stuck"]
        assert "StatefulSet" in stuck or "Deployment" in stuck, stuck
        assert stuck.endswith(
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had volume node affinity conflict."
        ), stuck
        details = [step.get("detail") or "" for step in done["steps"] if step["step"] == "drain"]
        assert any("evicting" in d for d in details) and any("cannot move" in d for d in details), details
        assert FIRST not in await _service_nodes(http, "free")
        assert await _service_nodes(http, "pinned") == [None]  # Pending: its volume is on the drained node
        assert await _pods(http, FIRST) == []
        code, out = await run("node", FIRST)
        assert code == 0 and "SchedulingDisabled" in out and "node.kubernetes.io/unschedulable" in out, out

        # Uncordoned, the node takes pods again: the pinned one goes back to its volume.
        code, out = await run("node", "uncordon", FIRST, "--wait")
        assert code == 0, out

        async def pinned_back() -> bool:
            return await _service_nodes(http, "pinned") == [FIRST]

        await eventually(pinned_back, timeout_s=60, what="the pinned pod to be scheduled on its volume's node")
        code, out = await run("node", FIRST, "--json")
        assert code == 0 and not json.loads(out)["unschedulable"], out

        # Refusals: a node that is not there, a caller who is not a platform admin, a request with a team.
        missing = await http.get("/api/v1/cluster/nodes/nope")
        assert missing.status_code == 404 and "no node 'nope'" in missing.json()["detail"], missing.text
        assert (await http.post("/api/v1/cluster/nodes/nope/cordon")).status_code == 404
        code, out = await run("node", "cordon", "nope")
        assert code != 0 and "qc nodes" in out, out
        made = await http.post("/api/v1/users", json={"username": "val", "password": PASSWORD})
        assert made.status_code == 201, made.text
        viewer_token = await log_in(s.app, "val", PASSWORD)
        async with client(s.app, viewer_token) as viewer:
            for method, path in (("GET", "/api/v1/cluster/nodes"), ("GET", f"/api/v1/cluster/nodes/{FIRST}"),
                                 ("POST", f"/api/v1/cluster/nodes/{FIRST}/drain")):  # fmt: skip
                answer = await viewer.request(method, path)
                assert answer.status_code == 403, (path, answer.text)
            # Nor do the operations on nodes show to them.
            assert (await viewer.get(f"/api/v1/operations/{drain['operation_id']}")).status_code == 403
            listed = (await viewer.get("/api/v1/operations")).json()["operations"]
            assert not [op for op in listed if op["kind"].endswith("_node")], listed
        code, out = await run("nodes", token=viewer_token)
        assert code != 0 and "admin" in out, out
        refused = await ask(url, "nodes", caller={"is_admin": False, "teams": []})
        assert refused["error"]["status"] == 403, refused
        forged = await request(url, NodeDrainRequested(node=FIRST), team="red")

        async def refused_by_the_deployer() -> bool:
            found = [e for e, _ in await events(url, "qc.deploy.node_drain.failed") if e.operation_id == forged]
            return bool(found) and isinstance(found[0], NodeDrainFailed) and "names no team" in found[0].reason

        await eventually(refused_by_the_deployer, what="the deployer to refuse a drain asked with a team")
        assert not (await _nodes(http))[FIRST]["unschedulable"]
