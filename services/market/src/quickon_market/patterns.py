"""A chart's schema patterns run on RE2, a linear-time engine, as helm's Go side runs them.

Python's ``re`` backtracks: ``^(a+)+$`` against ``'aaaa…!'`` takes exponential time, and a chart's
``values.schema.json`` comes from whoever published it. RE2 answers every pattern in time linear in
the text; what it cannot read (look-arounds, back-references) helm cannot either, so such a pattern is
refused with a message naming where it is, rather than run on another engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import re2
from jsonschema import Draft7Validator, ValidationError, validators

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a bad pattern is reported to the user; RE2's own log would only repeat it


class UnsupportedPattern(ValueError):
    """A schema pattern RE2 cannot run; the message names it and where it is."""


@lru_cache(maxsize=1024)
def compiled(pattern: str) -> Any:
    """``pattern`` compiled by RE2 (kept: charts repeat theirs); :class:`UnsupportedPattern` if it cannot be."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode(errors="replace") if error.args and isinstance(error.args[0], bytes) else error
        raise UnsupportedPattern(f"pattern {pattern!r} cannot be run by RE2 (helm's engine): {reason}") from None


def check_patterns(schema: Any, where: str = "") -> None:
    """Compile every ``pattern`` and ``patternProperties`` key of ``schema`` up front, so a bad one is named
    with its place in the schema once, not met halfway through a validation."""
    for path, pattern in _patterns_in(schema, where):
        try:
            compiled(pattern)
        except UnsupportedPattern as error:
            raise UnsupportedPattern(f"at {path or '(top)'}: {error}") from None


def _patterns_in(schema: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(schema, Mapping):
        for key, value in schema.items():
            here = f"{where}/{key}"
            if key == "pattern" and isinstance(value, str):
                yield here, value
            elif key == "patternProperties" and isinstance(value, Mapping):
                yield from ((f"{here}/{pattern}", pattern) for pattern in value)
            yield from _patterns_in(value, here)
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _patterns_in(item, f"{where}/{index}")


def _matches(pattern: str, text: str) -> bool:
    return compiled(pattern).search(text) is not None


def _pattern(
    validator: Draft7Validator, pattern: str, instance: Any, _schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _matches(pattern, instance):
        yield ValidationError(f"does not match {pattern!r}")


def _pattern_properties(
    validator: Draft7Validator, patterns: Mapping[str, Any], instance: Any, _schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _matches(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Draft7Validator, allowed: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """jsonschema's own, with the ``patternProperties`` keys matched by RE2."""
    if not validator.is_type(instance, "object"):
        return
    declared = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = sorted(
        (key for key in instance if key not in declared and not any(_matches(p, key) for p in patterns)), key=str
    )
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        named = ", ".join(repr(extra) for extra in extras)
        yield ValidationError(f"Additional properties are not allowed ({named} unexpected)")


# Draft 7 (what helm checks values.schema.json by), its three pattern keywords on RE2.
LinearDraft7Validator: type[Draft7Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft7Validator,
    {"pattern": _pattern, "patternProperties": _pattern_properties, "additionalProperties": _additional_properties},
)
