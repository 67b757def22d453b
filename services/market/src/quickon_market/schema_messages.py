"""What a schema check found, said without the value that failed it.

jsonschema's own messages quote the instance (``'hunter2' is too short``), and a value given to an
install may be a password the chart does not mark secret; the message would then travel in the
HTTP answer, the operation, the failure event and the audit log. So every message is rebuilt here
from the rule that failed (its keyword and the schema's side of it), never from the value: the
path says where, the rule says what. Key names may be quoted (a missing or unexpected key): they
are the chart's vocabulary or the user's spelling, not values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jsonschema.exceptions import ValidationError

from quickon_common.secret_values import path_of

MAX_SHOWN = 120  # a schema's own value (an enum, a pattern) shown at most this long


def location(error: ValidationError) -> str:
    """The dotted path of the value (``users[0].password``), ``(top)`` for the values themselves."""
    return path_of(list(error.absolute_path)) or "(top)"


def message(error: ValidationError) -> str:
    """What is wrong, from the failed rule alone."""
    say = _SAYINGS.get(str(error.validator))
    return say(error.validator_value, error) if say else f"does not satisfy the schema's {error.validator!r} rule"


def _shown(rule: Any) -> str:
    text = json.dumps(rule, default=str)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _type(rule: Any, _error: ValidationError) -> str:
    kinds = rule if isinstance(rule, list) else [rule]
    return "must be " + " or ".join(f"{'an' if str(k)[0] in 'aeiou' else 'a'} {k}" for k in kinds)


def _required(rule: Any, error: ValidationError) -> str:
    given = error.instance if isinstance(error.instance, dict) else {}
    missing = [key for key in rule if key not in given] if isinstance(rule, list) else []
    return "needs " + ", ".join(repr(key) for key in missing) if missing else "misses a required key"


def _unexpected(_rule: Any, error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    declared = schema.get("properties") or {}
    patterns = schema.get("patternProperties") or {}
    given = error.instance if isinstance(error.instance, dict) else {}
    # A key matched by a pattern is declared; patterns are not run again here, so those stay unnamed.
    extra = [key for key in given if key not in declared] if not patterns else []
    named = f": {', '.join(repr(key) for key in extra)}" if extra else ""
    return f"has keys the chart does not allow{named}"


def _count(what: str, unit: str) -> Callable[[Any, ValidationError], str]:
    return lambda rule, _error: f"{what} {rule} {unit}{'' if rule == 1 else 's'}"


_SAYINGS: dict[str, Callable[[Any, ValidationError], str]] = {
    "type": _type,
    "minLength": _count("too short: at least", "character"),
    "maxLength": _count("too long: at most", "character"),
    "minItems": _count("too few items: at least", "item"),
    "maxItems": _count("too many items: at most", "item"),
    "minProperties": _count("too few keys: at least", "key"),
    "maxProperties": _count("too many keys: at most", "key"),
    "uniqueItems": lambda _rule, _error: "has repeated items; each must be different",
    "pattern": lambda rule, _error: f"does not match the pattern {_shown(rule)}",
    "format": lambda rule, _error: f"is not a valid {rule}",
    "enum": lambda rule, _error: f"must be one of {_shown(rule)}",
    "const": lambda rule, _error: f"must be {_shown(rule)}",
    "minimum": lambda rule, _error: f"must be at least {rule}",
    "maximum": lambda rule, _error: f"must be at most {rule}",
    "exclusiveMinimum": lambda rule, _error: f"must be more than {rule}",
    "exclusiveMaximum": lambda rule, _error: f"must be less than {rule}",
    "multipleOf": lambda rule, _error: f"must be a multiple of {rule}",
    "required": _required,
    "additionalProperties": _unexpected,
    "propertyNames": lambda _rule, _error: "has a key whose name the chart does not allow",
    "dependencies": lambda _rule, _error: "needs other keys set with it",
    "additionalItems": lambda _rule, _error: "has more items than the chart allows",
    "contains": lambda _rule, _error: "has no item of the kind the chart needs",
    "anyOf": lambda _rule, _error: "fits none of the forms the chart allows",
    "oneOf": lambda _rule, _error: "must fit exactly one of the forms the chart allows",
    "not": lambda _rule, _error: "has a form the chart does not allow",
    "None": lambda _rule, _error: "is not allowed here",  # a `false` schema
}
