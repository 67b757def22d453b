"""A streamed S3 upload: parts filled from the async stream one at a time, never the whole object.

minio's own ``put_object`` of a stream of unknown length copies each part several times over; this
drives its multipart calls directly. A part goes out while the next one fills, so the stream and the
network overlap; a filled part waits for the one before it to be sent before it is cut, so about two
parts are in memory at once (the one going out and the one filling). Any failure or cancellation
aborts the multipart upload: no object appears.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterable, Awaitable, Callable
from contextlib import suppress
from functools import partial

from minio import Minio
from minio.datatypes import Part
from minio.helpers import DictType

Call = Callable[[Callable[[], object]], Awaitable[object]]


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
    sending: asyncio.Future[Part] | None = None
    try:
        async for chunk in chunks:
            pending += chunk
            while len(pending) >= part_size:
                if upload_id is None:
                    upload_id = str(await call(partial(client._create_multipart_upload, bucket, name, _headers())))
                if sending is not None:
                    parts.append(await sending)
                    sending = None
                data = bytes(memoryview(pending)[:part_size])
                del pending[:part_size]
                sending = asyncio.ensure_future(_part(client, bucket, name, upload_id, len(parts) + 1, data, call))
                del data
        if upload_id is None:  # smaller than one part: a plain PUT
            data = bytes(pending)
            await call(partial(client.put_object, bucket, name, io.BytesIO(data), len(data)))
            return
        if sending is not None:
            parts.append(await sending)
            sending = None
        if pending:
            parts.append(await _part(client, bucket, name, upload_id, len(parts) + 1, bytes(pending), call))
        await call(partial(client._complete_multipart_upload, bucket, name, upload_id, parts))
    except BaseException:
        # Shielded: a cancelled put still lets the part under way end, then tells the server to drop the parts.
        with suppress(BaseException):
            await asyncio.shield(_abort(client, bucket, name, upload_id, sending))
        raise


async def _part(client: Minio, bucket: str, name: str, upload_id: str, number: int, data: bytes, call: Call) -> Part:
    etag = await call(partial(client._upload_part, bucket, name, data, None, upload_id, number))
    return Part(number, str(etag))


async def _abort(
    client: Minio, bucket: str, name: str, upload_id: str | None, sending: asyncio.Future[Part] | None
) -> None:
    if sending is not None:
        await asyncio.gather(sending, return_exceptions=True)
    if upload_id is not None:
        with suppress(Exception):
            await asyncio.to_thread(client._abort_multipart_upload, bucket, name, upload_id)


def _headers() -> DictType:
    return {"Content-Type": "application/octet-stream"}
