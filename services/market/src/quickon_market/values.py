"""User values against a chart version: merged over its defaults as Helm does, then checked
against its values.schema.json, each problem named by its dotted path; and the keys given that
the chart knows nothing of, named so the user can be warned."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError, UnknownType
from referencing.exceptions import Unresolvable

from .patterns import LinearDraft7Validator, UnsupportedPattern, check_patterns, compiled

MAX_ERRORS = 20


def problems(schema: dict[str, Any] | None, values: dict[str, Any]) -> list[dict[str, str]]:
    """What is wrong with ``values`` under ``schema`` (empty when fine or when there is no schema)."""
    if not schema:
        return []
    try:
        validator = _validator(json.dumps(schema, sort_keys=True))
        errors = sorted(validator.iter_errors(values), key=lambda e: list(map(str, e.absolute_path)))
    except SchemaError as error:
        return [{"path": "", "message": f"the chart's values.schema.json is invalid: {error.message}"}]
    except (UnknownType, Unresolvable, ValueError) as error:  # a schema valid in form but not usable
        return [{"path": "", "message": f"the chart's values.schema.json cannot be used: {error}"}]
    return [
        {"path": ".".join(str(p) for p in error.absolute_path) or "(top)", "message": error.message}
        for error in errors[:MAX_ERRORS]
    ]


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft7Validator:
    """The checked validator of a schema, kept: checking a schema against the meta-schema costs more
    than validating a set of values, and every install of a version asks with the same schema. Its
    patterns run on RE2 (quickon_market.patterns): a chart's pattern cannot take exponential time."""
    schema = json.loads(schema_json)
    Draft7Validator.check_schema(schema)
    check_patterns(schema)
    return LinearDraft7Validator(schema)


def unknown_keys(*, schema: dict[str, Any] | None, defaults: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """The dotted paths of the keys in ``given`` that the chart neither declares (its schema's
    ``properties`` or ``patternProperties``) nor has a default for: most likely typos, which Helm
    ignores without a word. A schema's ``additionalProperties: true`` declares no key (charts set it
    at the top level so that ``global`` and sub-chart values pass). Maps the chart leaves free (an
    empty default such as ``podAnnotations: {}`` without declared properties) are not looked into.
    """
    found = list(_unknown(schema or {}, defaults, given, prefix=""))
    return [path for path in found if path != "global"][:MAX_ERRORS]


def _unknown(schema: Any, defaults: Any, given: dict[str, Any], *, prefix: str) -> Iterator[str]:
    schema = schema if isinstance(schema, dict) else {}
    defaults = defaults if isinstance(defaults, dict) else {}
    declared = schema.get("properties")
    declared = declared if isinstance(declared, dict) else {}
    patterns = _patterns(schema.get("patternProperties"))
    for key, value in given.items():
        path = f"{prefix}{key}"
        if key not in defaults and key not in declared and not any(p.search(str(key)) for p in patterns):
            yield path
            continue
        inner_schema, inner_defaults = declared.get(key), defaults.get(key)
        structured = (isinstance(inner_defaults, dict) and inner_defaults) or (
            isinstance(inner_schema, dict)
            and any(isinstance(inner_schema.get(k), dict) for k in ("properties", "patternProperties"))
        )
        if isinstance(value, dict) and structured:
            yield from _unknown(inner_schema, inner_defaults, value, prefix=f"{path}.")


def _patterns(given: Any) -> list[Any]:
    """The ``patternProperties`` keys, compiled by RE2 (as the schema check runs them)."""
    patterns = []
    for pattern in given if isinstance(given, dict) else {}:
        try:
            patterns.append(compiled(pattern))
        except UnsupportedPattern:
            continue  # a pattern RE2 cannot read declares nothing we can check; the schema check says more
    return patterns
