"""A streamed S3 upload: parts filled from the async stream one at a time, never the whole object.

minio's own ``put_object`` of a stream of unknown length copies each part several times over; this
drives its multipart calls directly. Up to ``PARTS_IN_FLIGHT`` parts go out at once while the next one
fills, so the stream and the network overlap, and a server that takes each part at its own pace (moto
took one part at a time at 60 MB/s, three at 140) is kept busy: minio sends three at once too. A filled
part waits for the oldest in flight to be sent once that many are, so at most ``PARTS_IN_FLIGHT + 2``
parts are in memory: those in flight, the one filling and, for a moment, the one cut from it (80 MB with
the default 16 MB parts). Any failure or cancellation aborts the multipart upload: no object appears.
"""

from __future__ import annotations

import asyncio
import io
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable
from contextlib import suppress
from functools import partial

from minio import Minio
from minio.datatypes import Part
from minio.helpers import DictType

Call = Callable[[Callable[[], object]], Awaitable[object]]
PARTS_IN_FLIGHT = 3  # as minio's own put_object of a file (num_parallel_uploads)


async def upload(
    client: Minio,
    bucket: str,
    name: str,
    chunks: AsyncIterable[bytes],
    part_size: int,
    call: Call,
) -> None:
    """Store ``chunks`` as ``bucket/name``; ``call`` runs one blocking client call (in a thread, retried)."""
    pending = bytearray()
    upload_id: str | None = None
    parts: list[Part] = []
    sending: deque[asyncio.Future[Part]] = deque()  # oldest first: parts are numbered in the order they were cut
    numbered = 0
    try:
        async for chunk in chunks:
            pending += chunk
            while len(pending) >= part_size:
                if upload_id is None:
                    upload_id = str(await call(partial(client._create_multipart_upload, bucket, name, _headers())))
                if len(sending) >= PARTS_IN_FLIGHT:
                    parts.append(await sending[0])
                    sending.popleft()
                data = bytes(memoryview(pending)[:part_size])
                del pending[:part_size]
                numbered += 1
                sending.append(asyncio.ensure_future(_part(client, bucket, name, upload_id, numbered, data, call)))
                del data
        if upload_id is None:  # smaller than one part: a plain PUT
            data = bytes(pending)
            await call(partial(client.put_object, bucket, name, io.BytesIO(data), len(data)))
            return
        if pending:
            numbered += 1
            last = bytes(pending)
            sending.append(asyncio.ensure_future(_part(client, bucket, name, upload_id, numbered, last, call)))
        while sending:
            parts.append(await sending[0])
            sending.popleft()
        await call(partial(client._complete_multipart_upload, bucket, name, upload_id, parts))
    except BaseException:
        # Shielded: a cancelled put still lets the parts under way end, then tells the server to drop the parts.
        with suppress(BaseException):
            await asyncio.shield(_abort(client, bucket, name, upload_id, list(sending)))
        raise


async def _part(client: Minio, bucket: str, name: str, upload_id: str, number: int, data: bytes, call: Call) -> Part:
    etag = await call(partial(client._upload_part, bucket, name, data, None, upload_id, number))
    return Part(number, str(etag))


async def _abort(
    client: Minio, bucket: str, name: str, upload_id: str | None, sending: list[asyncio.Future[Part]]
) -> None:
    await asyncio.gather(*sending, return_exceptions=True)
    if upload_id is not None:
        with suppress(Exception):
            await asyncio.to_thread(client._abort_multipart_upload, bucket, name, upload_id)


def _headers() -> DictType:
    return {"Content-Type": "application/octet-stream"}
