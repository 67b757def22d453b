"""Reading the stream with plain nats-py, and running services in the test's event loop."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from quickon_common.buscredentials import ensure_seeds, public_key, seed_file
from quickon_common.buspermissions import ADMIN, CREDENTIALS
from quickon_common.contracts import Event
from quickon_common.envelope import Envelope, decode, encode
from quickon_common.service import Service
from quickon_common.settings import SERVICES, Settings

TEST_RECEIVERS = "127.0.0.1"  # where the tests' webhook and SMTP receivers listen
JS_API_TIMEOUT_S = 15  # nats-py's 5 s is short for a test machine under load


@functools.cache
def bus_credentials() -> Path:
    """The folder of this test process's bus credentials (a seed per service and the admin's): every locked
    nats-server a test starts trusts them (conftest's ``nats_server``)."""
    folder = Path(tempfile.mkdtemp(prefix="qc-test-bus-"))
    ensure_seeds(folder, CREDENTIALS)
    return folder


def credential_of(service: str) -> Path:
    """The seed file ``service`` connects with: its own, or the admin's for a test's own service."""
    return seed_file(bus_credentials(), service if service in SERVICES else ADMIN)


def settings_for(service: str, *, nats_url: str, database_url: str, var_dir: Path, **extra: Any) -> Settings:
    """Settings pointing a service at the test's own NATS and database, with the service's own bus credential.
    Notification channels may reach 127.0.0.1, where the tests' receivers listen: an allowance the platform
    gives explicitly (QC_NOTIFY_ALLOWED_HOSTS), as an operator would for a receiver inside the network."""
    extra.setdefault("nats_nkey_file", credential_of(service))
    extra.setdefault("notify_allowed_hosts", [TEST_RECEIVERS])
    return Settings(service=service, nats_url=nats_url, database_url=database_url, var_dir=var_dir, **extra)


def refusals(log_file: Path) -> list[str]:
    """What a locked nats-server refused, from its log: ``<credential> may not publish|subscribe to <subject>``."""
    names = {public_key(seed_file(bus_credentials(), name)): name for name in CREDENTIALS}
    found = []
    for line in log_file.read_text(errors="replace").splitlines():
        if match := VIOLATION.search(line):
            found.append(
                f"{names.get(match['key'], match['key'])} may not {match['kind'].lower()} to {match['subject']}"
            )
    return sorted(set(found))


VIOLATION = re.compile(r'(?P<kind>Publish|Subscription) Violation - Nkey "(?P<key>\w+)", Subject "(?P<subject>[^"]+)"')


def service_environment(service: str, *, nats_url: str) -> dict[str, str]:
    """What a service started as a process of its own needs to reach the test's NATS as itself."""
    return {
        "QC_NATS_URL": nats_url, f"QC_{service.upper()}_NATS_NKEY_FILE": str(credential_of(service)),
        "QC_NOTIFY_ALLOWED_HOSTS": TEST_RECEIVERS,
    }  # fmt: skip


async def connect(nats_url: str, **options: Any) -> NatsClient:
    """A plain nats-py connection with the test's credential (the admin's: a test may say anything)."""
    return await nats.connect(nats_url, nkeys_seed=str(credential_of(ADMIN)), **options)


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout_s: float = 30, what: str = "condition") -> None:
    """Poll ``check`` until it is true; fail with ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running(service: Service, *, timeout_s: float = 30, but: tuple[str, ...] = ()) -> AsyncIterator[Service]:
    """Run ``service`` in this event loop until the block ends; enter once it is ready (every check
    passes, save those named in ``but``)."""
    await service.start()
    try:
        await eventually(lambda: _ready(service, but), timeout_s=timeout_s, what=f"{service.name} to be ready")
        yield service
        # Tests read the stream afterwards: everything committed must be published first,
        # however loaded the machine (the service's own stop flushes for 5 s at most).
        await eventually(lambda: _outbox_empty(service), timeout_s=60, what=f"{service.name}'s outbox to drain")
    finally:
        await service.stop()


async def _ready(service: Service, but: tuple[str, ...]) -> bool:
    return all(reason is None for name, reason in service.all_checks().items() if name not in but)


async def _outbox_empty(service: Service) -> bool:
    return await service.relay.backlog() == 0


async def stream_reader(nc: NatsClient, subject: str, *, stream: str = "QUICKON") -> JetStreamContext.PullSubscription:
    """An ephemeral consumer of everything stored on ``subject``, from the first message, unacknowledged."""
    config = ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=30)
    return await nc.jetstream(timeout=JS_API_TIMEOUT_S).pull_subscribe(subject, stream=stream, config=config)


async def stream_messages(nats_url: str, subject: str = ">", *, stream: str = "QUICKON") -> list[Msg]:
    """Every message stored on ``subject`` in the stream, read with an ephemeral consumer. What it
    counts is the consumer's pending messages: a stream info filtered by subject walks the subjects
    of every stored message, and timed out on a loaded machine with 20,000 of them."""
    nc = await connect(nats_url)
    try:
        sub = await stream_reader(nc, subject, stream=stream)
        expected = (await sub.consumer_info()).num_pending or 0
        messages: list[Msg] = []
        while len(messages) < expected:
            messages += await sub.fetch(min(1000, expected - len(messages)), timeout=10)
        return messages
    finally:
        await nc.close()


async def stream_count(nats_url: str, *, stream: str = "QUICKON") -> int:
    """How many messages the stream holds."""
    nc = await connect(nats_url)
    try:
        return int((await nc.jetstream().stream_info(stream)).state.messages)
    finally:
        await nc.close()


async def declare_stream(nats_url: str) -> None:
    """Create the QUICKON stream before any service starts (to publish ahead of it)."""
    from quickon_common.bus import ensure_stream

    nc = await connect(nats_url)
    try:
        await ensure_stream(nc.jetstream(), Settings(service="test"))
    finally:
        await nc.close()


async def publish(
    nats_url: str, event: Event, *, envelope: Envelope | None = None, msg_id: str | None = None
) -> Envelope:
    """Publish one event straight to the stream, as another service's relay would."""
    envelope = envelope or Envelope.new(event, source="test")
    subject, headers, body = encode(event, envelope)
    if msg_id:
        headers["Nats-Msg-Id"] = msg_id
    nc = await connect(nats_url)
    try:
        await nc.jetstream().publish(subject, body, headers=headers)
    finally:
        await nc.close()
    return envelope


async def events(nats_url: str, subject: str = ">") -> list[tuple[Event, Envelope]]:
    """Every event stored on ``subject``, decoded."""
    return [decode(m.subject, m.headers, m.data) for m in await stream_messages(nats_url, subject)]


async def query(
    nats_url: str, subject: str, body: dict[str, Any] | None = None, *, timeout_s: float = 30
) -> dict[str, Any]:
    """A request/reply query (``qc.query.<service>.<name>``) and its JSON answer."""
    nc = await connect(nats_url)
    try:
        reply = await nc.request(subject, json.dumps(body or {}).encode(), timeout=timeout_s)
        answer: dict[str, Any] = json.loads(reply.data)
        return answer
    finally:
        await nc.close()


def frozen(process: subprocess.Popen[bytes]) -> bool:
    """The process stopped itself at its failpoint (state T: a crash test's failpoint sends it SIGSTOP)."""
    stat = Path(f"/proc/{process.pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


async def wait_frozen(process: subprocess.Popen[bytes], what: str, *, timeout_s: float = 90) -> None:
    """Wait for the process to reach its failpoint; fail at once if it exited instead."""

    async def check() -> bool:
        assert process.poll() is None, f"the process exited ({process.returncode}) before {what}"
        return frozen(process)

    await eventually(check, timeout_s=timeout_s, what=what)
