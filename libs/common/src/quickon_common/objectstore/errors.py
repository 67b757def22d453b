"""The object store's errors: each message names the location and says what to do next."""

from __future__ import annotations


class ObjectStoreError(Exception):
    """Any object-store failure (also a refused key or a setting that cannot work)."""


class ObjectNotFound(ObjectStoreError):
    """No object under that key."""


class StoreUnavailable(ObjectStoreError):
    """The store cannot be reached or refuses us: down, refused, timed out, wrong credentials."""


class StoreFull(ObjectStoreError):
    """No space left: a full disk, a quota, an object too large."""


class IntegrityError(ObjectStoreError):
    """An encrypted object that does not decrypt: wrong key, tampered with or truncated."""
