"""The encrypted object format: round trips at every chunk boundary, and every tampering detected."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from quickon_common.objectstore import IntegrityError, ObjectStoreError
from quickon_common.objectstore.encrypted import aead_from_key
from quickon_common.objectstore.framing import HEADER, NONCE_BYTES, TAG_BYTES, decrypt, encrypt, stored_size

CHUNK = 64
FRAME = NONCE_BYTES + CHUNK + TAG_BYTES
AEAD = AESGCM(bytes(range(32)))


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def sealed(data: bytes, key: str = "k/1", piece: int = 10) -> bytes:
    return b"".join([part async for part in encrypt(AEAD, key, pieces(data, piece), chunk_size=CHUNK)])


async def opened(stored: bytes, key: str = "k/1", aead: AESGCM = AEAD, piece: int = 7) -> bytes:
    return b"".join([part async for part in decrypt(aead, key, pieces(stored, piece), name="object 'k/1'")])


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5])
async def test_round_trip_at_every_chunk_boundary(size: int) -> None:
    data = os.urandom(size)
    stored = await sealed(data)
    assert len(stored) == stored_size(size, CHUNK)
    assert size < 16 or data not in stored  # a shorter plaintext can turn up in random ciphertext by chance
    assert await opened(stored) == data
    assert await opened(stored, piece=len(stored) or 1) == data  # however the stored bytes arrive


async def test_a_wrong_key_is_detected() -> None:
    stored = await sealed(b"secret backup")
    with pytest.raises(IntegrityError, match="wrong key or damaged object"):
        await opened(stored, aead=AESGCM(os.urandom(32)))


@pytest.mark.parametrize("offset", [HEADER.size - 1, HEADER.size, HEADER.size + NONCE_BYTES + 3, -1])
async def test_any_flipped_byte_is_detected(offset: int) -> None:
    stored = bytearray(await sealed(os.urandom(2 * CHUNK + 9)))
    stored[offset] ^= 0x01
    with pytest.raises(IntegrityError, match="wrong key or damaged object"):
        await opened(bytes(stored))


async def test_frames_in_another_order_are_detected() -> None:
    stored = await sealed(os.urandom(3 * CHUNK))
    body = stored[HEADER.size :]
    first, second = body[:FRAME], body[FRAME : 2 * FRAME]
    swapped = stored[: HEADER.size] + second + first + body[2 * FRAME :]
    with pytest.raises(IntegrityError, match="chunk 0"):
        await opened(swapped)


@pytest.mark.parametrize("cut", ["at a frame boundary", "inside a frame", "inside the header", "after the header"])
async def test_a_truncated_object_is_detected(cut: str) -> None:
    stored = await sealed(os.urandom(3 * CHUNK))
    length = {
        "at a frame boundary": HEADER.size + 2 * FRAME,
        "inside a frame": HEADER.size + 2 * FRAME + 10,
        "inside the header": HEADER.size - 3,
        "after the header": HEADER.size,
    }[cut]
    with pytest.raises(IntegrityError, match="damaged object"):
        await opened(stored[:length])


async def test_an_object_moved_to_another_key_is_detected() -> None:
    stored = await sealed(b"backup of service A", key="backups/a")
    with pytest.raises(IntegrityError):
        await opened(stored, key="backups/b")


async def test_plain_bytes_are_not_taken_for_an_encrypted_object() -> None:
    with pytest.raises(IntegrityError, match="not an encrypted object"):
        await opened(b"{'plain': 'json, never encrypted'}")


@pytest.mark.parametrize(("key", "problem"), [("not base64!", "not base64"), ("AAAA", "holds 3 bytes")])
def test_a_malformed_encryption_key_says_how_to_make_one(key: str, problem: str) -> None:
    with pytest.raises(ObjectStoreError, match=problem) as raised:
        aead_from_key(SecretStr(key))
    assert "os.urandom(32)" in str(raised.value)
