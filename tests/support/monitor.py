"""The monitor's notifications in tests: the service, real receivers (an HTTP server that records what it
is sent and checks signatures, an SMTP server), channels saved as the gateway would ask, and alerts
published as the monitor's rules would."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from nats.errors import TimeoutError as NatsTimeoutError

from quickon_common.contracts import Event
from quickon_common.contracts.channels import ChannelDefinition, NotificationChannelSaveRequested, Severity
from quickon_common.contracts.monitor import AlertFired
from quickon_common.envelope import Envelope, decode
from quickon_common.natsserver import free_port
from quickon_common.sealing import Sealer, platform_key
from quickon_common.service import Service
from quickon_monitor.app import create_service
from quickon_monitor.notify.settings import NotifySettings
from quickon_monitor.settings import MonitorSettings
from support.bus import connect, publish, service_environment, settings_for, stream_reader
from support.deployer import request

# Tries close together: a failing channel gives up within a second or two.
FAST = {"tries": 3, "backoff_s": 0.05, "backoff_max_s": 0.2, "timeout_s": 2, "lease_s": 3, "poll_s": 0.2}


# The monitor's checks that fail where no Prometheus runs (its rules cannot be asked): `running(..., but=)`.
WITHOUT_PROMETHEUS = ("prometheus",)


def monitor_service(nats_url: str, database_url: str, var_dir: Path, **notify: Any) -> Service:
    """The monitor with a Prometheus nobody answers at (its notifications are what these tests are about)."""
    settings = settings_for("monitor", nats_url=nats_url, database_url=database_url, var_dir=var_dir)
    nowhere = MonitorSettings(prometheus_url=f"http://127.0.0.1:{free_port()}")
    return create_service(settings, nowhere, NotifySettings(**{**FAST, **notify}))


def start_monitor(
    nats_url: str, database_url: str, var_dir: Path, log: Path, failpoints: list[str] | None = None, **monitor: Any
) -> subprocess.Popen[bytes]:
    """The monitor as a process of its own (for crash tests); ``monitor`` sets its QC_MONITOR_* settings
    (by default it asks a Prometheus nobody answers at)."""
    env = {
        **os.environ, **service_environment("monitor", nats_url=nats_url), "QC_VAR_DIR": str(var_dir),
        "QC_MONITOR_DATABASE_URL": database_url, "QC_MONITOR_HTTP_PORT": str(free_port()),
        "QC_MONITOR_PROMETHEUS_URL": f"http://127.0.0.1:{free_port()}",
        "QC_INSTANCE": "monitor-1",  # started again under its name: it leads again at once, as before
        **{f"QC_MONITOR_NOTIFY_{k.upper()}": str(v) for k, v in FAST.items()},
        "QC_MONITOR_NOTIFY_FAILPOINTS": ",".join(failpoints or []),
        **{f"QC_MONITOR_{k.upper()}": str(v) for k, v in monitor.items()},
    }  # fmt: skip
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "quickon_monitor"], stdout=out, stderr=out, env=env)


def sealer(var_dir: Path) -> Sealer:
    """The platform key the services sharing ``var_dir`` seal with."""
    return Sealer(platform_key(var_dir))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on a free port of 127.0.0.1 that records every request and answers as the receiver
    its path names would: ``/slack…`` as Slack, ``/dingtalk…`` and ``/wecom…`` as their robots
    (``{"errcode": 0}``), ``/feishu…`` as Feishu's bot (``{"code": 0}``), ``/down`` with a 503."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Received(request.path, dict(request.headers), body, dict(request.query)))
        if request.path == "/down":
            return web.Response(status=503, text="receiver down for maintenance")
        if request.path.startswith("/slack"):
            return web.Response(text="ok")
        if request.path.startswith(("/dingtalk", "/wecom")):
            return web.json_response({"errcode": 0, "errmsg": "ok"})
        if request.path.startswith("/feishu"):
            return web.json_response({"code": 0, "msg": "success", "data": {}})
        return web.json_response({"received": True})


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver(port=free_port())
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", found._handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", found.port).start()
    try:
        yield found
    finally:
        await runner.cleanup()


class Mailbox:
    """aiosmtpd's handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@asynccontextmanager
async def smtp_server(
    *, tls: ssl.SSLContext | None = None, logins: dict[str, str] | None = None
) -> AsyncIterator[tuple[Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1; with ``tls`` it requires STARTTLS, with
    ``logins`` (user: password) AUTH, over TLS only."""
    mailbox, port = Mailbox(), free_port()

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        known = logins or {}
        login = data.login.decode() if isinstance(data, LoginPassword) else ""
        ok = isinstance(data, LoginPassword) and known.get(login) == data.password.decode()
        if ok:
            mailbox.logins.append(login)
        return AuthResult(success=ok, handled=False)  # refused: aiosmtpd answers 535 itself

    extra: dict[str, Any] = {}
    if tls is not None:
        extra.update(tls_context=tls, require_starttls=True)
    if logins is not None:
        extra.update(authenticator=authenticate, auth_required=True, auth_require_tls=True)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **extra)
    await asyncio.to_thread(controller.start)
    try:
        yield mailbox, port
    finally:
        await asyncio.to_thread(controller.stop)


def signature_ok(received: Received, secret: str, *, max_age_s: float = 300) -> bool:
    """What a receiver of the generic webhook checks: the HMAC of the body, and a fresh timestamp that the
    body (so the signature) carries too."""
    expected = "sha256=" + hmac.new(secret.encode(), received.body, hashlib.sha256).hexdigest()
    stamp = received.headers.get("X-QuickOn-Timestamp", "")
    return (
        hmac.compare_digest(expected, received.headers.get("X-QuickOn-Signature", ""))
        and stamp == str(received.json()["timestamp"])
        and abs(time.time() - int(stamp)) <= max_age_s
    )


def dingtalk_sign_ok(received: Received, secret: str) -> bool:
    """DingTalk's check: sign = base64 HMAC-SHA256 (key: the secret) of "<timestamp ms>\\n<secret>", within an hour."""
    stamp = received.query.get("timestamp", "")
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    fresh = stamp.isdigit() and abs(time.time() * 1000 - int(stamp)) < 3600_000
    return fresh and hmac.compare_digest(base64.b64encode(digest).decode(), received.query.get("sign", ""))


def feishu_sign_ok(received: Received, secret: str) -> bool:
    """Feishu's check: sign = base64 HMAC-SHA256 with the key "<timestamp s>\\n<secret>" of an empty message."""
    body = received.json()
    stamp = str(body.get("timestamp", ""))
    digest = hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 3600
    return fresh and hmac.compare_digest(base64.b64encode(digest).decode(), str(body.get("sign", "")))


async def save_channel(
    nats_url: str,
    sealing: Sealer,
    *,
    team: str | None,
    target: dict[str, Any],
    timeout_s: float = 30,
    **definition: Any,
) -> str:
    """Ask for a channel as the gateway would; its id once the monitor saved it."""
    channel_id = f"ch-{uuid.uuid4().hex[:12]}"
    event = NotificationChannelSaveRequested(
        channel_id=channel_id, definition=ChannelDefinition(**definition), sealed_target=sealing.seal(target)
    )
    operation_id = await request(nats_url, event, team=team)  # type: ignore[arg-type]
    ended = await monitor_outcome(nats_url, operation_id, timeout_s=timeout_s)
    assert type(ended).__name__ == "NotificationChannelSaved", ended
    return channel_id


async def fire(
    nats_url: str, *, team: str | None, rule: str = "node-disk", severity: Severity = "critical"
) -> Envelope:
    """An alert fired as the monitor's rules would publish it."""
    event = AlertFired(
        alert_id=f"{rule}:{uuid.uuid4().hex[:8]}", rule=rule, severity=severity, service="cache",
        namespace=team or "default", summary=f"{rule} is above its threshold",
    )  # fmt: skip
    return await publish(nats_url, event, envelope=Envelope.new(event, source="monitor", team=team))


async def monitor_events(nats_url: str) -> list[tuple[Event, Envelope]]:
    nc = await connect(nats_url)
    try:
        reader = await stream_reader(nc, "qc.monitor.>")
        found = []
        while True:
            try:
                batch = await reader.fetch(500, timeout=0.5)
            except (TimeoutError, NatsTimeoutError):
                return found
            found += [decode(m.subject, m.headers, m.data) for m in batch]
    finally:
        await nc.close()


async def monitor_outcome(nats_url: str, operation_id: str, *, timeout_s: float = 30) -> Event:
    """The outcome event of a channel operation."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for event, _ in await monitor_events(nats_url):
            if getattr(event, "operation_id", None) == operation_id and not type(event).__name__.endswith("Requested"):
                return event
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for the outcome of operation {operation_id}")
