"""Backups through the gateway's HTTP API and the ``qc`` commands, with the market, the deployer (sim) and the
backup service running: each command an operation followed from the backup events (202 + Location), reads
over NATS, errors as problem+json."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from quickon_cli.main import run as qc
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from support.backup import backup_platform, claim_dirs, install
from support.bus import running
from support.gateway import LoopTransport, client, gateway_service, log_in
from support.gateway_flows import accepted, succeeded
from support.trees import fill, snapshot


async def test_backups_through_the_api_and_qc(
    nats_server: NatsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = nats_server.url
    async with backup_platform(url, tmp_path, StoreSettings(url=f"file://{tmp_path / 'objects'}")):
        service, app = gateway_service(url, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path)
        async with running(service):
            token = await log_in(app)
            await install(url, "cache", "default")
            ((_claim, volume),) = (await claim_dirs(url, "cache", "default")).items()
            fill(volume)
            original = snapshot(volume)
            async with client(app, token) as http:
                # Create: 202, followed to its end; the backup's id is known at once.
                response = await http.post("/api/v1/services/cache/backups")
                pending = accepted(response)
                backup_id = pending["result"]["backup_id"]
                done = await succeeded(http, response)
                assert done["kind"] == "backup" and done["result"]["backup_id"] == backup_id
                assert ("copy", "completed") in [(s["step"], s["state"]) for s in done["steps"]]
                listed = (await http.get("/api/v1/services/cache/backups")).json()["backups"]
                assert [(b["backup_id"], b["status"], b["trigger"]) for b in listed] == [
                    (backup_id, "completed", "manual")
                ]
                detail = (await http.get(f"/api/v1/backups/{backup_id}")).json()
                assert len(detail["manifest"]["parts"]) == 3 and all(
                    len(p["sha256"]) == 64 for p in detail["manifest"]["parts"]
                )

                verified = await succeeded(http, await http.post(f"/api/v1/backups/{backup_id}/verify"))
                assert verified["result"]["parts_checked"] == 3

                (volume / "config.json").write_text("changed")
                restored = await succeeded(http, await http.post(f"/api/v1/backups/{backup_id}/restore"))
                assert restored["kind"] == "restore" and restored["result"]["target_service"] == "cache"
                assert snapshot(volume) == original

                # Schedules: set, read, refused with the reason, removed.
                body = {"cron": "0 3 * * *", "timezone": "Europe/Paris", "keep_last": 7}
                await succeeded(http, await http.put("/api/v1/services/cache/backups/schedule", json=body))
                (schedule,) = (await http.get("/api/v1/services/cache/backups/schedule")).json()["schedules"]
                assert (schedule["cron"], schedule["timezone"], schedule["keep_last"]) == (
                    "0 3 * * *",
                    "Europe/Paris",
                    7,
                )
                nowhere = {"cron": "0 3 * * *", "timezone": "Nowhere/City"}
                bad = await http.put("/api/v1/services/cache/backups/schedule", json=nowhere)
                assert bad.status_code == 422 and "unknown time zone" in bad.json()["detail"]

                # Bad input: problem+json, nothing published.
                for path, status in (("/api/v1/backups/nope", 404), ("/api/v1/backups/Bad_Id", 422),
                                     ("/api/v1/services/nope/backups", 200)):  # fmt: skip
                    answer = await http.get(path)
                    assert answer.status_code == status, (path, answer.text)
                assert (await http.post("/api/v1/services/nope/backups")).status_code == 404
                malformed = await http.put("/api/v1/services/cache/backups/schedule", json={"cron": "daily"})
                assert malformed.status_code == 422 and malformed.headers["content-type"] == "application/problem+json"
                taken = await http.post(f"/api/v1/backups/{backup_id}/restore", json={"as": "Bad Name"})
                assert taken.status_code == 422

            # The same through qc, in a worker thread, against this gateway.
            loop = asyncio.get_running_loop()
            env = {"QC_URL": "http://gateway", "QC_TOKEN": token, "HOME": str(tmp_path)}

            async def qc_run(*argv: str) -> tuple[int, str]:
                capsys.readouterr()
                code = await asyncio.to_thread(qc, list(argv), env=env, transport=LoopTransport(app, loop))
                captured = capsys.readouterr()
                return code, captured.out + captured.err

            code, out = await qc_run("backup", "cache", "--wait")
            assert code == 0 and "backup of cache succeeded" in out, out
            code, out = await qc_run("backups", "cache", "--json")
            found: list[dict[str, Any]] = json.loads(out)["backups"]
            assert code == 0 and len(found) == 2
            newest = found[0]["backup_id"]
            code, out = await qc_run("backup", "verify", newest, "--wait")
            assert code == 0 and "parts checked 3" in out, out
            code, out = await qc_run("backup", "show", newest)
            assert code == 0 and "volume" in out and newest in out
            code, out = await qc_run("restore", newest, "--as", "copy", "--wait")
            assert code == 0 and "restore of copy succeeded" in out, out
            assert snapshot(next(iter((await claim_dirs(url, "copy", "default")).values()))) == original
            code, out = await qc_run("restore", newest, "--as", "copy", "--wait")
            assert code == 1 and "exists" in out, out
            code, out = await qc_run("backup", "schedule", "cache", "0 4 * * *", "--keep", "3", "--wait")
            assert code == 0, out
            code, out = await qc_run("backup", "schedule", "cache")
            assert code == 0 and "0 4 * * *" in out and "last 3" in out, out
            code, out = await qc_run("backup", "schedule", "cache", "--remove", "--wait")
            assert code == 0, out
            code, out = await qc_run("backup", "cache", "extra")
            assert code == 2 and "one service name" in out

            # Export and import through qc: the bundle downloaded, imported under another name into another
            # team, its data byte for byte; the same file with a wrong passphrase installs nothing.
            async with client(app, token) as http:
                assert (await http.post("/api/v1/teams", json={"name": "ops"})).status_code == 201
            secret, wrong = tmp_path / "passphrase", tmp_path / "wrong"
            secret.write_text("correct horse battery staple\n")
            wrong.write_text("not the passphrase\n")
            bundle = tmp_path / "cache.qcb"
            code, out = await qc_run("export", "cache", "-o", str(bundle), "--passphrase-file", str(secret), "--json")
            assert code == 0 and json.loads(out)["sha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest(), out
            assert not bundle.with_name("cache.qcb.part").exists()
            code, out = await qc_run(
                "import", str(bundle), "--name", "moved", "--team", "ops", "--passphrase-file", str(wrong), "--wait"
            )
            assert code == 1 and "passphrase does not open this bundle" in out, out
            code, out = await qc_run(
                "import", str(bundle), "--name", "moved", "--team", "ops", "--passphrase-file", str(secret), "--wait"
            )
            assert code == 0 and "import of moved in ops succeeded" in out, out
            async with client(app, token) as http:
                moved = (await http.get("/api/v1/services/moved", params={"namespace": "ops"})).json()
            assert (moved["team"], moved["status"], moved["app"]) == ("ops", "running", "redis"), moved
            ((_claim, copy),) = (await claim_dirs(url, "moved", "ops")).items()
            assert snapshot(copy) == original
