"""Rendered manifests read as Kubernetes reads them: YAML 1.2's core schema, a JSON-compatible document.

PyYAML implements YAML 1.1, whose implicit types the API server does not have: a bare ``=`` is a
``tag:yaml.org,2002:value`` PyYAML cannot construct (CRDs list ``=`` among enum values), ``yes``/``on``
are booleans, ``010`` is octal and ``2024-01-01`` a date. Here only 1.2's null, true/false, integers and
floats are implicit; every other plain scalar is a string. Merge keys (``<<``) stay, as go-yaml (the API
server's reader) merges them.

libyaml's parser (``CSafeLoader``) still does the parsing: a pure-Python reader such as ruamel.yaml's
takes about ten times as long on a large release, and parsing is on every install's path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

import yaml

_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), plus the merge key.
# Each with the first characters it can start with ("" for the empty scalar, which is null).
_IMPLICIT: list[tuple[str, str, list[str]]] = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", [*"~nN", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    ("tag:yaml.org,2002:merge", r"^<<$", ["<"]),
]


class ManifestLoader(_BASE):  # type: ignore[misc,valid-type]
    """libyaml's safe loader with the YAML 1.2 core schema's implicit types."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}


for _tag, _pattern, _first in _IMPLICIT:
    ManifestLoader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)  # 1.2: a leading zero is no octal


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    return math.nan if text == ".nan" else float(text)


ManifestLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
ManifestLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def load_all(text: str) -> Iterator[Any]:
    """Every document of a YAML stream; ``yaml.YAMLError`` when it is not valid YAML."""
    return yaml.load_all(text, Loader=ManifestLoader)  # ManifestLoader is a safe loader


def load(text: str) -> Any:
    """The one document of ``text``."""
    return yaml.load(text, Loader=ManifestLoader)  # ManifestLoader is a safe loader
