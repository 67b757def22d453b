"""charts/quickon rendered by the real helm, as the objects a cluster would get (tests/chart)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from quickon_common.helm import helm_binary

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "quickon"
VALUES = {"default": [], "ha": ["values-ha.yaml"], "trial": ["values-trial.yaml"]}
SERVICES = ("gateway", "market", "deployer", "backup", "monitor", "audit")
RELEASE, NAMESPACE = "quickon", "quickon-system"

Manifest = dict[str, Any]


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    """helm ARGS in the chart's folder; its exit code is the caller's to judge."""
    return subprocess.run([helm_binary(), *args], cwd=CHART, capture_output=True, text=True, timeout=60)


def render_text(values: str = "default", *sets: str) -> str:
    """`helm template` with one of the chart's values files and --set pairs; fails the test on an error."""
    args = ["template", RELEASE, ".", "--namespace", NAMESPACE]
    for name in VALUES[values]:
        args += ["-f", name]
    for pair in sets:
        args += ["--set", pair]
    result = helm(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def render(values: str = "default", *sets: str) -> list[Manifest]:
    """The rendered objects (documents that are not empty)."""
    return [doc for doc in yaml.safe_load_all(render_text(values, *sets)) if doc]


def find(objects: list[Manifest], kind: str, name: str) -> Manifest:
    """The one object of ``kind`` and ``name``."""
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]
