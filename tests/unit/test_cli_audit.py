"""qc audit against a scripted gateway: filters sent, pages, streamed export to a file, verify's exit code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from quickon_cli.main import run

Route = Callable[[httpx.Request], httpx.Response]


class Gateway:
    """Answers by ``METHOD path``; records every request."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(f"{request.method} {request.url.path}")
        return route(request) if route else httpx.Response(404, json={"status": 404, "detail": "no route"})


def answer(status: int, body: Any = None) -> Route:
    return lambda _request: httpx.Response(status, json=body)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path), "QC_TOKEN": "t0k"}


def qc(argv: list[str], env: dict[str, str], gateway: Gateway) -> int:
    return run(argv, env=env, transport=httpx.MockTransport(gateway))


ENTRY = {
    "seq": 7, "time": "2026-12-01T10:00:00Z", "type": "io.quickon.deploy.install.requested.v1", "actor": "alice",
    "service": "web", "flagged": False, "body": {"service": "web"},
}  # fmt: skip


def test_query_sends_the_filters_and_shows_where_older_entries_are(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = Gateway({"GET /api/v1/audit": answer(200, {"entries": [ENTRY], "next_cursor": 7})})
    assert (
        qc(["audit", "--actor", "alice", "--context", "deploy", "--since", "2026-12-01T00:00:00Z"], env, gateway) == 0
    )
    params = gateway.requests[0].url.params
    assert (params["actor"], params["context"], params["since"], params["limit"]) == (
        "alice", "deploy", "2026-12-01T00:00:00Z", "20",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "deploy.install.requested" in out and "alice" in out and "qc audit --cursor 7" in out


def test_export_streams_to_the_file_in_the_format_its_name_says(env: dict[str, str], tmp_path: Path) -> None:
    lines = b"".join(json.dumps({**ENTRY, "seq": n}).encode() + b"\n" for n in range(3, 0, -1))
    gateway = Gateway({"GET /api/v1/audit/export": lambda _r: httpx.Response(200, content=lines)})
    target = tmp_path / "audit.jsonl"
    assert qc(["audit", "--export", str(target), "--flagged"], env, gateway) == 0
    assert target.read_bytes() == lines and not list(tmp_path.glob("*.partial"))
    params = gateway.requests[0].url.params
    assert params["format"] == "jsonl" and params["flagged"] == "true"
    assert qc(["audit", "--export", str(tmp_path / "audit.csv")], env, gateway) == 0
    assert gateway.requests[1].url.params["format"] == "csv"


def test_a_refused_export_leaves_no_file(env: dict[str, str], tmp_path: Path) -> None:
    gateway = Gateway({"GET /api/v1/audit/export": answer(503, {"status": 503, "detail": "audit is not running"})})
    assert qc(["audit", "--export", str(tmp_path / "a.jsonl")], env, gateway) == 1
    assert not (tmp_path / "a.jsonl").exists()


def test_verify_exits_1_naming_the_first_bad_entry(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    good = {"ok": True, "entries": 10, "checkpoints": 2, "head_sequence": 10, "duration_s": 0.01}
    assert qc(["audit", "verify"], env, Gateway({"GET /api/v1/audit/verify": answer(200, good)})) == 0
    assert "intact" in capsys.readouterr().out
    bad = {**good, "ok": False, "first_bad_sequence": 4, "reason": "entry 4: its contents do not match its hash"}
    assert qc(["audit", "verify", "--json"], env, Gateway({"GET /api/v1/audit/verify": answer(200, bad)})) == 1
    assert json.loads(capsys.readouterr().out)["first_bad_sequence"] == 4


def test_proof_is_written_for_the_offline_verifier(env: dict[str, str], tmp_path: Path) -> None:
    proof = {"sequence": 7, "checkpoint": {"sequence": 9, "first_sequence": 1}, "audit_path": ["ab"], "entry": ENTRY}
    gateway = Gateway({"GET /api/v1/audit/entries/7/proof": answer(200, proof)})
    assert qc(["audit", "proof", "7", "-o", str(tmp_path / "p.json")], env, gateway) == 0
    assert json.loads((tmp_path / "p.json").read_text()) == proof
