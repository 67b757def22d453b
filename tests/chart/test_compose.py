"""docker-compose.yml: valid for Debian's docker-compose 1.29 (no engine needed), and the platform it runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from support.chart import ROOT, SERVICES

COMPOSE = ROOT / "docker-compose.yml"


def compose(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is missing: `make docker-compose` installs Debian's"
    return subprocess.run([binary, "-f", str(COMPOSE), *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.fixture(scope="module")
def resolved() -> dict[str, dict[str, object]]:
    result = compose("config")
    assert result.returncode == 0, result.stderr
    services: dict[str, dict[str, object]] = yaml.safe_load(result.stdout)["services"]
    return services


def test_config_is_valid() -> None:
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_it_runs_nats_postgresql_s3_and_the_six_services(resolved: dict[str, dict[str, object]]) -> None:
    assert set(resolved) == {"credentials", "nats", "postgres", "minio", *SERVICES}
    for service in SERVICES:
        spec = resolved[service]
        assert spec["command"] == ["python", "-m", f"quickon_{service}"]
        assert spec["read_only"] is True
        assert spec["user"] == "10001:10001"
        environment = spec["environment"]
        assert isinstance(environment, dict)
        assert environment[f"QC_{service.upper()}_NATS_NKEY_FILE"].endswith(f"/{service}.nk")
        assert environment[f"QC_{service.upper()}_DATABASE_URL"].endswith(f"@postgres:5432/quickon_{service}")


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    # The check has teeth: a misspelt key makes `config` fail, naming it.
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("  read_only: true\n", "  read_onlyy: true\n", 1))
    result = subprocess.run(
        [shutil.which("docker-compose") or "docker-compose", "-f", str(broken), "config", "-q"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0
    assert "read_onlyy" in result.stderr
