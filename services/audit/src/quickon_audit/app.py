"""Wiring of the audit service: the log of every event, its checkpoints, retention and queries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from quickon_common.objectstore import open_store
from quickon_common.service import Service
from quickon_common.settings import Settings

from . import queries, retention, triggers
from .appender import AuditLog, ensure_head
from .checkpoint_store import CheckpointWriter
from .migrations import MIGRATIONS
from .settings import AuditSettings
from .signing import Signer
from .stream_reader import StreamReader

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AuditParts:
    """The audit service and the parts a test or benchmark may drive directly."""

    service: Service
    audit_log: AuditLog
    reader: StreamReader
    writer: CheckpointWriter
    signer: Signer


def build(
    settings: Settings | None = None, audit: AuditSettings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> AuditParts:
    """The audit service, wired, with its log, stream reader, checkpoint writer and signer at hand."""
    service = Service("audit", settings=settings, migrations=MIGRATIONS)
    audit = audit or AuditSettings()
    configured = audit.signing_key.get_secret_value() if audit.signing_key else None
    signer = Signer.load(configured, service.settings.var_dir.resolve() / "audit")
    audit_log = AuditLog(service.outbox, signer, checkpoint_every=audit.checkpoint_every, clock=clock)
    reader = StreamReader(
        audit_log, stream=service.settings.stream_name, batch_size=audit.batch_size, ack_wait_s=audit.ack_wait_s,
        clock=clock, report=lambda reason: service.checks.__setitem__("intake", reason),
    )  # fmt: skip
    writer = CheckpointWriter(
        service.db, lambda: open_store(service.settings.store_settings()), signer, retry_s=audit.store_retry_s,
        report=lambda reason: service.checks.__setitem__("checkpoint store", reason),
    )  # fmt: skip
    audit_log.on_checkpoint.append(writer.wake)
    service.checks["intake"] = "not started yet"

    async def prepare() -> None:
        # After every migration, not in one: see quickon_audit.migrations for why.
        async with service.db.engine.begin() as connection:
            await triggers.install(connection)
            await ensure_head(connection)

    async def follow() -> None:
        await reader.run(service.js)

    service.prepares(prepare)
    service.runs(follow)
    service.runs(writer.run)
    # On the leading replica: a checkpoint of what came since the last, and the retention.
    interval = audit.checkpoint_interval_s
    service.periodically(interval, audit_log.checkpoint_now, what="timed audit checkpoints", at_once=False)
    if audit.retention_days is not None:
        keep_days = audit.retention_days

        async def apply_retention() -> None:
            if removed := await retention.apply(service.outbox, keep_days=keep_days, clock=clock):
                log.info("retention removed %d entries", removed)

        service.periodically(audit.retention_check_s, apply_retention, what="audit retention")
    queries.register(service, signer=signer, stored=writer.stored)
    return AuditParts(service=service, audit_log=audit_log, reader=reader, writer=writer, signer=signer)


def create_service(
    settings: Settings | None = None, audit: AuditSettings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> Service:
    """The audit service, ready to run."""
    return build(settings, audit, clock=clock).service
