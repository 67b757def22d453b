"""The gateway's pure rules: how events advance an operation, who sees what, which values are sealed."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.fernet import Fernet

from quickon_common.contracts.backup import (
    BackupCompleted,
    BackupStepRecorded,
    ServiceExported,
    ServiceImportFailed,
)
from quickon_common.contracts.deploy import (
    AppInstalled,
    AppInstallRequested,
    AppUpgradeFailed,
    ComponentScaled,
    ComponentStepRecorded,
    NodeDrained,
    NodeStepRecorded,
    SagaStepRecorded,
    ServiceStatusChanged,
)
from quickon_common.contracts.iam import UserLoggedIn
from quickon_common.contracts.market import CatalogSynced, RepositoryAdded, RepositoryFailed
from quickon_common.envelope import Envelope
from quickon_common.names import reserved_namespace
from quickon_common.sealing import Sealer, seal_secrets
from quickon_common.secret_values import credential_paths, secret_paths_of
from quickon_deployer.domain import team_problem
from quickon_gateway.models import OperationRecord
from quickon_gateway.operations import view
from quickon_gateway.principal import Principal
from quickon_gateway.teams.access import namespace_for
from quickon_gateway.teams.directory import Teams
from quickon_gateway.tracking import apply
from quickon_gateway.visibility import visible

NOW = datetime(2026, 11, 26, tzinfo=UTC)
ADMIN = Principal(user_id="1", username="admin", is_admin=True, token_id="t1")
BOB = Principal(user_id="2", username="bob", is_admin=False, token_id="t2", roles={"blue": "viewer"})


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
        {"rolled_back": True, "alert": None, "alert_id": None},  # no alert failed it (only a soak's does)
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


def test_an_export_or_import_ends_only_at_its_own_outcome() -> None:
    ids = {"backup_id": "b1", "service": "cache", "namespace": "default", "operation_id": "op"}
    export = operation("export", service="cache", namespace="default")
    step = BackupStepRecorded(**ids, job="export", step="bundle", state="started")
    assert apply(export, step, envelope(step)) and export.steps[-1]["step"] == "bundle"
    backed_up = BackupCompleted(**ids, size_bytes=10, parts=1, location="file:///b1")
    assert apply(export, backed_up, envelope(backed_up)) and export.state == "running", "its backup is on the way"
    done = ServiceExported(**ids, bundle="ab" * 32, size_bytes=10, filename="cache.qcb")
    assert apply(export, done, envelope(done)) and export.state == "succeeded"
    assert export.result == {"backup_id": "b1", "format": "quickon", "bundle": "ab" * 32, "size_bytes": 10,
                             "filename": "cache.qcb"}  # fmt: skip
    imported = operation("import", service="copy", namespace="default")
    failed = ServiceImportFailed(**{**ids, "service": "copy"}, reason="wrong passphrase", step="open")
    assert apply(imported, failed, envelope(failed))
    assert imported.error == {"reason": "wrong passphrase", "step": "open"}


def test_who_sees_which_event() -> None:
    login = UserLoggedIn(user_id="1", username="admin")
    assert visible(ADMIN, envelope(login)) and not visible(BOB, envelope(login))
    status = ServiceStatusChanged(service="a", status="running")
    assert visible(BOB, envelope(status, team="blue")) and visible(BOB, envelope(status))
    assert not visible(BOB, envelope(status, team="red")) and visible(ADMIN, envelope(status, team="red"))
    drained = NodeDrained(node="n1", operation_id="op")
    on_node = Envelope.new(drained, source="test", subject="nodes/n1")
    assert visible(ADMIN, on_node) and not visible(BOB, on_node)  # the cluster's nodes: platform admins only


def test_a_drain_records_its_progress_and_ends_with_what_moved() -> None:
    op = operation("drain_node", service="n1")
    step = NodeStepRecorded(node="n1", operation="drain_node", step="drain", state="progress",
                            detail="1/1 evicting default/Deployment/web: default/web-1", operation_id="op")  # fmt: skip
    assert apply(op, step, envelope(step)) and op.state == "running"
    assert op.steps[0]["detail"] == "1/1 evicting default/Deployment/web: default/web-1"
    stuck = ["default/StatefulSet/db: Pending"]
    done = NodeDrained(node="n1", evicted=["default/web-1"], stuck=stuck, operation_id="op")
    assert apply(op, done, envelope(done)) and op.state == "succeeded"
    assert op.result is not None and op.result["stuck"] == stuck
    assert view(op).target.model_dump() == {"node": "n1"}


def test_a_components_scale_records_its_step_ends_with_its_replicas_and_shows_to_admins_only() -> None:
    op = operation("scale_component", service="deployer")
    step = ComponentStepRecorded(component="deployer", operation="scale_component", step="scale", state="started",
                                 operation_id="op")  # fmt: skip
    assert apply(op, step, envelope(step)) and op.state == "running"
    done = ComponentScaled(component="deployer", replicas=3, previous=1, operation_id="op")
    assert apply(op, done, envelope(done)) and op.state == "succeeded"
    assert op.result == {"component": "deployer", "replicas": 3, "previous": 1}
    assert view(op).target.model_dump() == {"component": "deployer"}
    on_component = Envelope.new(done, source="test", subject="components/deployer")
    assert visible(ADMIN, on_component) and not visible(BOB, on_component)


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


def test_roles_rank_and_what_each_may_do() -> None:
    carol = Principal(user_id="3", username="carol", is_admin=False, token_id="t3",
                      roles={"red": "operator", "blue": "owner"})  # fmt: skip
    assert carol.may("viewer", "red") and carol.may("operator", "red") and not carol.may("admin", "red")
    assert carol.may("owner", "blue") and not carol.may("viewer", "green") and not carol.may("viewer", None)
    assert ADMIN.may("owner", "green") and ADMIN.may("admin", None), "a platform admin may do everything"
    assert carol.caller().teams == ["blue", "red"] and not carol.caller().is_admin
    assert carol.caller().sees("red") and carol.caller().sees(None) and not carol.caller().sees("green")


def test_where_a_request_without_a_namespace_goes() -> None:
    teams = Teams(names={"red": "Red", "blue": "blue"}, owners={"red": "red", "x": "blue", "default": "default"},
                  namespaces={"red": ["red"], "blue": ["x"]})  # fmt: skip
    assert (teams.find("Red"), teams.find("red"), teams.find("green")) == ("red", "red", None)
    assert (teams.home("red"), teams.home("blue"), teams.home("green")) == ("red", "x", None)
    assert namespace_for(BOB, teams, None) == "x", "the caller's only team's own namespace"
    assert namespace_for(BOB, teams, "elsewhere") == "elsewhere"
    assert namespace_for(ADMIN, teams, None) == "default"


def test_the_deployer_refuses_what_another_team_asks() -> None:
    assert team_problem(recorded="red", asking="red", exists=True) is None
    assert "belongs to team 'red'" in (team_problem(recorded="red", asking="blue", exists=True) or "")
    assert team_problem(recorded=None, asking="blue", exists=False) is None, "a new service: the asking team's"
    assert "names no team" in (team_problem(recorded="red", asking=None, exists=True) or "")
    for namespace in ("kube-system", "kube-public", "kube-node-lease", "quickon-system"):
        assert reserved_namespace(namespace, platform_namespace="quickon-system"), namespace
    assert reserved_namespace("red", platform_namespace="quickon-system") is None
