"""Objects (backups, audit archives) in a local folder or an S3 bucket, optionally encrypted client-side.

``open_store(settings)`` picks the backend from ``settings.url`` and wraps it in AES-256-GCM when
``settings.encryption_key`` is set. Every failure is an :class:`ObjectStoreError` naming the location.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from .base import ObjectInfo, ObjectStore
from .config import StoreSettings
from .encrypted import EncryptedStore
from .errors import IntegrityError, ObjectNotFound, ObjectStoreError, StoreFull, StoreUnavailable
from .local import LocalStore
from .s3 import S3Store


def open_store(settings: StoreSettings) -> ObjectStore:
    """The store ``settings.url`` names: ``file:///abs/dir``, ``file:relative/dir`` or ``s3://bucket/prefix``."""
    scheme = urlsplit(settings.url).scheme
    store: ObjectStore
    if scheme == "file":
        store = LocalStore(_local_path(settings.url))
    elif scheme == "s3":
        store = S3Store(settings)
    else:
        raise ObjectStoreError(
            f"store URL {settings.url!r} is neither file:///abs/dir, file:relative/dir nor s3://bucket/prefix"
        )
    if settings.encryption_key is not None:
        store = EncryptedStore(store, settings.encryption_key)
    return store


def _local_path(url: str) -> Path:
    rest = url.removeprefix("file:")
    if rest.startswith("//"):  # file://host/path: only the local host (empty or "localhost")
        host, _, path = rest[2:].partition("/")
        if host not in ("", "localhost"):
            raise ObjectStoreError(f"store URL {url!r} names host {host!r}; a file: store is on this machine")
        return Path("/" + path)
    if not rest:
        raise ObjectStoreError(f"store URL {url!r} names no folder")
    return Path(rest)


__all__ = [
    "IntegrityError",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStoreError",
    "StoreFull",
    "StoreSettings",
    "StoreUnavailable",
    "open_store",
]
