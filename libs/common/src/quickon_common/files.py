"""Files replaced whole: a crash leaves the old content or the new, never half of one."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_atomically(path: Path, data: bytes | str) -> None:
    """Replace ``path`` with ``data`` through a synced temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of this call's own: two threads of one process writing the same file at once (the deployer
    # caching a chart two operations resolve) would otherwise share the temporary file, and the second
    # rename would find it gone.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    with temporary.open("wb") as file:
        file.write(data.encode() if isinstance(data, str) else data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
