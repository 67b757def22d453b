"""User values against a chart version: merged over its defaults as Helm does, then checked
against its values.schema.json, each problem named by its dotted path."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError, UnknownType
from referencing.exceptions import Unresolvable

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
    than validating a set of values, and every install of a version asks with the same schema."""
    schema = json.loads(schema_json)
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)
