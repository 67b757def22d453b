"""`qc` starts quickly: the parser and `qc --help` / `qc --version` load none of the heavy modules that only
some commands need (the HTTP client, the object store's S3 client, the platform's settings, rich, YAML).
Checked in a fresh interpreter by what it imported, not by timing it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("httpx", "minio", "pydantic_settings", "pydantic", "rich", "yaml", "importlib.metadata")

PROBE = """
import json, sys
from quickon_cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["install", "--help"], ["upgrade", "--help"]])
def test_help_and_version_load_no_heavy_module(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "it printed its help or version"
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert loaded == [], f"qc {' '.join(argv)} imported {loaded}"
