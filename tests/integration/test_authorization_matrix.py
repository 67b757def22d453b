"""Every route of the gateway's OpenAPI document, asked by every kind of caller about their own team's
service and another team's: what each may do is the table below, and nothing else gets through.

One platform (market, deployer on sim, backup service, gateway) for the whole matrix. Two teams, red and
blue, each with a service ``cache`` in its namespace, a backup of it and the operation that installed it.
The callers: no token, red's viewer, operator, admin and owner, blue's admin, and a platform admin.

A request counts as allowed when it passes authorization: any answer but 401 and 403 (a 404 of a thing
that is not there, a 422 of a body made invalid on purpose so that nothing long starts, a 202). Bodies
are ``{"matrix": true}``, which every request model refuses, except where the route decides on the body
itself; targets that would end the matrix early (deleting a team, a user of the matrix, the caller's own
token) point at things that are not there, after authorization has been decided.

A route missing from the table fails the test: a new route must say who may call it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from support.backup import backup_platform
from support.bus import running
from support.gateway import client, gateway_service, log_in
from support.gateway_flows import succeeded
from support.monitor import WITHOUT_PROMETHEUS, monitor_service

# Who may call a route: nobody needs a token (PUBLIC), any user (ANY: lists are filtered to the caller's
# teams), a member of any team (MEMBER), a role in the team that owns the target (VIEWER < OPERATOR < ADMIN
# < OWNER), or a platform admin.
PUBLIC, ANY, MEMBER, PLATFORM = "public", "any", "member", "platform"
VIEWER, OPERATOR, ADMIN, OWNER = "viewer", "operator", "admin", "owner"

EXPECTED: dict[str, str] = {
    "POST /api/v1/auth/token": PUBLIC,
    "GET /api/v1/auth/me": ANY,
    "GET /api/v1/auth/tokens": ANY,
    "POST /api/v1/auth/tokens": ANY,
    "DELETE /api/v1/auth/tokens/{token_id}": ANY,
    "POST /api/v1/auth/password": ANY,
    "GET /api/v1/users": PLATFORM,
    "POST /api/v1/users": PLATFORM,
    "GET /api/v1/users/{user}": PLATFORM,
    "DELETE /api/v1/users/{user}": PLATFORM,
    "POST /api/v1/users/{user}/disable": PLATFORM,
    "POST /api/v1/users/{user}/enable": PLATFORM,
    "POST /api/v1/users/{user}/password": PLATFORM,
    "GET /api/v1/teams": ANY,
    "POST /api/v1/teams": PLATFORM,
    "GET /api/v1/teams/{team}": VIEWER,
    "PATCH /api/v1/teams/{team}": OWNER,
    "DELETE /api/v1/teams/{team}": OWNER,
    "GET /api/v1/teams/{team}/members": VIEWER,
    "POST /api/v1/teams/{team}/members": ADMIN,
    "DELETE /api/v1/teams/{team}/members/{username}": ADMIN,
    "GET /api/v1/teams/{team}/namespaces": VIEWER,
    "POST /api/v1/teams/{team}/namespaces": PLATFORM,
    "DELETE /api/v1/teams/{team}/namespaces/{namespace}": PLATFORM,
    "GET /api/v1/apps": ANY,
    "GET /api/v1/apps/categories": ANY,
    "GET /api/v1/apps/{app}": ANY,
    "GET /api/v1/apps/{app}/versions/{version}": ANY,
    "GET /api/v1/apps/{app}/upgrades": ANY,
    "GET /api/v1/apps/{app}/versions/{version}/scan": ANY,
    "GET /api/v1/repositories": ANY,
    "POST /api/v1/repositories": PLATFORM,
    "POST /api/v1/repositories/{name}/refresh": PLATFORM,
    "DELETE /api/v1/repositories/{name}": PLATFORM,
    "POST /api/v1/charts": PLATFORM,
    "GET /api/v1/services": ANY,
    "POST /api/v1/services": ADMIN,
    "GET /api/v1/services/{name}": VIEWER,
    "DELETE /api/v1/services/{name}": ADMIN,
    "GET /api/v1/services/{name}/revisions": VIEWER,
    "GET /api/v1/services/{name}/scan": VIEWER,
    "GET /api/v1/services/{name}/secrets": ADMIN,  # the secret values in clear: a team admin
    "GET /api/v1/services/{name}/exposure": VIEWER,
    "PUT /api/v1/services/{name}/exposure": ADMIN,  # who reaches an app is a team admin's decision
    "POST /api/v1/services/{name}/start": OPERATOR,
    "POST /api/v1/services/{name}/stop": OPERATOR,
    "POST /api/v1/services/{name}/restart": OPERATOR,
    "POST /api/v1/services/{name}/upgrade": OPERATOR,
    "POST /api/v1/services/{name}/upgrade/preview": VIEWER,
    "POST /api/v1/services/{name}/rollback": OPERATOR,
    "POST /api/v1/services/{name}/backups": OPERATOR,
    "GET /api/v1/services/{name}/backups": VIEWER,
    "GET /api/v1/backups/{backup_id}": VIEWER,
    "DELETE /api/v1/backups/{backup_id}": ADMIN,
    "POST /api/v1/backups/{backup_id}/restore": OPERATOR,
    "POST /api/v1/backups/{backup_id}/verify": OPERATOR,
    "GET /api/v1/services/{name}/backups/schedule": VIEWER,
    "PUT /api/v1/services/{name}/backups/schedule": ADMIN,
    "DELETE /api/v1/services/{name}/backups/schedule": ADMIN,
    "POST /api/v1/services/{name}/export": ADMIN,  # a bundle holds the data and the secrets
    "GET /api/v1/services/{name}/export": ADMIN,
    "POST /api/v1/imports": ADMIN,  # an install: decided on the form's team
    "GET /api/v1/operations": ANY,
    "GET /api/v1/operations/{operation_id}": VIEWER,
    "GET /api/v1/events": ANY,
    "GET /api/v1/audit": ANY,
    "GET /api/v1/audit/export": ANY,
    "GET /api/v1/audit/verify": PLATFORM,
    "GET /api/v1/audit/entries/{seq}/proof": ANY,
    "GET /api/v1/audit/checkpoints": ANY,
    "GET /api/v1/audit/public-key": PUBLIC,
    "GET /api/v1/cluster/resources": MEMBER,  # the totals; the nodes themselves only to platform admins
    "GET /api/v1/cluster/nodes": PLATFORM,
    "GET /api/v1/cluster/nodes/{name}": PLATFORM,
    "POST /api/v1/cluster/nodes/{name}/cordon": PLATFORM,
    "POST /api/v1/cluster/nodes/{name}/uncordon": PLATFORM,
    "POST /api/v1/cluster/nodes/{name}/drain": PLATFORM,
    "GET /api/v1/overview": MEMBER,  # the services counted are the caller's teams' (test_gateway_services)
    "GET /api/v1/platform/components": PLATFORM,
    "POST /api/v1/platform/components/{name}/scale": PLATFORM,
    "GET /api/v1/platform/scan-policy": ANY,  # what blocks an install: every user may know
    "PUT /api/v1/platform/scan-policy": PLATFORM,
    "GET /api/v1/alert-rules": ANY,  # filtered: the caller's teams' rules and the platform's
    "POST /api/v1/alert-rules": ADMIN,  # decided on the body's team (none: platform admins)
    "GET /api/v1/alert-rules/{rule_id}": VIEWER,
    "PUT /api/v1/alert-rules/{rule_id}": ADMIN,
    "DELETE /api/v1/alert-rules/{rule_id}": ADMIN,
    "GET /api/v1/alerts": ANY,
    "POST /api/v1/alerts/alertmanager": PLATFORM,
    "GET /api/v1/silences": ANY,
    "POST /api/v1/silences": OPERATOR,  # decided on the body's team
    "DELETE /api/v1/silences/{silence_id}": OPERATOR,
    "GET /api/v1/alerts/{alert_id}": VIEWER,
    "POST /api/v1/alerts/{alert_id}/acknowledge": OPERATOR,
    "GET /api/v1/notification-channels": ANY,  # filtered: your teams' channels (all, for platform admins)
    "POST /api/v1/notification-channels": ADMIN,  # of the team named in the body
    "GET /api/v1/notification-channels/{channel_id}": VIEWER,
    "PUT /api/v1/notification-channels/{channel_id}": ADMIN,
    "DELETE /api/v1/notification-channels/{channel_id}": ADMIN,
    "POST /api/v1/notification-channels/{channel_id}/test": ADMIN,
    "GET /api/v1/notification-channels/{channel_id}/deliveries": VIEWER,
    "GET /api/v1/metrics/series": ANY,  # filtered: the services' series (every one, for platform admins)
    "GET /api/v1/metrics/query": VIEWER,  # of the namespace's team; the platform's series and PromQL: admins
}

# The callers: their role in red (the "own" team), in blue, and whether they are platform admins.
CALLERS: dict[str, tuple[str | None, str | None, bool]] = {
    "no token": (None, None, False),
    "viewer": ("viewer", None, False),
    "operator": ("operator", None, False),
    "team admin": ("admin", None, False),
    "owner": ("owner", None, False),
    "other team's admin": (None, "admin", False),
    "platform admin": (None, None, True),
}
RANK = {VIEWER: 0, OPERATOR: 1, ADMIN: 2, OWNER: 3}
PASSWORD = "matrix-password"


def allowed(rule: str, caller: str, target: str) -> bool:
    """What the table says: may ``caller`` call a route of ``rule`` about ``target``'s team (red or blue)?"""
    red, blue, is_admin = CALLERS[caller]
    if rule == PUBLIC:
        return True
    if caller == "no token":
        return False
    if is_admin or rule == ANY:
        return True
    if rule == PLATFORM:
        return False
    if rule == MEMBER:
        return red is not None or blue is not None
    held = red if target == "red" else blue
    return held is not None and RANK[held] >= RANK[rule]


# Path parameters that stand for nothing of the matrix's own (so that an allowed call ends nothing it needs).
FIXED = {"user": "spare", "username": "spare", "token_id": "not-a-token", "app": "redis", "version": "latest",
         "seq": "1", "namespace": "nowhere"}  # fmt: skip
QUERY = {
    "GET /api/v1/apps/{app}/upgrades": {"from_version": "1.0.0"},
    "GET /api/v1/events": {"follow": "false"},
    "GET /api/v1/audit/export": {"actor": "nobody-at-all"},
}
INVALID = {"matrix": True}
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).isoformat()
UNREACHABLE = "http://127.0.0.1:9/matrix"  # a channel's URL: the discard port, where nothing listens


def request_for(
    route: str, team: str, found: dict[str, dict[str, str]], caller: str
) -> tuple[str, str, dict[str, Any]]:
    """The method, path and options of a call of ``route`` about ``team``'s things, by ``caller``."""
    method, template = route.split(" ", 1)
    values = {**FIXED, **found[team]}
    if route == "DELETE /api/v1/notification-channels/{channel_id}":
        values["channel_id"] = found[team][f"doomed {caller}"]  # a channel of its own: a delete ends it
    if route == "DELETE /api/v1/services/{name}":
        values["name"] = "ghost"  # the namespace decides; a real uninstall would only slow the matrix
    if route.startswith(("POST /api/v1/repositories/", "DELETE /api/v1/repositories/", "POST /api/v1/cluster/")):
        values["name"] = "nope"  # a node that is not there: the admin's 404 cordons nothing
    if route == "DELETE /api/v1/teams/{team}/members/{username}":
        values["username"] = "spare"
    path = template.format(**values)
    options: dict[str, Any] = {"params": dict(QUERY.get(route, {}))}
    if "/services/{name}" in template:
        options["params"]["namespace"] = team
    if route == "GET /api/v1/metrics/query":  # decided on the namespace (no Prometheus here: allowed is a 503)
        options["params"].update(series="service_cpu", service="cache", namespace=team)
    if route == "POST /api/v1/services":  # decided on the body: a team, and an app the market does not have
        options["json"] = {"name": "matrix", "app": "no-such-app", "team": team}
    elif route == "POST /api/v1/alert-rules":  # decided on the body's team; a rule made is harmless
        options["json"] = {"name": "matrix", "template": "node_disk", "team": team}
    elif route == "POST /api/v1/silences":  # decided on the body's team; it silences nothing real
        options["json"] = {"matchers": [{"name": "matrix", "value": "x"}], "ends_at": TOMORROW, "team": team}
    elif route == "POST /api/v1/notification-channels":  # decided on the body's team
        options["json"] = {"name": "matrix", "kind": "webhook", "url": UNREACHABLE, "team": team}
    elif route == "POST /api/v1/imports":  # decided on the form's team; the name is taken there (409)
        options["data"] = {"name": "cache", "team": team, "passphrase": PASSWORD}
        options["files"] = {"bundle": ("matrix.qcb", b"matrix")}
    elif method in ("POST", "PUT", "PATCH"):
        options["json"] = INVALID
    return method, path, options


async def test_every_route_lets_exactly_the_callers_its_table_names(nats_server: NatsServer, tmp_path: Path) -> None:
    url = nats_server.url
    async with backup_platform(url, tmp_path, StoreSettings(url=f"file://{tmp_path / 'objects'}")):
        service, app = gateway_service(url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path)
        monitor = monitor_service(url, f"sqlite:///{tmp_path / 'monitor.db'}", tmp_path)
        async with running(monitor, but=WITHOUT_PROMETHEUS), running(service):
            admin_token = await log_in(app)
            async with client(app, admin_token) as admin:
                found = await _teams_with_a_service_each(admin)
                tokens = {"no token": None, "platform admin": admin_token}
                for caller, (red, blue, _) in CALLERS.items():
                    if caller in tokens:
                        continue
                    username = caller.replace(" ", "-").replace("'", "")
                    made = await admin.post("/api/v1/users", json={"username": username, "password": PASSWORD})
                    assert made.status_code == 201, made.text
                    for team, role in (("red", red), ("blue", blue)):
                        if role:
                            added = await admin.post(f"/api/v1/teams/{team}/members",
                                                     json={"username": username, "role": role})  # fmt: skip
                            assert added.status_code == 200, added.text
                    tokens[caller] = await log_in(app, username, PASSWORD)
                spare = await admin.post("/api/v1/users", json={"username": "spare", "password": PASSWORD})
                assert spare.status_code == 201, spare.text

            routes = {f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items() for method in item}
            assert sorted(routes - EXPECTED.keys()) == [], "routes with no line in the table: say who may call them"
            assert sorted(EXPECTED.keys() - routes) == [], "lines of the table with no route"

            async with client(app, admin_token) as admin:
                await _doomed_channels(admin, found)
            unexpected: list[str] = []
            for route in sorted(EXPECTED):
                for target in ("red", "blue"):
                    for caller, token in tokens.items():
                        method, path, options = request_for(route, target, found, caller)
                        async with client(app, token) as http:
                            answer = await http.request(method, path, **options)
                        passed = answer.status_code not in (401, 403)
                        if passed != allowed(EXPECTED[route], caller, target):
                            said = answer.text[:160].replace("\n", " ")
                            unexpected.append(f"{route} on {target}'s, as {caller}: {answer.status_code} {said}")
            assert unexpected == [], f"{len(unexpected)} unexpected answers:\n" + "\n".join(unexpected)


async def _teams_with_a_service_each(admin: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """Teams red and blue, each with ``cache`` installed in its namespace and backed up: the path
    parameters that name each team's things."""
    found: dict[str, dict[str, str]] = {}
    for team in ("red", "blue"):
        made = await admin.post("/api/v1/teams", json={"name": team})
        assert made.status_code == 201, made.text
        assert made.json()["namespaces"] == [team]
        install = await admin.post("/api/v1/services", json={"name": "cache", "app": "redis", "team": team})
        installed = await succeeded(admin, install)
        assert (installed["team"], installed["target"]["namespace"]) == (team, team)
        taken = await succeeded(admin, await admin.post("/api/v1/services/cache/backups", params={"namespace": team}))
        rule = await succeeded(admin, await admin.post("/api/v1/alert-rules", json={
            "name": "disk", "template": "node_disk", "params": {"percent": 90}, "team": team}))  # fmt: skip
        quiet = {"matchers": [{"name": "namespace", "value": team}], "ends_at": TOMORROW, "team": team}
        silence = await succeeded(admin, await admin.post("/api/v1/silences", json=quiet))
        # An outside alert about the team's namespace is the team's.
        webhook = {
            "status": "firing",
            "alerts": [{"status": "firing", "labels": {"alertname": "Matrix", "namespace": team}}],
        }
        await succeeded(admin, await admin.post("/api/v1/alerts/alertmanager", json=webhook))
        alerts = (await admin.get("/api/v1/alerts")).json()["alerts"]
        alert_id = next(a["alert_id"] for a in alerts if a["namespace"] == team)
        channel = await succeeded(admin, await admin.post("/api/v1/notification-channels", json={
            "name": "alerts", "kind": "webhook", "url": UNREACHABLE, "team": team,
        }))  # fmt: skip
        found[team] = {"team": team, "name": "cache", "backup_id": taken["result"]["backup_id"],
                       "operation_id": installed["operation_id"], "rule_id": rule["result"]["rule_id"],
                       "silence_id": silence["result"]["silence_id"], "alert_id": alert_id,
                       "channel_id": channel["result"]["channel_id"]}  # fmt: skip
    return found


async def _doomed_channels(admin: httpx.AsyncClient, found: dict[str, dict[str, str]]) -> None:
    """Channels of each team to try to delete: one for each caller the table lets delete it, and one shared
    by the others. A delete allowed must not leave the next callers a 404, which would pass them whatever
    their role."""
    rule = EXPECTED["DELETE /api/v1/notification-channels/{channel_id}"]
    for team in ("red", "blue"):
        shared: str | None = None
        for caller in CALLERS:
            if shared is not None and not allowed(rule, caller, team):
                found[team][f"doomed {caller}"] = shared
                continue
            made = await succeeded(admin, await admin.post("/api/v1/notification-channels", json={
                "name": "doomed", "kind": "webhook", "url": UNREACHABLE, "team": team,
            }))  # fmt: skip
            found[team][f"doomed {caller}"] = made["result"]["channel_id"]
            if not allowed(rule, caller, team):
                shared = made["result"]["channel_id"]
