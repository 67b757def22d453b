"""The market's pure rules: version order, annotations, values, schema secrets, index limits."""

from __future__ import annotations

import pytest

from quickon_common.helm import merge_values
from quickon_market import chart_annotations, semver, values
from quickon_market.charts import secret_paths
from quickon_market.index import BadIndex, parse_index


def test_versions_sort_like_helm() -> None:
    ordered = [
        "0.9.0",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "v1.2",
        "1.10.0",
    ]
    assert sorted(reversed(ordered), key=semver.version_key) == ordered
    assert semver.is_prerelease("2.0.0-rc.1") and not semver.is_prerelease("2.0.0")
    assert not semver.is_valid("latest")


def test_changes_accept_artifact_hub_forms_and_ignore_garbage() -> None:
    listed = "- kind: security\n  description: fix\n- plain text change\n- kind: odd\n  description: x\n"
    notes = {"artifacthub.io/changes": listed}
    assert [(c["kind"], c["description"]) for c in chart_annotations.changes(notes)] == [
        ("security", "fix"), ("changed", "plain text change"), ("changed", "x"),
    ]  # fmt: skip
    assert chart_annotations.changes({"artifacthub.io/changes": "{not: [valid"}) == []
    assert chart_annotations.details({"artifacthub.io/containsSecurityUpdates": "True"})["contains_security_updates"]


def test_values_merge_like_helm() -> None:
    defaults = {"image": {"tag": "1", "pullPolicy": "IfNotPresent"}, "replicas": 1, "extra": {"a": 1}}
    merged = merge_values(defaults, {"image": {"tag": "2"}, "extra": None, "new": [1]})
    assert merged == {"image": {"tag": "2", "pullPolicy": "IfNotPresent"}, "replicas": 1, "new": [1]}
    assert defaults["image"]["tag"] == "1", "defaults untouched"


def test_a_broken_schema_is_reported_not_raised() -> None:
    assert values.problems({"type": "nonsense"}, {})[0]["message"].startswith(
        "the chart's values.schema.json is invalid"
    )


def test_secret_paths_cover_nested_and_all_three_markers() -> None:
    schema = {"properties": {"db": {"properties": {"password": {"format": "password"}, "host": {"type": "string"}}},
                             "token": {"writeOnly": True}, "key": {"x-quickon-secret": True}}}  # fmt: skip
    assert secret_paths(schema) == ["db.password", "token", "key"]
    listed = {"properties": {"users": {"type": "array", "items": {"properties": {"password": {"writeOnly": True}}}},
                             "keys": {"type": "array", "items": {"type": "string", "format": "password"}}}}  # fmt: skip
    assert secret_paths(listed) == ["users[*].password", "keys[*]"]
    dotted = {"properties": {"annotations": {"properties": {"example.com/key": {"x-quickon-secret": True}}}}}
    assert secret_paths(dotted) == ['annotations["example.com/key"]']


def test_schema_messages_never_quote_the_value() -> None:
    schema = {
        "type": "object", "required": ["name"], "additionalProperties": False,
        "properties": {
            "name": {"type": "string"}, "db": {"properties": {"rootPassword": {"type": "string", "minLength": 12}}},
            "users": {"items": {"properties": {"password": {"pattern": "^[a-z]+$"}}}},
            "mode": {"enum": ["a", "b"]}, "port": {"type": ["integer", "null"], "maximum": 10},
            "size": {"anyOf": [{"type": "integer"}, {"type": "null"}]}, "tags": {"uniqueItems": True},
        },
    }  # fmt: skip
    given = {
        "db": {"rootPassword": "hunter2"}, "users": [{"password": "HUNTER2"}], "mode": "hunter2", "port": 99,
        "size": "hunter2", "tags": ["hunter2", "hunter2"], "extra": 1,
    }  # fmt: skip
    found = values.problems(schema, given)
    assert "hunter2" not in repr(found).lower()
    assert {"path": "db.rootPassword", "message": "too short: at least 12 characters"} in found
    assert {"path": "users[0].password", "message": 'does not match the pattern "^[a-z]+$"'} in found
    assert {"path": "(top)", "message": "needs 'name'"} in found
    assert {"path": "port", "message": "must be at most 10"} in found
    assert {"path": "(top)", "message": "has keys the chart does not allow: 'extra'"} in found  # a key, not a value


def test_an_index_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(BadIndex, match="over the limit of 10"):
        parse_index(b"apiVersion: v1\nentries: {}\n", max_bytes=10)


def test_unknown_values_keys_are_those_neither_declared_nor_defaulted() -> None:
    schema = {
        "type": "object",
        "additionalProperties": True,  # declares nothing: charts allow any top-level key for global values
        "properties": {
            "image": {"type": "object", "properties": {"tag": {"type": "string"}}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "env": {"type": "object", "patternProperties": {"^[A-Z_]+$": {"type": "string"}}},
        },
    }
    defaults = {"image": {"tag": "1"}, "podAnnotations": {}, "service": {"port": 80}}
    given = {
        "replicaCount": "banana", "global": {"x": 1}, "image": {"tag": "2", "tga": "3"},
        "labels": {"team": "a"}, "podAnnotations": {"any": "thing"}, "service": {"prot": 81},
        "env": {"LEVEL": "debug", "level": "x"},
    }  # fmt: skip
    found = values.unknown_keys(schema=schema, defaults=defaults, given=given)
    assert found == ["replicaCount", "image.tga", "service.prot", "env.level"]
    assert values.unknown_keys(schema=None, defaults={}, given={"a": 1}) == ["a"]
