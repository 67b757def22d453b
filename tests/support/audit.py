"""Building audit logs for tests: synthetic events appended through the real appender."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from quickon_audit import intake, triggers
from quickon_audit.appender import AuditLog, ensure_head
from quickon_audit.migrations import MIGRATIONS
from quickon_audit.signing import Signer
from quickon_common.contracts.deploy import AppInstallRequested, ServiceStopRequested
from quickon_common.db import Database
from quickon_common.envelope import Envelope, encode
from quickon_common.migrations import migrate
from quickon_common.outbox import Outbox
from support.bus import connect

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def message(i: int, *, team: str | None = None, actor: str = "alice") -> tuple[str, dict[str, str], bytes]:
    """The NATS subject, headers and body of synthetic event number ``i``."""
    event = (
        AppInstallRequested(service=f"svc-{i % 17}", app="nginx", values={"n": i}, sealed_values="sealed-secret")
        if i % 3
        else ServiceStopRequested(service=f"svc-{i % 17}")
    )
    envelope = Envelope.new(event, source="gateway", actor=actor, team=team, subject=f"services/default/svc-{i % 17}")
    return encode(event, envelope)


def incoming(i: int, **kwargs: str | None) -> intake.Incoming:
    subject, headers, body = message(i, **kwargs)  # type: ignore[arg-type]
    return intake.read(subject, headers, body, stream_seq=i + 1, received=EPOCH + timedelta(seconds=i))


async def open_log(url: str, key_dir: Path, *, checkpoint_every: int) -> tuple[Database, AuditLog]:
    """An empty audit database at ``url`` with its triggers, and its appender."""
    db = Database(url)
    await migrate(db, MIGRATIONS)
    async with db.engine.begin() as connection:
        await triggers.install(connection)
        await ensure_head(connection)
    clock = iter(EPOCH + timedelta(minutes=m) for m in range(10**6))
    return db, AuditLog(Outbox(db, source="audit"), Signer.load(None, key_dir), checkpoint_every=checkpoint_every,
                        clock=lambda: next(clock))  # fmt: skip


async def build_log(url: str, key_dir: Path, *, entries: int, checkpoint_every: int, batch: int = 37) -> Signer:
    """A log of ``entries`` entries appended in batches, every one covered by a checkpoint at the end."""
    db, audit = await open_log(url, key_dir, checkpoint_every=checkpoint_every)
    rng = random.Random(7)
    i = 0
    while i < entries:
        size = min(rng.randint(1, batch), entries - i)
        await audit.append([incoming(n) for n in range(i, i + size)])
        i += size
    await audit.checkpoint_now()
    await db.dispose()
    return audit.signer


async def publish_all(nats_url: str, messages: list[tuple[str, dict[str, str], bytes]], *, window: int = 500) -> None:
    """Publish ``messages`` to the stream in this order, ``window`` acknowledgements in flight."""
    import asyncio

    nc = await connect(nats_url)
    try:
        js = nc.jetstream()
        for start in range(0, len(messages), window):
            futures = [await js.publish_async(s, b, headers=h) for s, h, b in messages[start : start + window]]
            await asyncio.gather(*futures)
    finally:
        await nc.close()


async def consumer_idle(nats_url: str, durable: str = "audit-log", stream: str = "QUICKON") -> bool:
    """Whether the audit's durable consumer has nothing pending and nothing unacknowledged."""
    from nats.js.errors import NotFoundError

    nc = await connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info(stream, durable)
    except NotFoundError:
        return False
    finally:
        await nc.close()
    return info.num_pending == 0 and info.num_ack_pending == 0
