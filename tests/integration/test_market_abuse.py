"""What a user can point the market at cannot turn against the platform: repositories that reach inside
(loopback, private, link-local, cloud metadata, local files outside the allowed roots) are refused, a
redirect is checked hop by hop, and a chart's schema pattern cannot freeze the market."""

from __future__ import annotations

import asyncio
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quickon_common.contracts.market import RepositoryAddRequested, RepositoryFailed
from quickon_common.natsserver import NatsServer
from support.bus import events, eventually, publish, running
from support.charts import write_repository
from support.market import ask, market_service, repository_state, wait_repository

# Patterns that take exponential time on a backtracking engine (Python's re): on RE2, linear.
CATASTROPHIC = "^(a+)+$"
SLOW_TEXT = "a" * 5000 + "!"
SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": CATASTROPHIC},
        "labels": {"type": "object", "patternProperties": {"^(b+)+$": {"type": "string"}}},
    },
}
UNSUPPORTED = {"type": "object", "properties": {"name": {"type": "string", "pattern": "(?=x)y"}}}


class Redirector(http.server.SimpleHTTPRequestHandler):
    """Serves a repository at /charts/, and redirects: /inside/ to the loopback address the market must not
    reach, /file/ to a local file, /moved/ to /charts/ on the same (allowed) host."""

    targets: dict[str, str] = {}

    def do_GET(self) -> None:
        for prefix, target in self.targets.items():
            if self.path.startswith(prefix):
                self.send_response(302)
                self.send_header("Location", target + self.path.removeprefix(prefix))
                self.end_headers()
                return
        super().do_GET()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A repository on 127.0.0.1 (not allowed), and one on 127.0.0.2 (allowed) that also redirects; their URLs."""
    write_repository(tmp_path / "served" / "charts", [{"name": "wiki", "version": "1.0.0"}])
    started = []
    for host in ("127.0.0.1", "127.0.0.2"):
        handler = functools.partial(Redirector, directory=str(tmp_path / "served"))
        server = http.server.ThreadingHTTPServer((host, 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
    inside = f"http://127.0.0.1:{started[0].server_address[1]}"
    Redirector.targets = {"/inside/": f"{inside}/charts/", "/file/": "file:///etc/", "/moved/": "/charts/"}
    yield inside, f"http://127.0.0.2:{started[1].server_address[1]}"
    for server in started:
        server.shutdown()


async def test_repositories_that_reach_inside_are_refused_and_redirects_are_checked(
    nats_server: NatsServer, tmp_path: Path, servers: tuple[str, str]
) -> None:
    inside, allowed = servers
    roots = tmp_path / "allowed"
    write_repository(roots / "team", [{"name": "cache", "version": "0.1.0"}])
    outside = write_repository(tmp_path / "elsewhere", [{"name": "cache", "version": "0.1.0"}])
    port = inside.rsplit(":", 1)[1]
    refused_at_once = {
        "loopback": (f"{inside}/charts", "127.0.0.1 is a loopback address"),
        "named": (f"http://localhost:{port}/charts", "loopback address"),
        "mapped": (f"http://[::ffff:127.0.0.1]:{port}/charts", "loopback address"),
        "metadata": ("http://169.254.169.254/latest/", "169.254.169.254 is a cloud metadata address"),
        "metadata6": ("http://[fd00:ec2::254]/", "cloud metadata address"),
        "private": ("http://10.1.2.3/charts", "10.1.2.3 is a private address"),
        "files": ("file:///etc", "QC_MARKET_LOCAL_ROOTS"),
        "outside": (str(outside), "QC_MARKET_LOCAL_ROOTS"),
    }
    refused_on_read = {
        "hop": (f"{allowed}/inside", "127.0.0.1 is a loopback address"),
        "tofile": (f"{allowed}/file", "only http(s) redirects are followed"),
    }
    service = market_service(
        nats_server.url, f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "var",
        allowed_hosts=["127.0.0.2"], local_roots=[roots],
    )  # fmt: skip
    async with running(service):
        for name, (url, _) in {**refused_at_once, **refused_on_read}.items():
            await publish(nats_server.url, RepositoryAddRequested(repository=name, url=url))
        await publish(nats_server.url, RepositoryAddRequested(repository="moved", url=f"{allowed}/moved"))
        await publish(nats_server.url, RepositoryAddRequested(repository="team", url=str(roots / "team")))

        # What the admin allowed is read, through a redirect on the allowed host too.
        await wait_repository(nats_server.url, "moved", "ok", apps=1)
        await wait_repository(nats_server.url, "team", "ok", apps=1)
        for name, (_, reason) in refused_on_read.items():
            state = await wait_repository(nats_server.url, name, "failed")
            assert reason in state["last_error"], (name, state["last_error"])
        reasons = await _refusals(nats_server.url, len(refused_at_once) + len(refused_on_read))
        for name, (_, reason) in refused_at_once.items():
            assert reason in reasons[name] and "QC_MARKET" in reasons[name], (name, reasons[name])
            assert await repository_state(nats_server.url, name) is None, f"{name} was recorded"


async def _refusals(nats_url: str, count: int) -> dict[str, str]:
    found: dict[str, str] = {}

    async def all_refused() -> bool:
        found.clear()
        for event, _ in await events(nats_url, RepositoryFailed.subject):
            assert isinstance(event, RepositoryFailed)
            found.setdefault(event.repository, event.reason)
        return len(found) >= count

    await eventually(all_refused, what=f"{count} refusals")
    return found


async def test_a_catastrophic_pattern_is_answered_while_other_queries_still_are(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    repo = write_repository(
        tmp_path / "repo",
        [
            {"name": "slow", "version": "1.0.0", "schema": SCHEMA},
            {"name": "odd", "version": "1.0.0", "schema": UNSUPPORTED},
        ],
    )
    service = market_service(nats_server.url, f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "var")
    async with running(service):
        await publish(nats_server.url, RepositoryAddRequested(repository="team", url=str(repo)))
        await wait_repository(nats_server.url, "team", "ok", apps=2)
        values = {"name": SLOW_TEXT, "labels": {"b" * 5000 + "!": "x"}}
        checked, listed = await asyncio.gather(
            ask(nats_server.url, "validate", app="team/slow", values=values),
            ask(nats_server.url, "apps", text="slow"),
        )
        assert [a["id"] for a in listed["apps"]] == ["team/slow"], "the market kept answering"
        assert not checked["valid"] and [e["path"] for e in checked["errors"]] == ["name"]
        assert CATASTROPHIC in checked["errors"][0]["message"] and SLOW_TEXT not in checked["errors"][0]["message"]
        assert checked["unknown_keys"] == ["labels." + "b" * 5000 + "!"]
        fine = await ask(nats_server.url, "validate", app="team/slow", values={"name": "aaaa", "labels": {"bb": "x"}})
        assert fine["valid"] and fine["unknown_keys"] == []

        odd = await ask(nats_server.url, "validate", app="team/odd", values={"name": "y"})
        assert not odd["valid"]
        message = odd["errors"][0]["message"]
        assert "/properties/name/pattern" in message and "cannot be run by RE2" in message, message
        assert (await ask(nats_server.url, "apps"))["total"] == 2, "and the market still answers"
