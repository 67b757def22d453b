"""Full verification of the log: every entry's hash and link, every checkpoint's signature and head.

It runs on a plain driver connection (sqlite3 or psycopg) in one snapshot, reading the rows in large
batches of one column and hashing the stored records as they are: per row, one SHA-256 and one
comparison (the record begins with the previous entry's hash, so the chain proves every record but
the last, which the head and checkpoints prove). Only when something does not match are the other
columns read, to name the entry: a missing one, one whose record no longer hashes to its stored hash
or to what a checkpoint signed, or one whose previous hash was changed.

A checkpoint's Merkle root is not recomputed when its head hash matches (the chain up to the head
proves every entry before it); when it does not (the chain was recomputed after a change), the
segment is read again and compared with the entry hashes the checkpoint holds, to name the first
changed entry. The verdict names the first bad sequence and why.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from . import canonical, merkle
from .signing import key_id, signature_valid

BATCH = 20_000
MMAP_BYTES = 1 << 34
CHECKPOINT_COLUMNS = "seq, first_seq, head_hash, merkle_root, time, key_id, signature, leaves"
ROWS = "SELECT record FROM audit_log WHERE seq > {p} ORDER BY seq"


@dataclass
class Checkpoint:
    seq: int
    first_seq: int
    head_hash: str
    merkle_root: str
    time: str
    key_id: str
    signature: str
    leaves: bytes

    def payload(self) -> bytes:
        return canonical.checkpoint_payload(
            first_sequence=self.first_seq, sequence=self.seq, head_hash=self.head_hash,
            merkle_root=self.merkle_root, time=self.time, key_id=self.key_id,
        )  # fmt: skip


@dataclass
class Verdict:
    ok: bool
    entries: int
    checkpoints: int
    head_sequence: int
    first_bad_sequence: int | None = None
    reason: str | None = None
    starts_after: int = 0  # entries up to here were removed by retention
    duration_s: float = 0.0
    problems: list[dict[str, Any]] = field(default_factory=list)
    stored_checkpoints: int | None = None  # copies read from the object store; None: it could not be read
    store_note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Reader:
    """The statements verification needs, on one snapshot of SQLite or PostgreSQL."""

    def __init__(self, connection: Any, *, postgres: bool) -> None:
        self.connection = connection
        self.postgres = postgres
        self.p = "%s" if postgres else "?"
        self.cursors = 0

    def all(self, sql: str, *params: Any) -> list[Any]:
        return list(self.connection.execute(sql.format(p=self.p), params).fetchall())

    def batches(self, sql: str, *params: Any) -> Iterator[list[Any]]:
        self.cursors += 1  # a server-side cursor's name is unique in its transaction
        cursor = (
            self.connection.cursor(name=f"audit_verify_{self.cursors}") if self.postgres else self.connection.cursor()
        )
        if self.postgres:
            cursor.itersize = BATCH
        cursor.execute(sql.format(p=self.p), params)
        while rows := cursor.fetchmany(BATCH):
            yield rows
        cursor.close()


@contextmanager
def snapshot(url: str) -> Iterator[_Reader]:
    """A read-only snapshot of the audit database at ``url`` (a plain sqlite:// or postgresql:// URL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True, isolation_level=None)
        connection.execute(f"PRAGMA mmap_size={MMAP_BYTES}")  # pages read in place, not copied to a cache
        try:
            connection.execute("BEGIN")  # one snapshot for every statement (WAL)
            yield _Reader(connection, postgres=False)
        finally:
            connection.close()
        return
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as pg:
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield _Reader(pg, postgres=True)


def verify(url: str, public_key: bytes, stored: Sequence[Checkpoint] = ()) -> Verdict:
    """Verify the log at ``url`` against the checkpoints signed with ``public_key``: those in the
    database and ``stored``, the copies in the object store (which a database rewrite cannot reach)."""
    started = time.perf_counter()
    with snapshot(url) as db:
        verdict = _verify(db, public_key, stored)
    verdict.duration_s = round(time.perf_counter() - started, 3)
    return verdict


def _verify(db: _Reader, public_key: bytes, stored: Sequence[Checkpoint]) -> Verdict:
    problems: list[tuple[int, str]] = []
    head_seq, head_hash = _head(db)
    checkpoints = [
        Checkpoint(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], bytes(r[7]))
        for r in db.all(f"SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq")
    ]
    checkpoints = _with_stored(checkpoints, stored, problems)
    trusted = _trusted(checkpoints, public_key, problems)
    retained = db.all("SELECT max(up_to_seq) FROM audit_retention WHERE NOT open")[0][0]
    start = int(retained or 0)
    prev = canonical.GENESIS
    if start:
        if start not in trusted:
            problems.append((start + 1, f"retention removed entries up to {start}, but no valid checkpoint is there"))
        else:
            prev = bytes.fromhex(trusted[start].head_hash)
    high = db.all("SELECT max(seq) FROM audit_log WHERE seq > {p}", start)[0][0]
    last = int(high or start)
    stops = {s: cp for s, cp in trusted.items() if s > start}
    seq, prev, broken = _chain(db, start, prev, stops, trusted)
    if broken:
        problems.append(broken)
    elif seq != last:  # fewer rows than the highest sequence says: one is missing
        gap = _first_gap(db, start)
        problems.append((gap, f"entry {gap} is missing (entries after it are stored)"))
    elif last < head_seq:
        problems.append((last + 1, f"entries {last + 1} to {head_seq} are missing: the log ends at {last}"))
    elif last > head_seq:
        problems.append((head_seq + 1, f"entries {head_seq + 1} to {last} lie beyond the head (added outside)"))
    elif last > start and prev != head_hash:
        problems.append(_blame_entry(db, last, trusted) or (last, f"entry {last}'s hash is not the head's hash"))
    beyond = [s for s in stops if s > seq]
    if not problems and beyond:
        problems.append((seq + 1, f"checkpoint {min(beyond)} covers entries up to it, but the log ends at {seq}"))
    problems.sort()
    return Verdict(
        ok=not problems, entries=seq - start, checkpoints=len(checkpoints), head_sequence=head_seq,
        first_bad_sequence=problems[0][0] if problems else None, reason=problems[0][1] if problems else None,
        starts_after=start, problems=[{"sequence": s, "reason": r} for s, r in problems[:20]],
    )  # fmt: skip


def _with_stored(
    checkpoints: list[Checkpoint], stored: Sequence[Checkpoint], problems: list[tuple[int, str]]
) -> list[Checkpoint]:
    """The database's checkpoints, and the object store's copies of those it no longer has."""
    mine = {cp.seq: cp for cp in checkpoints}
    for copy in stored:
        kept = mine.get(copy.seq)
        if kept is None:
            problems.append((copy.seq, f"checkpoint {copy.seq} is in the object store but not in the database"))
            mine[copy.seq] = copy
        elif (kept.signature, kept.head_hash, kept.first_seq) != (copy.signature, copy.head_hash, copy.first_seq):
            problems.append((copy.seq, f"checkpoint {copy.seq} differs between the database and the object store"))
            mine[copy.seq] = copy  # the copy outside the database is the one to trust (its signature is checked)
    return [mine[s] for s in sorted(mine)]


def _trusted(
    checkpoints: list[Checkpoint], public_key: bytes, problems: list[tuple[int, str]]
) -> dict[int, Checkpoint]:
    """The checkpoints whose signature verifies and which follow each other; the others are problems."""
    trusted: dict[int, Checkpoint] = {}
    ours = key_id(public_key)
    previous = 0
    for cp in checkpoints:
        if cp.key_id != ours or not signature_valid(public_key, cp.payload(), cp.signature):
            problems.append((cp.seq, f"checkpoint {cp.seq}: its signature does not verify with key {ours}"))
        elif cp.first_seq != previous + 1:
            problems.append((cp.first_seq, f"checkpoint {cp.seq} starts at {cp.first_seq}, not after {previous}"))
        else:
            trusted[cp.seq] = cp
        previous = cp.seq
    return trusted


def _first_gap(db: _Reader, start: int) -> int:
    expected = start + 1
    for rows in db.batches("SELECT seq FROM audit_log WHERE seq > {p} ORDER BY seq", start):
        for (seq,) in rows:
            if seq != expected:
                return expected
            expected += 1
    return expected


def _chain(
    db: _Reader, start: int, prev: bytes, stops: dict[int, Checkpoint], trusted: dict[int, Checkpoint]
) -> tuple[int, bytes, tuple[int, str] | None]:
    """Every entry after ``start``, in order: each record must begin with the hash of the one before,
    and the chain must reach each checkpoint's head hash. The sequence the scan reached (counting
    rows), the last hash, and the first problem."""
    seq = start
    sha256 = hashlib.sha256
    for rows in db.batches(ROWS, start):
        # The inner loop is all the per-row work there is: a prefix comparison and one SHA-256.
        for (stored,) in rows:
            if not stored.startswith(prev):
                break
            prev = sha256(stored).digest()
        else:
            stored = None
        first = seq
        seq = first + len(rows) if stored is None else first + next(i for i, r in enumerate(rows) if r[0] is stored)
        for stop in sorted(s for s in stops if first < s <= seq):  # every record up to seq is linked
            at = rows[stop - first][0][:32] if stop < seq else prev  # the hash at a stop opens the next record
            if at.hex() != stops[stop].head_hash:
                return stop, at, _localise(db, stops[stop])
        if stored is not None:
            return seq, prev, _blame(db, start, seq + 1, trusted)
    return seq, prev, None


def _blame(db: _Reader, start: int, position: int, trusted: dict[int, Checkpoint]) -> tuple[int, str]:
    """The row at ``position`` does not begin with the previous row's hash: an entry is missing, the
    previous one was changed, or this one was changed or moved."""
    gap = _first_gap(db, start)
    if gap <= position:
        return gap, f"entry {gap} is missing (entries after it are stored)"
    if position - 1 > start and (changed := _blame_entry(db, position - 1, trusted)):
        return changed
    return position, f"entry {position}: its previous hash is not entry {position - 1}'s hash"


def _blame_entry(db: _Reader, seq: int, trusted: dict[int, Checkpoint]) -> tuple[int, str] | None:
    """Entry ``seq`` as changed, when its record no longer hashes to its stored hash or to what a
    checkpoint signed for it; else None."""
    stored_hash, stored = db.all("SELECT entry_hash, record FROM audit_log WHERE seq = {p}", seq)[0]
    digest = hashlib.sha256(stored).digest()
    if digest != bytes(stored_hash):
        return seq, f"entry {seq}: its contents do not match its hash (changed after writing)"
    cp = next((c for s, c in trusted.items() if c.first_seq <= seq <= s), None)
    if cp is not None and cp.leaves[(seq - cp.first_seq) * 32 : (seq - cp.first_seq + 1) * 32] != digest:
        return seq, f"entry {seq} differs from what checkpoint {cp.seq} signed"
    return None


def _head(db: _Reader) -> tuple[int, bytes]:
    rows = db.all("SELECT seq, entry_hash FROM audit_head WHERE id = 1")
    return (int(rows[0][0]), bytes(rows[0][1])) if rows else (0, canonical.GENESIS)


def _localise(db: _Reader, cp: Checkpoint) -> tuple[int, str]:
    """The first entry of ``cp``'s segment that differs from what it signed (the chain was recomputed)."""
    signed = [cp.leaves[i : i + 32] for i in range(0, len(cp.leaves), 32)]
    if merkle.root(signed).hex() != cp.merkle_root:
        return (
            cp.first_seq,
            f"checkpoint {cp.seq}: the log differs from what it signed, in entries {cp.first_seq}-{cp.seq}",
        )
    rows = db.all(
        "SELECT seq, record FROM audit_log WHERE seq >= {p} AND seq <= {p} ORDER BY seq", cp.first_seq, cp.seq
    )
    for (seq, stored), leaf in zip(rows, signed, strict=False):
        if hashlib.sha256(stored).digest() != leaf:
            return int(seq), f"entry {seq} differs from what checkpoint {cp.seq} signed (its chain was recomputed)"
    return cp.first_seq, f"checkpoint {cp.seq}: the log differs from what it signed"
