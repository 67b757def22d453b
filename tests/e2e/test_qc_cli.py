"""`qc` against the whole platform, run as processes by `qc up`: log in, find an app, install it with a
value and --wait, see it run, preview and make an upgrade, roll back, stop, start, uninstall; refused
input and an unreachable gateway fail with their exit codes; `qc events` shows what happened."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import random
import secrets
import sqlite3
import stat
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
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

    upgraded = ok(platform, "upgrade", "git", "--version", "1.1.0", "--soak", "1", *WAIT)  # its alerts watched 1 s
    assert "upgrade of git succeeded" in upgraded.out
    assert "  soak: completed" in upgraded.out
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


# -- secrets stay sealed ---------------------------------------------------------------------------------

SEALED_SCHEMA = {
    "type": "object",
    "properties": {
        # Not marked secret by the chart: the credential rule seals it all the same.
        "auth": {"type": "object", "properties": {"adminPassword": {"type": "string", "minLength": 12}}},
        "users": {
            "type": "array",
            "items": {"type": "object", "properties": {"name": {"type": "string"}, "password": {"type": "string"}}},
        },
        # Marked secret by the chart under a name no rule would guess.
        "mail": {"type": "object", "properties": {"relayCode": {"type": "string", "writeOnly": True}}},
        "replicaCount": {"type": "integer"},
    },
}
SEALED_TEMPLATES = {
    "secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-auth\nstringData:\n"
        "  admin-password: {{ .Values.auth.adminPassword | quote }}\n"
        "  relay-code: {{ .Values.mail.relayCode | quote }}\n"
        "{{- range .Values.users }}\n  user-{{ .name }}: {{ .password | quote }}\n{{- end }}\n"
    ),
    # What a careless chart does: a secret in a ConfigMap. QuickOn still keeps it out of what it stores and shows.
    "configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n"
        "  admin: {{ .Values.auth.adminPassword | quote }}\n"
    ),
    "deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n"
        "  replicas: {{ .Values.replicaCount }}\n  selector:\n    matchLabels: {app: {{ .Release.Name }}}\n"
        "  template:\n    metadata:\n      labels: {app: {{ .Release.Name }}}\n    spec:\n"
        "      containers:\n        - name: web\n          image: nginx:1.27\n"
    ),
}


def sealed_chart(root: Path, version: str) -> Path:
    """The chart ``sealedapp`` at ``version``: a password its schema does not mark, passwords in a list of users,
    and a value its schema marks secret, all rendered into a Secret (and one into a ConfigMap)."""
    source = root / f"src-{version}" / "sealedapp"
    (source / "templates").mkdir(parents=True)
    (source / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: sealedapp\nversion: {version}\nappVersion: '{version}'\n"
    )
    (source / "values.yaml").write_text(
        "auth: {adminPassword: please-change-me}\nusers: []\nmail: {relayCode: ''}\nreplicaCount: 1\n"
    )
    (source / "values.schema.json").write_text(json.dumps(SEALED_SCHEMA))
    for name, text in SEALED_TEMPLATES.items():
        (source / "templates" / name).write_text(text)
    done = subprocess.run([helm_binary(), "package", str(source), "-d", str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return root / f"sealedapp-{version}.tgz"


def traces(value: str) -> list[bytes]:
    """How ``value`` could show in a file or a stream: as is, JSON-escaped, and base64 (standard and URL-safe)
    at each of the three alignments it may have inside a longer encoded text."""
    raw = value.encode()
    found = {raw, json.dumps(value)[1:-1].encode()}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        inner = encoded[4 if shift else 0 : -4]  # the characters that depend on the value alone
        found |= {inner, inner.translate(bytes.maketrans(b"+/", b"-_"))}
    return sorted(found)


def readable(path: Path) -> bytes:
    """A file's bytes, and what it holds compressed opened too: a gzip file (a backup's archive), the blobs of
    a SQLite database (a revision's rendered objects are zlib-compressed)."""
    data = path.read_bytes()
    found = [data]
    if data[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, EOFError):
            found.append(gzip.decompress(data))
    if data.startswith(b"SQLite format 3\0"):
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            cells = [cell for table in tables for row in db.execute(f'SELECT * FROM "{table}"') for cell in row]
        for blob in (cell for cell in cells if isinstance(cell, bytes)):
            with contextlib.suppress(zlib.error):
                found.append(zlib.decompress(blob))
    return b"\n".join(found)


def clear_in(data: bytes, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if any(trace in data for trace in traces(value))]


def test_secret_values_are_sealed_everywhere_and_only_the_reveal_gives_them_back(
    logged_in: Platform, tmp_path: Path
) -> None:
    platform = logged_in
    tag = secrets.token_hex(5)
    given = {
        "admin": f"Adm1n-pass-{tag}", "alice": f"alice-pass-{tag}", "bob": f"bob-pass-{tag}",
        "relay": f"relay-code-{tag}", "bob_new": f"bob-new-pass-{tag}", "refused": f"Sh0rt-{tag[:4]}",
    }  # fmt: skip
    for version in ("1.0.0", "1.1.0"):
        ok(platform, "publish", str(sealed_chart(tmp_path, version)))
    wait_for(lambda: "1.1.0" in qc(platform, "app", "sealedapp").out, what="sealedapp 1.1.0 in the catalog")
    values = tmp_path / "values.yaml"
    values.write_text(json.dumps({
        "auth": {"adminPassword": given["admin"]}, "mail": {"relayCode": given["relay"]},
        "users": [{"name": "alice", "password": given["alice"]}, {"name": "bob", "password": given["bob"]}],
    }))  # fmt: skip
    ok(platform, "install", "sealedapp", "--name", "vault", "--version", "1.0.0", "-f", str(values), *WAIT)

    shown = service(platform, "vault")
    masked = "********"
    assert shown["values"]["users"] == [{"name": "alice", "password": masked}, {"name": "bob", "password": masked}]
    assert shown["values"]["auth"] == {"adminPassword": masked} and shown["values"]["mail"] == {"relayCode": masked}
    assert shown["secret_values"] == ["auth.adminPassword", "mail.relayCode", "users[0].password", "users[1].password"]

    change = tmp_path / "change.yaml"
    change.write_text(json.dumps({"users": [{"name": "alice", "password": given["alice"]},
                                            {"name": "bob", "password": given["bob_new"]}]}))  # fmt: skip
    preview = ok(platform, "upgrade", "vault", "--version", "1.1.0", "-f", str(change), "--preview", "--json")
    assert "users" in [d["path"] for d in preview.json()["values_diff"]]
    ok(platform, "upgrade", "vault", "--version", "1.1.0", "-f", str(change), *WAIT)  # a backup first, by default
    ok(platform, "backup", "vault", *WAIT)

    short = tmp_path / "short.yaml"
    short.write_text(json.dumps({"auth": {"adminPassword": given["refused"]}}))
    refused = qc(platform, "install", "sealedapp", "--name", "refused", "-f", str(short))
    assert refused.code == 1 and "body.values.auth.adminPassword: too short: at least 12 characters" in refused.err

    # The one way back: the reveal, itself an audited iam event naming who and which service.
    revealed = ok(platform, "secrets", "vault", "--json").json()
    assert revealed["values"] == {
        "auth": {"adminPassword": given["admin"]}, "mail": {"relayCode": given["relay"]},
        "users": [{"password": given["alice"]}, {"password": given["bob_new"]}],
    }  # fmt: skip
    table = [line.split() for line in ok(platform, "secrets", "vault").out.splitlines()]
    assert ["users[1].password", given["bob_new"]] in table

    def reveal_audited() -> bool:
        found = qc(platform, "audit", "--context", "iam", "--service", "vault", "--json").json()
        return any(
            (e["type"], e["actor"]) == ("io.quickon.iam.secrets.revealed.v1", "admin") for e in found.get("entries", [])
        )

    wait_for(reveal_audited, what="the reveal in the audit log, naming who")
    audit = ok(platform, "audit", "--export", "-", "--format", "jsonl").out

    # Nothing else holds them in clear: every file under var/ (logs, every service's SQLite database and its WAL,
    # the NATS stream's files, backups, keys), the audit log, the SSE stream and what qc showed.
    token = json.loads(platform.config.read_text())["token"]
    sse = httpx.get(f"{platform.url}/api/v1/events", params={"follow": "false", "last": 10000},
                    headers={"Authorization": f"Bearer {token}"}, timeout=60).content  # fmt: skip
    assert b"io.quickon.deploy.upgrade.completed" in sse and b"io.quickon.iam.secrets.revealed" in sse
    outputs = {
        "SSE stream": sse, "audit export": audit.encode(), "qc status": json.dumps(shown).encode(),
        "upgrade preview": preview.out.encode(), "refused install": (refused.out + refused.err).encode(),
    }  # fmt: skip
    var = Path(platform.env["QC_VAR_DIR"])
    # The simulated cluster stands for the cluster's own store (etcd): the app reads its Secret there.
    cluster = var / "deployer" / "sim"
    in_cluster = b"".join(p.read_bytes() for p in cluster.rglob("*") if p.is_file())
    assert "admin" in clear_in(in_cluster, given), "the search finds a value where it is (base64, in the Secret)"
    files = [p for p in var.rglob("*") if p.is_file() and cluster not in p.parents]
    assert any(p.suffix == ".db" for p in files) and any(p.suffix == ".log" for p in files)
    # And what holds them sealed is its owner's alone: var/ itself, every database, the key, the logs.
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    private = [p for p in files if p.suffix in (".db", ".key", ".log") or p.name.endswith(("-wal", "-shm"))]
    assert {
        str(p.relative_to(var)): oct(stat.S_IMODE(p.stat().st_mode)) for p in private if p.stat().st_mode & 0o077
    } == {}
    stream_files = [p for p in files if "jetstream" in p.parts]
    assert any(b"qc.deploy.upgrade.requested" in p.read_bytes() for p in stream_files), "the stream is read as stored"
    kept = readable(var / "deployer.db")  # the revisions' objects are looked into: the ConfigMap is kept masked
    assert b'"admin": "********"' in kept and b"vault-config" in kept
    leaks = {str(p.relative_to(var)): clear_in(readable(p), given) for p in files}
    leaks |= {name: clear_in(data, given) for name, data in outputs.items()}
    assert {where: found for where, found in leaks.items() if found} == {}
