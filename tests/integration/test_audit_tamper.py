"""Tampering with the stored log: every mutation is found by verify, which names the right sequence.

Mutations as an attacker with database access makes them, triggers disabled: a byte of a body
changed, a row deleted, two rows swapped, the tail truncated, and a row forged with its hash chain
recomputed onward (only the signed checkpoint can tell). Each runs on a fresh copy of one log.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from quickon_audit import scan
from quickon_audit.verify import target, verify
from support.audit import build_log

ENTRIES = 300
SQLITE_MUTATIONS = 1000
POSTGRES_MUTATIONS = 15
KINDS = ("body_byte", "delete_row", "swap_rows", "truncate_tail", "forge_chain")

Execute = Callable[..., list[Any]]


def mutate(kind: str, rng: random.Random, run: Execute, p: str) -> int:
    """Apply one mutation through ``run`` (SQL with ``p`` placeholders); the sequence verify must name."""
    row = lambda s: run(f"SELECT entry_hash, record FROM audit_log WHERE seq = {p}", s)[0]  # noqa: E731
    if kind == "body_byte":
        seq = rng.randint(1, ENTRIES)
        data = bytearray(row(seq)[1])
        start = data.index(b'"body":', 32) + 8
        at = rng.randrange(start, start + 40)
        data[at] = (data[at] + rng.randint(1, 255)) % 256
        run(f"UPDATE audit_log SET record = {p} WHERE seq = {p}", bytes(data), seq)
        return seq
    if kind == "delete_row":
        seq = rng.randint(1, ENTRIES)
        run(f"DELETE FROM audit_log WHERE seq = {p}", seq)
        return seq
    if kind == "swap_rows":
        first, second = sorted(rng.sample(range(1, ENTRIES + 1), 2))
        a, b = row(first), row(second)
        for seq, (digest, data) in ((first, b), (second, a)):
            run(f"UPDATE audit_log SET entry_hash = {p}, record = {p} WHERE seq = {p}", digest, data, seq)
        return first
    if kind == "truncate_tail":
        keep = rng.randint(0, ENTRIES - 1)
        run(f"DELETE FROM audit_log WHERE seq > {p}", keep)
        return keep + 1
    # forge_chain: a new body for one entry, and every hash after it recomputed, the head too
    seq = rng.randint(1, ENTRIES)
    prev = bytes(row(seq)[1])[:32]
    for n in range(seq, ENTRIES + 1):
        data = prev + bytes(row(n)[1])[32:]
        if n == seq:
            data = data.replace(b'"actor":"alice"', b'"actor":"mallory"')
        digest = hashlib.sha256(data).digest()
        run(f"UPDATE audit_log SET entry_hash = {p}, record = {p} WHERE seq = {p}", digest, data, n)
        prev = digest
    run(f"UPDATE audit_head SET entry_hash = {p}", prev)
    return seq


@pytest.fixture(scope="module")
def sqlite_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """The bytes of a checkpointed SQLite log and its public key."""
    import asyncio

    where = tmp_path_factory.mktemp("tamper")
    path = where / "audit.db"
    signer = asyncio.run(build_log(f"sqlite:///{path}", where, entries=ENTRIES, checkpoint_every=40))
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.read_bytes(), signer.public_raw


def test_the_untouched_log_verifies(sqlite_log: tuple[bytes, bytes], tmp_path: Path) -> None:
    image, public = sqlite_log
    (tmp_path / "a.db").write_bytes(image)
    verdict = verify(f"sqlite:///{tmp_path / 'a.db'}", public)
    assert verdict.ok, verdict
    assert (verdict.entries, verdict.head_sequence) == (ENTRIES, ENTRIES)
    assert verdict.checkpoints >= ENTRIES // 80  # a checkpoint once 40 wait, at the end of a batch


def test_every_sqlite_mutation_is_found_with_its_sequence(sqlite_log: tuple[bytes, bytes], tmp_path: Path) -> None:
    image, public = sqlite_log
    rng = random.Random(2026)
    path = tmp_path / "copy.db"
    missed: list[str] = []
    for number in range(SQLITE_MUTATIONS):
        kind = KINDS[number % len(KINDS)]
        path.write_bytes(image)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("PRAGMA synchronous=OFF")  # a throwaway copy: no fsync per mutation
        connection.execute("BEGIN")
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("DROP TRIGGER audit_log_no_delete")
        expected = mutate(kind, rng, partial(_sqlite_rows, connection), "?")
        connection.execute("COMMIT")
        connection.close()
        verdict = verify(f"sqlite:///{path}", public)
        if verdict.ok or verdict.first_bad_sequence != expected:
            missed.append(f"{number} {kind}: expected {expected}, got {verdict.first_bad_sequence} ({verdict.reason})")
    assert not missed, "\n".join(missed[:20])


def test_helper_processes_find_what_one_process_finds(
    sqlite_log: tuple[bytes, bytes], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The log split into three ranges (two scanned by helper processes): an untouched log joins up
    from the helpers' answers, and every kind of mutation gets the same verdict as in one process."""
    image, public = sqlite_log
    path = tmp_path / "split.db"
    path.write_bytes(image)
    assert _joined_rows(f"sqlite:///{path}", helpers=2) == ENTRIES
    rng = random.Random(7)
    for number in range(2 * len(KINDS)):
        path.write_bytes(image)
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("DROP TRIGGER audit_log_no_delete")
        expected = mutate(KINDS[number % len(KINDS)], rng, partial(_sqlite_rows, connection), "?")
        connection.close()
        alone, split = (verify(f"sqlite:///{path}", public, helpers=n) for n in (0, 2))
        assert (split.ok, split.first_bad_sequence, split.reason) == (False, expected, alone.reason)
        assert (split.entries, split.problems) == (alone.entries, alone.problems)
    assert "helper failed" not in caplog.text


def test_a_failing_helper_leaves_the_scan_to_one_process(
    sqlite_log: tuple[bytes, bytes], tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, public = sqlite_log
    path = tmp_path / "c.db"
    path.write_bytes(image)
    with scan.snapshot(str(path), postgres=False) as db:
        db.database = str(tmp_path / "gone.db")  # what the helpers are told to open is not there
        with scan.Helpers(db, 0, ENTRIES, [], 1) as helpers:
            assert helpers.joined(bytes(32)) is None
    assert "a verification helper failed" in caplog.text and "unable to open database" in caplog.text
    assert verify(f"sqlite:///{path}", public, helpers=1).ok
    monkeypatch.setattr(scan.sys, "executable", str(tmp_path / "no-python"))  # no helper can start at all
    verdict = verify(f"sqlite:///{path}", public, helpers=2)
    assert verdict.ok and verdict.entries == ENTRIES and "cannot start a verification helper" in caplog.text


def _joined_rows(url: str, *, helpers: int) -> int | None:
    """The entries a scan split among ``helpers`` helper processes covered, when the ranges joined up."""
    database, postgres = target(url)
    with scan.snapshot(database, postgres=postgres) as db, scan.Helpers(db, 0, ENTRIES, [], helpers) as others:
        span = others.joined(bytes(32))
    return span.rows if span is not None else None


def test_the_triggers_refuse_update_and_delete(sqlite_log: tuple[bytes, bytes], tmp_path: Path) -> None:
    image, _ = sqlite_log
    (tmp_path / "b.db").write_bytes(image)
    connection = sqlite3.connect(tmp_path / "b.db")
    for statement in ("UPDATE audit_log SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute(statement)
    assert connection.execute("SELECT count(*) FROM audit_log").fetchone() == (ENTRIES,)


@pytest.mark.postgres
def test_postgres_mutations_are_found_and_triggers_refuse(tmp_path: Path) -> None:
    base = os.environ.get("QC_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("QC_TEST_POSTGRES_URL is not set")
    import asyncio

    admin = make_url(base).render_as_string(hide_password=False)
    template = f"qc_tamper_{uuid.uuid4().hex[:10]}"
    names = [template]
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{template}"')
    try:
        url = lambda name: make_url(base).set(database=name).render_as_string(hide_password=False)  # noqa: E731
        signer = asyncio.run(build_log(url(template), tmp_path, entries=ENTRIES, checkpoint_every=40))
        with psycopg.connect(url(template), autocommit=True) as connection:
            for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    connection.execute(statement)
        assert verify(url(template), signer.public_raw).ok
        assert _joined_rows(url(template), helpers=2) == ENTRIES  # helper processes read PostgreSQL too
        rng = random.Random(15)
        missed = []
        for number in range(POSTGRES_MUTATIONS):
            kind = KINDS[number % len(KINDS)]
            copy = f"{template}_{number}"
            names.append(copy)
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
            with psycopg.connect(url(copy)) as connection:  # one transaction, committed at the end
                connection.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_guard")
                expected = mutate(kind, rng, lambda sql, *args: _rows(connection.execute(sql, args)), "%s")
            verdict = verify(url(copy), signer.public_raw, helpers=number % 3)
            if verdict.ok or verdict.first_bad_sequence != expected:
                missed.append(f"{kind}: expected {expected}, got {verdict.first_bad_sequence} ({verdict.reason})")
        assert not missed, "\n".join(missed)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite_rows(connection: sqlite3.Connection, sql: str, *args: Any) -> list[Any]:
    return connection.execute(sql, args).fetchall()


def _rows(cursor: psycopg.Cursor[Any]) -> list[Any]:
    return cursor.fetchall() if cursor.description else []
