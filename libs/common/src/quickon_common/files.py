"""Files replaced whole (a crash leaves the old content or the new, never half of one), and kept owner-only."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)


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


# What the platform keeps under var/ (databases, keys, logs, backups) is for the account that runs it
# alone: the values it holds may be secret, and a database file is readable whole.
OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIRECTORY = 0o700
OWNER_ONLY_UMASK = 0o077


def owner_only_directory(path: Path) -> Path:
    """``path`` made (with its parents) if missing, and readable by its owner only whatever it was."""
    path.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY_DIRECTORY)
    _tighten(path, OWNER_ONLY_DIRECTORY)
    return path


def owner_only_file(path: Path, *companions: str) -> Path:
    """``path`` created empty if missing, and readable by its owner only whatever it was; so are its
    ``companions`` (suffixes, such as a SQLite database's ``-wal``) that exist already."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY_DIRECTORY)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, OWNER_ONLY_FILE))  # never truncates what is there
    for each in (path, *(path.with_name(path.name + suffix) for suffix in companions)):
        # No such companion, or another process's connection closing removed it just now (its -wal).
        with contextlib.suppress(FileNotFoundError):
            _tighten(each, OWNER_ONLY_FILE)
    return path


def _tighten(path: Path, mode: int) -> None:
    """``chmod``; a path another account owns (a volume mounted by the operator) is used as it is, and said."""
    try:
        os.chmod(path, mode)
    except PermissionError:
        log.warning("%s belongs to another account, so it cannot be made owner-only (%o): check who may read it",
                    path, mode)  # fmt: skip
