"""The encrypted object format: a header, then AES-256-GCM frames of one chunk each.

    header = b"QCOE" | version (1 byte) | chunk size (4 bytes, big-endian) | object id (16 random bytes)
    frame  = nonce (12 random bytes) | ciphertext of the chunk + GCM tag (16 bytes)

Every frame's associated data binds the header, the object's key, the chunk's index and whether it
is the last one, so a wrong key, a changed byte, frames reordered or dropped, a truncated object
or an object moved to another key all fail authentication. Every frame but the last holds exactly
``chunk size`` bytes, so the reader needs no lengths: a frame is the last one when nothing follows.

Frames are cut from the stream's chunks as views, not copies: only a frame that spans two chunks is
gathered into a buffer (a profile of a put showed each byte copied three times around the cipher).
"""

from __future__ import annotations

import os
import struct
from collections.abc import AsyncIterable, AsyncIterator, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import IntegrityError

MAGIC = b"QCOE"
VERSION = 1
HEADER = struct.Struct(">4sBI16s")
NONCE_BYTES = 12
TAG_BYTES = 16
DEFAULT_CHUNK = 1 << 20
MAX_CHUNK = 64 << 20  # a header asking for more is refused: a reader buffers one frame


def _associated(header: bytes, key: str, index: int, final: bool) -> bytes:
    name = key.encode()
    return header + struct.pack(">I", len(name)) + name + struct.pack(">Q?", index, final)


async def encrypt(
    aead: AESGCM, key: str, chunks: AsyncIterable[bytes], *, chunk_size: int = DEFAULT_CHUNK
) -> AsyncIterator[bytes]:
    """The stored form of the plaintext ``chunks``: the header, then one frame per ``chunk_size`` bytes."""
    header = HEADER.pack(MAGIC, VERSION, chunk_size, os.urandom(16))
    yield header
    pending = bytearray()
    index = 0
    async for chunk in chunks:
        for plain in _frames(pending, chunk, chunk_size):  # more follows each, so none is the last
            yield _seal(aead, header, key, index, plain, final=False)
            index += 1
    yield _seal(aead, header, key, index, pending, final=True)


def _frames(pending: bytearray, chunk: bytes, size: int) -> Iterator[bytes | memoryview]:
    """The whole ``size``-byte frames of ``pending`` followed by ``chunk`` that more bytes follow; what is
    left (at most one frame: it may be the last) stays in ``pending``. Frames inside ``chunk`` are views on it."""
    view = memoryview(chunk)
    if pending:
        needed = size - len(pending)
        pending += view[:needed]
        view = view[needed:]
        if not view:
            return
        yield bytes(pending)
        pending.clear()
    while len(view) > size:
        yield view[:size]
        view = view[size:]
    pending += view


def _seal(
    aead: AESGCM, header: bytes, key: str, index: int, plain: bytes | bytearray | memoryview, *, final: bool
) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plain, _associated(header, key, index, final))


async def decrypt(aead: AESGCM, key: str, stored: AsyncIterable[bytes], *, name: str) -> AsyncIterator[bytes]:
    """The plaintext of a stored object, chunk by chunk; :class:`IntegrityError` naming ``name`` if it fails.

    Chunks come out as they are verified: a consumer must treat what it got as unusable until the
    iteration ends without an error (the last frame's check also proves nothing was cut off).
    """
    pending = bytearray()
    header: bytes | None = None
    frame_bytes = 0
    index = 0
    async for chunk in stored:
        if header is None:
            pending += chunk
            if len(pending) < HEADER.size:
                continue
            header, chunk_size = _read_header(_take(pending, HEADER.size), name)
            frame_bytes = NONCE_BYTES + chunk_size + TAG_BYTES
            chunk = bytes(pending)  # what followed the header, cut into frames below like any chunk
            pending.clear()
        for frame in _frames(pending, chunk, frame_bytes):  # more follows each: none may be the last
            yield _open(aead, header, key, index, frame, final=False, name=name)
            index += 1
    if header is None:
        raise IntegrityError(f"{name} is too short for an encrypted object: damaged object (or not encrypted)")
    if len(pending) < NONCE_BYTES + TAG_BYTES:
        raise IntegrityError(f"{name} ends before its last chunk: wrong key or damaged object (truncated)")
    yield _open(aead, header, key, index, pending, final=True, name=name)


def _take(pending: bytearray, size: int) -> bytes:
    """The first ``size`` bytes of ``pending``, removed from it (copied once)."""
    with memoryview(pending) as view:
        taken = bytes(view[:size])
    del pending[:size]
    return taken


def _read_header(header: bytes, name: str) -> tuple[bytes, int]:
    magic, version, chunk_size, _ = HEADER.unpack(header)
    if magic != MAGIC:
        raise IntegrityError(f"{name} is not an encrypted object of ours (no {MAGIC!r} header): damaged object")
    if version != VERSION:
        raise IntegrityError(f"{name} has encryption format {version}, this version reads {VERSION}: upgrade")
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise IntegrityError(f"{name} claims {chunk_size}-byte chunks: damaged object")
    return header, chunk_size


def _open(
    aead: AESGCM, header: bytes, key: str, index: int, frame: bytes | bytearray | memoryview, *, final: bool, name: str
) -> bytes:
    view = memoryview(frame)
    nonce, sealed = bytes(view[:NONCE_BYTES]), view[NONCE_BYTES:]
    try:
        return aead.decrypt(nonce, sealed, _associated(header, key, index, final))
    except InvalidTag:
        raise IntegrityError(
            f"{name} does not decrypt at chunk {index}: wrong key or damaged object "
            "(check the store's encryption key; a changed, reordered or truncated object cannot be read)"
        ) from None


def stored_size(plain_size: int, chunk_size: int = DEFAULT_CHUNK) -> int:
    """How many bytes ``plain_size`` bytes take once encrypted."""
    frames = max(1, -(-plain_size // chunk_size))
    return HEADER.size + frames * (NONCE_BYTES + TAG_BYTES) + plain_size
