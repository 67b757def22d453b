"""The audit log through the gateway: filtered queries by cursor, streamed export, verification,
an inclusion proof checked by the standalone verifier, the public key, and who sees what."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi import FastAPI

import quickon_audit.offline
from quickon_audit.app import build
from quickon_audit.settings import AuditSettings
from quickon_common.natsserver import NatsServer
from support.audit import consumer_idle, message, publish_all
from support.bus import eventually, running, settings_for
from support.gateway import client, gateway, log_in

EVENTS = 120


async def page_through(http: httpx.AsyncClient, **params: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    cursor = None
    while True:
        response = await http.get("/api/v1/audit", params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        found += body["entries"]
        cursor = body["next_cursor"]
        if not cursor:
            return found


async def test_query_export_verify_and_prove_through_the_gateway(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    settings = settings_for("audit", nats_url=nats_server.url, database_url=database_url, var_dir=tmp_path)
    audit = build(settings, AuditSettings(checkpoint_every=50, checkpoint_interval_s=3600))
    events = [message(i, team="red" if i % 4 == 0 else None, actor="carol" if i % 5 == 0 else "alice")
              for i in range(EVENTS)]  # fmt: skip
    async with running(audit.service), gateway(nats_server.url, database_url, tmp_path / "gw") as app:
        await publish_all(nats_server.url, events)
        await eventually(lambda: consumer_idle(nats_server.url), what="the events to be logged")
        await audit.audit_log.checkpoint_now()
        token = await log_in(app)
        async with client(app, token) as http:
            carol = await page_through(http, actor="carol", limit=7)
            assert len(carol) == EVENTS // 5 and all(e["actor"] == "carol" for e in carol)
            seqs = [e["seq"] for e in carol]
            assert seqs == sorted(seqs, reverse=True), "newest first"
            stops = await page_through(http, type="io.quickon.deploy.stop.requested.v1", service="svc-3")
            assert stops and all(e["body"]["service"] == "svc-3" for e in stops)
            deploy = await page_through(http, context="deploy", subject="qc.deploy.>", limit=1000)
            assert len(deploy) == EVENTS
            one = deploy[5]
            assert await page_through(http, correlation_id=one["correlation_id"]) == [one]
            assert await page_through(http, since=one["time"], until=one["time"]) == []
            assert one in await page_through(http, since=one["time"], limit=1000)
            bad = await http.get("/api/v1/audit", params={"limit": 0})
            assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")

            await export_checks(http, deploy)
            verdict = (await http.get("/api/v1/audit/verify")).json()
            assert verdict["ok"] and verdict["entries"] >= EVENTS and verdict["first_bad_sequence"] is None
            await proof_checks(http, one["seq"], tmp_path)
            await scope_checks(app, http)


async def export_checks(http: httpx.AsyncClient, deploy: list[dict[str, object]]) -> None:
    response = await http.get("/api/v1/audit/export", params={"context": "deploy"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in response.text.splitlines()] == deploy
    response = await http.get("/api/v1/audit/export", params={"context": "deploy", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in deploy]
    assert json.loads(rows[0]["body"]) == deploy[0]["body"] and rows[0]["actor"] == deploy[0]["actor"]
    wrong = await http.get("/api/v1/audit/export", params={"format": "xml"})
    assert wrong.status_code == 422


async def proof_checks(http: httpx.AsyncClient, seq: object, tmp_path: Path) -> None:
    key = await httpx.AsyncClient(transport=http._transport, base_url="http://gateway").get("/api/v1/audit/public-key")
    assert key.status_code == 200, "the public key needs no login"
    public = key.json()["public_key"]
    proof = (await http.get(f"/api/v1/audit/entries/{seq}/proof")).json()
    assert proof["sequence"] == seq and proof["public_key"] == public
    checked = offline_check(proof, public, tmp_path)
    assert checked.returncode == 0 and checked.stdout.startswith("valid"), checked.stdout + checked.stderr
    assert len(proof["audit_path"]) > 1
    assert offline_check({**proof, "audit_path": proof["audit_path"][::-1]}, public, tmp_path).returncode == 1
    changed = {**proof, "canonical_b64": proof["canonical_b64"][:-8] + "AAAAAAA="}
    assert offline_check(changed, public, tmp_path).returncode == 1
    other_key = "A" * 43 + "="
    assert offline_check(proof, other_key, tmp_path).returncode == 1
    missing = await http.get("/api/v1/audit/entries/999999/proof")
    assert missing.status_code == 404


def offline_check(proof: dict[str, object], public: str, where: Path) -> subprocess.CompletedProcess[str]:
    """The standalone verifier on ``proof``, in an isolated interpreter that cannot import QuickOn."""
    path = where / "proof.json"
    path.write_text(json.dumps(proof))
    script = Path(quickon_audit.offline.__file__)
    run = [sys.executable, "-I", str(script), str(path), "--public-key", public]
    return subprocess.run(run, capture_output=True, text=True, check=False, cwd=where)


async def scope_checks(app: FastAPI, admin: httpx.AsyncClient) -> None:
    created = await admin.post("/api/v1/users", json={"username": "bob", "password": "bobs-password"})
    assert created.status_code == 201, created.text
    async with client(app, await log_in(app, "bob", "bobs-password")) as bob:
        seen = await page_through(bob, limit=1000)
        assert seen and all(e["team"] is None for e in seen), "bob is in no team: the red team's are hidden"
        assert not [e for e in seen if str(e["type"]).startswith("io.quickon.iam.")]
        everything = await page_through(admin, limit=1000)
        red = next(e for e in everything if e["team"] == "red")
        assert (await bob.get(f"/api/v1/audit/entries/{red['seq']}/proof")).status_code == 404
        assert (await bob.get("/api/v1/audit/verify")).status_code == 403
