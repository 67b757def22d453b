"""Objects in an S3 bucket (MinIO, Ceph RGW, AWS) through the sync ``minio`` client in threads."""

from __future__ import annotations

import asyncio
import builtins
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import islice
from typing import TypeVar, cast
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.datatypes import Object
from minio.error import S3Error
from minio.helpers import check_bucket_name
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from .base import ObjectInfo, ObjectStore
from .config import StoreSettings
from .errors import ObjectNotFound, ObjectStoreError
from .keys import check_key, check_prefix
from .s3errors import STORE_FAILURES, is_connection_error, store_error
from .s3upload import upload

T = TypeVar("T")
PAGE = 1000  # keys per listing request (S3's maximum)
MAX_PRESIGN_S = 7 * 24 * 3600


class S3Store(ObjectStore):
    """``s3://bucket/prefix``: keys live under ``prefix/`` in ``bucket``, made on first need."""

    def __init__(self, settings: StoreSettings) -> None:
        parts = urlsplit(settings.url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        endpoint, secure = _endpoint(settings)
        self.location = f"s3://{self.bucket}/{self.prefix}" + (f" at {endpoint}" if settings.endpoint else "")
        try:
            check_bucket_name(self.bucket, strict=True)
        except ValueError:
            raise ObjectStoreError(f"{settings.url!r}: {self.bucket!r} is not a valid S3 bucket name") from None
        if self.prefix:
            check_prefix(self.prefix, self.location)
        self._settings = settings
        self._client = Minio(
            endpoint,
            access_key=settings.access_key.get_secret_value() if settings.access_key else None,
            secret_key=settings.secret_key.get_secret_value() if settings.secret_key else None,
            secure=secure,
            region=settings.region,
            http_client=urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s),
                maxsize=10,
                cert_reqs="CERT_REQUIRED",
                ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
                retries=False,  # ours: tenacity, connection-level errors only
            ),
        )
        self._bucket_ready = False
        self._bucket_lock = asyncio.Lock()

    def _name(self, key: str) -> str:
        check_key(key, self.location)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _key(self, name: str) -> str:
        return name[len(self.prefix) + 1 :] if self.prefix else name

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> ObjectInfo:
        name = self._name(key)
        await self._ensure_bucket()
        await upload(self._client, self.bucket, name, chunks, self._settings.part_size, partial(self._call, key))
        return await self.stat(key)

    async def get(self, key: str, *, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        response = await self._call(key, partial(self._client.get_object, self.bucket, self._name(key)))
        # The next chunk is read while the consumer handles this one: reading and, say, extracting overlap.
        ahead = asyncio.ensure_future(self._call(key, partial(response.read, chunk_size), attempts=1))
        try:
            while chunk := await ahead:
                ahead = asyncio.ensure_future(self._call(key, partial(response.read, chunk_size), attempts=1))
                yield chunk
        finally:
            # A read under way must end before the response closes under it (one chunk, or the read timeout).
            await asyncio.gather(ahead, return_exceptions=True)
            response.close()
            response.release_conn()

    async def stat(self, key: str) -> ObjectInfo:
        found = await self._call(key, partial(self._client.stat_object, self.bucket, self._name(key)))
        return self._info(found)

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        check_prefix(prefix, self.location)
        full = f"{self.prefix}/{prefix}" if self.prefix else prefix
        after: str | None = None
        while True:  # page by page; a retried page starts after the last key seen
            page = await self._call("the listing", partial(self._page, full, after))
            for found in page:
                yield self._info(found)
            if len(page) < PAGE:
                return
            after = page[-1].object_name

    def _page(self, prefix: str, after: str | None) -> builtins.list[Object]:
        objects = self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True, start_after=after)
        try:
            return [found for found in islice(objects, PAGE) if not found.is_dir]
        except S3Error as error:
            if error.code == "NoSuchBucket":
                return []
            raise

    async def delete(self, key: str) -> None:
        name = self._name(key)
        with suppress(ObjectNotFound):  # a missing bucket holds no object to delete
            await self._call(key, partial(self._client.remove_object, self.bucket, name))

    async def presigned_put_url(self, key: str, *, expires_s: int = 3600) -> str:
        await self._ensure_bucket()
        sign = partial(
            self._client.presigned_put_object, self.bucket, self._name(key), _expiry(expires_s, self.location)
        )
        return await self._call(key, sign)

    async def presigned_get_url(self, key: str, *, expires_s: int = 3600) -> str:
        sign = partial(
            self._client.presigned_get_object, self.bucket, self._name(key), _expiry(expires_s, self.location)
        )
        return await self._call(key, sign)

    async def check(self) -> None:
        self._bucket_ready = False
        await self._ensure_bucket()

    async def close(self) -> None:
        self._client._http.clear()

    async def _ensure_bucket(self) -> None:
        async with self._bucket_lock:
            if self._bucket_ready:
                return
            await self._call("the bucket check", self._make_bucket)
            self._bucket_ready = True

    def _make_bucket(self) -> None:
        if self._client.bucket_exists(self.bucket):
            return
        try:
            self._client.make_bucket(self.bucket, self._settings.region)
        except S3Error as error:
            if error.code != "BucketAlreadyOwnedByYou":  # else: made meanwhile by another of our services
                raise

    async def _call(self, what: str, function: Callable[[], T], *, attempts: int | None = None) -> T:
        """Run one blocking client call in a thread; retry it only when it did not get through."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(is_connection_error),
            stop=stop_after_attempt(attempts or self._settings.connect_attempts),
            wait=wait_exponential(multiplier=0.1, max=2),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await asyncio.to_thread(function)
        except STORE_FAILURES as error:
            raise store_error(error, self.location, what) from error
        raise AssertionError("tenacity returned without a result")  # pragma: no cover

    def _info(self, found: Object) -> ObjectInfo:
        modified = found.last_modified or datetime.now(UTC)
        return ObjectInfo(
            key=self._key(cast(str, found.object_name)),
            size=found.size or 0,
            modified=modified.astimezone(UTC),
            etag=found.etag,
        )


def _endpoint(settings: StoreSettings) -> tuple[str, bool]:
    """(host[:port], TLS) from ``endpoint``, which may also be a URL ("http://host:port")."""
    if not settings.endpoint:
        return "s3.amazonaws.com", True
    if "://" in settings.endpoint:
        parts = urlsplit(settings.endpoint)
        return parts.netloc, parts.scheme == "https"
    return settings.endpoint, settings.secure


def _expiry(expires_s: int, location: str) -> timedelta:
    if not 1 <= expires_s <= MAX_PRESIGN_S:
        raise ObjectStoreError(f"a presigned URL of {location} lasts 1 s to 7 days, not {expires_s} s")
    return timedelta(seconds=expires_s)
