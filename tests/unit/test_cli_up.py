"""What `qc up` says once the gateway is ready: where the console is, the first admin's password and a first
app's commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickon_cli.up import first_steps
from quickon_cli.upmetrics import Metrics


def text(lines: list[tuple[str, dict[str, object]]]) -> str:
    return "\n".join(message for message, _ in lines)


def test_a_generated_password_is_shown_with_where_it_is_kept(tmp_path: Path) -> None:
    kept = tmp_path / "gateway" / "initial-admin-password"
    kept.parent.mkdir()
    kept.write_text("Correct-Horse-7\n")
    said = text(first_steps(gateway_url="http://127.0.0.1:8080", var_dir=tmp_path, env={}))
    assert said.startswith("  Open the console in a browser: http://127.0.0.1:8080/ ")
    assert "password: Correct-Horse-7" in said
    assert str(kept) in said
    assert "qc login -u admin\n" in said
    assert "qc install gitea" in said
    assert "qc status gitea" in said


def test_without_a_generated_password_only_the_commands_are_shown(tmp_path: Path) -> None:
    lines = first_steps(gateway_url="http://127.0.0.1:18080", var_dir=tmp_path, env={"QC_ADMIN_PASSWORD": "x"})
    said = text(lines)
    assert "password:" not in said
    assert "QC_ADMIN_PASSWORD" in said
    assert "qc login -u admin --url http://127.0.0.1:18080" in said
    commands = next(fields["commands"] for _, fields in lines if "commands" in fields)
    assert isinstance(commands, list)
    assert len(commands) == 3


def test_qc_up_starts_no_prometheus_when_the_operator_names_one(tmp_path: Path) -> None:
    said: list[str] = []
    metrics = Metrics(tmp_path, lambda message, **_fields: said.append(message))
    env = metrics.start({"QC_MONITOR_PROMETHEUS_URL": "http://prometheus.example:9090"})
    assert metrics.prometheus is None and metrics.node_exporter is None
    assert set(env) == {"QC_GATEWAY_INTERNAL_PORT"}, "the monitor writes no configuration for the operator's"
    assert said == ["  using Prometheus at http://prometheus.example:9090"]


def test_a_missing_prometheus_is_said_and_stops_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QC_PROMETHEUS_BIN", str(tmp_path / "none"))
    monkeypatch.setenv("QC_PROMETHEUS_NODE_EXPORTER_BIN", str(tmp_path / "none"))
    said: list[str] = []
    metrics = Metrics(tmp_path, lambda message, **_fields: said.append(message))
    env = metrics.start({"QC_GATEWAY_INTERNAL_PORT": "18081"})
    assert metrics.prometheus is None and metrics.node_exporter is None
    # The monitor is still told where Prometheus should be: its /readyz says it does not answer, and why.
    assert env["QC_MONITOR_PROMETHEUS_URL"].startswith("http://127.0.0.1:")
    assert env["QC_MONITOR_PROMETHEUS_CONFIG"] == str(tmp_path / "prometheus" / "prometheus.yml")
    assert "QC_GATEWAY_INTERNAL_PORT" not in env and "QC_MONITOR_NODE_EXPORTER" not in env
    assert any("node-exporter not started" in line and "QC_PROMETHEUS_NODE_EXPORTER_BIN" in line for line in said)
    assert any("Prometheus not started" in line and "make prometheus" in line for line in said)
    metrics.stop()
