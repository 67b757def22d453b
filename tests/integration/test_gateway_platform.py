"""The platform through the gateway, with the market and the deployer on the sim runtime: the cluster's
resources (capacity against what the installed services request), the dashboard's overview of the services
a caller may see, and each QuickOn service's health."""

from __future__ import annotations

from pathlib import Path

from quickon_common.natsserver import NatsServer
from support.bus import running
from support.deployer import CATALOG
from support.gateway import client, log_in
from support.gateway_flows import stack, succeeded
from support.market import market_service

PASSWORD = "platform-Pa55word-reader"
GiB = 1024**3


async def test_resources_count_what_services_request_and_components_say_who_is_down(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    # One database is enough: nothing here is stored by the gateway but the users and teams the test makes.
    async with stack(nats_server.url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path) as s:
        http = s.http
        empty = (await http.get("/api/v1/cluster/resources")).json()
        # The sim's three default nodes of 4 CPUs and 8 GiB, nothing requested yet.
        assert (empty["runtime"], empty["nodes"], empty["nodes_ready"]) == ("sim", 3, 3), empty
        assert empty["cpu"] == {"requested": 0, "capacity": 12_000}
        assert empty["memory"] == {"requested": 0, "capacity": 24 * GiB}
        assert empty["storage"]["requested"] == 0 and empty["storage"]["capacity"] > 0
        assert [n["name"] for n in empty["per_node"]] == ["sim-node-1", "sim-node-2", "sim-node-3"]

        await succeeded(http, await http.post("/api/v1/services", json={"name": "cache", "app": "redis"}))
        used = (await http.get("/api/v1/cluster/resources")).json()
        # redis asks for 50m and 64Mi (its chart's defaults) and an 8Gi volume.
        assert used["cpu"]["requested"] >= 50 and used["memory"]["requested"] >= 64 * 1024**2, used
        assert used["storage"]["requested"] == 8 * GiB, used
        assert sum(n["pods"] for n in used["per_node"]) >= 1

        # Totals for a member of any team, the nodes only for admins; nothing for a user in no team.
        for name in ("val", "loner"):
            made = await http.post("/api/v1/users", json={"username": name, "password": PASSWORD})
            assert made.status_code == 201, made.text
        assert (await http.post("/api/v1/teams", json={"name": "red"})).status_code == 201
        added = await http.post("/api/v1/teams/red/members", json={"username": "val", "role": "viewer"})
        assert added.status_code == 200, added.text
        wiki = {"name": "wiki", "app": "redis", "team": "red"}
        await succeeded(http, await http.post("/api/v1/services", json=wiki))
        # The overview counts in the deployer's database what the caller may see: the admin both services,
        # red's viewer red's alone; the resources are the same totals as /cluster/resources.
        overview = (await http.get("/api/v1/overview")).json()
        assert overview["services"]["total"] == 2 and overview["services"]["by_status"] == {"running": 2}, overview
        assert [s["service"] for s in overview["services"]["newest"]] == ["wiki", "cache"], overview
        assert overview["resources"]["nodes"] == 3 and overview["resources"]["per_node"], overview
        async with client(s.app, await log_in(s.app, "val", PASSWORD)) as viewer:
            seen = (await viewer.get("/api/v1/cluster/resources")).json()
            assert seen["per_node"] is None, seen
            assert (await viewer.get("/api/v1/platform/components")).status_code == 403
            theirs = (await viewer.get("/api/v1/overview")).json()
            assert theirs["services"]["total"] == 1 and theirs["services"]["by_status"] == {"running": 1}, theirs
            assert [(s["service"], s["team"]) for s in theirs["services"]["newest"]] == [("wiki", "red")], theirs
            assert theirs["resources"]["cpu"] == seen["cpu"] and theirs["resources"]["per_node"] is None, theirs
            # The gateway keeps each overview a few seconds per set of teams asking, and drops them all when a
            # deploy event passes: a service installed now is counted by the next overview of every caller.
            more = {"name": "notes", "app": "redis", "team": "red"}
            await succeeded(http, await http.post("/api/v1/services", json=more))
            again = (await viewer.get("/api/v1/overview")).json()
            assert again["services"]["total"] == 2, again
        assert (await http.get("/api/v1/overview")).json()["services"]["total"] == 3
        async with client(s.app, await log_in(s.app, "loner", PASSWORD)) as loner:
            for path in ("/api/v1/cluster/resources", "/api/v1/overview"):
                refused = await loner.get(path)
                assert refused.status_code == 403 and "no team" in refused.json()["detail"], refused.text

        # The stack runs the market (here with a second replica), the deployer and the gateway: each replica is
        # shown; the others are down, and say so.
        second = market_service(nats_server.url, f"sqlite:///{tmp_path / 'market.db'}", tmp_path, builtin=CATALOG)
        async with running(second):
            answer = (await http.get("/api/v1/platform/components")).json()["components"]
        components = {c["service"]: c for c in answer}
        assert sorted(components) == ["audit", "backup", "deployer", "gateway", "market", "monitor"]
        for up in ("deployer", "gateway", "market"):
            assert components[up]["up"] and components[up]["ready"] and components[up]["version"], components[up]
        assert [c["replicas"] for c in answer if c["up"]] == [1, 1, 2], answer
        market = components["market"]["instances"]
        assert second.instance in [i["instance"] for i in market] and len({i["instance"] for i in market}) == 2
        assert all(i["ready"] and i["outbox_backlog"] is not None for i in market), market
        for alone in ("deployer", "gateway"):  # the one replica of its service leads it (runs the periodic jobs)
            assert [i["leads"] for i in components[alone]["instances"]] == [True], components[alone]
        for down in ("audit", "backup", "monitor"):
            assert not components[down]["up"] and not components[down]["ready"], components[down]
            assert "not running" in components[down]["detail"] and components[down]["replicas"] == 0
