"""Checkpoints: signed, published, written to the object store outside the database, queued while the
store is away (the log keeps appending); timed checkpoints; retention of whole checkpointed segments."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DatabaseError

from quickon_audit import canonical, merkle, retention
from quickon_audit.app import AuditParts, build
from quickon_audit.appender import checkpoints, entries, heads
from quickon_audit.checkpoint_store import PREFIX
from quickon_audit.settings import AuditSettings
from quickon_audit.signing import signature_valid
from quickon_audit.verify import verify
from quickon_common.contracts.audit import AuditCheckpointCreated, AuditRetentionApplied
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings, open_store
from quickon_common.service import Service
from support.audit import consumer_idle, message, publish_all
from support.bus import connect, eventually, running, settings_for, stream_messages


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def audit_service(nats_url: str, database_url: str, var: Path, clock: Clock, **settings: object) -> Service:
    return audit_parts(nats_url, database_url, var, clock, **settings).service


def audit_parts(nats_url: str, database_url: str, var: Path, clock: Clock, **settings: object) -> AuditParts:
    """As :func:`audit_service`, with its log and signer at hand for a test to drive."""
    base = settings_for("audit", nats_url=nats_url, database_url=database_url, var_dir=var, **settings)
    return build(base, AuditSettings(checkpoint_every=100, checkpoint_interval_s=3600, store_retry_s=0.1),
                          clock=clock)  # fmt: skip


async def count(service: Service, table: object = entries) -> int:
    async with service.db.read_engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar() or 0)  # type: ignore[arg-type]


async def test_checkpoints_queue_while_the_store_is_away_and_are_stored_when_it_returns(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    blocked = tmp_path / "objects"
    blocked.write_text("a file where the store's folder should be: every write fails")
    audit = audit_parts(nats_server.url, database_url, tmp_path, Clock(), store_url=f"file://{blocked}")
    service = audit.service
    async with running(service, but=("checkpoint store",)):
        for start in (0, 150):  # two rounds: two checkpoints at least
            await publish_all(nats_server.url, [message(i) for i in range(start, start + 150)])
            await eventually(lambda: consumer_idle(nats_server.url), what="the events to be logged")
        assert await count(service) >= 300, "the log keeps appending"
        made = await count(service, checkpoints)
        assert made >= 2
        await eventually(lambda: _reason(service), what="the store's trouble to be reported")
        assert not await _stored(service)

        blocked.unlink()  # the store is back
        await eventually(lambda: _all_stored(service), what="the queued checkpoints to be stored")
        assert service.checks["checkpoint store"] is None
        store = open_store(service.settings.store_settings())
        keys = [info.key async for info in store.list(PREFIX)]
        assert len(keys) == await count(service, checkpoints)
        document = json.loads(await store.get_bytes(keys[0]))
        await store.close()
    cp = document["checkpoint"]
    public = base64.b64decode(document["public_key"])
    assert public == audit.signer.public_raw
    assert signature_valid(public, canonical.checkpoint_payload(**cp), document["signature"])
    leaves = base64.b64decode(document["leaves_b64"])
    assert merkle.root([leaves[i : i + 32] for i in range(0, len(leaves), 32)]).hex() == cp["merkle_root"]
    published = await stream_messages(nats_server.url, AuditCheckpointCreated.subject)
    assert len(published) == made
    assert verify(database_url, public).ok

    # A rewrite inside the database: one checkpoint row removed, an entry of its segment forged and the
    # chain recomputed up to the head. Only the copy in the object store still tells.
    service = audit_service(nats_server.url, database_url, tmp_path, Clock(), store_url=f"file://{blocked}")
    async with running(service):
        forged = await forge_without_checkpoint(service, seq=5)
        nc = await connect(nats_server.url)
        reply = json.loads((await nc.request("qc.query.audit.verify", b"{}", timeout=60)).data)
        await nc.close()
    assert not reply["ok"] and reply["first_bad_sequence"] == forged, reply
    assert reply["stored_checkpoints"] == made
    assert not verify(database_url, public).ok


async def forge_without_checkpoint(service: Service, *, seq: int) -> int:
    """Delete the checkpoint covering ``seq``, change entry ``seq`` and recompute the chain after it."""
    async with service.db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            await connection.execute(text("DROP TRIGGER audit_log_no_update"))
            await connection.execute(text("DROP TRIGGER audit_checkpoints_no_delete"))
        else:
            await connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard"))
            await connection.execute(text("ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_guard"))
        await connection.execute(delete(checkpoints).where(checkpoints.c.first_seq <= seq, checkpoints.c.seq >= seq))
        rows = (await connection.execute(select(entries.c.seq, entries.c.record).where(entries.c.seq >= seq))).all()
        prev = bytes(rows[0][1])[:32]
        for number, stored in sorted(rows):
            record = prev + bytes(stored)[32:]
            if number == seq:
                record = record.replace(b'"actor":"alice"', b'"actor":"mallory"')
            prev = hashlib.sha256(record).digest()
            await connection.execute(
                update(entries).where(entries.c.seq == number).values(record=record, entry_hash=prev)
            )
        await connection.execute(update(heads).values(entry_hash=prev))
    return seq


async def test_timed_checkpoints_and_retention_of_whole_segments(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    audit = audit_parts(nats_server.url, database_url, tmp_path, clock)
    service, audit_log = audit.service, audit.audit_log
    async with running(service):
        await publish_all(nats_server.url, [message(i) for i in range(30)])
        await eventually(lambda: consumer_idle(nats_server.url), what="the first events to be logged")
        first = await audit_log.checkpoint_now()  # what the timer does every checkpoint_interval_s
        assert first is not None and first >= 30
        await eventually(lambda: _logged(service, first + 1), what="the checkpoint event to be logged")
        assert await audit_log.checkpoint_now() is None, "a checkpoint event alone makes no new checkpoint"

        clock.now += timedelta(days=10)
        await publish_all(nats_server.url, [message(i) for i in range(30, 60)])
        await eventually(lambda: consumer_idle(nats_server.url), what="the later events to be logged")
        second = await audit_log.checkpoint_now()
        removed = await retention.apply(service.outbox, keep_days=7, clock=clock)
        assert removed == first, "exactly the segment whose checkpoint is older than 7 days"
        async with service.db.read_engine.connect() as connection:
            oldest = (await connection.execute(select(func.min(entries.c.seq)))).scalar()
        assert oldest == first + 1
        assert await retention.apply(service.outbox, keep_days=7, clock=clock) == 0
        verdict = verify(database_url, audit.signer.public_raw)
        assert verdict.ok and verdict.starts_after == first, verdict
        for statement, refusal in (
            (f"DELETE FROM audit_log WHERE seq = {second}", "append-only"),
            (f"DELETE FROM audit_checkpoints WHERE seq = {first}", "are kept"),
            (f"UPDATE audit_checkpoints SET head_hash = 'x' WHERE seq = {first}", "are kept"),
        ):
            async with service.db.engine.begin() as connection:
                with pytest.raises(DatabaseError, match=refusal):
                    await connection.execute(text(statement))
        await eventually(lambda: _has(service, AuditRetentionApplied.ce_type()), what="retention to be in the log")


async def _reason(service: Service) -> bool:
    return bool(service.checks.get("checkpoint store"))


async def _stored(service: Service) -> int:
    async with service.db.read_engine.connect() as connection:
        query = select(func.count()).select_from(checkpoints).where(checkpoints.c.stored.is_(True))
        return int((await connection.execute(query)).scalar() or 0)


async def _all_stored(service: Service) -> bool:
    return await _stored(service) == await count(service, checkpoints)


async def _logged(service: Service, seq: int) -> bool:
    return await count(service) >= seq


async def _has(service: Service, kind: str) -> bool:
    async with service.db.read_engine.connect() as connection:
        return (await connection.execute(select(entries.c.seq).where(entries.c.type == kind))).first() is not None


async def test_checkpoints_land_in_each_object_store(
    nats_server: NatsServer, store_settings: StoreSettings, tmp_path: Path
) -> None:
    """Local folder, moto and Ceph RGW: the same objects, self-verifying, under audit/checkpoints/."""
    where = {
        "store_url": store_settings.url, "s3_endpoint": store_settings.endpoint,
        "s3_access_key": store_settings.access_key, "s3_secret_key": store_settings.secret_key,
        "s3_secure": store_settings.secure, "s3_region": store_settings.region,
    }  # fmt: skip
    service = audit_service(nats_server.url, f"sqlite:///{tmp_path / 'audit.db'}", tmp_path, Clock(), **where)
    async with running(service):
        for start in (0, 120):
            await publish_all(nats_server.url, [message(i) for i in range(start, start + 120)])
            await eventually(lambda: consumer_idle(nats_server.url), what="the events to be logged")
        await eventually(lambda: _all_stored(service), what="every checkpoint to be stored")
        made = await count(service, checkpoints)
    store = open_store(store_settings)
    try:
        keys = [info.key async for info in store.list(PREFIX)]
        assert len(keys) == made >= 2 and keys == sorted(keys)
        for key in keys:
            document = json.loads(await store.get_bytes(key))
            payload = canonical.checkpoint_payload(**document["checkpoint"])
            assert signature_valid(base64.b64decode(document["public_key"]), payload, document["signature"])
    finally:
        await store.close()
