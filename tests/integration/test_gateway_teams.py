"""Users, teams, members and namespaces through the gateway, with two gateway replicas on one database
(what one replica changes, the other obeys at once: it hears the iam event) and the deployer checking
again that a request's team owns the service it names."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from quickon_common.contracts.deploy import AppUninstallFailed, AppUninstallRequested
from quickon_common.natsserver import NatsServer
from support.bus import eventually, running, stream_messages
from support.deployer import finished, outcome, platform, request
from support.gateway import client, gateway_service, log_in
from support.gateway_flows import accepted, succeeded

PASSWORD = "carols-password"


async def refused(app: FastAPI, token: str) -> bool:
    async with client(app, token) as http:
        return (await http.get("/api/v1/auth/me")).status_code == 401


async def role_is(http: httpx.AsyncClient, role: str) -> bool:
    """Whether the gateway now authorizes the caller as ``role`` in ops (as its cache of them says)."""
    return [t["role"] for t in (await http.get("/api/v1/teams")).json()["teams"]] == [role]


async def test_users_teams_and_roles_across_two_replicas(nats_server: NatsServer, tmp_path: Path) -> None:
    url, database = nats_server.url, f"sqlite:///{tmp_path / 'gateway.db'}"
    async with platform(url, f"sqlite:///{tmp_path / 'deployer.db'}", tmp_path):
        one, app_one = gateway_service(url, database, tmp_path)
        two, app_two = gateway_service(url, database, tmp_path)
        async with running(one), running(two), client(app_one, await log_in(app_one)) as admin:
            # A team with its namespace; a user in it as an operator.
            team = (await admin.post("/api/v1/teams", json={"name": "ops"})).json()
            assert (team["team"], team["namespaces"]) == ("ops", ["ops"])
            assert (await admin.post("/api/v1/users", json={"username": "carol", "password": PASSWORD})).is_success
            member = await admin.post("/api/v1/teams/ops/members", json={"username": "carol", "role": "operator"})
            assert member.json()["role"] == "operator"
            session = await log_in(app_one, "carol", PASSWORD)
            async with client(app_two, session) as carol:
                me = (await carol.get("/api/v1/auth/me")).json()
                assert [(t["team"], t["role"]) for t in me["teams"]] == [("ops", "operator")]
                api_token = (await carol.post("/api/v1/auth/tokens", json={"name": "ci"})).json()["token"]
                # An operator may not install; the answer says which role it takes, in which team.
                install = {"name": "cache", "app": "redis", "team": "ops"}
                denied = await carol.post("/api/v1/services", json=install)
                assert denied.status_code == 403 and "admin role in team 'ops'" in denied.json()["detail"]
                # Made an admin on replica one, carol installs on replica two: into her team's namespace.
                await admin.post("/api/v1/teams/ops/members", json={"username": "carol", "role": "admin"})
                await eventually(lambda: role_is(carol, "admin"), what="replica two to hear carol's new role")
                installed = await succeeded(carol, await carol.post("/api/v1/services", json=install))
                assert (installed["team"], installed["target"]["namespace"]) == ("ops", "ops")
                assert [s["team"] for s in (await carol.get("/api/v1/services")).json()["services"]] == ["ops"]
                # Not into a namespace of no team of hers, nor into Kubernetes' own.
                elsewhere = await carol.post("/api/v1/services", json={**install, "namespace": "default"})
                assert elsewhere.status_code == 422 and "not team 'ops'" in elsewhere.json()["detail"]
                system = await admin.post("/api/v1/teams/ops/namespaces", json={"namespace": "kube-system"})
                assert system.status_code == 422 and "Kubernetes' own" in system.json()["detail"]
                # A team with services cannot be deleted; renamed, it keeps its id (what services name).
                assert (await carol.delete("/api/v1/teams/ops")).status_code == 403  # owners only
                await admin.post("/api/v1/teams/ops/members", json={"username": "carol", "role": "owner"})
                await eventually(lambda: role_is(carol, "owner"), what="replica two to hear carol's new role")
                busy = await carol.delete("/api/v1/teams/ops")
                assert busy.status_code == 409 and "uninstall them first" in busy.json()["detail"]
                renamed = (await carol.patch("/api/v1/teams/ops", json={"name": "operations"})).json()
                assert (renamed["team"], renamed["name"]) == ("ops", "operations")
                assert (await carol.get("/api/v1/teams/operations/members")).json()["members"][0]["username"] == "carol"

                # Enforced twice: a request naming another team is refused by the deployer itself.
                forged = await request(url, AppUninstallRequested(service="cache", namespace="ops"), team="default")
                failure = outcome(await finished(url, forged))
                assert isinstance(failure, AppUninstallFailed) and "belongs to team 'ops'" in failure.reason

                # Her own password change revokes her other tokens (the API one too) on both replicas.
                change = {"current_password": PASSWORD, "new_password": "carols-new-password"}
                assert (await carol.post("/api/v1/auth/password", json=change)).status_code == 204
                assert await refused(app_two, api_token)
                assert (await carol.get("/api/v1/auth/me")).status_code == 200, "the calling token stays"

            # Disabled on replica one: her token stops there at once, and on replica two as soon as it hears.
            assert (await admin.post("/api/v1/users/carol/disable")).json()["disabled"] is True
            assert await refused(app_one, session)
            await eventually(lambda: refused(app_two, session), what="replica two to refuse carol's token")
            async with client(app_two) as anonymous:
                again = {"username": "carol", "password": "carols-new-password"}
                assert (await anonymous.post("/api/v1/auth/token", data=again)).status_code == 403
            assert (await admin.post("/api/v1/users/carol/enable")).json()["disabled"] is False
            assert await log_in(app_two, "carol", "carols-new-password")
            # An admin's reset revokes every token; deleting removes her memberships too.
            assert (await admin.post("/api/v1/users/carol/password", json={"password": "reset-password"})).is_success
            assert (await admin.delete("/api/v1/users/carol")).status_code == 204
            assert (await admin.get("/api/v1/teams/ops/members")).json()["members"] == []

            async with client(app_one, await log_in(app_one)) as again_admin:
                gone = await again_admin.delete("/api/v1/services/cache", params={"namespace": "ops"})
                assert accepted(gone)["target"] == {"service": "cache", "namespace": "ops"}

    subjects = {m.subject for m in await stream_messages(url, "qc.iam.>")}
    assert {
        "qc.iam.team.created", "qc.iam.team.namespace_assigned", "qc.iam.team.member_added",
        "qc.iam.team.member_role_changed", "qc.iam.team.renamed", "qc.iam.user.password_changed",
        "qc.iam.user.disabled", "qc.iam.user.enabled", "qc.iam.user.deleted",
    } <= subjects  # fmt: skip
