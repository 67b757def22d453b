"""The chain scan at the heart of verification: a range of entries read in order, each record hashed
once and checked to begin with the hash of the one before.

Verification runs it in its own process, and for a long log also in helper processes, one range each
(``python -m quickon_audit.scan``, asked on stdin, answering on stdout as JSON): hashing is bound to
one core, and a 1,000,000-entry log is read and hashed about twice as fast on two. A helper sees its
own snapshot, which is safe for a log that is only ever appended to; whatever does not join up, the
caller checks again in one snapshot. This module imports only the standard library (and psycopg for
PostgreSQL), so that a helper starts in tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

log = logging.getLogger(__name__)

BATCH = 20_000
MMAP_BYTES = 1 << 34
RANGE = "SELECT record FROM audit_log WHERE seq > {p} AND seq <= {p} ORDER BY seq"


@dataclass
class Span:
    """What a scan of the entries after ``after`` found."""

    after: int
    rows: int = 0  # records that link up, from the first; the one after them, if any, does not
    opens: bytes | None = None  # the first record's first 32 bytes: the hash it claims for entry ``after``
    last: bytes | None = None  # the hash of the last record that links up
    heads: dict[int, bytes] = field(default_factory=dict)  # the hash at each asked-for stop the scan reached
    broken: bool = False  # a record does not begin with the hash of the one before it

    def to_json(self) -> dict[str, Any]:
        return {
            "after": self.after, "rows": self.rows, "broken": self.broken,
            "opens": self.opens.hex() if self.opens is not None else None,
            "last": self.last.hex() if self.last is not None else None,
            "heads": {str(s): h.hex() for s, h in self.heads.items()},
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Span:
        return cls(
            after=int(data["after"]), rows=int(data["rows"]), broken=bool(data["broken"]),
            opens=bytes.fromhex(data["opens"]) if data["opens"] is not None else None,
            last=bytes.fromhex(data["last"]) if data["last"] is not None else None,
            heads={int(s): bytes.fromhex(h) for s, h in data["heads"].items()},
        )  # fmt: skip


class Reader:
    """The statements verification needs, on one snapshot of SQLite or PostgreSQL."""

    def __init__(self, connection: Any, database: str, *, postgres: bool) -> None:
        self.connection = connection
        self.database = database  # what a helper opens: the SQLite file or the libpq URL (with its password)
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
def snapshot(database: str, *, postgres: bool) -> Iterator[Reader]:
    """A read-only snapshot: ``database`` is a SQLite file's path or a PostgreSQL (libpq) URL."""
    if not postgres:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, isolation_level=None)
        connection.execute(f"PRAGMA mmap_size={MMAP_BYTES}")  # pages read in place, not copied to a cache
        try:
            connection.execute("BEGIN")  # one snapshot for every statement (WAL)
            yield Reader(connection, database, postgres=False)
        finally:
            connection.close()
        return
    import psycopg  # only a PostgreSQL scan pays for the import

    with psycopg.connect(database) as pg:
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield Reader(pg, database, postgres=True)


def scan(db: Reader, after: int, up_to: int, stops: Sequence[int], prev: bytes | None = None) -> Span:
    """Entries ``after`` + 1 to ``up_to`` in order. ``prev`` is the hash entry ``after`` must have;
    None takes the first record's word for it (a helper's range, joined up by the caller)."""
    span = Span(after=after)
    sha256 = hashlib.sha256
    wanted = sorted(s for s in stops if after < s <= up_to)
    hashed = b""  # the hash the next record must open with: set from the first
    for rows in db.batches(RANGE, after, up_to):
        if span.opens is None:
            span.opens = rows[0][0][:32]
            hashed = span.opens if prev is None else prev
        first = after + span.rows  # the sequence just before this batch's first row
        # The inner loop is all the per-row work there is: a prefix comparison and one SHA-256.
        for (stored,) in rows:
            if not stored.startswith(hashed):
                break
            hashed = sha256(stored).digest()
        else:
            stored = None
        span.rows += len(rows) if stored is None else next(i for i, r in enumerate(rows) if r[0] is stored)
        span.last = hashed
        reached = after + span.rows
        while wanted and wanted[0] <= reached:  # every record up to ``reached`` is linked
            stop = wanted.pop(0)
            span.heads[stop] = rows[stop - first][0][:32] if stop < reached else hashed  # the next record opens with it
        if stored is not None:
            span.broken = True
            break
    return span


class Helpers:
    """Helper processes, each scanning one range of the entries after ``after`` up to ``up_to`` but
    the first, which is left to the caller's own snapshot: started on entry, stopped on exit."""

    def __init__(self, db: Reader, after: int, up_to: int, stops: Sequence[int], count: int) -> None:
        self.db = db
        self.stops = stops
        self.bounds = [after + (up_to - after) * i // (count + 1) for i in range(count + 2)] if count else []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.errors: list[IO[bytes]] = []  # each helper's stderr

    def __enter__(self) -> Helpers:
        for after, up_to in zip(self.bounds[1:-1], self.bounds[2:], strict=True):
            ask = {"database": self.db.database, "postgres": self.db.postgres, "after": after, "up_to": up_to}
            # stderr goes to a file: a helper that writes a lot there cannot block on a full pipe.
            self.errors.append(tempfile.TemporaryFile())
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", __name__],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors[-1],
                )  # fmt: skip
                self.processes.append(process)
                assert process.stdin is not None
                process.stdin.write(json.dumps({**ask, "stops": list(self.stops)}).encode())
                process.stdin.close()
            except OSError as error:  # no process to be had (limits, memory), or one that died at once
                log.warning("cannot start a verification helper (%s); verifying in one process", error)
                self.__exit__()
                self.processes, self.errors = [], []
                break
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()
        for errors in self.errors:
            errors.close()

    def joined(self, prev: bytes) -> Span | None:
        """The whole scan, the first range here (from ``prev``) and the others from the helpers; None
        when there are no helpers or their ranges do not join up (the caller then scans in one snapshot)."""
        if not self.processes:
            return None
        first = scan(self.db, self.bounds[0], self.bounds[1], self.stops, prev)
        if first.broken:  # this process's snapshot, and the earliest break there can be
            return first
        spans = [first]
        for process, errors in zip(self.processes, self.errors, strict=True):
            assert process.stdout is not None
            out = process.stdout.read()
            if process.wait() != 0:
                errors.seek(0)
                said = errors.read().decode(errors="replace")[-500:].strip()
                log.warning("a verification helper failed (%s); verifying in one process", said)
                return None
            spans.append(Span.from_json(json.loads(out)))
        return join(spans, self.bounds)


def join(spans: Sequence[Span], bounds: Sequence[int]) -> Span | None:
    """One span for consecutive ranges (``bounds[i]`` to ``bounds[i + 1]``), or None where one range
    is short or broken, or does not open with the hash the range before it ended on."""
    whole = Span(after=bounds[0])
    for span, after, up_to in zip(spans, bounds[:-1], bounds[1:], strict=True):
        if span.broken or span.rows != up_to - after:
            return None
        if span.rows == 0:
            continue
        if whole.last is not None and span.opens != whole.last:
            return None
        whole.opens = whole.opens or span.opens
        whole.rows += span.rows
        whole.heads.update(span.heads)
        whole.last = span.last
    return whole


def main() -> None:
    """A helper's range: ``{"database", "postgres", "after", "up_to", "stops"}`` on stdin (not in the
    arguments, where a password in the URL would show in the process list), the :class:`Span` on stdout."""
    ask = json.load(sys.stdin)
    with snapshot(ask["database"], postgres=ask["postgres"]) as db:
        span = scan(db, int(ask["after"]), int(ask["up_to"]), ask["stops"])
    json.dump(span.to_json(), sys.stdout)


if __name__ == "__main__":
    main()
