"""`qc` against the whole platform, run as processes by `qc up`: log in, find an app, install it with a
value and --wait, see it run, preview and make an upgrade, roll back, stop, start, uninstall; refused
input and an unreachable gateway fail with their exit codes; `qc events` shows what happened."""

from __future__ import annotations

import json
import random
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quickon_common.helm import helm_binary
from quickon_common.natsserver import free_port
from quickon_deployer.runtime.sim import parts
from quickon_deployer.runtime.simulated import SimStore
from support.platform import platform as running_platform

ADMIN_PASSWORD = "e2e-admin-password-4711"
WAIT = ["--wait", "--timeout", "120"]


@dataclass
class Platform:
    process: subprocess.Popen[str]
    url: str
    env: dict[str, str]
    config: Path
    log: Path
    var_dir: Path


def sim_pods(platform: Platform, release: str) -> list[str]:
    """The release's pods in the deployer's simulated cluster, as saved (the sim saves before it answers)."""
    store = SimStore(platform.var_dir / "deployer" / "sim" / "sim.db")
    try:
        globals_json, release_parts, _ = store.load()
    finally:
        store.close()
    assert globals_json is not None
    return [pod.name for pod in parts.load(globals_json, release_parts).pods.values() if pod.release == release]


def wait_for(check: Callable[[], bool], *, timeout_s: float = 90, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    root = tmp_path_factory.mktemp("qc-cli")
    config_home = root / "config"
    with running_platform(root / "var", QC_ADMIN_PASSWORD=ADMIN_PASSWORD, XDG_CONFIG_HOME=str(config_home)) as running:
        config = config_home / "quickon" / "config.json"
        yield Platform(running.process, running.url, running.env, config, running.log, root / "var")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def qc(platform: Platform, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    done = subprocess.run(
        [sys.executable, "-m", "quickon_cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**platform.env, **(env or {})},
        timeout=180,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)


def ok(platform: Platform, *args: str, **kwargs: Any) -> Result:
    result = qc(platform, *args, **kwargs)
    assert result.code == 0, f"qc {' '.join(args)} exited {result.code}\n{result.out}\n{result.err}"
    return result


@pytest.fixture(scope="module")
def logged_in(platform: Platform) -> Platform:
    login = ok(platform, "login", "--url", platform.url, "-u", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    assert f"Logged in to {platform.url} as admin" in login.out
    saved = json.loads(platform.config.read_text())
    assert saved["url"] == platform.url
    assert saved["username"] == "admin"
    assert saved["token"]
    assert saved["token"] not in login.out
    assert stat.S_IMODE(platform.config.stat().st_mode) == 0o600
    return platform


def service(platform: Platform, name: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(platform, "status", name, "--json").json()
    return found


def test_qc_up_says_how_to_log_in_and_install_a_first_app(platform: Platform) -> None:
    def said() -> list[dict[str, Any]]:
        return [json.loads(line) for line in platform.log.read_text().splitlines() if line.startswith("{")]

    wait_for(lambda: any(line.get("hint") == "first_app" for line in said()), what="qc up's first steps")
    commands = next(line["commands"] for line in said() if "commands" in line)
    assert commands[0] == f"qc login -u admin --url {platform.url}"
    assert commands[1].startswith("qc install gitea --set ")
    assert any("QC_ADMIN_PASSWORD" in line["message"] for line in said()), "the password was given, not generated"


def test_a_service_lives_its_whole_life_through_qc(logged_in: Platform) -> None:
    platform = logged_in
    assert ok(platform, "whoami", "--json").json()["username"] == "admin"

    # The built-in catalog is read at the market's start; gitea shows once it has been.
    wait_for(
        lambda: any(a["name"] == "gitea" for a in qc(platform, "apps", "git", "--json").json().get("apps", [])),
        what="gitea in the catalog",
    )
    listing = ok(platform, "apps")
    assert "gitea" in listing.out.split()
    app = ok(platform, "app", "gitea").out
    for version in ("1.1.1", "1.1.0", "1.0.0"):
        assert version in app
    assert "Upgrade Gitea to 1.22.2" in app  # the changelog of 1.1.0

    installed = ok(platform, "install", "gitea", "--name", "git", "--version", "1.0.0",
                   "--set", "gitea.appName=Our Git,gitea.requireSignInView=true", *WAIT)  # fmt: skip
    assert "install of git succeeded" in installed.out
    status = service(platform, "git")
    assert (status["status"], status["version"], status["revision"]) == ("running", "1.0.0", 1)
    assert status["values"]["gitea"] == {"appName": "Our Git", "requireSignInView": True}
    text = ok(platform, "status", "git").out
    assert "Pods ready:" in text
    assert "running" in text
    listed = ok(platform, "services", "--json").json()["services"]
    assert [(s["service"], s["status"]) for s in listed] == [("git", "running")]

    preview = ok(platform, "upgrade", "git", "--version", "1.1.1", "--preview")
    assert "1.0.0 -> 1.1.1" in preview.out
    assert "Upgrade Gitea to 1.22.3" in preview.out  # 1.1.1's changelog
    assert "image.tag" in preview.out
    assert "Nothing was changed" in preview.out
    as_json = ok(platform, "upgrade", "git", "--version", "1.1.1", "--preview", "--json").json()
    assert {"changelog", "breaking", "values_diff", "manifest_diff"} <= as_json.keys()
    assert service(platform, "git")["version"] == "1.0.0", "a preview changes nothing"

    upgraded = ok(platform, "upgrade", "git", "--version", "1.1.0", *WAIT)
    assert "upgrade of git succeeded" in upgraded.out
    status = service(platform, "git")
    assert (status["status"], status["version"], status["revision"]) == ("running", "1.1.0", 2)
    assert status["values"]["gitea"]["appName"] == "Our Git", "the upgrade kept the values"

    ok(platform, "rollback", "git", *WAIT)
    status = service(platform, "git")
    assert (status["version"], status["revision"]) == ("1.0.0", 3)
    history = ok(platform, "history", "git", "--json").json()["revisions"]
    assert [r["revision"] for r in history] == [1, 2, 3]
    assert "REVISION" in ok(platform, "history", "git").out

    ok(platform, "stop", "git", *WAIT)
    assert service(platform, "git")["status"] == "stopped"
    ok(platform, "start", "git", *WAIT)
    assert service(platform, "git")["status"] == "running"

    restart = ok(platform, "restart", "git")  # without --wait: the operation and how to follow it
    operation_id = restart.out.split("operation ", 1)[1].split()[0]
    assert f"qc operation {operation_id} --wait" in restart.out
    ok(platform, "operation", operation_id, *WAIT)
    assert ok(platform, "operation", operation_id, "--json").json()["state"] == "succeeded"

    events = [json.loads(line) for line in ok(platform, "events", "--json", "--last", "1000").out.splitlines()]
    installs = [e for e in events if e["type"].startswith("io.quickon.deploy.install.")]
    assert any(
        e["type"] == "io.quickon.deploy.install.completed.v1" and e["data"]["service"] == "git" for e in installs
    )
    assert "deploy.install.completed" in ok(platform, "events", "--last", "1000", "--context", "deploy").out

    ok(platform, "uninstall", "git", "--yes", *WAIT)
    assert sim_pods(platform, "git") == []  # as `helm uninstall --wait`: done once its pods have shut down
    gone = qc(platform, "status", "git")
    assert gone.code == 1
    assert gone.err.startswith("error: ")


def test_refused_input_fails_with_the_field_named_and_changes_nothing(logged_in: Platform) -> None:
    platform = logged_in
    bad = qc(platform, "install", "gitea", "--name", "bad", "--set", "service.httpPort=not-a-port", "--wait")
    assert bad.code == 1
    assert bad.err.startswith("error: ")
    assert "service.httpPort" in bad.err
    assert "bad" not in [s["service"] for s in ok(platform, "services", "--json").json()["services"]]

    usage = qc(platform, "install", "gitea", "--set", "service.httpPort")
    assert usage.code == 2
    assert "has no value" in usage.err

    missing = qc(platform, "status", "no-such-service")
    assert missing.code == 1
    assert "no-such-service" in missing.err

    unreachable = qc(platform, "services", "--url", f"http://127.0.0.1:{free_port()}")
    assert unreachable.code == 3
    assert "qc up" in unreachable.err


def test_a_command_refused_at_once_fails_even_without_wait(logged_in: Platform) -> None:
    # The deployer refuses it as soon as it reads it: qc says so and exits 1, not "accepted" and 0.
    refused = qc(logged_in, "stop", "nosuchservice")
    assert refused.code == 1, refused.out
    assert "there is no service 'nosuchservice'" in refused.err
    assert "accepted" not in refused.out
    as_json = qc(logged_in, "stop", "nosuchservice", "--json")
    assert (as_json.code, as_json.json()["state"]) == (1, "failed")


def test_an_upgrade_without_a_version_goes_to_the_newest_stable_one(logged_in: Platform) -> None:
    platform = logged_in
    wait_for(
        lambda: any(a["name"] == "gitea" for a in qc(platform, "apps", "git", "--json").json().get("apps", [])),
        what="gitea in the catalog",
    )
    ok(platform, "install", "gitea", "--name", "oldgit", "--version", "1.0.0", *WAIT)
    upgraded = ok(platform, "upgrade", "oldgit", *WAIT)
    # Said before it starts; gitea's stable versions in the built-in catalog are 1.0.0, 1.1.0 and 1.1.1.
    assert "Upgrading oldgit from 1.0.0 to 1.1.1, the newest stable version" in upgraded.out
    assert upgraded.out.index("Upgrading oldgit") < upgraded.out.index("upgrade of oldgit succeeded")
    assert service(platform, "oldgit")["version"] == "1.1.1"
    again = ok(platform, "upgrade", "oldgit", *WAIT)
    assert "oldgit is on the newest stable version, 1.1.1" in again.out
    assert service(platform, "oldgit")["version"] == "1.1.1"
    ok(platform, "uninstall", "oldgit", "--yes", *WAIT)


def test_api_tokens_work_until_revoked_and_logout_ends_the_session(logged_in: Platform) -> None:
    platform = logged_in
    made = ok(platform, "token", "create", "ci", "--json").json()
    assert made["token"]
    assert "ci" in ok(platform, "token", "list").out
    as_script = {"QC_URL": platform.url, "QC_TOKEN": made["token"], "XDG_CONFIG_HOME": "/nonexistent"}
    assert ok(platform, "whoami", env=as_script).out.startswith("admin (administrator)")
    ok(platform, "token", "revoke", made["token_id"])
    refused = qc(platform, "whoami", env=as_script)
    assert refused.code == 1
    assert "qc login" in refused.err

    ok(platform, "logout")
    assert "token" not in json.loads(platform.config.read_text())
    after = qc(platform, "whoami")
    assert after.code == 1
    assert "qc login" in after.err
    # Logged in again, for the module's other tests whatever their order.
    ok(platform, "login", "--url", platform.url, "-u", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")


def big_chart(root: Path, version: str) -> Path:
    """A chart whose package is over 1 MB (a file of random bytes, which gzip cannot shrink), packaged by helm."""
    source = root / f"src-{version}" / "bigfiles"
    (source / "templates").mkdir(parents=True)
    (source / "Chart.yaml").write_text(f"apiVersion: v2\nname: bigfiles\nversion: {version}\nappVersion: '{version}'\n")
    (source / "values.yaml").write_text("replicaCount: 1\n")
    (source / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
        "  replicas: {{ .Values.replicaCount }}\n  selector:\n    matchLabels: {app: {{ .Release.Name }}}\n"
        "  template:\n    metadata:\n      labels: {app: {{ .Release.Name }}}\n    spec:\n"
        "      containers:\n        - name: web\n          image: nginx:1.27\n"
    )
    (source / "blob.bin").write_bytes(random.randbytes(1_300_000))
    out = root / "packages"
    done = subprocess.run([helm_binary(), "package", str(source), "-d", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    package = out / f"bigfiles-{version}.tgz"
    assert package.stat().st_size > 1_048_576
    return package


def test_a_chart_package_over_a_nats_message_installs_and_upgrades(logged_in: Platform, tmp_path: Path) -> None:
    """The platform's NATS carries 1 MB messages at most (nats-server's default, what operators run):
    charts travel by reference, so a bigger package publishes, installs and upgrades all the same."""
    platform = logged_in
    for version in ("1.0.0", "1.1.0"):
        published = ok(platform, "publish", str(big_chart(tmp_path, version)))
        assert f"Published bigfiles {version}" in published.out
    wait_for(lambda: "1.1.0" in qc(platform, "app", "bigfiles").out, what="bigfiles 1.1.0 in the catalog")
    ok(platform, "install", "bigfiles", "--name", "big", "--version", "1.0.0", *WAIT)
    assert service(platform, "big")["version"] == "1.0.0"
    upgraded = ok(platform, "upgrade", "big", "--version", "1.1.0", *WAIT)
    assert "upgrade of big succeeded" in upgraded.out
    assert (service(platform, "big")["version"], service(platform, "big")["status"]) == ("1.1.0", "running")
    ok(platform, "uninstall", "big", "--yes", *WAIT)
