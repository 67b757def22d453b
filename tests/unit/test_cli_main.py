"""qc's commands against a scripted gateway (httpx.MockTransport): requests sent, output, exit codes."""

from __future__ import annotations

import io
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from quickon_cli import wait
from quickon_cli.config import Config, load, save
from quickon_cli.main import run

Route = Callable[[httpx.Request], httpx.Response]


class Gateway:
    """Answers by ``METHOD path``; records every request."""

    def __init__(self, routes: dict[str, Route | list[Route]]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(f"{request.method} {request.url.path}")
        if route is None:
            return httpx.Response(404, json={"status": 404, "detail": f"no route {request.url.path}"})
        if isinstance(route, list):  # answers in turn, the last one repeated
            return (route.pop(0) if len(route) > 1 else route[0])(request)
        return route(request)

    def bodies(self, path: str) -> list[Any]:
        return [json.loads(r.content) for r in self.requests if r.url.path == path and r.content]


def answer(status: int, body: Any = None) -> Route:
    return lambda _request: httpx.Response(status, json=body)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}


@pytest.fixture(autouse=True)
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wait, "INTERVAL_S", 0.0)


def qc(argv: list[str], env: dict[str, str], gateway: Gateway | None = None) -> int:
    transport = httpx.MockTransport(gateway or Gateway({}))
    return run(argv, env={**env, "QC_TOKEN": env.get("QC_TOKEN", "t0k")}, transport=transport)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["install"],
        ["install", "gitea", "--wait", "--timeout", "0"],
        ["rollback", "gitea", "--revision", "two"],
        ["events", "--last", "-1"],
        ["repo"],
        ["token", "create"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], env: dict[str, str]) -> None:
    with pytest.raises(SystemExit) as exited:
        qc(argv, env)
    assert exited.value.code == 2


def test_a_bad_set_is_a_usage_error_and_sends_nothing(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    gateway = Gateway({})
    assert qc(["install", "gitea", "--set", "admin.username"], env, gateway) == 2
    assert "key 'admin.username' has no value" in capsys.readouterr().err
    assert gateway.requests == []


def test_a_missing_values_file_or_chart_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    assert qc(["install", "gitea", "-f", str(tmp_path / "nope.yaml")], env) == 2
    assert qc(["publish", str(tmp_path / "nope.tgz")], env) == 2


def test_refused_values_exit_1_naming_the_field(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    problem = {
        "status": 422,
        "detail": "the values do not fit gitea 1.1.1",
        "errors": [{"field": "body.values.service.httpPort", "message": "'x' is not of type 'integer'"}],
    }
    gateway = Gateway({"POST /api/v1/services": answer(422, problem)})
    assert qc(["install", "gitea", "--name", "git", "--set", "service.httpPort=x"], env, gateway) == 1
    err = capsys.readouterr().err
    assert "error: the values do not fit gitea 1.1.1" in err
    assert "body.values.service.httpPort" in err
    assert "Traceback" not in err
    assert gateway.bodies("/api/v1/services") == [
        {"name": "git", "app": "gitea", "values": {"service": {"httpPort": "x"}}}
    ]


def test_401_tells_to_log_in(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    gateway = Gateway({"GET /api/v1/services/git": answer(401, {"status": 401, "detail": "the token was revoked"})})
    assert qc(["status", "git"], env, gateway) == 1
    assert "qc login" in capsys.readouterr().err


def test_an_unreachable_gateway_exits_3(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    transport = httpx.MockTransport(refuse)
    assert run(["services", "--url", "http://127.0.0.1:9"], env=env, transport=transport) == 3
    err = capsys.readouterr().err
    assert "http://127.0.0.1:9" in err
    assert "qc up" in err


def test_a_broken_config_file_exits_1(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "quickon" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text("{oops")
    assert run(["services"], env=env, transport=httpx.MockTransport(Gateway({}))) == 1
    assert "qc login" in capsys.readouterr().err


def test_login_keeps_the_token_owner_only_and_does_not_print_it(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = {"access_token": "s3cr3t-token", "token_type": "bearer", "expires_at": "2030-01-01T00:00:00Z"}
    gateway = Gateway({"POST /api/v1/auth/token": answer(200, token)})
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))
    argv = ["login", "--url", "http://gw:1", "-u", "admin", "--password-stdin", "--json"]
    assert run(argv, env=env, transport=httpx.MockTransport(gateway)) == 0
    assert gateway.requests[0].content == b"username=admin&password=hunter2"
    path = Path(env["XDG_CONFIG_HOME"]) / "quickon" / "config.json"
    assert load(path) == Config(url="http://gw:1", token="s3cr3t-token", username="admin")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    out = capsys.readouterr().out
    assert json.loads(out)["username"] == "admin"
    assert "s3cr3t-token" not in out


def test_a_refused_login_exits_1_and_saves_nothing(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = Gateway({"POST /api/v1/auth/token": answer(401, {"detail": "wrong user name or password"})})
    monkeypatch.setattr("sys.stdin", io.StringIO("nope\n"))
    assert run(["login", "-u", "admin"], env=env, transport=httpx.MockTransport(gateway)) == 1
    assert "wrong user name or password" in capsys.readouterr().err
    assert not (Path(env["XDG_CONFIG_HOME"]) / "quickon" / "config.json").exists()


def test_logout_revokes_the_saved_token_and_forgets_it(env: dict[str, str]) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "quickon" / "config.json"
    save(path, Config(url="http://gw:1", token="saved", username="admin"))
    gateway = Gateway({"DELETE /api/v1/auth/tokens/current": answer(204)})
    assert run(["logout"], env=env, transport=httpx.MockTransport(gateway)) == 0
    assert gateway.requests[0].headers["Authorization"] == "Bearer saved"
    assert str(gateway.requests[0].url).startswith("http://gw:1/")
    assert load(path) == Config(url="http://gw:1")


def test_config_precedence_reaches_the_wire(env: dict[str, str]) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "quickon" / "config.json"
    save(path, Config(url="http://saved:1", token="saved", username="admin"))
    gateway = Gateway({"GET /api/v1/services": answer(200, {"services": []})})
    transport = httpx.MockTransport(gateway)
    assert run(["services"], env=env, transport=transport) == 0
    assert run(["services"], env={**env, "QC_URL": "http://env:2", "QC_TOKEN": "env"}, transport=transport) == 0
    assert run(["--url", "http://flag:3", "services", "--token", "flag"], env=env, transport=transport) == 0
    sent = [(r.url.host, r.headers.get("Authorization")) for r in gateway.requests]
    assert sent == [("saved", "Bearer saved"), ("env", "Bearer env"), ("flag", "Bearer flag")]


OP = {"operation_id": "op1", "kind": "install", "target": {"service": "git", "namespace": "default"}}


def op_state(state: str, **extra: Any) -> Route:
    return answer(200, {**OP, "state": state, **extra})


def test_without_wait_the_operation_and_how_to_follow_it_are_printed(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = Gateway({"POST /api/v1/services": answer(202, {**OP, "state": "pending"})})
    assert qc(["install", "gitea", "--name", "git"], env, gateway) == 0
    out = capsys.readouterr().out
    assert "operation op1" in out
    assert "qc operation op1 --wait" in out


def test_wait_follows_the_operation_to_success(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    steps = [{"step": "resolve", "state": "completed"}, {"step": "wait", "state": "started"}]
    health = {"health": {"workloads": [{"kind": "StatefulSet", "name": "git", "desired": 1, "ready": 1}]}}
    gateway = Gateway(
        {
            "POST /api/v1/services": answer(202, {**OP, "state": "pending"}),
            "GET /api/v1/operations/op1": [
                op_state("running", steps=steps[:1]),
                op_state("running", steps=steps),
                op_state(
                    "succeeded",
                    steps=[*steps, {"step": "wait", "state": "completed"}],
                    result={"version": "1.1.1", "revision": 1},
                ),
            ],
            "GET /api/v1/services/git": answer(200, health),
        }
    )
    assert qc(["install", "gitea", "--name", "git", "--wait"], env, gateway) == 0
    out = capsys.readouterr().out
    assert "resolve: completed" in out
    assert "pods ready 1/1" in out
    assert "install of git succeeded" in out
    assert "version 1.1.1, revision 1" in out


def test_wait_exits_1_with_the_reason_and_step_of_a_failure(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    failed = op_state("failed", error={"reason": "pod git-0: CrashLoopBackOff", "step": "wait"})
    gateway = Gateway(
        {
            "POST /api/v1/services/git/restart": answer(202, {**OP, "kind": "restart"}),
            "GET /api/v1/operations/op1": failed,
            "GET /api/v1/services/git": answer(404, {}),
        }
    )
    assert qc(["restart", "git", "--wait"], env, gateway) == 1
    assert "failed at step wait: pod git-0: CrashLoopBackOff" in capsys.readouterr().err


def test_wait_gives_up_at_the_timeout(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    gateway = Gateway(
        {
            "POST /api/v1/services/git/stop": answer(202, OP),
            "GET /api/v1/operations/op1": op_state("running"),
            "GET /api/v1/services/git": answer(200, {}),
        }
    )
    assert qc(["stop", "git", "--wait", "--timeout", "0.001"], env, gateway) == 1
    err = capsys.readouterr().err
    assert "gave up waiting" in err
    assert "qc operation op1 --wait" in err


def test_wait_with_json_prints_the_final_operation_only(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = Gateway(
        {
            "DELETE /api/v1/services/git": answer(202, OP),
            "GET /api/v1/operations/op1": op_state("succeeded"),
            "GET /api/v1/services/git": answer(404, {}),
        }
    )
    assert qc(["uninstall", "git", "--yes", "--wait", "--json"], env, gateway) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "succeeded"
    assert gateway.requests[0].url.params["delete_volumes"] == "false", "volumes are kept unless asked"
    # Without a terminal to type the name in, an uninstall needs --yes (and nothing is sent).
    assert qc(["uninstall", "git"], env, gateway) == 2
    assert "--yes" in capsys.readouterr().err and len(gateway.requests) == 3


def test_events_print_one_json_object_per_line(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    body = "".join(
        f"id: {n}\nevent: io.quickon.deploy.install.completed.v1\ndata: {json.dumps({'sequence': n, 'data': {}})}\n\n"
        for n in (1, 2)
    )
    gateway = Gateway({"GET /api/v1/events": lambda _r: httpx.Response(200, text=": hi\n\n" + body)})
    assert qc(["events", "--json", "--last", "5"], env, gateway) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["sequence"] for line in lines] == [1, 2]
    assert dict(gateway.requests[0].url.params) == {"last": "5", "follow": "false"}


def test_upgrade_preview_shows_changes_and_changes_nothing(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    preview = {
        "service": "git",
        "from_version": "1.0.0",
        "to_version": "1.1.1",
        "breaking": True,
        "changelog": [{"version": "1.1.0", "changes": [{"kind": "added", "description": "metrics"}]}],
        "values_errors": [],
        "values_diff": [{"path": "image.tag", "change": "changed", "before": "1.21", "after": "1.22"}],
        "manifest_diff": {
            "added": ["Secret/default/git-metrics"],
            "removed": [],
            "unchanged": 3,
            "changed": [{"object": "StatefulSet/default/git", "paths": ["spec"], "diff": "-a\n+b"}],
        },
    }
    gateway = Gateway({"POST /api/v1/services/git/upgrade/preview": answer(200, preview)})
    assert qc(["upgrade", "git", "--version", "1.1.1", "--set", "a=1", "--preview"], env, gateway) == 0
    out = capsys.readouterr().out
    for expected in (
        "1.0.0 -> 1.1.1",
        "BREAKING",
        "added: metrics",
        '~ image.tag: "1.21" -> "1.22"',
        "+ Secret/default/git-metrics",
        "~ StatefulSet/default/git",
        "Nothing was changed",
    ):
        assert expected in out
    assert [r.url.path for r in gateway.requests] == ["/api/v1/services/git/upgrade/preview"]
    assert gateway.bodies("/api/v1/services/git/upgrade/preview") == [
        {"values": {"a": 1}, "reuse_values": True, "version": "1.1.1"}
    ]


def test_without_wait_a_refusal_exits_1_with_its_reason(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    refused = op_state("failed", error={"reason": "there is no service 'git' in 'default'", "step": "accept"})
    gateway = Gateway(
        {
            "POST /api/v1/services/git/stop": answer(202, {**OP, "kind": "stop", "state": "pending"}),
            "GET /api/v1/operations/op1": [op_state("pending"), refused],
        }
    )
    assert qc(["stop", "git"], env, gateway) == 1
    captured = capsys.readouterr()
    assert "there is no service 'git' in 'default'" in captured.err
    assert "accepted" not in captured.out


def test_without_wait_an_operation_taken_up_is_accepted(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = Gateway(
        {
            "POST /api/v1/services/git/stop": answer(202, {**OP, "kind": "stop", "state": "pending"}),
            "GET /api/v1/operations/op1": [op_state("pending"), op_state("running")],
        }
    )
    assert qc(["stop", "git"], env, gateway) == 0
    out = capsys.readouterr().out
    assert "accepted: operation op1" in out
    assert "not taken up" not in out


def test_the_gateways_warnings_about_values_are_printed_on_stderr(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    warning = {"field": "body.values.replicaCount", "message": "redis 1.0.0 neither declares 'replicaCount' …"}
    gateway = Gateway(
        {
            "POST /api/v1/services": answer(202, {**OP, "state": "pending", "warnings": [warning]}),
            "GET /api/v1/operations/op1": op_state("running"),
        }
    )
    assert qc(["install", "redis", "--name", "r", "--set", "replicaCount=banana", "--json"], env, gateway) == 0
    captured = capsys.readouterr()
    assert "warning: values.replicaCount: redis 1.0.0 neither declares 'replicaCount'" in captured.err
    assert json.loads(captured.out)["operation_id"] == "op1"  # --json output stays one document


def test_secrets_shows_each_path_with_its_value_and_the_answer_as_json(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    revealed = {
        "service": "db", "namespace": "team-a", "secret_paths": ["auth.rootPassword", "users[1].password"],
        "values": {"auth": {"rootPassword": "r00t"}, "users": [None, {"password": "u1"}]},
    }  # fmt: skip
    gateway = Gateway({"GET /api/v1/services/db/secrets": answer(200, revealed)})
    assert qc(["secrets", "db", "-n", "team-a"], env, gateway) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows == [["PATH", "VALUE"], ["auth.rootPassword", "r00t"], ["users[1].password", "u1"]]
    assert gateway.requests[0].url.params["namespace"] == "team-a"
    assert qc(["secrets", "db", "-n", "team-a", "--json"], env, gateway) == 0
    assert json.loads(capsys.readouterr().out) == revealed
    refused = Gateway({"GET /api/v1/services/db/secrets": answer(403, {"status": 403, "detail": "only an admin"})})
    assert qc(["secrets", "db"], env, refused) == 1
    assert "only an admin" in capsys.readouterr().err


def test_channels_add_reads_its_secret_from_the_environment_never_the_command_line(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    accepted = {"operation_id": "op1", "kind": "create_channel", "state": "succeeded", "steps": [],
                "target": {}, "result": {"channel_id": "ch-1"}}  # fmt: skip
    gateway = Gateway({
        "POST /api/v1/notification-channels": answer(202, accepted),
        "GET /api/v1/operations/op1": answer(200, accepted),
    })  # fmt: skip
    argv = ["channels", "add", "ops", "--kind", "webhook", "--webhook-url", "https://hooks.example.com/q",
            "--team", "red", "--secret-env", "HOOK_SECRET", "--topics", "alert.fired,install.failed"]  # fmt: skip
    assert qc(argv, {**env, "HOOK_SECRET": "s3cret"}, gateway) == 0
    (body,) = gateway.bodies("/api/v1/notification-channels")
    assert body == {"name": "ops", "kind": "webhook", "team": "red", "url": "https://hooks.example.com/q",
                    "secret": "s3cret", "topics": ["alert.fired", "install.failed"]}  # fmt: skip
    assert qc([*argv[:-4], "--secret-env", "UNSET_VARIABLE"], env, gateway) == 2
    assert "UNSET_VARIABLE is not set" in capsys.readouterr().err


def test_channels_test_exits_1_with_what_the_receiver_said(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    said = {"ok": False, "status": 503, "detail": "receiver down for maintenance"}
    gateway = Gateway({"POST /api/v1/notification-channels/ch-1/test": answer(200, said)})
    assert qc(["channels", "test", "ch-1"], env, gateway) == 1
    assert "receiver down for maintenance" in capsys.readouterr().out
    assert qc(["channels", "frobnicate", "ch-1"], env, gateway) == 2


def test_scan_of_a_service_waits_for_its_report_and_prints_the_policy_warnings(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("time.sleep", lambda _s: None)
    finding = {"kind": "misconfig", "id": "KSV-0017", "title": "Privileged", "severity": "HIGH",
               "object_kind": "Deployment", "object_name": "web", "resolution": "Set privileged to false"}  # fmt: skip
    done = {"service": "web", "namespace": "team-a", "revision": 2, "state": "done", "scanner": "trivy 0.76.0",
            "counts": {"HIGH": 1}, "findings": [finding], "images": [],
            "warnings": ["KSV-0017 Privileged (HIGH) in Deployment/web"]}  # fmt: skip
    scanning = {"service": "web", "namespace": "team-a", "revision": 2, "state": "scanning"}
    gateway = Gateway({"GET /api/v1/services/web/scan": [answer(200, scanning), answer(200, done)]})
    assert qc(["scan", "--service", "web", "-n", "team-a"], env, gateway) == 0
    out = capsys.readouterr().out
    assert "web (namespace team-a, revision 2)" in out and "KSV-0017" in out and "Deployment/web" in out
    assert "scan policy flags: KSV-0017 Privileged (HIGH)" in out
    assert [r.url.params["namespace"] for r in gateway.requests] == ["team-a", "team-a"]
    assert qc(["scan", "--service", "web", "--json"], env, gateway) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == [finding]
    assert qc(["scan"], env, gateway) == 2  # neither an app nor a service: said, nothing asked
    assert qc(["scan", "redis", "--service", "web"], env, gateway) == 2
    assert len(gateway.requests) == 3


def test_an_admin_overrides_the_scan_policy_on_install_and_upgrade(env: dict[str, str]) -> None:
    accepted = {"operation_id": "op-1", "state": "pending", "kind": "install"}
    gateway = Gateway({
        "POST /api/v1/services": answer(202, accepted), "POST /api/v1/services/web/upgrade": answer(202, accepted),
    })  # fmt: skip
    assert qc(["install", "nginx", "--name", "web", "--override-scan-policy"], env, gateway) == 0
    assert qc(["upgrade", "web", "--version", "2.0.0", "--override-scan-policy"], env, gateway) == 0
    assert gateway.bodies("/api/v1/services")[0]["override_scan_policy"] is True
    assert gateway.bodies("/api/v1/services/web/upgrade")[0]["override_scan_policy"] is True


NODE = {
    "name": "n1", "ready": True, "unschedulable": True, "cpu_capacity_m": 4000, "memory_capacity_bytes": 8 * 1024**3,
    "pods_capacity": 110, "cpu_allocatable_m": 4000, "memory_allocatable_bytes": 8 * 1024**3, "pods_allocatable": 110,
    "cpu_requested_m": 250, "memory_requested_bytes": 256 * 1024**2, "pod_count": 1, "kubelet_version": "v1.31.2",
    "conditions": [{"type": "Ready", "status": "True"}],
    "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "value": ""}],
    "operation_id": None,
    "pods": [{"namespace": "team-a", "name": "web-0", "owner": "StatefulSet/web", "phase": "Running", "ready": True}],
}  # fmt: skip


def test_nodes_show_as_kubectl_would_and_a_node_names_its_pods(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = Gateway({
        "GET /api/v1/cluster/nodes": answer(200, {"runtime": "kubernetes", "nodes": [NODE]}),
        "GET /api/v1/cluster/nodes/n1": answer(200, NODE),
    })  # fmt: skip
    assert qc(["nodes"], env, gateway) == 0
    out = capsys.readouterr().out
    assert "n1" in out and "Ready,SchedulingDisabled" in out and "250m/4000m" in out and "v1.31.2" in out, out
    assert qc(["node", "n1"], env, gateway) == 0
    out = capsys.readouterr().out
    assert "node.kubernetes.io/unschedulable:NoSchedule" in out and "web-0" in out and "Ready=True" in out, out


def test_a_node_command_needs_an_action_and_a_name(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    gateway = Gateway({"POST /api/v1/cluster/nodes/n1/drain": answer(202, {"operation_id": "op", "kind": "drain_node",
                       "target": {"node": "n1"}, "state": "failed", "steps": [],
                       "error": {"reason": "node n1 is being drained", "step": "accept"}})})  # fmt: skip
    assert qc(["node", "uncordon"], env, gateway) == 2
    assert "qc nodes" in capsys.readouterr().err
    assert qc(["node", "drain", "n1"], env, gateway) == 1
    err = capsys.readouterr().err
    assert "drain of node n1 failed at step accept: node n1 is being drained" in err, err
    assert [r.url.path for r in gateway.requests] == ["/api/v1/cluster/nodes/n1/drain"]


def _scale_accepted(name: str, state: str = "pending") -> Route:
    return answer(202, {"operation_id": f"op-{name}", "kind": "scale_component", "target": {"component": name},
                        "state": state, "steps": []})  # fmt: skip


def test_platform_scale_asks_each_component_its_replicas_and_waits_for_each(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    done = {"kind": "scale_component", "state": "succeeded", "steps": [{"step": "scale", "state": "completed"}],
            "result": {"replicas": 3}}  # fmt: skip
    gateway = Gateway({
        "POST /api/v1/platform/components/deployer/scale": _scale_accepted("deployer"),
        "POST /api/v1/platform/components/backup/scale": _scale_accepted("backup"),
        "GET /api/v1/operations/op-deployer": answer(200, {**done, "operation_id": "op-deployer",
                                                           "target": {"component": "deployer"}}),
        "GET /api/v1/operations/op-backup": answer(200, {**done, "operation_id": "op-backup",
                                                         "target": {"component": "backup"}}),
    })  # fmt: skip
    assert qc(["platform", "scale", "deployer=3,backup=2", "--wait"], env, gateway) == 0
    assert gateway.bodies("/api/v1/platform/components/deployer/scale") == [{"replicas": 3}]
    assert gateway.bodies("/api/v1/platform/components/backup/scale") == [{"replicas": 2}]
    out = capsys.readouterr()
    assert "scale of component deployer" in out.out + out.err and "scale of component backup" in out.out + out.err
    assert qc(["platform", "scale", "deployer=3", "--json"], env, gateway) == 0
    assert json.loads(capsys.readouterr().out)["target"] == {"component": "deployer"}


@pytest.mark.parametrize(
    ("scales", "said"),
    [
        ("deployer", "is not COMPONENT=REPLICAS"),
        ("deployer=three", "whole number"),
        ("deployer=0", "1 to 20 replicas"),
        ("deployer=21", "1 to 20 replicas"),
        ("deployer=2,deployer=3", "named twice"),
    ],
)
def test_a_bad_platform_scale_is_a_usage_error_and_asks_nothing(
    scales: str, said: str, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = Gateway({})
    assert qc(["platform", "scale", scales], env, gateway) == 2
    assert said in capsys.readouterr().err
    assert gateway.requests == []


def test_platform_components_show_the_replicas_running_and_desired(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    components = [
        {"service": "deployer", "up": True, "ready": True, "replicas": 1, "desired_replicas": 3, "version": "0.1.0"},
        {"service": "backup", "up": False, "ready": False, "replicas": 0, "desired_replicas": None},
    ]
    gateway = Gateway({"GET /api/v1/platform/components": answer(200, {"components": components})})
    assert qc(["platform", "components"], env, gateway) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["COMPONENT", "READY", "RUNNING", "DESIRED", "VERSION", "OPERATION"], lines
    assert lines[-2].split()[:4] == ["deployer", "yes", "1", "3"] and lines[-1].split()[:4] == [
        "backup",
        "down",
        "0",
        "-",
    ]
