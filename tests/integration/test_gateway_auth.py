"""The gateway's authentication and its error answers, against a real nats-server and both databases."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

from quickon_common.natsserver import NatsServer
from support.bus import running, stream_messages
from support.gateway import ADMIN_PASSWORD, client, gateway, gateway_service, log_in

PROBLEM = "application/problem+json"


def is_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["detail"] and body["request_id"] == response.headers["x-request-id"]
    return body  # type: ignore[no-any-return]


async def test_logins_tokens_and_revocation(nats_server: NatsServer, database_url: str, tmp_path: Path) -> None:
    async with gateway(nats_server.url, database_url, tmp_path) as app:
        async with client(app) as anonymous:
            missing = is_problem(await anonymous.get("/api/v1/auth/me"), 401)
            assert "bearer token" in missing["detail"]
            wrong = await anonymous.post("/api/v1/auth/token", data={"username": "admin", "password": "nope-nope"})
            assert is_problem(wrong, 401)["detail"] == "wrong username or password"
            assert wrong.headers["www-authenticate"] == "Bearer"
            unknown = await anonymous.post("/api/v1/auth/token", data={"username": "mallory", "password": "x" * 9})
            assert is_problem(unknown, 401)["detail"] == "wrong username or password"
            garbage = await anonymous.get("/api/v1/auth/me", headers={"Authorization": "Bearer qc_forged"})
            assert "not valid" in is_problem(garbage, 401)["detail"]

        session = await log_in(app)
        async with client(app, session) as admin:
            me = (await admin.get("/api/v1/auth/me")).json()
            assert me["username"] == "admin" and me["is_admin"] is True
            created = await admin.post("/api/v1/auth/tokens", json={"name": "ci", "expires_in_days": 30})
            assert created.status_code == 201, created.text
            api_token = created.json()["token"]
            assert api_token.startswith("qc_")
            listed = (await admin.get("/api/v1/auth/tokens")).json()["tokens"]
            assert sorted(t["kind"] for t in listed) == ["api", "session"]
            assert all("token" not in t for t in listed), "a token is shown only when it is made"

            async with client(app, api_token) as script:
                assert (await script.get("/api/v1/auth/me")).json()["username"] == "admin"
                revoked = await admin.delete(f"/api/v1/auth/tokens/{created.json()['token_id']}")
                assert revoked.status_code == 204
                # At once, although checked tokens are cached: revoking drops it from the cache.
                assert "revoked" in is_problem(await script.get("/api/v1/auth/me"), 401)["detail"]
            again = await admin.delete(f"/api/v1/auth/tokens/{created.json()['token_id']}")
            is_problem(again, 404)

            # Users: an admin adds one; a taken name and a weak password are refused.
            bob = await admin.post("/api/v1/users", json={"username": "bob", "password": "bobs-password"})
            assert bob.status_code == 201 and bob.json()["is_admin"] is False
            is_problem(await admin.post("/api/v1/users", json={"username": "bob", "password": "another-one"}), 409)
            weak = is_problem(await admin.post("/api/v1/users", json={"username": "carol", "password": "short"}), 422)
            assert weak["errors"][0]["field"] == "body.password"
            stray = is_problem(
                await admin.post("/api/v1/users", json={"username": "dave", "password": "long-enough", "role": "x"}),
                422,
            )
            assert stray["errors"][0]["field"] == "body.role"

        bob_token = await log_in(app, "bob", "bobs-password")
        async with client(app, bob_token) as bob_client:
            assert "admin" in is_problem(await bob_client.get("/api/v1/users"), 403)["detail"]
            # A password change ends bob's other logins, keeps this one, and retires the old password.
            other = await log_in(app, "bob", "bobs-password")
            changed = await bob_client.post(
                "/api/v1/auth/password", json={"current_password": "bobs-password", "new_password": "bobs-new-pass"}
            )
            assert changed.status_code == 204, changed.text
            assert (await bob_client.get("/api/v1/auth/me")).status_code == 200
            async with client(app, other) as elsewhere:
                is_problem(await elsewhere.get("/api/v1/auth/me"), 401)
            async with client(app) as anonymous:
                old = await anonymous.post("/api/v1/auth/token", data={"username": "bob", "password": "bobs-password"})
                is_problem(old, 401)
            # Logging out revokes the calling token.
            assert (await bob_client.delete("/api/v1/auth/tokens/current")).status_code == 204
            is_problem(await bob_client.get("/api/v1/auth/me"), 401)

    subjects = [m.subject for m in await stream_messages(nats_server.url, "qc.iam.>")]
    assert subjects.count("qc.iam.user.login_failed") == 3
    assert subjects.count("qc.iam.user.created") == 2  # the first admin and bob
    assert "qc.iam.token.created" in subjects and "qc.iam.token.revoked" in subjects
    everything = b"".join(m.data + repr(m.headers).encode() for m in await stream_messages(nats_server.url))
    for secret in (ADMIN_PASSWORD, "bobs-password", "bobs-new-pass", api_token, session):
        assert secret.encode() not in everything, "no event carries a password or a token"


async def test_an_expired_login_says_so(nats_server: NatsServer, tmp_path: Path) -> None:
    async with gateway(nats_server.url, f"sqlite:///{tmp_path / 'gw.db'}", tmp_path, session_ttl_s=0.5) as app:
        token = await log_in(app)
        async with client(app, token) as admin:
            assert (await admin.get("/api/v1/auth/me")).status_code == 200
            await asyncio.sleep(0.6)
            assert "expired" in is_problem(await admin.get("/api/v1/auth/me"), 401)["detail"]


async def test_the_first_admin_gets_a_generated_password_kept_for_the_owner_only(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'gw.db'}"
    kept = tmp_path / "gateway" / "initial-admin-password"
    async with gateway(nats_server.url, database, tmp_path, admin_password=None) as app:
        assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
        password = kept.read_text().strip()
        token = await log_in(app, "admin", password)
    first = kept.read_text()
    # A second start finds the admin and makes nothing new.
    async with gateway(nats_server.url, database, tmp_path, admin_password=None) as app:
        assert kept.read_text() == first
        async with client(app, token) as admin:
            users = (await admin.get("/api/v1/users")).json()["users"]
            assert [u["username"] for u in users] == ["admin"]
            changed = await admin.post(
                "/api/v1/auth/password", json={"current_password": password, "new_password": "my-own-password"}
            )
            assert changed.status_code == 204
    assert not kept.exists(), "the generated password is forgotten once changed"
    everything = b"".join(m.data for m in await stream_messages(nats_server.url))
    assert password.encode() not in everything


async def test_every_error_is_a_problem_with_a_request_id_and_a_trace(nats_server: NatsServer, tmp_path: Path) -> None:
    async with gateway(nats_server.url, f"sqlite:///{tmp_path / 'gw.db'}", tmp_path, max_body_bytes=4096) as app:
        token = await log_in(app)
        async with client(app, token) as http:
            answer = await http.get("/api/v1/auth/me", headers={"X-Request-ID": "req-42"})
            assert answer.headers["x-request-id"] == "req-42"
            assert answer.headers["traceparent"].startswith("00-")
            forged_id = await http.get("/api/v1/auth/me", headers={"X-Request-ID": "bad id\twith tabs"})
            assert forged_id.headers["x-request-id"] != "bad id\twith tabs"

            assert "/docs" in is_problem(await http.get("/api/v1/no-such-thing"), 404)["detail"]
            is_problem(await http.get("/api/v1/../../etc/passwd"), 404)
            is_problem(await http.put("/api/v1/auth/me"), 405)
            malformed = await http.post(
                "/api/v1/auth/tokens", content=b"{not json", headers={"Content-Type": "application/json"}
            )
            is_problem(malformed, 422)
            oversized = await http.post("/api/v1/auth/tokens", json={"name": "x" * 10_000})
            is_problem(oversized, 413)

            async def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: counted while read
                for _ in range(10):
                    yield b'{"name": "' + b"x" * 1000

            streamed = await http.post(
                "/api/v1/auth/tokens", content=chunks(), headers={"Content-Type": "application/json"}
            )
            assert "content-length" not in streamed.request.headers
            assert "4096" in is_problem(streamed, 413)["detail"]
            wrong_type = is_problem(
                await http.post("/api/v1/auth/tokens", json={"name": "ci", "expires_in_days": "x"}), 422
            )
            assert wrong_type["errors"][0]["field"] == "body.expires_in_days"


async def test_logging_in_works_while_nats_is_down(nats_server: NatsServer, tmp_path: Path) -> None:
    service, app = gateway_service(nats_server.url, f"sqlite:///{tmp_path / 'gw.db'}", tmp_path)
    async with running(service):
        nats_server.stop()
        token = await log_in(app)  # the database is enough; the events wait in the outbox
        async with client(app, token) as http:
            assert (await http.get("/api/v1/auth/me")).status_code == 200
        assert await service.relay.backlog() >= 1
        nats_server.start()  # leaving `running` waits until the outbox has published them
