"""Rendered manifests read as the API server reads them: YAML 1.2's core schema, JSON-compatible values."""

from __future__ import annotations

import math

import pytest
import yaml

from quickon_deployer.adapters.manifest_yaml import load, load_all


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("=", "="),  # PyYAML's safe loader: "could not determine a constructor for tag:yaml.org,2002:value"
        ("yes", "yes"),
        ("No", "No"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("2024-01-01", "2024-01-01"),  # no timestamps: the API server keeps the string
        ("12:30", "12:30"),  # no sexagesimal numbers
        ("1_000", "1_000"),
        ("010", 10),  # a leading zero is no octal in 1.2
        ("0o17", 15),
        ("0x1F", 31),
        ("-7", -7),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("-.5", -0.5),
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("", None),
        ('"yes"', "yes"),
        ("'1'", "1"),
        ("!!str 3", "3"),
    ],
)
def test_plain_scalars_resolve_as_yaml_1_2(text: str, value: object) -> None:
    assert load(f"key: {text}\n") == {"key": value}
    assert type(load(f"key: {text}\n")["key"]) is type(value)


def test_infinities_and_not_a_number() -> None:
    loaded = load("a: .inf\nb: -.Inf\nc: .NaN\n")
    assert loaded["a"] == math.inf and loaded["b"] == -math.inf and math.isnan(loaded["c"])


def test_a_crd_enum_holding_equals_loads_where_pyyaml_fails() -> None:
    crd = "spec:\n  enum:\n  - =\n  - '!='\n  - In\n"
    with pytest.raises(yaml.constructor.ConstructorError, match=r"tag:yaml\.org,2002:value"):
        yaml.safe_load(crd)
    assert load(crd) == {"spec": {"enum": ["=", "!=", "In"]}}


def test_merge_keys_merge_as_go_yaml_does() -> None:
    assert load("base: &b {x: 1, y: 1}\nmerged: {<<: *b, y: 2}\n")["merged"] == {"x": 1, "y": 2}


def test_a_stream_of_documents_with_empty_ones() -> None:
    assert list(load_all("---\na: 1\n---\n---\nb: on\n")) == [{"a": 1}, None, {"b": "on"}]


def test_invalid_yaml_raises_yaml_error() -> None:
    with pytest.raises(yaml.YAMLError):
        load("a: [1, 2\n")
