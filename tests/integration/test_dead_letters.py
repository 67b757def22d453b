"""Poison and malformed messages land on qc.dlq.<service> with their error; the next is processed."""

from __future__ import annotations

from pathlib import Path

from quickon_common.contracts.deploy import ServiceStatusChanged
from quickon_common.envelope import Envelope, encode
from quickon_common.natsserver import NatsServer
from support.bus import connect, eventually, publish, running, settings_for, stream_messages
from support.tally import counts, status, tally_service

SUBJECT = ServiceStatusChanged.subject


async def test_poison_is_tried_then_dead_lettered_and_the_next_message_goes_through(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        "monitor",
        nats_url=nats_server.url,
        database_url=database_url,
        var_dir=tmp_path,
        consumer_max_tries=3,
        consumer_backoff_s=[0.1, 0.2],
    )
    service = tally_service(settings)
    async with running(service):
        poison = await publish(nats_server.url, status("poison-1"))
        await publish(nats_server.url, status("good-1"))
        await eventually(lambda: _dead_letters(nats_server.url, 1), what="the poison message in qc.dlq.monitor")
        await eventually(lambda: _counted(service, {"good-1": 1}), what="the good message to be applied")

    [letter] = await stream_messages(nats_server.url, "qc.dlq.>")
    headers = letter.headers or {}
    assert letter.subject == "qc.dlq.monitor"
    assert headers["qc-dlq-reason"] == "RuntimeError: cannot handle poison-1"
    assert headers["qc-dlq-tries"] == "3"
    assert headers["qc-dlq-subject"] == SUBJECT
    assert headers["qc-dlq-consumer"] == "monitor-count_status"
    assert headers["ce-id"] == poison.id, "the original event is kept as it was"
    assert b'"poison-1"' in letter.data


async def test_malformed_messages_are_dead_lettered_at_once_with_the_reason(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    settings = settings_for(
        "monitor", nats_url=nats_server.url, database_url=f"sqlite:///{tmp_path / 'm.db'}", var_dir=tmp_path
    )
    service = tally_service(settings)
    good = status("good")
    _, headers, body = encode(good, Envelope.new(good, source="test"))
    wrong_type = {**headers, "ce-type": "io.quickon.deploy.install.completed.v1", "Nats-Msg-Id": "wrong-type"}
    bad_body = {**headers, "Nats-Msg-Id": "bad-body"}
    async with running(service):
        nc = await connect(nats_server.url)
        js = nc.jetstream()
        await js.publish(SUBJECT, b"no headers at all")
        await js.publish(SUBJECT, b'{"status": "exploded"}', headers=bad_body)
        await js.publish(SUBJECT, body, headers=wrong_type)
        await nc.close()
        await publish(nats_server.url, status("refuse-1"))
        await publish(nats_server.url, good)
        await eventually(lambda: _dead_letters(nats_server.url, 4), what="four dead letters")
        await eventually(lambda: _counted(service, {"good": 1}), what="the good message")

    letters = await stream_messages(nats_server.url, "qc.dlq.>")
    reasons = [(m.headers or {})["qc-dlq-reason"] for m in letters]
    assert reasons[0] == "malformed event: missing CloudEvents headers: ce-specversion, ce-id, ce-source, ce-type"
    assert reasons[1].startswith("malformed event: body does not match ServiceStatusChanged: service: Field required")
    assert reasons[2] == (
        "malformed event: type io.quickon.deploy.install.completed.v1 belongs on qc.deploy.install.completed, "
        f"not on {SUBJECT}"
    )
    assert reasons[3] == "refused: refuse-1 is never acceptable"
    assert all((m.headers or {})["qc-dlq-tries"] == "1" for m in letters), "nothing retried that cannot succeed"


async def _dead_letters(url: str, expected: int) -> bool:
    nc = await connect(url)
    try:
        info = await nc.jetstream().stream_info("QUICKON", subjects_filter="qc.dlq.>")
        return sum((info.state.subjects or {}).values()) >= expected
    finally:
        await nc.close()


async def _counted(service, expected: dict[str, int]) -> bool:  # type: ignore[no-untyped-def]
    return await counts(service.db) == expected
