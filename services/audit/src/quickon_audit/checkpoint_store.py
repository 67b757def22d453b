"""Copies each checkpoint to the object store (``audit/checkpoints/``), outside the audit database.

Checkpoints are made in the append transaction and marked ``stored`` once the store has them, so an
unreachable store only delays them: they queue in the database, the log keeps appending, and this
writer tries again every ``retry_s`` until the store is back. The object is self-contained: the
signed fields, the signature, the public key and the segment's entry hashes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Callable

from sqlalchemy import select, update

from quickon_common.db import Database
from quickon_common.objectstore import ObjectStore, ObjectStoreError
from quickon_common.tasks import woken

from .appender import checkpoints
from .proofs import ALGORITHM, checkpoint_fields
from .signing import Signer
from .verify import Checkpoint

log = logging.getLogger(__name__)
PREFIX = "audit/checkpoints/"
BATCH = 100


def object_key(seq: int) -> str:
    return f"{PREFIX}{seq:020d}.json"


def document(cp: Checkpoint, public_key_b64: str) -> bytes:
    """The stored form of a checkpoint."""
    return json.dumps(
        {
            "checkpoint": checkpoint_fields(cp),
            "signature": cp.signature,
            "algorithm": ALGORITHM,
            "public_key": public_key_b64,
            "leaves_b64": base64.b64encode(cp.leaves).decode(),
        },
        sort_keys=True,
        indent=1,
    ).encode()


def from_document(data: bytes) -> Checkpoint:
    """A checkpoint as :func:`document` stored it (its signature is checked by verification)."""
    found = json.loads(data)
    cp = found["checkpoint"]
    return Checkpoint(
        seq=int(cp["sequence"]), first_seq=int(cp["first_sequence"]), head_hash=cp["head_hash"],
        merkle_root=cp["merkle_root"], time=cp["time"], key_id=cp["key_id"], signature=found["signature"],
        leaves=base64.b64decode(found["leaves_b64"]),
    )  # fmt: skip


async def read_all(store: ObjectStore) -> list[Checkpoint]:
    """Every checkpoint in the store; one that cannot be read is skipped (verification needs the others)."""
    found = []
    async for info in store.list(PREFIX):
        try:
            found.append(from_document(await store.get_bytes(info.key)))
        except (ValueError, KeyError, TypeError) as error:
            log.warning("checkpoint object %s cannot be read: %s", info.key, error)
    return found


class CheckpointWriter:
    """Writes unstored checkpoints to the store, oldest first; says why when it cannot."""

    def __init__(
        self, db: Database, store: Callable[[], ObjectStore], signer: Signer, *, retry_s: float,
        report: Callable[[str | None], None],
    ) -> None:  # fmt: skip
        self.db = db
        self.store = store
        self.signer = signer
        self.retry_s = retry_s
        self.report = report
        self._wake = asyncio.Event()
        self._store: ObjectStore | None = None

    def wake(self) -> None:
        self._wake.set()

    async def stored(self) -> list[Checkpoint]:
        """The copies in the store (for verification); :class:`ObjectStoreError` when it is away."""
        if self._store is None:
            self._store = self.store()
        return await read_all(self._store)

    async def run(self) -> None:
        """Write until cancelled."""
        try:
            while True:
                self._wake.clear()
                try:
                    await self.write_pending()
                    self.report(None)
                except ObjectStoreError as error:
                    self.report(f"checkpoints queue until the object store is back: {error}")
                    log.warning("cannot store checkpoints yet: %s", error)
                except Exception as error:  # the database away: the same wait
                    self.report(f"{type(error).__name__}: {error}")
                    log.warning("cannot store checkpoints yet: %s: %s", type(error).__name__, error)
                await woken(self._wake, self.retry_s)
        finally:
            if self._store is not None:
                with contextlib.suppress(Exception):
                    await self._store.close()

    async def write_pending(self) -> int:
        """Store every checkpoint not stored yet; how many were."""
        written = 0
        while True:
            async with self.db.read_engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(checkpoints)
                        .where(checkpoints.c.stored.is_(False))
                        .order_by(checkpoints.c.seq)
                        .limit(BATCH)
                    )
                ).all()
            if not rows:
                return written
            if self._store is None:
                self._store = self.store()
            for r in rows:
                cp = Checkpoint(
                    r.seq, r.first_seq, r.head_hash, r.merkle_root, r.time, r.key_id, r.signature, bytes(r.leaves)
                )
                await self._store.put_bytes(object_key(cp.seq), document(cp, self.signer.public_b64))
                async with self.db.session() as session:
                    connection = await session.connection()
                    await connection.execute(update(checkpoints).where(checkpoints.c.seq == cp.seq).values(stored=True))
                    await session.commit()
                written += 1
