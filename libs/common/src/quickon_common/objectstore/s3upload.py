"""A streamed S3 upload: parts filled from the async stream one at a time, never the whole object.

minio's own ``put_object`` of a stream of unknown length copies each part several times over; this
drives its multipart calls directly so about two parts are in memory at once (the one filling and
the one going out). Any failure or cancellation aborts the multipart upload: no object appears.
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


async def upload(
    client: Minio,
    bucket: str,
    name: str,
    chunks: AsyncIterable[bytes],
    part_size: int,
    call: Callable[[Callable[[], object]], Awaitable[object]],
) -> None:
    """Store ``chunks`` as ``bucket/name``; ``call`` runs one blocking client call (in a thread, retried)."""
    pending = bytearray()
    upload_id: str | None = None
    parts: list[Part] = []
    try:
        async for chunk in chunks:
            pending += chunk
            while len(pending) >= part_size:
                if upload_id is None:
                    upload_id = str(await call(partial(client._create_multipart_upload, bucket, name, _headers())))
                data = bytes(memoryview(pending)[:part_size])
                del pending[:part_size]
                number = len(parts) + 1
                etag = await call(partial(client._upload_part, bucket, name, data, None, upload_id, number))
                parts.append(Part(number, str(etag)))
                del data
        if upload_id is None:  # smaller than one part: a plain PUT
            data = bytes(pending)
            await call(partial(client.put_object, bucket, name, io.BytesIO(data), len(data)))
            return
        if pending:
            number = len(parts) + 1
            etag = await call(partial(client._upload_part, bucket, name, bytes(pending), None, upload_id, number))
            parts.append(Part(number, str(etag)))
        await call(partial(client._complete_multipart_upload, bucket, name, upload_id, parts))
    except BaseException:
        if upload_id is not None:
            # Shielded: a cancelled put still tells the server to drop the parts it holds.
            with suppress(Exception):
                await asyncio.shield(asyncio.to_thread(client._abort_multipart_upload, bucket, name, upload_id))
        raise


def _headers() -> DictType:
    return {"Content-Type": "application/octet-stream"}
