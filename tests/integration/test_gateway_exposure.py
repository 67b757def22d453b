"""A service's exposure through the gateway, with the market and the deployer on the sim runtime (Gitea, a web
app): a wrong certificate, a password for a user not listed, a bad network and a viewer are refused at once and
change nothing; a good request is carried out, and the key and password it carried show nowhere after."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from quickon_common.certificates import self_signed
from quickon_common.natsserver import NatsServer
from support.bus import stream_messages
from support.gateway import client, log_in
from support.gateway_flows import stack, succeeded

HOST = "shop.example.com"
PASSWORD = "basic-auth-Pa55word-for-alice"
EXPOSURE = "/api/v1/services/forge/exposure"


async def _installed(http: httpx.AsyncClient) -> None:
    await succeeded(http, await http.post("/api/v1/services", json={"name": "forge", "app": "gitea"}))


async def _kinds(http: httpx.AsyncClient) -> list[str]:
    found = (await http.get("/api/v1/operations", params={"service": "forge"})).json()["operations"]
    return [o["kind"] for o in found]


def _refused(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    return problem


async def test_a_wrong_exposure_is_refused_at_once_and_changes_nothing(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    async with stack(nats_server.url, database_url, tmp_path) as s:
        http = s.http
        await _installed(http)
        before = (await http.get(EXPOSURE)).json()

        # A certificate for another host: the problem names the host and the field.
        other_cert, other_key = self_signed("other.example.com")
        wrong = {"domains": [{"host": HOST, "primary": True, "tls": "uploaded", "certificate": other_cert,
                              "key": other_key}]}  # fmt: skip
        problem = _refused(await http.put(EXPOSURE, json=wrong), "body.domains.0.certificate")
        assert f"does not cover {HOST}" in problem["detail"] and "other.example.com" in problem["detail"]
        assert other_key not in str(problem)
        # A certificate without its key, and a key without its certificate.
        alone = {"host": HOST, "tls": "uploaded"}
        _refused(
            await http.put(EXPOSURE, json={"domains": [{**alone, "certificate": other_cert}]}), "body.domains.0.key"
        )
        _refused(
            await http.put(EXPOSURE, json={"domains": [{**alone, "key": other_key}]}), "body.domains.0.certificate"
        )

        # A password for a user basic_auth_users does not name; one too short.
        stranger = {"protection": {"access": {"basic_auth_users": ["alice"]}}, "passwords": {"mallory": PASSWORD}}
        problem = _refused(await http.put(EXPOSURE, json=stranger), "body.passwords.mallory")
        assert "basic_auth_users" in problem["detail"] and PASSWORD not in str(problem)
        short = {"protection": {"access": {"basic_auth_users": ["alice"]}}, "passwords": {"alice": "short"}}
        problem = _refused(await http.put(EXPOSURE, json=short), "body.passwords.alice")
        assert "8 to 256 characters" in str(problem)

        # A network that is not one; two primary domains; a field that does not exist.
        bad_network = {"protection": {"access": {"allow": ["10.0.0.300/8"]}}}
        problem = _refused(await http.put(EXPOSURE, json=bad_network), "body.protection.access.allow")
        assert "10.0.0.300/8" in problem["detail"]
        two = {"domains": [{"host": HOST, "primary": True}, {"host": "www.example.com", "primary": True}]}
        _refused(await http.put(EXPOSURE, json=two), "body.domains")
        _refused(await http.put(EXPOSURE, json={"domain": []}), "body.domain")

        # A viewer of the service's team may read how it is reached, not change it.
        made = await http.post("/api/v1/users", json={"username": "bob", "password": "bobs-password"})
        assert made.status_code == 201, made.text
        joined = await http.post("/api/v1/teams/default/members", json={"username": "bob", "role": "viewer"})
        assert joined.status_code == 200, joined.text
        async with client(s.app, await log_in(s.app, "bob", "bobs-password")) as bob:
            assert (await bob.get(EXPOSURE)).status_code == 200
            refused = await bob.put(EXPOSURE, json={"domains": [{"host": HOST}]})
        assert refused.status_code == 403 and "admin" in refused.json()["detail"]

        assert await _kinds(http) == ["install"]
        assert (await http.get(EXPOSURE)).json() == before
    assert await stream_messages(nats_server.url, "qc.deploy.expose.>") == []


async def test_an_exposure_is_set_and_its_key_and_password_show_nowhere(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    certificate, key = self_signed(HOST)
    async with stack(nats_server.url, database_url, tmp_path) as s:
        http = s.http
        await _installed(http)
        exposure = {
            "domains": [
                {"host": HOST, "primary": True, "tls": "uploaded", "certificate": certificate, "key": key},
                {"host": "www.example.com"},
            ],
            "protection": {
                "waf": {"mode": "block", "paranoia": 2, "exclusions": [942100]},
                "access": {"allow": ["10.0.0.0/8"], "basic_auth_users": ["alice"]},
            },
            "passwords": {"alice": PASSWORD},
        }
        operation = await succeeded(http, await http.put(EXPOSURE, json=exposure))
        assert operation["kind"] == "expose" and f"https://{HOST}" in operation["result"]["urls"]

        shown = await http.get(EXPOSURE)
        assert shown.status_code == 200, shown.text
        body = shown.json()
        assert [(d["host"], d["primary"], d["tls"]) for d in body["exposure"]["domains"]] == [
            (HOST, True, "uploaded"), ("www.example.com", False, "auto"),
        ]  # fmt: skip
        assert body["exposure"]["protection"]["waf"] == {"mode": "block", "paranoia": 2, "exclusions": [942100]}
        assert body["exposure"]["protection"]["access"]["basic_auth_users"] == ["alice"]
        assert body["urls"][0] == f"https://{HOST}"

        # Sent again without the key and password (as qc does): the stored ones are kept.
        again = {**exposure, "passwords": {}}
        again["domains"] = [{"host": HOST, "primary": True, "tls": "uploaded"}, {"host": "www.example.com"}]
        await succeeded(http, await http.put(EXPOSURE, json=again))
        assert (await http.get(EXPOSURE)).json()["urls"][0] == f"https://{HOST}"

        texts = [shown.text, (await http.get(EXPOSURE)).text, (await http.get("/api/v1/services/forge")).text]
        events = await http.get("/api/v1/events", params={"follow": "false", "last": "10000"})
        texts.append(events.text)
        texts.append((await http.get("/api/v1/operations", params={"service": "forge"})).text)
        # Past the header every P-256 key shares: the part that is this key's own.
        key_part = "".join(key.strip().splitlines()[1:-1])[40:100]
        for text in texts:
            assert PASSWORD not in text and key_part not in text
    # Nor on the bus (the stream the audit log is made from): the gateway sealed both before publishing.
    leaks = [m.subject for m in await stream_messages(nats_server.url) if PASSWORD.encode() in m.data]
    assert leaks == []
    assert not [m.subject for m in await stream_messages(nats_server.url) if key_part.encode() in m.data]
