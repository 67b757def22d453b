"""Object keys: relative, "/"-separated, nothing that could climb out of the store."""

from __future__ import annotations

from .errors import ObjectStoreError

# Names of the local store's unfinished files; refused as key segments so they never collide.
TEMP_MARKER = ".qc-partial-"


def check_key(key: str, location: str) -> str:
    """Return ``key`` if it is safe everywhere, else raise :class:`ObjectStoreError` saying why."""
    if not key:
        raise ObjectStoreError(f"an empty object key is not allowed (store {location})")
    _check_segments(key, location, what="key")
    if key.endswith("/"):
        raise ObjectStoreError(f"object key {key!r} ends with '/': name an object, not a folder (store {location})")
    return key


def check_prefix(prefix: str, location: str) -> str:
    """A listing prefix: empty, or a key's beginning (a trailing '/' allowed)."""
    if prefix:
        _check_segments(prefix.removesuffix("/"), location, what="prefix")
    return prefix


def _check_segments(key: str, location: str, *, what: str) -> None:
    if key.startswith("/") or "\\" in key or "\0" in key:
        raise ObjectStoreError(
            f"object {what} {key!r} must be relative, '/'-separated, without '\\' or NUL (store {location})"
        )
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise ObjectStoreError(
                f"object {what} {key!r} has an empty, '.' or '..' segment; use plain names like 'a/b/c' "
                f"(store {location})"
            )
        if segment.startswith(TEMP_MARKER):
            raise ObjectStoreError(f"object {what} {key!r}: names starting {TEMP_MARKER!r} are reserved")
