"""Directory trees for volume tests: filled as an app might, and read back for byte-for-byte comparison."""

from __future__ import annotations

import os
from pathlib import Path


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file's bytes and every link's target under ``root``, by relative path (directories as '/')."""
    found: dict[str, bytes | str] = {}
    for directory, subdirs, files in os.walk(root):
        base = Path(directory)
        for name in subdirs:
            found[str((base / name).relative_to(root)) + "/"] = "dir"
        for name in files:
            path = base / name
            key = str(path.relative_to(root))
            found[key] = f"-> {os.readlink(path)}" if path.is_symlink() else path.read_bytes()
    return found


def fill(root: Path, *, seed: int = 1) -> None:
    """Files an app might keep: nested, binary, empty, a symlink, a large-ish one."""
    (root / "db" / "tables").mkdir(parents=True, exist_ok=True)
    (root / "db" / "tables" / "users.dat").write_bytes(os.urandom(200_000) + bytes([seed]))
    (root / "db" / "tables" / "empty.dat").write_bytes(b"")
    (root / "config.json").write_text(f'{{"motd": "hello", "seed": {seed}}}')
    (root / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    (root / "spaces and ünïcode.txt").write_text("names survive the archive")
    link = root / "current"
    if not link.is_symlink():
        os.symlink("config.json", link)
