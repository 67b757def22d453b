"""Running the deployer (sim runtime) with the market and the built-in catalog in the test's event loop."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from nats.errors import TimeoutError as NatsTimeoutError

from quickon_common.contracts import Event
from quickon_common.envelope import Envelope, decode
from quickon_common.service import Service
from quickon_deployer.app import DeployerParts, build
from quickon_deployer.settings import DeployerSettings
from support.bus import connect, publish, query, running, settings_for, stream_reader
from support.market import market_service, wait_repository

CATALOG = Path(__file__).resolve().parents[2] / "catalog"
# Pods ready within a second or so, failures noticed at once, deadlines short enough for a test.
FAST = {
    "runtime": "sim", "sim_delay_scale": 0.02, "failure_grace_s": 0, "status_interval_s": 0.2,
    "install_deadline_s": 60, "upgrade_deadline_s": 60, "operation_deadline_s": 60,
    "pre_upgrade_backup": False,  # no backup service here; tests/integration/test_backup_*.py run one
    "scan_services": False,  # Trivy on every install of the suite would cost minutes; scan tests turn it on
}  # fmt: skip
# No secret key: the platform key is made in the test's var/secret.key, which a gateway there shares.


def deployer_service(nats_url: str, database_url: str, var_dir: Path, **overrides: Any) -> Service:
    return deployer_parts(nats_url, database_url, var_dir, **overrides).service


def deployer_parts(nats_url: str, database_url: str, var_dir: Path, **overrides: Any) -> DeployerParts:
    """As :func:`deployer_service`, with its runtime at hand for a test to look into."""
    settings = settings_for("deployer", nats_url=nats_url, database_url=database_url, var_dir=var_dir)
    return build(settings, DeployerSettings(**{**FAST, **overrides}))


@asynccontextmanager
async def platform(
    nats_url: str, database_url: str, var_dir: Path, *, ready: bool = True, **overrides: Any
) -> AsyncIterator[DeployerParts]:
    """The market (on its own SQLite file) with the built-in catalog, and the deployer on ``database_url``
    (entered once it is ready, or only up to its runtime check when not ``ready``)."""
    market = market_service(nats_url, f"sqlite:///{var_dir / 'market.db'}", var_dir, builtin=CATALOG)
    async with running(market):
        await wait_repository(nats_url, "builtin", "ok")
        deployer = deployer_parts(nats_url, database_url, var_dir, **overrides)
        async with running(deployer.service, but=() if ready else ("runtime",)):
            yield deployer


PLATFORM = {"is_admin": True}  # a team-scoped query's caller that sees everything (quickon_common Caller)
TEAM_SCOPED = frozenset({"services", "service", "service_scan", "operations", "operation", "preview", "nodes", "node"})


async def ask(nats_url: str, name: str, /, **body: Any) -> dict[str, Any]:
    """A deployer query's answer; team-scoped ones asked as the platform unless the test names a caller."""
    if name in TEAM_SCOPED:
        body.setdefault("caller", PLATFORM)
    return await query(nats_url, f"qc.query.deployer.{name}", body)


async def request(nats_url: str, event: Event, *, actor: str = "alice", team: str = "team-a") -> str:
    """Publish a request as the gateway would; returns its operation id."""
    operation_id = str(uuid.uuid4())
    event = event.model_copy(update={"operation_id": operation_id})
    await publish(nats_url, event, envelope=Envelope.new(event, source="gateway", actor=actor, team=team))
    return operation_id


async def finished(nats_url: str, operation_id: str, *, timeout_s: float = 60) -> list[Event]:
    """Wait for the operation's outcome event; every event of the operation in the stream by then, in
    stream order. One consumer reads the stream once as it grows (a test with hundreds of operations
    would otherwise read the whole stream again at every poll)."""
    nc = await connect(nats_url)
    try:
        reader = await stream_reader(nc, "qc.deploy.>")
        found: list[Event] = []
        ended, deadline = False, time.monotonic() + timeout_s
        while True:
            try:
                batch = await reader.fetch(500, timeout=0.5)
            except (TimeoutError, NatsTimeoutError):  # nats-py raises either, by where the wait ran out
                batch = []
            for message in batch:
                event, _ = decode(message.subject, message.headers, message.data)
                if getattr(event, "operation_id", None) == operation_id:
                    found.append(event)
                    ended = ended or not _progress(event)
            if ended and (not batch or batch[-1].metadata.num_pending == 0):  # and all the stream had then
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout_s}s waiting for operation {operation_id} to finish")
    finally:
        await nc.close()


def _progress(event: Event) -> bool:
    """Events on the way (requested, asked, started, steps, status), as opposed to an outcome."""
    return type(event).__name__ in {
        "SagaStepRecorded", "ServiceStatusChanged", "AppInstallStarted", "AppUpgradeStarted",
    } or type(event).__name__.endswith(("Requested", "Asked"))  # fmt: skip


def outcome(found: list[Event]) -> Event:
    """The one outcome event among an operation's events."""
    outcomes = [e for e in found if not _progress(e)]
    assert len(outcomes) == 1, outcomes
    return outcomes[0]
