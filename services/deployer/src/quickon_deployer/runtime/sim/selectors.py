"""Label selectors (``matchLabels`` and ``matchExpressions``) as workloads use them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OPERATORS = {"In", "NotIn", "Exists", "DoesNotExist"}


def selector_problem(selector: Any) -> str | None:
    """Why ``selector`` is not a usable label selector, or None; an empty selector selects nothing here."""
    if not isinstance(selector, Mapping) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return "spec.selector is required and must not be empty"
    if not isinstance(selector.get("matchLabels") or {}, Mapping):
        return "spec.selector.matchLabels must be a mapping"
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        return "spec.selector.matchExpressions must be a list"
    for index, expression in enumerate(expressions):
        if not isinstance(expression, Mapping) or not isinstance(expression.get("key"), str):
            return f"spec.selector.matchExpressions[{index}].key is required"
        operator = expression.get("operator")
        if operator not in OPERATORS:
            return f"spec.selector.matchExpressions[{index}].operator must be one of {sorted(OPERATORS)}"
        values = expression.get("values") or []
        if (operator in {"In", "NotIn"}) != bool(values):
            return f"spec.selector.matchExpressions[{index}].values: required for In/NotIn, forbidden otherwise"
    return None


def matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether ``labels`` satisfy every term of a valid ``selector``."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = str(expression["key"]), expression["operator"]
        values = {str(v) for v in expression.get("values") or []}
        present = key in labels
        satisfied = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]
        if not satisfied:
            return False
    return True


def describe(selector: Mapping[str, Any]) -> str:
    """A selector as kubectl prints it: ``app=web,tier in (a,b)``."""
    terms = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        values = ",".join(str(v) for v in expression.get("values") or [])
        terms.append(f"{expression['key']} {expression['operator']} ({values})" if values else f"{expression['key']}")
    return ",".join(terms)
