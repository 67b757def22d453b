"""Export and import through the gateway, with the market and the deployer on the sim runtime: what the gateway
itself decides. Bad requests are refused at once and publish nothing; an export's download waits for its
outcome (published here as the backup service's relay would) and streams the bundle its outcome names from the
blob bucket; an import's upload is spooled into the bucket and requested by digest, its passphrase sealed.
(The round trip through the backup service is tests/e2e's.)"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from quickon_cli.main import run as qc
from quickon_common.blobs import Blobs
from quickon_common.contracts.backup import (
    ServiceExported,
    ServiceExportFailed,
    ServiceExportRequested,
    ServiceImportRequested,
)
from quickon_common.natsserver import NatsServer
from support.bus import connect, events, eventually, publish, stream_messages
from support.gateway import LoopTransport, client, log_in
from support.gateway_flows import accepted, settled, stack, succeeded

PASSPHRASE = "correct horse battery staple"
EXPORT = "/api/v1/services/cache/export"


def _refused(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors") or []], problem
    return problem


async def _put_blob(nats_url: str, data: bytes) -> str:
    nc = await connect(nats_url)
    try:
        return await Blobs(nc.jetstream()).put(data)
    finally:
        await nc.close()


async def _published(nats_url: str, subject: str) -> bool:
    return bool(await stream_messages(nats_url, subject))


def _qc(app: Any, token: str, home: Path) -> Any:
    """``qc`` in a worker thread against ``app``: its exit code and what it printed."""
    loop = asyncio.get_running_loop()
    env = {"QC_URL": "http://gateway", "QC_TOKEN": token, "HOME": str(home)}

    async def qc_run(*argv: str) -> int:
        code: int = await asyncio.to_thread(qc, list(argv), env=env, transport=LoopTransport(app, loop))
        return code

    return qc_run


async def _exported(nats_url: str, http: httpx.AsyncClient, operation: dict[str, Any], **outcome: Any) -> None:
    """Publish the export's outcome as the backup service would, and wait for the gateway to end it."""
    ids = {"backup_id": operation["result"]["backup_id"], "service": "cache", "namespace": "default"}
    await publish(nats_url, ServiceExported(operation_id=operation["operation_id"], **ids, **outcome))
    assert (await settled(http, operation))["state"] == "succeeded"


async def test_export_is_refused_without_a_passphrase_and_downloads_only_a_finished_bundle(
    nats_server: NatsServer, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = nats_server.url
    spool = tmp_path / "spool"
    spool.mkdir()
    async with stack(url, database_url, tmp_path, spool_dir=spool) as s:
        http = s.http
        await succeeded(http, await http.post("/api/v1/services", json={"name": "cache", "app": "redis"}))

        # A quickon bundle needs a passphrase of 8 characters at least; a helm export needs none.
        _refused(await http.post(EXPORT, json={}), 422, "body.passphrase")
        problem = _refused(await http.post(EXPORT, json={"passphrase": "short"}), 422, "body.passphrase")
        assert "8 to 1024" in problem["detail"] and "short" not in str(problem)
        _refused(await http.post(EXPORT, json={"passphrase": PASSPHRASE, "format": "zip"}), 422, "body.format")
        _refused(await http.post("/api/v1/services/ghost/export", json={"passphrase": PASSPHRASE}), 404)
        assert await stream_messages(url, "qc.backup.export.>") == []

        # Nothing exported yet: the download says how to start one.
        problem = _refused(await http.get(EXPORT), 404)
        assert "qc export cache" in problem["detail"]

        running = accepted(await http.post(EXPORT, json={"passphrase": PASSPHRASE}))
        assert running["kind"] == "export" and running["target"] == {"service": "cache", "namespace": "default"}
        helm = accepted(await http.post(EXPORT, json={"format": "helm"}))

        async def both_published() -> bool:
            return len(await stream_messages(url, "qc.backup.export.requested")) == 2

        await eventually(both_published, what="the exports' requests")
        requests = [e for e, _ in await events(url, "qc.backup.export.requested")]
        assert all(isinstance(e, ServiceExportRequested) for e in requests)
        assert [(e.format, e.operation_id, e.sealed_passphrase is None) for e in requests] == [
            ("quickon", running["operation_id"], False), ("helm", helm["operation_id"], True)
        ]  # fmt: skip
        assert PASSPHRASE not in str([m.data for m in await stream_messages(url, "qc.backup.>")])

        # Still running: 409; an operation that is not an export of it: 404.
        problem = _refused(await http.get(EXPORT, params={"operation": running["operation_id"]}), 409)
        assert "still pending" in problem["detail"]
        _refused(await http.get(EXPORT, params={"operation": "not-an-operation"}), 404)
        installed = (await http.get("/api/v1/operations", params={"service": "cache"})).json()["operations"][-1]
        _refused(await http.get(EXPORT, params={"operation": installed["operation_id"]}), 404)

        # Exported: the bundle its outcome names, whole, under the name it gives.
        bundle = b"QCB1" + bytes(range(256)) * 4096
        digest = await _put_blob(url, bundle)
        await _exported(url, http, running, bundle=digest, size_bytes=len(bundle), filename="redis-19.0.0.qcb")
        done = (await http.get(f"/api/v1/operations/{running['operation_id']}")).json()
        assert done["result"]["bundle"] == digest and done["result"]["filename"] == "redis-19.0.0.qcb"
        for params in ({"operation": running["operation_id"]}, {}):  # named, and the newest that succeeded
            got = await http.get(EXPORT, params=params)
            assert got.status_code == 200, got.text
            assert got.headers["content-type"] == "application/octet-stream"
            assert got.headers["content-disposition"] == 'attachment; filename="redis-19.0.0.qcb"'
            assert int(got.headers["content-length"]) == len(bundle)
            assert hashlib.sha256(got.content).hexdigest() == digest

        # A bundle past its retention: 410; a failed export: 404 with its reason.
        gone = "0" * 64
        await _exported(url, http, helm, bundle=gone, size_bytes=10, filename="cache-helm.tgz", format="helm")
        problem = _refused(await http.get(EXPORT, params={"operation": helm["operation_id"]}), 410)
        assert "kept a day" in problem["detail"]
        failing = accepted(await http.post(EXPORT, json={"passphrase": PASSPHRASE}))
        ids = {"backup_id": failing["result"]["backup_id"], "service": "cache", "namespace": "default"}
        await publish(url, ServiceExportFailed(operation_id=failing["operation_id"], reason="disk full", **ids))
        assert (await settled(http, failing))["state"] == "failed"
        problem = _refused(await http.get(EXPORT, params={"operation": failing["operation_id"]}), 404)
        assert "disk full" in problem["detail"]

        # qc export: no passphrase and no terminal is an error saying what to give; with one, it waits for the
        # export, downloads it whole and names it.
        token = await log_in(s.app)
        qc_run = _qc(s.app, token, tmp_path)
        capsys.readouterr()
        assert await qc_run("export", "cache", "-o", str(tmp_path / "x.qcb")) == 2
        assert "--passphrase-file" in capsys.readouterr().err
        secret = tmp_path / "passphrase"
        secret.write_text(PASSPHRASE + "\n")
        target = tmp_path / "cache.qcb"
        exporting = asyncio.create_task(
            qc_run("export", "cache", "-o", str(target), "--passphrase-file", str(secret), "--json")
        )
        newest: dict[str, Any] = {}

        async def started() -> bool:
            found = (await http.get("/api/v1/operations", params={"service": "cache"})).json()["operations"]
            newest.update(found[0])
            return found[0]["kind"] == "export" and found[0]["state"] == "pending" and found[0]["operation_id"] not in (
                running["operation_id"], helm["operation_id"], failing["operation_id"])  # fmt: skip

        await eventually(started, what="qc export's operation")
        await _exported(url, http, newest, bundle=digest, size_bytes=len(bundle), filename="redis-19.0.0.qcb")
        assert await exporting == 0
        said = json.loads(capsys.readouterr().out)
        assert said == {"path": str(target), "size_bytes": len(bundle), "sha256": digest,
                        "operation_id": newest["operation_id"]}  # fmt: skip
        assert target.read_bytes() == bundle and not (tmp_path / "cache.qcb.part").exists()

        # A viewer of the team may neither export nor download.
        assert (await http.post("/api/v1/users", json={"username": "vera", "password": "veras-password"})).is_success
        joined = await http.post("/api/v1/teams/default/members", json={"username": "vera", "role": "viewer"})
        assert joined.status_code == 200, joined.text
        async with client(s.app, await log_in(s.app, "vera", "veras-password")) as vera:
            _refused(await vera.post(EXPORT, json={"passphrase": PASSPHRASE}), 403)
            _refused(await vera.get(EXPORT), 403)
    assert list(spool.iterdir()) == []  # the downloads' spooled files removed


async def test_import_spools_the_bundle_into_the_bucket_and_refuses_what_it_cannot_take(
    nats_server: NatsServer, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = nats_server.url
    spool = tmp_path / "spool"
    spool.mkdir()
    async with stack(url, database_url, tmp_path, import_max_bytes=64 * 1024, spool_dir=spool) as s:
        http = s.http
        await succeeded(http, await http.post("/api/v1/services", json={"name": "cache", "app": "redis"}))
        bundle = b"QCB1" + b"\x00\x01" * 10_000
        form = {"name": "copy", "passphrase": PASSPHRASE}
        files = {"bundle": ("cache.qcb", bundle, "application/octet-stream")}

        # Not multipart; a field missing, or wrong; the file missing or empty; a file over the cap; a name taken.
        _refused(await http.post("/api/v1/imports", json=form), 422, "body")
        _refused(await http.post("/api/v1/imports", data={"name": "copy"}, files=files), 422, "body.passphrase")
        _refused(await http.post("/api/v1/imports", data={"passphrase": "x"}, files=files), 422, "body.name")
        _refused(await http.post("/api/v1/imports", data={**form, "name": "Bad_Name"}, files=files), 422, "body.name")
        _refused(await http.post("/api/v1/imports", data=form, files={"other": ("x", b"x")}), 422, "body.bundle")
        _refused(await http.post("/api/v1/imports", data=form, files={"bundle": ("x.qcb", b"")}), 422, "body.bundle")
        big = {"bundle": ("big.qcb", b"x" * 100_000, "application/octet-stream")}
        problem = _refused(await http.post("/api/v1/imports", data=form, files=big), 413)
        assert "QC_GATEWAY_IMPORT_MAX_BYTES" in problem["detail"]
        problem = _refused(await http.post("/api/v1/imports", data={**form, "name": "cache"}, files=files), 409)
        assert "--name" in problem["detail"]
        _refused(await http.post("/api/v1/imports", data={**form, "team": "nope"}, files=files), 422, "body.team")
        assert await stream_messages(url, "qc.backup.import.>") == []

        # A viewer of the team may not import into it (it is an install).
        assert (await http.post("/api/v1/users", json={"username": "vera", "password": "veras-password"})).is_success
        joined = await http.post("/api/v1/teams/default/members", json={"username": "vera", "role": "viewer"})
        assert joined.status_code == 200, joined.text
        async with client(s.app, await log_in(s.app, "vera", "veras-password")) as vera:
            _refused(await vera.post("/api/v1/imports", data={**form, "team": "default"}, files=files), 403)

        # Accepted: the bundle is in the bucket under its digest, the request names it, the passphrase is sealed.
        answer = accepted(await http.post("/api/v1/imports", data={**form, "domains": "false"}, files=files))
        assert answer["kind"] == "import" and answer["target"] == {"service": "copy", "namespace": "default"}
        digest = hashlib.sha256(bundle).hexdigest()
        assert answer["result"]["bundle"] == digest and answer["result"]["size_bytes"] == len(bundle)
        await eventually(lambda: _published(url, "qc.backup.import.requested"), what="the import's request")
        [(request, _)] = await events(url, "qc.backup.import.requested")
        assert isinstance(request, ServiceImportRequested)
        assert (request.service, request.namespace, request.bundle, request.domains) == (
            "copy",
            "default",
            digest,
            False,
        )
        assert request.sealed_passphrase and request.backup_id == answer["result"]["backup_id"]
        assert PASSPHRASE not in str([m.data for m in await stream_messages(url, "qc.backup.>")])
        nc = await connect(url)
        try:
            assert await Blobs(nc.jetstream()).get(digest) == bundle
        finally:
            await nc.close()

        # qc import: the operation, as JSON; a name taken is an error that says what to do.
        qc_run = _qc(s.app, await log_in(s.app), tmp_path)
        source, secret = tmp_path / "cache.qcb", tmp_path / "passphrase"
        source.write_bytes(bundle)
        secret.write_text(PASSPHRASE + "\n")
        capsys.readouterr()
        assert await qc_run("import", str(source), "--name", "other", "--passphrase-file", str(secret), "--json") == 0
        said = json.loads(capsys.readouterr().out)
        assert said["kind"] == "import" and said["target"]["service"] == "other"
        assert await qc_run("import", str(source), "--name", "cache", "--passphrase-file", str(secret)) == 1
        assert "--name" in capsys.readouterr().err
    assert list(spool.iterdir()) == []  # every spooled upload removed, refused or not
