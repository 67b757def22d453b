"""Services through the gateway's HTTP API, with the market and the deployer on the sim runtime: install
(values checked at once, secrets sealed before any event), follow the operation, then every operation."""

from __future__ import annotations

import base64
from pathlib import Path

from quickon_common.natsserver import NatsServer
from quickon_deployer.runtime.simulated import SimRuntime
from support.bus import events, eventually, stream_messages
from support.gateway import client, log_in
from support.gateway_flows import accepted, settled, stack, steps, succeeded

PASSWORD = "s3cret-Pa55word-via-gateway"
ADMIN_PASSWORD = "upgrade-time-Adm1n-pass"
INSTALL_STEPS = [
    ("resolve", "started"), ("resolve", "completed"), ("render", "started"), ("render", "completed"),
    ("scan", "started"), ("scan", "completed"), ("apply", "started"), ("apply", "completed"),
    ("wait", "started"), ("wait", "completed"), ("expose", "started"), ("expose", "completed"),
]  # fmt: skip


def redis_password(runtime: SimRuntime, release: str) -> str:
    secret = next(o for o in runtime.cluster.objects(namespace="default", release=release) if o.kind == "Secret")
    return base64.b64decode(secret.live["data"]["redis-password"]).decode()


async def test_an_install_is_checked_sealed_and_followed_to_its_end(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    async with stack(nats_server.url, database_url, tmp_path) as s:
        http = s.http
        install = {"name": "cache", "app": "redis", "version": "1.0.0", "values": {"auth": {"password": PASSWORD}}}
        operation = await succeeded(http, await http.post("/api/v1/services", json=install))
        assert operation["kind"] == "install" and operation["target"] == {"service": "cache", "namespace": "default"}
        assert steps(operation) == INSTALL_STEPS
        assert operation["result"] == {"app": "redis", "version": "1.0.0", "revision": 1}
        assert operation["actor"] == "admin" and operation["error"] is None and operation["finished_at"]

        service = (await http.get("/api/v1/services/cache")).json()
        assert (service["status"], service["version"], service["revision"]) == ("running", "1.0.0", 1)
        assert service["secret_values"] == ["auth.password"] and PASSWORD not in str(service)
        assert redis_password(s.deployer.runtime, "cache") == PASSWORD
        listed = (await http.get("/api/v1/services")).json()["services"]
        assert [(x["service"], x["status"]) for x in listed] == [("cache", "running")]
        assert [r["revision"] for r in (await http.get("/api/v1/services/cache/revisions")).json()["revisions"]] == [1]

        # Bad values: 422 naming the field, at once, and nothing is published.
        bad = await http.post(
            "/api/v1/services", json={"name": "other", "app": "redis", "values": {"image": {"pullPolicy": "Sometimes"}}}
        )
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in bad.json()["errors"]] == ["body.values.image.pullPolicy"]
        assert "redis" in bad.json()["detail"]
        unknown = await http.post("/api/v1/services", json={"name": "other", "app": "no-such-app"})
        assert unknown.status_code == 404 and "no-such-app" in unknown.json()["detail"]
        typo = await http.post("/api/v1/services", json={"name": "other", "app": "redis", "valuez": {}})
        assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "body.valuez"
        for path in ("/api/v1/services/Bad_Name", "/api/v1/services/..%2Fetc", "/api/v1/services/" + "a" * 60):
            assert (await http.get(path)).status_code in (404, 422), path

        # A refusal by the deployer: the operation fails with the reason.
        taken = await settled(
            http, accepted(await http.post("/api/v1/services", json={"name": "cache", "app": "redis"}))
        )
        assert taken["state"] == "failed" and taken["error"]["step"] == "accept"
        assert "exists in 'default' already" in taken["error"]["reason"]

        found = (await http.get("/api/v1/operations", params={"service": "cache"})).json()["operations"]
        assert [(o["kind"], o["state"]) for o in found] == [("install", "failed"), ("install", "succeeded")]
        assert (await http.get("/api/v1/operations/nope")).status_code == 404

        # The reveal: for admins only (403 for another user), and never cached.
        revealed = await http.get("/api/v1/services/cache/secrets")
        assert revealed.status_code == 200, revealed.text
        assert revealed.json() == {
            "service": "cache", "namespace": "default", "values": {"auth": {"password": PASSWORD}},
            "secret_paths": ["auth.password"],
        }  # fmt: skip
        assert revealed.headers["cache-control"] == "no-store"
        assert (await http.get("/api/v1/services/nothere/secrets")).status_code == 404
        made = await http.post("/api/v1/users", json={"username": "bob", "password": "bobs-password"})
        assert made.status_code == 201, made.text
        async with client(s.app, await log_in(s.app, "bob", "bobs-password")) as bob:
            refused = await bob.get("/api/v1/services/cache/secrets")
        assert refused.status_code == 403 and PASSWORD not in refused.text

        async def reveal_published() -> bool:  # naming who and which service, without the value
            found = await events(nats_server.url, "qc.iam.secrets.revealed")
            return [(e.username, e.service, e.secret_paths) for e, _ in found] == [
                ("admin", "cache", ["auth.password"])
            ]  # type: ignore[attr-defined]

        await eventually(reveal_published, what="the reveal's iam event")

    # No message on the bus carries the password in clear: the gateway sealed it before publishing.
    leaks = [m.subject for m in await stream_messages(nats_server.url) if PASSWORD.encode() in m.data]
    assert leaks == []
    assert not [m for m in await stream_messages(nats_server.url) if PASSWORD in str(m.headers)]


async def test_a_service_is_upgraded_rolled_back_stopped_started_and_uninstalled(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    async with stack(nats_server.url, database_url, tmp_path) as s:
        http = s.http
        await succeeded(
            http, await http.post("/api/v1/services", json={"name": "git", "app": "gitea", "version": "1.0.0"})
        )

        preview = await http.post("/api/v1/services/git/upgrade/preview", json={"version": "1.1.0"})
        assert preview.status_code == 200, preview.text
        body = preview.json()
        assert (body["from_version"], body["to_version"], body["values_valid"]) == ("1.0.0", "1.1.0", True)
        assert [c["version"] for c in body["changelog"]] == ["1.1.0"] and body["manifest_diff"]
        assert (await http.get("/api/v1/services/git")).json()["version"] == "1.0.0"  # nothing changed

        change = {"version": "1.1.0", "values": {"admin": {"password": ADMIN_PASSWORD}}}
        upgraded = await succeeded(http, await http.post("/api/v1/services/git/upgrade", json=change))
        assert upgraded["result"] == {"from_version": "1.0.0", "to_version": "1.1.0", "revision": 2}
        assert ("apply", "completed") in steps(upgraded)

        rolled = await succeeded(http, await http.post("/api/v1/services/git/rollback", json={"revision": 1}))
        assert rolled["kind"] == "rollback" and rolled["result"] == {"to_revision": 1, "revision": 3}
        service = (await http.get("/api/v1/services/git")).json()
        assert (service["version"], service["revision"]) == ("1.0.0", 3)

        await succeeded(http, await http.post("/api/v1/services/git/stop"))
        assert (await http.get("/api/v1/services/git")).json()["status"] == "stopped"
        await succeeded(http, await http.post("/api/v1/services/git/start"))
        assert (await http.get("/api/v1/services/git")).json()["status"] == "running"
        await succeeded(http, await http.post("/api/v1/services/git/restart"))

        gone = await succeeded(http, await http.delete("/api/v1/services/git", params={"delete_volumes": "true"}))
        assert gone["result"] == {"volumes_kept": False}
        missing = await http.get("/api/v1/services/git")
        assert missing.status_code == 404 and "git" in missing.json()["detail"]
        kinds = [
            o["kind"] for o in (await http.get("/api/v1/operations", params={"service": "git"})).json()["operations"]
        ]
        assert kinds == ["uninstall", "restart", "start", "stop", "rollback", "upgrade", "install"]
    assert not [m.subject for m in await stream_messages(nats_server.url) if ADMIN_PASSWORD.encode() in m.data]


async def test_an_upgrade_that_names_no_version_goes_to_the_newest_stable_one(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    # As `helm upgrade` and app stores do; gitea's versions in the built-in catalog are 1.0.0, 1.1.0, 1.1.1.
    async with stack(nats_server.url, f"sqlite:///{tmp_path / 'qc.db'}", tmp_path) as s:
        http = s.http
        await succeeded(
            http, await http.post("/api/v1/services", json={"name": "git", "app": "gitea", "version": "1.0.0"})
        )
        preview = (await http.post("/api/v1/services/git/upgrade/preview", json={})).json()
        assert (preview["from_version"], preview["to_version"]) == ("1.0.0", "1.1.1")
        upgraded = await succeeded(http, await http.post("/api/v1/services/git/upgrade", json={}))
        assert upgraded["result"]["to_version"] == "1.1.1"
        # On the newest already: the same version again (a values change), not a downgrade or a refusal.
        again = await succeeded(http, await http.post("/api/v1/services/git/upgrade", json={}))
        assert (again["result"]["from_version"], again["result"]["to_version"]) == ("1.1.1", "1.1.1")
        refused = await http.post("/api/v1/services/nope/upgrade", json={})
        assert refused.status_code == 404 and "nope" in refused.json()["detail"]


async def test_an_upgrade_soaks_when_asked_and_a_bad_soak_is_refused(nats_server: NatsServer, tmp_path: Path) -> None:
    async with stack(nats_server.url, f"sqlite:///{tmp_path / 'qc.db'}", tmp_path) as s:
        http = s.http
        await succeeded(
            http, await http.post("/api/v1/services", json={"name": "git", "app": "gitea", "version": "1.0.0"})
        )
        for bad, says in (
            (-1, "greater than or equal to 0"), (3601, "less than or equal to 3600"), ("an hour", "valid integer"),
            (1.5, "valid integer"),
        ):  # fmt: skip
            refused = await http.post("/api/v1/services/git/upgrade", json={"version": "1.1.0", "soak_seconds": bad})
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in refused.json()["errors"]] == ["body.soak_seconds"]
            assert "soak_seconds" in refused.json()["detail"] and says in refused.json()["detail"]
        operations = (await http.get("/api/v1/operations", params={"service": "git"})).json()["operations"]
        assert [o["kind"] for o in operations] == ["install"]  # nothing was asked of the deployer
        assert (await http.get("/api/v1/services/git")).json()["version"] == "1.0.0"

        # No monitor here, so no alert: the upgrade completes once its soak is over, which its steps show.
        upgraded = await succeeded(
            http, await http.post("/api/v1/services/git/upgrade", json={"version": "1.1.0", "soak_seconds": 1})
        )
        assert steps(upgraded)[-2:] == [("soak", "started"), ("soak", "completed")]
        assert upgraded["result"]["to_version"] == "1.1.0"


async def test_a_values_key_the_chart_does_not_know_is_warned_of_and_the_install_proceeds(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    # Helm ignores a top-level key the chart does not use; the schema allows any at the top level.
    async with stack(nats_server.url, database_url, tmp_path) as s:
        http = s.http
        install = {"name": "typo", "app": "redis", "version": "1.0.0", "values": {"replicaCount": "banana"}}
        response = await http.post("/api/v1/services", json=install)
        [warning] = accepted(response)["warnings"]
        assert warning["field"] == "body.values.replicaCount"
        assert "'replicaCount'" in warning["message"] and "check its spelling" in warning["message"]
        assert (await settled(http, response.json()))["state"] == "succeeded"

        clean = {"name": "clean", "app": "redis", "version": "1.0.0", "values": {"image": {"tag": "7.2.5"}}}
        assert accepted(await http.post("/api/v1/services", json=clean))["warnings"] == []
        upgrade = {"values": {"replicaCont": 2}, "backup_first": False}
        upgraded = await http.post("/api/v1/services/typo/upgrade", json=upgrade)
        assert [w["field"] for w in accepted(upgraded)["warnings"]] == ["body.values.replicaCont"]
