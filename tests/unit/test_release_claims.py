"""The claims a release's objects make, which decide whether a runtime that cannot copy volumes can back
the release up (a kubernetes upgrade without volumes needs no flag)."""

from __future__ import annotations

from quickon_deployer.domain import claims_of


def statefulset(name: str, templates: list[str], replicas: object = 1) -> dict[str, object]:
    spec: dict[str, object] = {"volumeClaimTemplates": [{"metadata": {"name": t}} for t in templates]}
    if replicas != "unset":
        spec["replicas"] = replicas
    return {"kind": "StatefulSet", "metadata": {"name": name}, "spec": spec}


def test_a_release_without_volumes_claims_nothing() -> None:
    objects = [
        {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}},
        {"kind": "Service", "metadata": {"name": "web"}},
        statefulset("cache", []),
    ]
    assert claims_of(objects) == []


def test_claims_and_claim_templates_are_named_as_kubernetes_names_them() -> None:
    objects = [
        {"kind": "PersistentVolumeClaim", "metadata": {"name": "uploads"}},
        statefulset("db", ["data", "wal"], replicas=2),
        statefulset("queue", ["data"], replicas=None),  # an explicit null is unset: one replica
        statefulset("solo", ["data"], replicas="unset"),
    ]
    assert claims_of(objects) == [
        "data-db-0", "data-db-1", "data-queue-0", "data-solo-0", "uploads", "wal-db-0", "wal-db-1",
    ]  # fmt: skip


def test_a_statefulset_of_zero_replicas_makes_no_claim() -> None:
    assert claims_of([statefulset("db", ["data"], replicas=0)]) == []
