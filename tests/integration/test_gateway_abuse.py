"""The gateway's limits on abuse: failed logins back off and recover, password checks are bounded, every
caller has a rate, answers carry security headers, and the probes' details stay inside."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from quickon_common.natsserver import NatsServer
from support.bus import eventually
from support.gateway import ADMIN_PASSWORD, client, gateway, log_in

INTERNAL_PORT = 18999  # only named: the in-process client says which port a request came in on


def _login(username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": password}


async def test_failed_logins_back_off_per_user_and_address_then_recover(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    limits = {
        "login_free_failures": 2, "login_free_failures_per_address": 5,
        # A back-off of 1 s: far longer than one request takes, short enough to wait out.
        "login_backoff_base_s": 1, "login_backoff_max_s": 1,
    }  # fmt: skip
    async with (
        gateway(nats_server.url, f"sqlite:///{tmp_path / 'g.db'}", tmp_path, **limits) as app,
        client(app) as http,
    ):
        for _ in range(3):  # two free failures, and the third starts the back-off
            assert (await http.post("/api/v1/auth/token", data=_login("admin", "wrong-password"))).status_code == 401
        blocked = await http.post("/api/v1/auth/token", data=_login("admin", ADMIN_PASSWORD))
        assert blocked.status_code == 429 and blocked.headers["retry-after"] == "1", blocked.text
        assert "too many failed logins" in blocked.json()["detail"]

        async def logged_in() -> bool:  # a refused attempt is not a failure: waiting out the back-off works
            response = await http.post("/api/v1/auth/token", data=_login("admin", ADMIN_PASSWORD))
            assert response.status_code in (200, 429), response.text
            return response.status_code == 200

        await eventually(logged_in, what="the login to work once the back-off ended")
        # The address counts too: guessing other names from it (3 failures so far, 5 free) ends the same way.
        for name in ("ghost1", "ghost2", "ghost3"):
            assert (await http.post("/api/v1/auth/token", data=_login(name, "wrong-password"))).status_code == 401
        elsewhere = await http.post("/api/v1/auth/token", data=_login("ghost4", "wrong-password"))
        assert elsewhere.status_code == 429 and "retry-after" in elsewhere.headers
        await eventually(logged_in, what="the address's back-off to end")


async def test_password_checks_run_a_bounded_number_at_once(nats_server: NatsServer, tmp_path: Path) -> None:
    bounded = {"password_checks_at_once": 1, "password_checks_waiting": 0}
    async with (
        gateway(nats_server.url, f"sqlite:///{tmp_path / 'g.db'}", tmp_path, **bounded) as app,
        client(app) as http,
    ):
        answers = await asyncio.gather(
            *(http.post("/api/v1/auth/token", data=_login("admin", ADMIN_PASSWORD)) for _ in range(8))
        )
        statuses = sorted(a.status_code for a in answers)
        assert 200 in statuses and 503 in statuses and set(statuses) == {200, 503}, statuses
        busy = next(a for a in answers if a.status_code == 503)
        assert busy.headers["retry-after"] == "1" and "busy checking passwords" in busy.json()["detail"]


async def test_only_admins_may_add_a_local_directory(nats_server: NatsServer, tmp_path: Path) -> None:
    async with gateway(nats_server.url, f"sqlite:///{tmp_path / 'g.db'}", tmp_path) as app:
        async with client(app, await log_in(app)) as admin:
            created = await admin.post("/api/v1/users", json={"username": "dev", "password": "dev-password"})
            assert created.status_code == 201, created.text
        async with client(app, await log_in(app, "dev", "dev-password")) as dev:
            for url in ("/etc", "file:///etc", "ftp://example.com/charts"):
                refused = await dev.post("/api/v1/repositories", json={"name": "mine", "url": url})
                assert refused.status_code == 403 and "only an admin" in refused.json()["detail"], url


async def test_rates_headers_probes_and_errors(nats_server: NatsServer, tmp_path: Path) -> None:
    # 6 requests at once, then one per 100 s: no refill during the test, however slow the machine.
    limits = {"rate_per_s": 0.01, "rate_burst": 6, "internal_port": INTERNAL_PORT}
    async with gateway(nats_server.url, f"sqlite:///{tmp_path / 'g.db'}", tmp_path, **limits) as app:
        service = app.state.parts.service
        service.asgi(app)  # the probes, as `service.run(app)` serves them
        token = await log_in(app)  # counted for the address, not for the token

        @app.get("/boom", include_in_schema=False)
        async def boom() -> None:
            raise RuntimeError("(sqlite3.IntegrityError) INSERT INTO users (password) VALUES ('hunter2')")

        async with client(app) as anonymous:  # an unexpected error's text stays in the log
            failed = await anonymous.get("/boom")
        assert failed.status_code == 500 and "INSERT" not in failed.text and "hunter2" not in failed.text
        async with client(app, token) as http, client(app) as anonymous:
            first = await http.get("/api/v1/auth/me")
            assert first.status_code == 200
            assert first.headers["x-content-type-options"] == "nosniff"
            assert "frame-ancestors 'none'" in first.headers["content-security-policy"]
            assert "default-src 'self'" in first.headers["content-security-policy"]
            assert "strict-transport-security" not in first.headers, "not over TLS"
            behind_tls = await http.get("/api/v1/auth/me", headers={"X-Forwarded-Proto": "https"})
            assert behind_tls.headers["strict-transport-security"].startswith("max-age=")

            # Admins see the probes' details on the public port (/readyz is not counted: the bucket has 3 left).
            assert "checks" in (await http.get("/readyz")).json()
            assert (await http.get("/metrics")).status_code == 200
            for _ in range(3):
                assert (await http.get("/api/v1/auth/me")).status_code == 200
            limited = await http.get("/api/v1/auth/me")
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1, limited.text
            assert limited.headers["x-request-id"] and limited.headers["x-content-type-options"] == "nosniff"
            assert (await http.get("/healthz")).status_code == 200, "probes are not counted"

            # Anyone else on the public port: a bare readiness, no metrics.
            assert (await anonymous.get("/readyz")).json() == {"ready": True}
            refused = await anonymous.get("/metrics")
            assert refused.status_code == 403 and "internal port" in refused.json()["detail"]
            docs = await anonymous.get("/docs")
            assert (
                docs.status_code == 200
                and "script-src 'self' 'unsafe-inline'" in docs.headers["content-security-policy"]
            )

        inside = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://gateway:{INTERNAL_PORT}")
        async with inside:
            assert "checks" in (await inside.get("/readyz")).json()
            assert (
                "process_cpu_seconds_total" in (await inside.get("/metrics")).text
                or (await inside.get("/metrics")).status_code == 200
            )
