"""qc's HTTP client and rendering: RFC 9457 problems, unreachable gateways, SSE, tables, operations."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest

from quickon_cli import operations as ops
from quickon_cli import output, sse
from quickon_cli.client import ApiError, Client, Unreachable, problem_lines, unreachable_lines


def test_a_problem_shows_its_detail_and_each_field_error() -> None:
    problem = {
        "type": "https://quickon.io/problems/validation",
        "title": "Invalid values",
        "status": 422,
        "detail": "the values do not fit gitea 1.1.1",
        "errors": [{"field": "body.values.service.httpPort", "message": "'x' is not of type 'integer'"}],
    }
    assert problem_lines(422, problem) == [
        "error: the values do not fit gitea 1.1.1",
        "  body.values.service.httpPort: 'x' is not of type 'integer'",
    ]


def test_a_problem_without_detail_falls_back_to_title_then_status() -> None:
    assert problem_lines(404, {"title": "Not Found"}) == ["error: Not Found"]
    assert problem_lines(500, {}) == ["error: the gateway answered 500"]


def test_unauthorized_says_to_log_in_and_forbidden_to_ask_an_admin() -> None:
    assert "qc login" in problem_lines(401, {"detail": "token expired"})[-1]
    assert "administrator" in problem_lines(403, {"detail": "admins only"})[-1]


def test_fastapi_validation_lists_and_refusal_messages_are_shown() -> None:
    lines = problem_lines(422, {"detail": [{"loc": ["body", "name"], "msg": "Field required"}]})
    assert lines == ["error: the gateway refused the request (422)", "  body.name: Field required"]
    lines = problem_lines(422, {"detail": "chart refused", "messages": ["Chart.yaml: version is missing"]})
    assert lines == ["error: chart refused", "  Chart.yaml: version is missing"]


def test_an_unreachable_gateway_names_the_url_and_how_to_start_it() -> None:
    text = "\n".join(unreachable_lines(Unreachable("http://127.0.0.1:8080", "connection refused")))
    assert "http://127.0.0.1:8080" in text
    assert "qc up" in text
    assert "make up" in text


def client_for(handler: Any, token: str | None = "t0k") -> Client:
    return Client("http://gw:8080/", token, transport=httpx.MockTransport(handler))


def test_requests_carry_the_token_and_drop_unset_parameters() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"apps": []})

    with client_for(handler) as client:
        assert client.get("/api/v1/apps", q="git", category=None) == {"apps": []}
    assert seen[0].headers["Authorization"] == "Bearer t0k"
    assert str(seen[0].url) == "http://gw:8080/api/v1/apps?q=git"


def test_error_answers_become_api_errors_with_their_problem() -> None:
    problem = {"status": 409, "detail": "gitea is busy with an upgrade"}

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json=problem, headers={"Content-Type": "application/problem+json"})

    with client_for(handler) as client, pytest.raises(ApiError) as caught:
        client.post("/api/v1/services/gitea/stop")
    assert caught.value.status == 409
    assert caught.value.problem == problem
    assert str(caught.value) == "gitea is busy with an upgrade"


def test_an_error_that_is_not_json_still_says_something() -> None:
    with client_for(lambda _r: httpx.Response(502, text="Bad Gateway")) as client, pytest.raises(ApiError) as caught:
        client.get("/api/v1/services")
    assert caught.value.problem["detail"] == "Bad Gateway"


def test_an_empty_answer_is_none() -> None:
    with client_for(lambda _r: httpx.Response(204)) as client:
        assert client.delete("/api/v1/auth/tokens/abc") is None


def test_connection_failures_are_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with client_for(handler) as client, pytest.raises(Unreachable) as caught:
        client.get("/api/v1/services")
    assert caught.value.url == "http://gw:8080"
    assert caught.value.reason == "connection refused"


def test_server_sent_events_are_parsed_as_the_standard_says() -> None:
    stream = [
        ": keep-alive",
        "id: 7",
        "event: io.quickon.deploy.install.completed.v1",
        'data: {"a":',
        "data: 1}",
        "",
        "data: no-event-name",
        "",
        "data: cut before its blank line",
    ]
    assert list(sse.messages(stream)) == [
        sse.Message(event="io.quickon.deploy.install.completed.v1", data='{"a":\n1}', id="7"),
        sse.Message(event="message", data="no-event-name", id="7"),
    ]


OPERATION: dict[str, Any] = {
    "operation_id": "op1",
    "kind": "install",
    "target": {"service": "git", "namespace": "default"},
    "state": "failed",
    "steps": [
        {"step": "resolve", "state": "started", "detail": None},
        {"step": "resolve", "state": "completed", "detail": None},
        {"step": "wait", "state": "started", "detail": None},
        {"step": "wait", "state": "failed", "detail": "pod git-0: CrashLoopBackOff"},
    ],
    "error": {"reason": "pod git-0: CrashLoopBackOff", "step": "wait"},
    "result": None,
}


def test_operations_are_read_for_people() -> None:
    assert ops.title(OPERATION) == "install of git"
    assert ops.title({"kind": "refresh", "target": {"repository": "bitnami"}}) == "refresh of repository bitnami"
    assert ops.title({"kind": "add_repository", "target": {"repository": "b"}}) == "add of repository b"
    assert ops.title({"kind": "stop", "service": "db", "namespace": "team-a"}) == "stop of db in team-a"
    assert ops.steps(OPERATION) == [("resolve", "completed", None), ("wait", "failed", "pod git-0: CrashLoopBackOff")]
    assert ops.failure_lines(OPERATION)[0] == "error: install of git failed at step wait: pod git-0: CrashLoopBackOff"
    rolled_back = {**OPERATION, "kind": "upgrade", "result": {"rolled_back": True}}
    assert "rolled back" in ops.failure_lines(rolled_back)[1]
    done = {**OPERATION, "state": "succeeded", "result": {"version": "1.1.0", "revision": 2}}
    assert ops.result_text(done) == "version 1.1.0, revision 2"
    assert ops.result_text({"result": {"volumes_kept": True}}) == "volumes kept"
    assert ops.result_text({"result": {"volumes_kept": False}}) == ""
    assert "qc operation op1 --wait" in ops.accepted_text(OPERATION)


def test_tables_align_columns_and_show_nothing_as_a_dash() -> None:
    text = output.table(["name", "status", "note"], [["gitea", "running", None], ["db", True, "x"]])
    assert text.splitlines() == ["NAME   STATUS   NOTE", "gitea  running  -", "db     yes      x"]


def test_pods_ready_comes_from_workloads_or_pods() -> None:
    workloads = {"workloads": [{"ready": 1, "desired": 1}, {"ready": 0, "desired": 2}]}
    assert output.pods_ready(workloads) == (1, 3)
    assert output.pods_ready({"workloads": [], "pods": [{"ready": True}, {"ready": False}]}) == (1, 2)
    assert output.pods_ready("unknown: the cluster does not answer") is None


def test_json_output_is_one_document() -> None:
    stream = io.StringIO()
    output.emit_json({"a": [1, 2]}, stream=stream)
    assert json.loads(stream.getvalue()) == {"a": [1, 2]}
    compact = io.StringIO()
    output.emit_json({"a": 1}, stream=compact, compact=True)
    assert compact.getvalue() == '{"a":1}\n'
