"""`trivy config` (offline, its embedded checks) on the rendered chart and the Dockerfile: no HIGH or
CRITICAL finding but the accepted ones below, each with its reason."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from quickon_common.trivy import trivy_binary
from support.chart import ROOT, render_text

# (check, object it is about) -> why it is accepted. The deployer installs any chart of the market with
# helm, which keeps its releases in Secrets and creates the charts' Services, Ingresses and network
# policies; it exposes apps with an Ingress (and a TLS or basic-auth Secret) of its own. The rights are
# narrowed to the app namespaces with rbac.appNamespaces (the chart's README says so).
ACCEPTED = {
    ("KSV-0041", "quickon-deployer-apps"): "helm's release records and the apps' Secrets",
    ("KSV-0056", "quickon-deployer-apps"): "the apps' Services, Ingresses and NetworkPolicies",
}


def findings(target: Path, cache: Path) -> list[tuple[str, str, str]]:
    """(check, severity, message) of every HIGH or CRITICAL finding trivy reports for ``target``."""
    result = subprocess.run(
        [trivy_binary(), "config", "--skip-check-update", "--quiet", "--severity", "HIGH,CRITICAL",
         "--format", "json", str(target)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "TRIVY_CACHE_DIR": str(cache)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["Results"], "trivy scanned nothing"
    return [
        (m["ID"], m["Severity"], m["Message"])
        for r in report["Results"]
        for m in r.get("Misconfigurations") or []
        if m.get("Status") == "FAIL"
    ]


def unaccepted(found: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    left = []
    for check, severity, message in found:
        subject = re.search(r"'([^']+)'", message)
        if (check, subject[1] if subject else "") not in ACCEPTED:
            left.append((check, severity, message))
    return left


@pytest.fixture(scope="session")
def trivy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trivy-cache")


@pytest.mark.parametrize("values", ["default", "ha", "trial"])
def test_rendered_chart_has_no_high_or_critical_finding(values: str, tmp_path: Path, trivy_cache: Path) -> None:
    target = tmp_path / f"quickon-{values}.yaml"
    target.write_text(render_text(values))
    found = findings(target, trivy_cache)
    assert unaccepted(found) == []
    assert {check for check, _, _ in found} <= {check for check, _ in ACCEPTED}


def test_dockerfile_has_no_high_or_critical_finding(tmp_path: Path, trivy_cache: Path) -> None:
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    assert findings(tmp_path / "Dockerfile", trivy_cache) == []


def test_the_scan_does_find_a_root_container(tmp_path: Path, trivy_cache: Path) -> None:
    # The checks are live: a Dockerfile that stays root and pulls :latest is reported.
    (tmp_path / "Dockerfile").write_text('FROM python:latest\nRUN pip install requests\nCMD ["python"]\n')
    assert [check for check, _, _ in findings(tmp_path / "Dockerfile", trivy_cache)] != []
