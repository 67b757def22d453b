"""The audit service on the spine: every message on the stream into the log exactly once.

10,000 events, each in the stream twice (the second copy without Nats-Msg-Id, as a republish after
the duplicate window), published partly out of order, read by two audit replicas at once on one
database; then the durable consumer is deleted and the whole stream is read again. The log holds
each event once and verifies. Bad input: messages no contract decodes, and dead letters, are kept
and flagged; secret fields are redacted again.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from sqlalchemy import func, select

from quickon_audit.app import AuditParts, build
from quickon_audit.appender import entries
from quickon_audit.settings import AuditSettings
from quickon_audit.stream_reader import DURABLE
from quickon_audit.verify import verify
from quickon_common.contracts.audit import AuditCheckpointCreated
from quickon_common.envelope import MSG_ID_HEADER
from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from support.audit import consumer_idle, message, publish_all
from support.bus import connect, eventually, running, settings_for

EVENTS = 10_000
CHECKPOINT_TYPE = AuditCheckpointCreated.ce_type()


def audit_service(nats_url: str, database_url: str, var_dir: Path) -> AuditParts:
    settings = settings_for("audit", nats_url=nats_url, database_url=database_url, var_dir=var_dir)
    return build(settings, AuditSettings(checkpoint_every=1000, checkpoint_interval_s=3600))


async def counts(service: Service) -> tuple[int, int]:
    """(entries that are not checkpoint events, distinct event ids among them)."""
    async with service.db.read_engine.connect() as connection:
        query = select(func.count(), func.count(entries.c.event_id.distinct())).where(entries.c.type != CHECKPOINT_TYPE)
        total, distinct = (await connection.execute(query)).one()
    return int(total), int(distinct)


async def test_each_event_once_across_two_replicas_and_a_full_redelivery(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(6)
    originals = [message(i) for i in range(EVENTS)]
    copies = [(s, {k: v for k, v in h.items() if k != MSG_ID_HEADER}, b) for s, h, b in originals]
    published = originals + copies
    for _ in range(EVENTS // 10):  # some out of order: swap messages up to 2,000 apart
        a = rng.randrange(len(published))
        b = min(len(published) - 1, a + rng.randint(1, 2000))
        published[a], published[b] = published[b], published[a]
    first, second = (
        audit_service(nats_server.url, database_url, tmp_path),
        audit_service(nats_server.url, database_url, tmp_path),
    )
    async with running(first.service), running(second.service):
        await publish_all(nats_server.url, published)
        await eventually(lambda: consumer_idle(nats_server.url), timeout_s=120, what="the stream to be read")
        assert await counts(first.service) == (EVENTS, EVENTS)
    assert first.reader.received and second.reader.received  # both took part
    verdict = verify(database_url, first.signer.public_raw)
    assert verdict.ok, verdict
    checkpoints = verdict.checkpoints
    assert checkpoints >= EVENTS // 1500

    nc = await connect(nats_server.url)
    await nc.jetstream().delete_consumer("QUICKON", DURABLE)  # everything is delivered again
    await nc.close()
    again = audit_service(nats_server.url, database_url, tmp_path)
    async with running(again.service):
        await eventually(lambda: consumer_idle(nats_server.url), timeout_s=120, what="the stream to be read again")
        assert await counts(again.service) == (EVENTS, EVENTS)
        after = verify(database_url, again.signer.public_raw)
    assert after.ok, after
    assert after.head_sequence == verdict.head_sequence  # not one entry more: repeats add nothing


async def test_bad_input_and_dead_letters_are_recorded_flagged_and_secrets_redacted(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    subject, headers, body = message(1)  # an install request carrying sealed values
    wrong_body = (subject, {**headers, "ce-id": "bad-body", MSG_ID_HEADER: "bad-body"}, b'{"service": 5}')
    dead = (
        "qc.dlq.deployer",
        {**headers, MSG_ID_HEADER: "dlq:deployer-x:9", "qc-dlq-reason": "refused: nope", "qc-dlq-subject": subject,
         "qc-dlq-consumer": "deployer-x", "qc-dlq-stream-sequence": "9", "qc-dlq-tries": "5"},
        body,
    )  # fmt: skip
    garbage = ("qc.market.repository.added", {}, b"\xff\xfe not json")
    audit = audit_service(nats_server.url, database_url, tmp_path)
    service = audit.service
    async with running(service):
        await publish_all(nats_server.url, [(subject, headers, body), wrong_body, dead, garbage])
        await eventually(lambda: consumer_idle(nats_server.url), what="the messages to be read")
        async with service.db.read_engine.connect() as connection:
            query = select(entries.c.flagged, entries.c.record).order_by(entries.c.seq)
            rows = (await connection.execute(query)).all()
    docs = {doc["event_id"]: (flagged, doc) for flagged, doc in ((r[0], json.loads(r[1][32:])) for r in rows)}
    assert len(docs) == 4
    ok_flag, good = docs[headers["ce-id"]]
    assert not ok_flag and good["body"]["sealed_values"] == "***redacted***" and good["actor"] == "alice"
    assert b"sealed-secret" not in b"".join(r[1] for r in rows)
    bad_flag, bad = docs["bad-body"]
    assert bad_flag and "does not match" in bad["reason"] and bad["body"] == {"service": 5} and bad["raw_sha256"]
    dead_flag, letter = docs["dlq:deployer-x:9"]
    assert not dead_flag and letter["dead_letter"]["reason"] == "refused: nope"
    assert letter["body"]["sealed_values"] == "***redacted***"
    junk_flag, junk = next(v for k, v in docs.items() if k.startswith("stream:"))
    assert junk_flag and junk["raw_b64"] and "missing CloudEvents headers" in junk["reason"]
    assert verify(database_url, audit.signer.public_raw).ok
