"""Which of a service's values are secret, and the values split, joined again and masked by those paths.

A path names one value in nested chart values: keys joined by dots, list items by their index,
``db.rootPassword`` or ``users[0].password``. A chart's schema names its secret values by patterns
where ``[*]`` stands for every item of a list (``users[*].password``); :func:`secret_paths_of` turns
them, with every key that names a credential (``password``, ``token``…, the chart marking it or
not), into the concrete paths of the values given. The gateway seals by that rule, the deployer
again by the same, and both carry the paths with the values so nothing has to guess later.

A key holding a dot, a bracket or a quote (an annotation's ``vault.hashicorp.com/agent-inject-secret``)
is written quoted, as JSON in brackets: ``podAnnotations["vault.hashicorp.com/agent-inject-secret"]``.
A path ends at a key: when a list's items are themselves secret (``keys[*]``), the whole list is.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

CREDENTIAL = re.compile(r"(passw(or)?d|secret|token|api_?key|private_?key|credential)", re.IGNORECASE)
MASK = "********"  # what a secret value shows as wherever values are shown
EVERY = "[*]"  # in a pattern's parts: every item of a list (so a key spelt "[*]" cannot be named)
_PART = re.compile(r'\[(\d+|\*)\]|\[("(?:[^"\\]|\\.)*")\]|([^.\[\]"]+)')
_PLAIN_KEY = re.compile(r'[^.\[\]"]+')

Part = str | int


def parts_of(path: str) -> list[Part]:
    """``users[0].password`` -> ``["users", 0, "password"]``; a pattern's ``[*]`` is ``EVERY``."""
    found: list[Part] = []
    for match in _PART.finditer(path):
        index, quoted, key = match.groups()
        if quoted is not None:
            found.append(json.loads(quoted))
        else:
            found.append(key if key is not None else EVERY if index == "*" else int(index))
    return found


def path_of(parts: Sequence[Part]) -> str:
    """The inverse of :func:`parts_of`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == EVERY:
            text += EVERY
        elif not _PLAIN_KEY.fullmatch(part):
            text += f"[{json.dumps(part)}]"
        else:
            text += f".{part}" if text else part
    return text


def expand(tree: Any, pattern: str) -> Iterator[str]:
    """The concrete paths of ``tree`` that ``pattern`` names (several when it has ``[*]``), set or not None."""
    yield from _expand(tree, parts_of(pattern), [])


def _expand(node: Any, rest: list[Part], done: list[Part]) -> Iterator[str]:
    if not rest:
        yield path_of(done)
        return
    part, *tail = rest
    if isinstance(part, int) or part == EVERY:
        if not isinstance(node, list):
            return
        indexes = range(len(node)) if isinstance(part, str) else [part] if 0 <= part < len(node) else []
        for index in indexes:
            yield from _expand(node[index], tail, [*done, index])
    elif isinstance(node, dict) and part in node:
        yield from _expand(node[part], tail, [*done, part])


def has_path(tree: dict[str, Any], path: str) -> bool:
    """Whether the values ``tree`` hold ``path`` (for a pattern: at least one value it names)."""
    return next(expand(tree, path), None) is not None


def credential_paths(values: Any, prefix: Sequence[Part] = ()) -> Iterator[str]:
    """The paths of the values under a key that names a credential (a whole map or list counts as one),
    looking into lists of maps at any depth."""
    items: Iterable[tuple[Part, Any]]
    if isinstance(values, dict):
        items = values.items()
    elif isinstance(values, list):
        items = enumerate(values)
    else:
        return
    for key, value in items:
        path = [*prefix, key]
        if isinstance(key, str) and CREDENTIAL.search(key) and value not in (None, "", {}, []):
            yield path_of(path)
        else:
            yield from credential_paths(value, path)


def secret_paths_of(values: dict[str, Any], chart_secret_paths: Sequence[str]) -> list[str]:
    """The concrete paths of ``values`` sealed apart: those the chart's secret patterns name, and every
    credential. A path that ends at a list item stands for its whole list (items cannot be taken out of a
    list without moving the others)."""
    found = {*(p for pattern in chart_secret_paths for p in expand(values, pattern)), *credential_paths(values)}
    return sorted({_to_key(path) for path in found})


def _to_key(path: str) -> str:
    parts = parts_of(path)
    while parts and isinstance(parts[-1], int):
        parts.pop()
    return path_of(parts)


def split_secrets(values: dict[str, Any], secret_paths: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``values`` as (without the secret paths, only the secret paths), both nested like ``values``; in
    the second, a list holds None for each item with nothing secret, so :func:`join_secrets` puts each
    value back where it was."""
    plain = copy.deepcopy(values)
    secret: dict[str, Any] = {}
    for path in secret_paths:
        *parents, leaf = parts_of(path)
        node: Any = plain
        for part in parents:
            node = _child(node, part)
        if isinstance(leaf, str) and isinstance(node, dict) and leaf in node:
            _put(secret, [*parents, leaf], node.pop(leaf))
    return plain, secret


def value_at(tree: dict[str, Any], path: str) -> Any:
    """The value at a concrete ``path`` of ``tree`` (None when it is not there)."""
    node: Any = tree
    for part in parts_of(path):
        node = _child(node, part)
    return node


def _child(node: Any, part: Part) -> Any:
    if isinstance(part, int):
        return node[part] if isinstance(node, list) and 0 <= part < len(node) else None
    return node.get(part) if isinstance(node, dict) else None


def _put(tree: dict[str, Any], parts: Sequence[Part], value: Any) -> None:
    """Set ``value`` at ``parts`` in ``tree``, making the maps and lists (padded with None) on the way."""
    node: Any = tree
    for part, after in zip(parts, [*parts[1:], None], strict=True):
        if after is None:
            if isinstance(part, int):
                node.extend([None] * (part + 1 - len(node)))
            node[part] = value
            return
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(part, int):
            node.extend([None] * (part + 1 - len(node)))
            if not isinstance(node[part], type(empty)):
                node[part] = empty
        elif not isinstance(node.get(part), type(empty)):
            node[part] = empty
        node = node[part]


def join_secrets(plain: dict[str, Any], secret: dict[str, Any]) -> dict[str, Any]:
    """The values as given: ``plain`` with the ``secret`` ones (as :func:`split_secrets` made them, or a
    plain nested map) put back in place; list items are joined one by one. Neither argument is modified."""
    joined = _join(plain, secret)
    return joined if isinstance(joined, dict) else {}


def _join(plain: Any, secret: Any) -> Any:
    if isinstance(secret, dict) and isinstance(plain, dict):
        return {**copy.deepcopy(plain), **{k: _join(plain.get(k), v) for k, v in secret.items()}}
    if isinstance(secret, list) and isinstance(plain, list):
        joined = copy.deepcopy(plain)
        for index, item in enumerate(secret):
            if item is None:
                continue
            if index < len(joined):
                joined[index] = _join(joined[index], item)
            else:
                joined.append(item)
        return joined
    return copy.deepcopy(secret)


def masked(values: dict[str, Any], secret_paths: Iterable[str]) -> dict[str, Any]:
    """``values`` (the plain ones) with ``MASK`` at each secret path: what is secret shows that it is set."""
    mask: dict[str, Any] = {}
    for path in secret_paths:
        _put(mask, parts_of(path), MASK)
    return join_secrets(values, mask)


def secret_strings(secret: Any) -> set[str]:
    """Every scalar in an opened secret tree as text: what must never show in an answer, a log or a diff."""
    if isinstance(secret, dict):
        return {s for value in secret.values() for s in secret_strings(value)}
    if isinstance(secret, list):
        return {s for value in secret for s in secret_strings(value)}
    return set() if secret is None or isinstance(secret, bool) else {str(secret)}


MIN_SCRUBBED = 4  # shorter values are not looked for in text: "on" or "1" would mangle everything else


def scrub(text: str, hidden: Iterable[str]) -> str:
    """``text`` with each of the ``hidden`` values (of at least ``MIN_SCRUBBED`` characters) replaced by
    ``MASK``: for text made from secret values (a rendered object, a program's error) that is shown."""
    for value in sorted((v for v in hidden if len(v) >= MIN_SCRUBBED), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def scrubbed(tree: Any, hidden: set[str]) -> Any:
    """``tree`` (nested maps and lists) with :func:`scrub` applied to every string in it."""
    if isinstance(tree, dict):
        return {key: scrubbed(value, hidden) for key, value in tree.items()}
    if isinstance(tree, list):
        return [scrubbed(value, hidden) for value in tree]
    return scrub(tree, hidden) if isinstance(tree, str) and hidden else tree
