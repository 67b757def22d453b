"""Payloads larger than a NATS message travel by reference, through a server with the default 1 MB limit."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from quickon_common.blobs import BUCKET, BlobMissing, Blobs, by_reference, dereferenced, digest_of
from quickon_common.contracts.queries import Query, QueryReply, QueryRequest
from quickon_common.natsserver import NatsServer
from quickon_common.queries import request
from support.bus import bus_credentials, connect, running, settings_for
from support.tally import tally_service


@pytest.fixture
def small_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server with the default message limit most operators run."""
    server = NatsServer(tmp_path / "nats", max_payload="1MB", credentials=bus_credentials()).start()
    yield server
    server.stop()


async def test_a_blob_larger_than_a_message_goes_and_comes_back_checked(small_nats: NatsServer) -> None:
    connection = await connect(small_nats.url)
    try:
        assert connection.max_payload == 1024 * 1024
        data = os.urandom(3 * 1024 * 1024)
        # Two services opening the store at once (the first creates it) both succeed.
        first, second = Blobs(connection.jetstream(), max_age_s=3600), Blobs(connection.jetstream(), max_age_s=3600)
        digest, again = await asyncio.gather(first.put(data), second.put(data))
        assert digest == again == digest_of(data)
        assert await second.get(digest) == data
        info = await connection.jetstream().stream_info(f"OBJ_{BUCKET}")
        stored = info.state.bytes
        await first.put(data)  # the same bytes again are not stored twice
        assert (await connection.jetstream().stream_info(f"OBJ_{BUCKET}")).state.bytes == stored

        with pytest.raises(BlobMissing, match="no blob"):
            await first.get(digest_of(b"never stored"))
        assert await first.get(await first.put(b"")) == b""
    finally:
        await connection.close()


async def test_a_bucket_deleted_by_hand_is_made_again(small_nats: NatsServer) -> None:
    connection = await connect(small_nats.url)
    try:
        blobs = Blobs(connection.jetstream(), max_age_s=3600)
        kept = await blobs.put(b"before")
        await connection.jetstream().delete_stream(f"OBJ_{BUCKET}")
        with pytest.raises(BlobMissing):
            await blobs.get(kept)
        assert await blobs.get(await blobs.put(b"after")) == b"after"
    finally:
        await connection.close()


async def test_a_body_goes_inline_when_small_and_by_reference_when_large(small_nats: NatsServer) -> None:
    connection = await connect(small_nats.url)
    try:
        blobs = Blobs(connection.jetstream(), max_age_s=3600)
        small = b'{"answer": 42}'
        assert await by_reference(blobs, small) == small
        assert await dereferenced(blobs, small) == small
        large = json.dumps({"manifests": ["x" * 1000] * 2000}).encode()
        sent = await by_reference(blobs, large)
        assert len(sent) < 100 and json.loads(sent) == {"qc-blob": digest_of(large)}
        assert await dereferenced(blobs, sent) == large
    finally:
        await connection.close()


class EchoRequest(QueryRequest):
    text: str = ""


class Echo(QueryReply):
    size: int
    back: str


# The test's own query: not registered in QUERIES, which holds the platform's.
ECHO = Query("tally", "echo", EchoRequest, Echo, "the text back, and its size")


async def test_a_query_larger_than_a_message_is_asked_and_answered_by_reference(
    small_nats: NatsServer, tmp_path: Path
) -> None:
    """Both ways through a real service: a 3 MB request and a 3 MB reply on a 1 MB server; a reference to a blob
    that is gone is answered with an error saying so, and the service goes on."""
    database = f"sqlite:///{tmp_path / 'tally.db'}"
    service = tally_service(settings_for("tally", nats_url=small_nats.url, database_url=database, var_dir=tmp_path))

    @service.answers(ECHO)
    async def echo(body: EchoRequest) -> Echo:
        return Echo(size=len(body.text), back=body.text)

    async with running(service):
        connection = await connect(small_nats.url)
        try:
            text = os.urandom(1536 * 1024).hex()  # 3 MB of JSON each way
            reply = json.loads(await request(connection, "qc.query.tally.echo", json.dumps({"text": text}).encode(),
                                             timeout_s=10))  # fmt: skip
            assert reply == {"size": len(text), "back": text}

            gone = json.dumps({"qc-blob": digest_of(b"never stored")}).encode()
            refused = json.loads(await request(connection, "qc.query.tally.echo", gone, timeout_s=10))
            assert refused["error"]["status"] == 422 and "could not be read" in refused["error"]["detail"]
            small = json.loads(await request(connection, "qc.query.tally.echo", b'{"text": "hi"}', timeout_s=10))
            assert small == {"size": 2, "back": "hi"}
        finally:
            await connection.close()
