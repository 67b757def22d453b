"""The gateway's pure rules: how events advance an operation, who sees what, which values are sealed."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.fernet import Fernet

from quickon_common.contracts.deploy import (
    AppInstalled,
    AppInstallRequested,
    AppUpgradeFailed,
    SagaStepRecorded,
    ServiceStatusChanged,
)
from quickon_common.contracts.iam import UserLoggedIn
from quickon_common.contracts.market import CatalogSynced, RepositoryAdded, RepositoryFailed
from quickon_common.envelope import Envelope
from quickon_common.sealing import Sealer, seal_secrets
from quickon_common.secret_values import credential_paths, secret_paths_of
from quickon_gateway.models import OperationRecord
from quickon_gateway.principal import Principal
from quickon_gateway.tracking import apply
from quickon_gateway.visibility import visible

NOW = datetime(2026, 11, 26, tzinfo=UTC)
ADMIN = Principal(user_id="1", username="admin", is_admin=True, token_id="t1")
BOB = Principal(user_id="2", username="bob", is_admin=False, token_id="t2", team="blue")


def operation(kind: str, **target: str) -> OperationRecord:
    return OperationRecord(id="op", kind=kind, state="pending", steps=[], created_at=NOW, updated_at=NOW, **target)


def envelope(event: object, team: str | None = None) -> Envelope:
    return Envelope.new(event, source="test", team=team)  # type: ignore[arg-type]


def test_steps_then_an_outcome_end_an_install() -> None:
    op = operation("install", service="git", namespace="default")
    step = SagaStepRecorded(service="git", operation="install", step="render", state="started", operation_id="op")
    assert apply(op, step, envelope(step)) and op.state == "running"
    assert [(s["step"], s["state"]) for s in op.steps] == [("render", "started")]
    status = ServiceStatusChanged(service="git", status="running", operation_id="op")
    assert not apply(op, status, envelope(status))
    done = AppInstalled(service="git", app="gitea", version="1.1.0", revision=1, operation_id="op")
    assert apply(op, done, envelope(done))
    assert (op.state, op.result, op.error, op.finished_at is not None) == (
        "succeeded", {"app": "gitea", "version": "1.1.0", "revision": 1}, None, True,
    )  # fmt: skip
    late = AppUpgradeFailed(service="git", reason="x", operation_id="op")
    assert not apply(op, late, envelope(late)), "an ended operation stays as it ended"


def test_a_failure_keeps_its_reason_step_and_result() -> None:
    op = operation("upgrade", service="git", namespace="default")
    failed = AppUpgradeFailed(service="git", reason="pods crash", step="wait", rolled_back=True, operation_id="op")
    assert apply(op, failed, envelope(failed))
    assert (op.state, op.error, op.result) == (
        "failed",
        {"reason": "pods crash", "step": "wait"},
        {"rolled_back": True},
    )
    request = AppInstallRequested(service="git", app="gitea", operation_id="op2")
    assert not apply(operation("install"), request, envelope(request)), "the request itself is no progress"


def test_a_repository_add_ends_with_its_sync() -> None:
    op = operation("add_repository", repository="team")
    added = RepositoryAdded(repository="team", url="file:///charts", operation_id="op")
    assert apply(op, added, envelope(added)) and op.state == "running"
    synced = CatalogSynced(repository="team", added=2, updated=0, removed=0, total_versions=2, operation_id="op")
    assert apply(op, synced, envelope(synced)) and op.state == "succeeded"
    assert [(s["step"], s["state"]) for s in op.steps] == [("add", "completed"), ("sync", "completed")]
    refresh = operation("refresh_repository", repository="team")
    failed = RepositoryFailed(repository="team", reason="unreachable", step="sync", operation_id="op")
    assert apply(refresh, failed, envelope(failed)) and refresh.steps[-1]["state"] == "failed"


def test_who_sees_which_event() -> None:
    login = UserLoggedIn(user_id="1", username="admin")
    assert visible(ADMIN, envelope(login)) and not visible(BOB, envelope(login))
    status = ServiceStatusChanged(service="a", status="running")
    assert visible(BOB, envelope(status, team="blue")) and visible(BOB, envelope(status))
    assert not visible(BOB, envelope(status, team="red")) and visible(ADMIN, envelope(status, team="red"))


def test_secret_and_credential_values_are_sealed_apart() -> None:
    sealer = Sealer(Fernet.generate_key())
    values = {"admin": {"password": "p", "email": "a@b"}, "metrics": {"token": "t"}, "replicas": 2, "apiKey": ""}
    assert sorted(credential_paths(values)) == ["admin.password", "metrics.token"]
    # A chart path not set is not among them; a credential is, whatever the chart says.
    assert secret_paths_of(values, ["admin.password", "admin.key"]) == ["admin.password", "metrics.token"]
    plain, sealed, paths = seal_secrets(sealer, values, ["admin.password"])
    assert plain == {"admin": {"email": "a@b"}, "metrics": {}, "replicas": 2, "apiKey": ""}
    assert sealer.open(sealed) == {"admin": {"password": "p"}, "metrics": {"token": "t"}}
    assert paths == ["admin.password", "metrics.token"]
    assert seal_secrets(sealer, {"replicas": 2}, []) == ({"replicas": 2}, None, [])
    unknown_plain, unknown_sealed, unknown = seal_secrets(sealer, values, None)  # the market could not say
    assert unknown_plain == {} and sealer.open(unknown_sealed) == values and unknown is None
