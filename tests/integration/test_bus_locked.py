"""The bus is locked: a raw NATS client, with no credential or with a service's, tries what the table of
permissions (quickon_common.buspermissions) forbids, and is refused; what the same credential needs works.

nats-server drops a forbidden publish and tells the client through its error callback (a publish does not
raise), so each check watches the callback and then reads the stream as the admin.
"""

from __future__ import annotations

import json
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError

from quickon_common.bus import ensure_stream
from quickon_common.buscredentials import ensure_seeds, inbox_prefix
from quickon_common.buspermissions import ADMIN, is_request
from quickon_common.contracts import REGISTRY, Event
from quickon_common.contracts.asks import ACCEPTED_BY, RestoreStopAsked, UpgradeBackupAsked
from quickon_common.contracts.common import Ask
from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested, AppUninstallRequested
from quickon_common.contracts.iam import UserCreated
from quickon_common.contracts.market import RepositoryAddRequested
from quickon_common.envelope import Envelope, encode
from quickon_common.natsserver import NatsServer
from quickon_common.settings import SERVICES, Settings
from support.bus import connect, credential_of, eventually, stream_count, stream_messages

pytestmark = pytest.mark.refused_on_the_bus


class Client:
    """A raw connection with one credential, keeping what the server refused it."""

    def __init__(self, url: str, credential: str) -> None:
        self.url = url
        self.credential = credential
        self.refusals: list[str] = []
        self.nc: NatsClient | None = None

    async def __aenter__(self) -> Client:
        async def on_error(error: Exception) -> None:
            self.refusals.append(str(error))

        self.nc = await nats.connect(
            self.url, nkeys_seed=str(credential_of(self.credential)), inbox_prefix=inbox_prefix(self.credential),
            error_cb=on_error, allow_reconnect=False,
        )  # fmt: skip
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self.nc is not None
        await self.nc.close()

    async def publish(self, subject: str, headers: dict[str, str] | None = None, body: bytes = b"{}") -> None:
        """Publish as a relay would (``event_message``'s order), and make sure the server has read it."""
        assert self.nc is not None
        await self.nc.publish(subject, body, headers=headers)
        await self.nc.flush()

    async def refused(self, what: str) -> None:
        """Wait until the server has refused ``what`` (a subject) to this client."""

        async def said() -> bool:
            return any("permissions violation" in r and f'"{what.lower()}"' in r.lower() for r in self.refusals)

        await eventually(said, timeout_s=10, what=f"the server to refuse {what} to {self.credential}")


@pytest.fixture
async def url(nats_server: NatsServer) -> str:
    """The test's locked server, with the stream made as qc up makes it (by the admin)."""
    nc = await connect(nats_server.url)
    try:
        await ensure_stream(nc.jetstream(), Settings(service=ADMIN))
    finally:
        await nc.close()
    return nats_server.url


def event_message(event: Event) -> tuple[str, dict[str, str], bytes]:
    """An event as a relay publishes it: subject, CloudEvents headers, body."""
    return encode(event, Envelope.new(event, source="forger", actor="admin", team="team-a"))


async def stored(url: str, subject: str) -> int:
    return len(await stream_messages(url, subject))


def installed() -> AppInstalled:
    return AppInstalled(service="web", namespace="team-a", app="redis", version="1.0.0", revision=1)


async def test_a_client_without_a_credential_or_with_an_unknown_one_is_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)
    stranger = ensure_seeds(tmp_path / "stranger", ["someone"])["someone"]
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(url, nkeys_seed=str(stranger), allow_reconnect=False, max_reconnect_attempts=0)


async def test_the_gateway_cannot_forge_an_outcome_but_sends_requests(url: str) -> None:
    forged = event_message(installed())
    request = event_message(AppInstallRequested(service="web", namespace="team-a", app="redis", version="1.0.0"))
    async with Client(url, "gateway") as gateway:
        await gateway.publish(*forged)
        await gateway.refused(AppInstalled.subject)
        await gateway.publish(*request)
    assert await stored(url, AppInstalled.subject) == 0
    assert await stored(url, AppInstallRequested.subject) == 1


async def test_the_deployer_cannot_send_requests_nor_iam_events_but_tells_its_outcomes(url: str) -> None:
    forged = [
        event_message(AppUninstallRequested(service="web", namespace="kube-system")),
        event_message(RepositoryAddRequested(repository="evil", url="http://169.254.169.254/")),
        event_message(UserCreated(user_id="u-mallory", username="mallory", is_admin=True)),
    ]
    async with Client(url, "deployer") as deployer:
        for message in forged:
            await deployer.publish(*message)
            await deployer.refused(message[0])
        await deployer.publish(*event_message(installed()))
    for subject, _, _ in forged:
        assert await stored(url, subject) == 0, f"{subject} was stored"
    assert await stored(url, AppInstalled.subject) == 1


# A service's saga that needs another's work asks in its own context (quickon_common.contracts.asks): it
# sends no request, and says nothing in the context it asks.
ASKERS = [
    ("deployer", "backup", UpgradeBackupAsked(backup_id="pre-upgrade-op-1", service="web", namespace="team-a",
                                              trigger="pre_upgrade")),
    ("backup", "deploy", RestoreStopAsked(service="web", namespace="team-a", operation_id="restore-op-1:stop")),
]  # fmt: skip


@pytest.mark.parametrize(("service", "other_context", "ask"), ASKERS, ids=[a[0] for a in ASKERS])
async def test_a_service_sends_no_request_nor_anything_in_the_context_it_asks_but_asks_in_its_own(
    url: str, service: str, other_context: str, ask: Ask
) -> None:
    requests = {c.subject for c in REGISTRY.all() if is_request(c)}
    theirs = {c.subject for c in REGISTRY.all() if c.context() == other_context}
    assert ACCEPTED_BY[type(ask)] != service and ask.context() != other_context
    async with Client(url, service) as client:
        for subject in sorted(requests | theirs):
            await client.publish(subject)  # refused by the server before any reader could look at the body
            await client.refused(subject)
        await client.publish(*event_message(ask))
    assert await stream_count(url) == 1, "only the ask was stored"
    assert await stored(url, ask.subject) == 1


async def test_the_gateway_cannot_publish_an_ask(url: str) -> None:
    async with Client(url, "gateway") as gateway:
        for ask in ACCEPTED_BY:
            await gateway.publish(ask.subject)
            await gateway.refused(ask.subject)
    assert await stream_count(url) == 0


@pytest.mark.parametrize("service", SERVICES)
async def test_no_service_can_delete_or_purge_the_stream(url: str, service: str) -> None:
    async with Client(url, service) as client:
        for action in ("DELETE", "PURGE", "UPDATE"):
            await client.publish(f"$JS.API.STREAM.{action}.QUICKON")
            await client.refused(f"$JS.API.STREAM.{action}.QUICKON")
    nc = await connect(url)
    try:
        assert (await nc.jetstream().stream_info("QUICKON")).config.name == "QUICKON"
    finally:
        await nc.close()


async def test_a_service_answers_only_its_own_queries_and_reads_only_its_own_replies(url: str) -> None:
    async with Client(url, "gateway") as gateway, Client(url, "deployer") as deployer:
        assert gateway.nc is not None and deployer.nc is not None
        await gateway.nc.subscribe("qc.query.deployer.>")
        await gateway.nc.flush()
        await gateway.refused("qc.query.deployer.>")
        await deployer.nc.subscribe(f"{inbox_prefix('gateway')}.>")
        await deployer.nc.flush()
        await deployer.refused(f"{inbox_prefix('gateway')}.>")

        async def answer(msg: Msg) -> None:
            await msg.respond(json.dumps({"answered_by": "deployer"}).encode())

        await deployer.nc.subscribe("qc.query.deployer.ping", queue="deployer", cb=answer)
        await deployer.nc.flush()
        replies: list[bytes] = []

        async def answered() -> bool:
            assert gateway.nc is not None
            try:  # the server may not count the new subscription as interest at the very first try
                replies.append((await gateway.nc.request("qc.query.deployer.ping", b"{}", timeout=10)).data)
            except NoRespondersError:
                return False
            return True

        await eventually(answered, timeout_s=30, what="the deployer's answer")
    assert json.loads(replies[0]) == {"answered_by": "deployer"}
