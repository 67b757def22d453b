"""helm lint --strict on every values file, and the values schema refusing what the platform cannot run."""

from __future__ import annotations

import pytest

from support.chart import VALUES, helm


@pytest.mark.parametrize("values", sorted(VALUES))
def test_lint_strict_passes(values: str) -> None:
    args = ["lint", "--strict", "."]
    for name in VALUES[values]:
        args += ["-f", name]
    result = helm(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize(
    ("pair", "reason"),
    [
        ("secrets.adminPassword=short", "secrets.adminPassword"),  # the gateway would refuse it at start
        ("secrets.platformKey=not-a-fernet-key", "secrets.platformKey"),
        ("nats.cluster.replicas=2", "nats.cluster.replicas"),  # no quorum with two
        ("services.deployer.replicas=-1", "services.deployer.replicas"),
        ("postgresql.server.sslMode=sometimes", "postgresql.server.sslMode"),
        ("unknownTopLevel=1", "unknownTopLevel"),
    ],
)
def test_schema_refuses_bad_values(pair: str, reason: str) -> None:
    result = helm("template", "quickon", ".", "--set", pair)
    assert result.returncode != 0
    assert reason in result.stderr


def test_hpa_and_keda_on_one_service_are_refused() -> None:
    result = helm(
        "template", "quickon", ".", "--set", "services.deployer.hpa.enabled=true",
        "--set", "services.deployer.keda.enabled=true",
    )  # fmt: skip
    assert result.returncode != 0
    assert "hpa and keda are exclusive" in result.stderr
