"""Files replaced whole by many writers at once: each write succeeds, one whole file is left."""

from __future__ import annotations

import asyncio
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from quickon_common.files import owner_only_directory, owner_only_file, write_atomically

WRITERS = 32
SIZE = 256 * 1024  # big enough that writes overlap


def payload(writer: int) -> bytes:
    return bytes([writer]) * SIZE


def assert_one_whole_file(path: Path) -> None:
    data = path.read_bytes()
    assert len(data) == SIZE
    assert data == payload(data[0]), "the file mixes two writers' data"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name], "temporary files were left behind"


def test_threads_writing_the_same_path_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "charts" / "app-1.0.0.tgz"
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for _ in range(3):
            list(pool.map(lambda writer: write_atomically(path, payload(writer)), range(WRITERS)))
    assert_one_whole_file(path)


async def test_to_thread_writes_of_the_same_path_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "app-1.0.0.tgz"
    await asyncio.gather(*(asyncio.to_thread(write_atomically, path, payload(w)) for w in range(WRITERS)))
    assert_one_whole_file(path)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "index.yaml"
    write_atomically(path, "old\n")
    with pytest.raises(TypeError):
        write_atomically(path, 42)  # type: ignore[arg-type]
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["index.yaml"]


def test_owner_only_files_and_directories_are_made_so_and_tightened(tmp_path: Path) -> None:
    database = tmp_path / "var" / "svc.db"
    owner_only_file(database, "-wal")
    assert database.read_bytes() == b"" and stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    database.write_bytes(b"kept")
    wal = database.with_name("svc.db-wal")
    wal.write_bytes(b"w")
    for path in (database, wal):
        path.chmod(0o644)  # left readable by an earlier release
    owner_only_file(database, "-wal", "-shm")
    assert database.read_bytes() == b"kept", "never truncated"
    assert [stat.S_IMODE(p.stat().st_mode) for p in (database, wal)] == [0o600, 0o600]
    assert not database.with_name("svc.db-shm").exists()
    (tmp_path / "var").chmod(0o755)
    assert stat.S_IMODE(owner_only_directory(tmp_path / "var").stat().st_mode) == 0o700
