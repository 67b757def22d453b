"""Full verification of the log: every entry's hash and link, every checkpoint's signature and head.

It runs on a plain driver connection (sqlite3 or psycopg) in one snapshot, reading the rows in large
batches of one column and hashing the stored records as they are: per row, one SHA-256 and one
comparison (the record begins with the previous entry's hash, so the chain proves every record but
the last, which the head and checkpoints prove). Only when something does not match are the other
columns read, to name the entry: a missing one, one whose record no longer hashes to its stored hash
or to what a checkpoint signed, or one whose previous hash was changed. A long log is scanned in
ranges by helper processes at the same time (:mod:`.scan`); when their ranges do not join up, the
log is scanned again in the one snapshot, which names the problem.

A checkpoint's Merkle root is not recomputed when its head hash matches (the chain up to the head
proves every entry before it); when it does not (the chain was recomputed after a change), the
segment is read again and compared with the entry hashes the checkpoint holds, to name the first
changed entry. The verdict names the first bad sequence and why.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from quickon_common.contracts.queries.audit import Verdict

from . import canonical, merkle
from .scan import Helpers, Reader, Span, scan, snapshot
from .signing import key_id, signature_valid

CHECKPOINT_COLUMNS = "seq, first_seq, head_hash, merkle_root, time, key_id, signature, leaves"
HELPER_MIN_ENTRIES = 200_000  # below this, a helper process costs more than it saves
MAX_HELPERS = 7


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


def target(url: str) -> tuple[str, bool]:
    """What :func:`scan.snapshot` opens for the database at ``url``: a SQLite path or a libpq URL, and
    whether it is PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database), False
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False), True


def verify(url: str, public_key: bytes, stored: Sequence[Checkpoint] = (), *, helpers: int | None = None) -> Verdict:
    """Verify the log at ``url`` against the checkpoints signed with ``public_key``: those in the
    database and ``stored``, the copies in the object store (which a database rewrite cannot reach).
    ``helpers``: processes that scan a range each besides this one (default: one per other core, for
    a log long enough to gain from them)."""
    started = time.perf_counter()
    database, postgres = target(url)
    with snapshot(database, postgres=postgres) as db:
        verdict = _verify(db, public_key, stored, helpers)
    verdict.duration_s = round(time.perf_counter() - started, 3)
    return verdict


def _verify(db: Reader, public_key: bytes, stored: Sequence[Checkpoint], helpers: int | None) -> Verdict:
    problems: list[tuple[int, str]] = []
    head_seq, head_hash = _head(db)
    checkpoints = [
        Checkpoint(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], bytes(r[7]))
        for r in db.all(f"SELECT {CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq")
    ]
    retained = db.all("SELECT max(up_to_seq) FROM audit_retention WHERE NOT open")[0][0]
    start = int(retained or 0)
    high = db.all("SELECT max(seq) FROM audit_log WHERE seq > {p}", start)[0][0]
    last = int(high or start)
    seqs = sorted({cp.seq for cp in checkpoints} | {cp.seq for cp in stored})
    # The helpers scan their ranges while this process checks the signatures and scans the first one.
    with Helpers(db, start, last, seqs, helper_count(helpers, last - start)) as others:
        checkpoints = _with_stored(checkpoints, stored, problems)
        trusted = _trusted(checkpoints, public_key, problems)
        prev = _start_hash(start, trusted, problems)
        stops = {s: cp for s, cp in trusted.items() if s > start}
        span = others.joined(prev) or scan(db, start, last, list(stops), prev)
    seq, prev, broken = _chain(db, span, prev, stops, trusted)
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


def _start_hash(start: int, trusted: dict[int, Checkpoint], problems: list[tuple[int, str]]) -> bytes:
    """The hash the entry after ``start`` must open with: the checkpoint's where retention stopped."""
    if not start:
        return canonical.GENESIS
    if start not in trusted:
        problems.append((start + 1, f"retention removed entries up to {start}, but no valid checkpoint is there"))
        return canonical.GENESIS
    return bytes.fromhex(trusted[start].head_hash)


def helper_count(asked: int | None, entries: int) -> int:
    """Helper processes for a scan of ``entries``: as asked, else one per other core for a long log."""
    if asked is not None:
        return asked
    if entries < HELPER_MIN_ENTRIES:
        return 0
    return min(MAX_HELPERS, len(os.sched_getaffinity(0)) - 1)


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


def _first_gap(db: Reader, start: int) -> int:
    expected = start + 1
    for rows in db.batches("SELECT seq FROM audit_log WHERE seq > {p} ORDER BY seq", start):
        for (seq,) in rows:
            if seq != expected:
                return expected
            expected += 1
    return expected


def _chain(
    db: Reader, span: Span, prev: bytes, stops: dict[int, Checkpoint], trusted: dict[int, Checkpoint]
) -> tuple[int, bytes, tuple[int, str] | None]:
    """What a scan of every entry after the start found: each record must begin with the hash of the
    one before, and the chain must reach each checkpoint's head hash. The sequence the scan reached
    (counting rows), the last hash, and the first problem."""
    seq = span.after + span.rows
    for stop in sorted(span.heads):
        if stop in stops and span.heads[stop].hex() != stops[stop].head_hash:
            return stop, span.heads[stop], _localise(db, stops[stop])
    if span.broken:
        return seq, span.last or prev, _blame(db, span.after, seq + 1, trusted)
    return seq, span.last or prev, None


def _blame(db: Reader, start: int, position: int, trusted: dict[int, Checkpoint]) -> tuple[int, str]:
    """The row at ``position`` does not begin with the previous row's hash: an entry is missing, the
    previous one was changed, or this one was changed or moved."""
    gap = _first_gap(db, start)
    if gap <= position:
        return gap, f"entry {gap} is missing (entries after it are stored)"
    if position - 1 > start and (changed := _blame_entry(db, position - 1, trusted)):
        return changed
    return position, f"entry {position}: its previous hash is not entry {position - 1}'s hash"


def _blame_entry(db: Reader, seq: int, trusted: dict[int, Checkpoint]) -> tuple[int, str] | None:
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


def _head(db: Reader) -> tuple[int, bytes]:
    rows = db.all("SELECT seq, entry_hash FROM audit_head WHERE id = 1")
    return (int(rows[0][0]), bytes(rows[0][1])) if rows else (0, canonical.GENESIS)


def _localise(db: Reader, cp: Checkpoint) -> tuple[int, str]:
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
