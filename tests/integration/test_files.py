"""Files replaced whole (quickon_common.files), on the real file system."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from quickon_common.files import write_atomically

WRITERS = 8
WRITES_EACH = 40


def test_concurrent_writers_of_one_file_each_replace_it_whole(tmp_path: Path) -> None:
    # The deployer caches a chart under its digest; two operations resolving the same chart at once
    # write the same file from two threads of one process.
    path = tmp_path / "charts" / "chart.tgz"
    contents = [bytes([n]) * 64 * 1024 for n in range(WRITERS)]

    def write(content: bytes) -> None:
        for _ in range(WRITES_EACH):
            write_atomically(path, content)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for done in [pool.submit(write, content) for content in contents]:
            done.result()  # none failed
    assert path.read_bytes() in contents
    assert [p.name for p in path.parent.iterdir()] == ["chart.tgz"], "no temporary file is left behind"
