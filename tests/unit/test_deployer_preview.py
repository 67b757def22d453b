"""The upgrade preview's pure rules: Helm's values merge, values and manifest diffs, the manifest digest."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from quickon_common.helm import merge_values
from quickon_deployer.preview import (
    REDACTED,
    SECRET_HIDDEN,
    manifest_diff,
    manifest_digest,
    object_key,
    values_diff,
)


def deployment(
    name: str = "web", *, replicas: int = 1, image: str = "nginx:1.25", namespace: str | None = "apps"
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/name": name}}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": name, "image": image}]}},
        },
    }


def secret(password: str, *, user: str = "admin") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "web-auth", "namespace": "apps"},
        "data": {"password": password, "user": user},
    }


def service(name: str = "web") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "apps"}, "spec": {}}


def test_user_values_merge_over_defaults_recursively_and_none_deletes() -> None:
    defaults = {
        "image": {"repository": "redis", "tag": "7.2", "pullPolicy": "IfNotPresent"},
        "auth": {"password": "", "user": "default"},
        "extraArgs": ["--save", "60 1"],
        "metrics": {"enabled": False},
        "replicas": 1,
    }
    user = {
        "image": {"tag": "7.4"},
        "auth": {"user": None},
        "extraArgs": ["--appendonly"],
        "metrics": None,
        "replicas": {"min": 1},
        "extra": {"a": 1, "gone": None},
    }
    original = copy.deepcopy(defaults)
    assert merge_values(defaults, user) == {
        "image": {"repository": "redis", "tag": "7.4", "pullPolicy": "IfNotPresent"},
        "auth": {"password": ""},
        "extraArgs": ["--appendonly"],  # lists replace, never merge
        "replicas": {"min": 1},
        "extra": {"a": 1},
    }
    assert defaults == original, "the chart's defaults are not modified"
    assert merge_values(defaults, {}) == defaults and merge_values(defaults, {}) is not defaults


def test_values_diff_is_flat_sorted_and_treats_lists_as_leaves() -> None:
    before = {"image": {"tag": "7.2", "pullPolicy": "IfNotPresent"}, "args": ["a", "b"], "old": {"x": 1}, "n": 1}
    after = {"image": {"tag": "7.4", "pullPolicy": "IfNotPresent"}, "args": ["a", "c"], "new": {}, "n": True}
    assert values_diff(before, after) == [
        {"path": "args", "change": "changed", "before": ["a", "b"], "after": ["a", "c"]},
        {"path": "image.tag", "change": "changed", "before": "7.2", "after": "7.4"},
        {"path": "n", "change": "changed", "before": 1, "after": True},
        {"path": "new", "change": "added", "before": None, "after": {}},
        {"path": "old.x", "change": "removed", "before": 1, "after": None},
    ]
    assert values_diff(after, copy.deepcopy(after)) == []


def test_values_diff_redacts_values_at_and_under_secret_paths() -> None:
    before = {"auth": {"password": "old-pass", "user": "admin"}, "tokens": {"api": "t1", "ci": "c1"}, "db": "pg"}
    after = {"auth": {"password": "new-pass", "user": "root"}, "tokens": {"api": "t2"}, "db": "pg", "key": "k"}
    diff = values_diff(before, after, secret_paths=["auth.password", "tokens", "key"])
    assert diff == [
        {"path": "auth.password", "change": "changed", "before": REDACTED, "after": REDACTED},
        {"path": "auth.user", "change": "changed", "before": "admin", "after": "root"},
        {"path": "key", "change": "added", "before": None, "after": REDACTED},
        {"path": "tokens.api", "change": "changed", "before": REDACTED, "after": REDACTED},
        {"path": "tokens.ci", "change": "removed", "before": REDACTED, "after": None},
    ]
    assert "new-pass" not in repr(diff) and "t2" not in repr(diff)
    # An unchanged secret is not reported at all; a leaf above a secret path may hold it, so it is hidden too.
    same = {"auth": {"password": "p"}}
    assert values_diff(same, same, secret_paths=["auth.password"]) == []
    assert values_diff({"auth": {"password": "p"}}, {"auth": "p2"}, secret_paths=["auth.password"]) == [
        {"path": "auth", "change": "added", "before": None, "after": REDACTED},
        {"path": "auth.password", "change": "removed", "before": REDACTED, "after": None},
    ]


def test_objects_are_keyed_by_kind_namespace_and_name() -> None:
    assert object_key(deployment()) == "Deployment/apps/web"
    assert object_key(deployment(namespace=None)) == "Deployment/web"
    assert object_key({"kind": "ClusterRole", "metadata": {"name": "reader"}}) == "ClusterRole/reader"


def test_manifest_diff_reports_added_removed_changed_and_unchanged_objects() -> None:
    before = [deployment(), service(), service("old")]
    after = [service(), deployment(replicas=3, image="nginx:1.27"), deployment("worker")]
    diff = manifest_diff(before, after)
    assert diff["added"] == ["Deployment/apps/worker"]
    assert diff["removed"] == ["Service/apps/old"]
    assert diff["unchanged"] == 1
    assert [c["object"] for c in diff["changed"]] == ["Deployment/apps/web"]
    changed = diff["changed"][0]
    assert changed["paths"] == ["spec.replicas", "spec.template.spec.containers"]  # the list is compared whole
    text = changed["diff"]
    assert text.splitlines()[:2] == ["--- Deployment/apps/web (installed)", "+++ Deployment/apps/web (upgrade)"]
    assert "-  replicas: 1" in text and "+  replicas: 3" in text
    assert "-      - image: nginx:1.25" in text and "+      - image: nginx:1.27" in text
    assert manifest_diff(after, after) == {"added": [], "removed": [], "changed": [], "unchanged": 3}


def test_secret_objects_are_compared_but_never_shown() -> None:
    diff = manifest_diff([secret("b2xk")], [secret("bmV3", user="cm9vdA==")])
    assert diff["changed"] == [
        {"object": "Secret/apps/web-auth", "paths": ["data.password", "data.user"], "diff": SECRET_HIDDEN}
    ]
    assert "bmV3" not in repr(diff) and "b2xk" not in repr(diff)
    assert manifest_diff([secret("b2xk")], [secret("b2xk")])["unchanged"] == 1


def test_long_diffs_are_cut() -> None:
    many = {f"k{i:03d}": str(i) for i in range(300)}
    before = {"kind": "ConfigMap", "metadata": {"name": "big"}, "data": many}
    after = {"kind": "ConfigMap", "metadata": {"name": "big"}, "data": {k: v + "!" for k, v in many.items()}}
    (changed,) = manifest_diff([before], [after])["changed"]
    assert len(changed["paths"]) == 50 and changed["paths"][0] == "data.k000"
    lines = changed["diff"].splitlines()
    assert len(lines) == 200 and lines[-1].startswith("... ") and lines[-1].endswith(" more lines")


def test_an_object_named_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="Service/apps/web appears twice"):
        manifest_diff([service(), service()], [])


def test_the_digest_ignores_order_but_not_content() -> None:
    objects = [deployment(), service(), secret("cw=="), deployment("worker", namespace=None)]
    digest = manifest_digest(objects)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert manifest_digest(list(reversed(objects))) == digest
    assert manifest_digest([objects[2], objects[0], objects[3], objects[1]]) == digest
    assert (
        manifest_digest([deployment(replicas=2), service(), secret("cw=="), deployment("worker", namespace=None)])
        != digest
    )
    assert manifest_digest([deployment(), service(), secret("cw==")]) != digest
    assert manifest_digest([deployment(), service(), secret("cw=="), {**objects[3], "extra": 1}]) != digest
    assert manifest_digest([]) == "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"  # sha256("[]")


def test_secrets_in_lists_and_in_rendered_objects_are_hidden() -> None:
    before = {"users": [{"name": "a", "password": "old-secret"}]}
    after = {"users": [{"name": "a", "password": "new-secret"}]}
    diff = values_diff(before, after, secret_paths=["users[0].password"])
    assert diff == [{"path": "users", "change": "changed", "before": REDACTED, "after": REDACTED}]
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"admin": "old-secret"}}
    changed = copy.deepcopy(config) | {"data": {"admin": "new-secret", "mode": "fast"}}
    text = repr(manifest_diff([config], [changed], hidden={"old-secret", "new-secret"}))
    assert "mode: fast" in text and "secret" not in text.replace("SECRET", "")


def test_a_secret_under_a_key_with_dots_is_hidden_too() -> None:
    key = "vault.hashicorp.com/agent-inject-secret-db"
    diff = values_diff({"a": {key: "old-x"}}, {"a": {key: "new-x"}}, secret_paths=[f'a["{key}"]'])
    assert diff == [{"path": f'a["{key}"]', "change": "changed", "before": REDACTED, "after": REDACTED}]
