"""Files replaced whole: a crash leaves the old content or the new, never half of one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def temporary_sibling(path: Path, suffix: str = ".tmp") -> Path:
    """A name beside ``path`` that no other write uses, in this process or another.

    The process id alone is not enough: two threads of one process (two installs of the same
    chart at once, say) would write, rename and delete each other's temporary file.
    """
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}{suffix}")


def write_atomically(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` through a synced temporary file and a rename.

    Any number of writers may replace the same path at once: each has a temporary file of its
    own, the last rename wins, and a failed write removes its temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_sibling(path)
    try:
        with temporary.open("xb") as file:  # "x": never reuse a file someone else made
            file.write(data.encode() if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
