"""Client-side AES-256-GCM over any store: the store only ever sees ciphertext (format: framing.py)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterable, AsyncIterator

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from .base import ObjectInfo, ObjectStore
from .errors import ObjectStoreError
from .framing import DEFAULT_CHUNK, decrypt, encrypt

KEY_HINT = "generate one with: python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"


def aead_from_key(encryption_key: SecretStr) -> AESGCM:
    """The cipher for a base64 32-byte key; :class:`ObjectStoreError` saying how to make one if malformed."""
    try:
        raw = base64.b64decode(encryption_key.get_secret_value(), validate=True)
    except (binascii.Error, ValueError):
        raise ObjectStoreError(f"the store encryption key is not base64; {KEY_HINT}") from None
    if len(raw) != 32:
        raise ObjectStoreError(f"the store encryption key holds {len(raw)} bytes, AES-256 needs 32; {KEY_HINT}")
    return AESGCM(raw)


class EncryptedStore(ObjectStore):
    """Encrypts on put and decrypts on get; a wrong key or a damaged object raises IntegrityError.

    ``stat`` and ``list`` report the stored (encrypted) size: a header of 25 bytes and 28 bytes per
    1 MiB chunk more than the plaintext (``framing.stored_size``). Presigned URLs are refused: what
    goes through them would bypass the encryption.
    """

    def __init__(self, inner: ObjectStore, encryption_key: SecretStr, *, chunk_size: int = DEFAULT_CHUNK) -> None:
        self.inner = inner
        self.location = f"{inner.location} (encrypted)"
        self._aead = aead_from_key(encryption_key)
        self._chunk_size = chunk_size

    async def put(self, key: str, chunks: AsyncIterable[bytes]) -> ObjectInfo:
        return await self.inner.put(key, encrypt(self._aead, key, chunks, chunk_size=self._chunk_size))

    async def get(self, key: str, *, chunk_size: int = 1 << 20) -> AsyncIterator[bytes]:
        """Plaintext in the object's own chunks (1 MiB); ``chunk_size`` sets the reads underneath."""
        stored = self.inner.get(key, chunk_size=chunk_size)
        async for plain in decrypt(self._aead, key, stored, name=f"object {key!r} in {self.location}"):
            yield plain

    async def stat(self, key: str) -> ObjectInfo:
        return await self.inner.stat(key)

    async def exists(self, key: str) -> bool:
        return await self.inner.exists(key)

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        async for info in self.inner.list(prefix):
            yield info

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def presigned_put_url(self, key: str, *, expires_s: int = 3600) -> str:
        raise ObjectStoreError(f"{self.location} encrypts client-side: a presigned URL would bypass the encryption")

    async def presigned_get_url(self, key: str, *, expires_s: int = 3600) -> str:
        raise ObjectStoreError(f"{self.location} encrypts client-side: a presigned URL would bypass the encryption")

    async def check(self) -> None:
        await self.inner.check()

    async def close(self) -> None:
        await self.inner.close()
