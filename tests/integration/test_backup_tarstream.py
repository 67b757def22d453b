"""Volumes as tar streams on real directories: byte for byte round trips, bounded chunks, a directory that
changes under the copy, and archives that are truncated, corrupt or unsafe."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from quickon_backup.adapters.tarstream import ArchiveInvalid, Digest, VolumeChanged, extract_tar, tar_directory
from support.trees import fill, snapshot


async def chunks_of(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def archive(root: Path, chunk_size: int = 1 << 20) -> bytes:
    return b"".join([chunk async for chunk in tar_directory(root, chunk_size=chunk_size)])


async def test_a_directory_goes_through_tar_and_back_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "source"
    fill(source)
    (source / "empty-dir").mkdir()
    os.chmod(source / "config.json", 0o600)
    digest = Digest()
    sizes = [len(c) async for c in digest.tap(tar_directory(source, chunk_size=256 * 1024))]
    data = await archive(source, chunk_size=256 * 1024)
    assert digest.size == len(data) == sum(sizes) and max(sizes) < 2 * 256 * 1024  # memory: about a chunk
    with tarfile.open(fileobj=io.BytesIO(data)) as standard:  # any tar reads it
        assert standard.getmember("current").issym()
    await extract_tar(chunks_of(data), tmp_path / "copy")
    assert snapshot(tmp_path / "copy") == snapshot(source)
    assert os.stat(tmp_path / "copy" / "config.json").st_mode & 0o777 == 0o600


async def test_a_volume_that_disappears_or_shrinks_during_the_copy_fails_it(tmp_path: Path) -> None:
    source = tmp_path / "source"
    fill(source)
    with pytest.raises(VolumeChanged, match="does not exist"):
        await archive(tmp_path / "nowhere")
    stream = tar_directory(source, chunk_size=64 * 1024)
    await stream.__anext__()
    shutil.rmtree(source)  # the volume goes while it is read
    with pytest.raises(VolumeChanged, match=r"disappeared|shrank|cannot read"):
        async for _chunk in stream:
            pass
    fill(source)
    stream = tar_directory(source, chunk_size=64 * 1024)
    await stream.__anext__()  # big.bin is listed (3 MiB) and being read
    (source / "big.bin").write_bytes(b"short now")
    with pytest.raises(VolumeChanged, match="shrank"):
        async for _chunk in stream:
            pass


async def test_truncated_corrupt_and_unsafe_archives_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "source"
    fill(source)
    data = await archive(source)
    with pytest.raises(ArchiveInvalid, match="truncated or corrupt"):
        await extract_tar(chunks_of(data[: len(data) // 2]), tmp_path / "half")
    with pytest.raises(ArchiveInvalid, match="truncated or corrupt"):
        await extract_tar(chunks_of(os.urandom(20_000)), tmp_path / "noise")
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as writer:
        info = tarfile.TarInfo("../../outside.txt")
        info.size = 4
        writer.addfile(info, io.BytesIO(b"evil"))
    with pytest.raises(ArchiveInvalid, match="unsafe"):
        await extract_tar(chunks_of(evil.getvalue()), tmp_path / "deep" / "evil")
    assert not (tmp_path / "outside.txt").exists()


async def test_a_source_that_fails_midway_stops_the_extraction(tmp_path: Path) -> None:
    source = tmp_path / "source"
    fill(source)
    data = await archive(source)

    async def failing() -> AsyncIterator[bytes]:
        yield data[:300_000]
        raise ConnectionError("the store went away")

    with pytest.raises(ConnectionError, match="went away"):
        await extract_tar(failing(), tmp_path / "partial")


async def test_the_source_is_read_to_its_end_so_that_its_own_check_runs(tmp_path: Path) -> None:
    source = tmp_path / "source"
    fill(source)
    data = await archive(source)

    async def checked_at_its_end() -> AsyncIterator[bytes]:
        # Ten chunks more after the archive's end than the extraction needs: the part's hash is only
        # known to be wrong once the last byte is read, as the store's stream checks it.
        async for chunk in chunks_of(data + bytes(1_000_000)):
            yield chunk
        raise ValueError("the part's SHA-256 is not the manifest's")

    with pytest.raises(ValueError, match="SHA-256"):
        await extract_tar(checked_at_its_end(), tmp_path / "copy")
