"""``qc cluster bootstrap``'s plan: a first server (embedded etcd, no Traefik, ingress-nginx with ModSecurity
snippets allowed, then the chart) and a joining one (K3s only), what is refused, and the dry run, which shows
every step and runs none. (This machine has no systemd: the bootstrap itself cannot run here.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quickon_cli.bootstrap import K3S_CONFIG, PlanError, host_problems, plan, server_url
from quickon_cli.main import run

CHART = Path(__file__).resolve().parents[2] / "charts" / "quickon"


def test_a_first_server_gets_etcd_ingress_nginx_and_the_chart() -> None:
    made = plan(server=None, token=None, chart=CHART, values=[])
    config, install, wait, storage, ingress, quickon = made.steps
    assert config.file == K3S_CONFIG and config.content.splitlines()[:3] == [
        "cluster-init: true",
        "disable:",
        "  - traefik",
    ]
    assert "INSTALL_K3S_VERSION=v1.30.6+k3s1 INSTALL_K3S_EXEC=server" in install.command[-1]
    assert wait.command[:3] == ["k3s", "kubectl", "wait"] and storage.command[-1] == "local-path"
    assert "controller.allowSnippetAnnotations=true" in ingress.command and ingress.env == {
        "KUBECONFIG": "/etc/rancher/k3s/k3s.yaml"
    }
    assert quickon.command[:5] == ["helm", "upgrade", "--install", "quickon", str(CHART)]
    assert quickon.command[-2:] == ["-f", str(CHART / "values-trial.yaml")]  # a first try brings its PostgreSQL
    assert any("node-token" in line for line in made.after) and any("admin-password" in line for line in made.after)


def test_a_joining_server_installs_k3s_only(tmp_path: Path) -> None:
    values = tmp_path / "mine.yaml"
    values.write_text("{}")
    made = plan(server="10.0.0.5", token="K10abc::server:secret", chart=CHART, values=[values])
    assert [s.what.split()[0] for s in made.steps] == ["K3s'", "install", "wait"]
    assert made.steps[0].content.splitlines()[:3] == [
        "server: https://10.0.0.5:6443", "token: K10abc::server:secret", "disable:"
    ]  # fmt: skip
    assert server_url("fd00::1") == "https://[fd00::1]:6443" and server_url("k3s-1.lan") == "https://k3s-1.lan:6443"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"server": "10.0.0.5", "token": None}, "give both --server"),
        ({"server": None, "token": "K10abc::server:secret"}, "give both --server"),
        ({"server": "10.0.0.5", "token": "has space and\nnewline"}, "a K3s token is"),
        ({"server": "http://x:6443/", "token": "K10abc::server:s"}, "is not an IP address or a host name"),
        ({"server": None, "token": None, "k3s_version": "latest"}, "not a K3s release"),
        ({"server": None, "token": None, "chart": Path("/nonexistent")}, "is not QuickOn's chart"),
        ({"server": None, "token": None, "values": [Path("/nonexistent.yaml")]}, "no such file"),
    ],
)
def test_what_cannot_make_a_plan_is_refused_saying_how(options: dict[str, object], message: str) -> None:
    given: dict[str, object] = {"chart": CHART, "values": [], **options}
    with pytest.raises(PlanError, match=message):
        plan(**given)  # type: ignore[arg-type]


def test_a_host_without_systemd_or_root_is_told_so() -> None:
    problems = host_problems(system="Linux", systemd=False, root=False, tools={"curl": True, "helm": False})
    assert [p.split()[0] for p in problems] == ["K3s", "installing", "helm"]
    assert host_problems(system="Linux", systemd=True, root=True, tools={"curl": True, "helm": True}) == []


def test_the_dry_run_shows_every_step_and_nothing_runs_unconfirmed(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cluster", "bootstrap", "--dry-run"], env={}) == 0
    out = capsys.readouterr().out
    assert "nothing was done" in out and "cluster-init: true" in out and "6. install QuickOn" in out
    assert run(["cluster", "bootstrap", "--dry-run", "--json"], env={}) == 0
    assert len(json.loads(capsys.readouterr().out)["steps"]) == 6
    assert run(["cluster", "bootstrap", "--join", "K10abc::server:secret"], env={}) == 2
    assert "give both --server" in capsys.readouterr().err
    # Not a dry run, not confirmed: refused (this host cannot run it, or --yes is missing), nothing written.
    existed = K3S_CONFIG.exists()
    assert run(["cluster", "bootstrap"], env={}) in (1, 2)
    err = capsys.readouterr().err
    assert "this host cannot run the bootstrap" in err or "confirm with --yes" in err
    assert K3S_CONFIG.exists() == existed
