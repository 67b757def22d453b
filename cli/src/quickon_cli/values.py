"""User values from ``-f`` files and ``--set`` / ``--set-string``, as Helm builds them.

Files are merged in order (later wins, maps key by key), then every ``--set`` on top, then every
``--set-string``. ``--set`` follows Helm's syntax for the common cases: dotted paths
(``a.b.c=v``), list indexes (``a[0].b=v``), lists (``a={x,y}``), several pairs separated by
commas, ``\\`` escaping ``.``, ``,``, ``=``, ``[`` and itself; values are typed like Helm types
them: ``true``/``false`` become booleans, ``null`` becomes null (which removes the key from the
chart's defaults), integers without a leading zero become integers, anything else stays a string.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MAX_INDEX = 65536  # as Helm: a typo such as a[9999999]=x must not allocate a huge list
INTEGER = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
Segment = str | int


class ValuesError(ValueError):
    """A ``--set`` expression or values file that cannot be used (a usage error)."""


def typed(text: str) -> Any:
    """A ``--set`` value as Helm types it."""
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "null":
        return None
    if INTEGER.match(text):
        return int(text)
    return text


class _Scanner:
    """Reads one ``--set`` argument: ``path=value[,path=value...]``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if not self.done() else ""

    def error(self, message: str) -> ValuesError:
        return ValuesError(f"--set {self.text!r}: {message}")

    def until(self, stops: str) -> tuple[str, bool]:
        """Characters up to an unescaped stop (not taken) or the end; whether anything was escaped."""
        out: list[str] = []
        escaped = False
        while not self.done():
            char = self.text[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.error("a trailing \\ escapes nothing")
                out.append(self.text[self.pos + 1])
                self.pos += 2
                escaped = True
                continue
            if char in stops:
                break
            out.append(char)
            self.pos += 1
        return "".join(out), escaped

    def path(self) -> list[Segment]:
        segments: list[Segment] = []
        while True:
            key, _ = self.until("=.[],{}")
            if not key:
                shown = _dotted(segments)
                raise self.error(f"an empty key after {shown!r}" if segments else "a key is missing before '='")
            segments.append(key)
            while self.peek() == "[":
                self.pos += 1
                number, _ = self.until("]")
                if self.peek() != "]" or not number.isdigit():
                    raise self.error(f"{_dotted(segments)}[{number}: a list index is a number in brackets")
                self.pos += 1
                if int(number) > MAX_INDEX:
                    raise self.error(f"list index {number} is larger than {MAX_INDEX}")
                segments.append(int(number))
            if self.peek() != ".":
                return segments
            self.pos += 1

    def value(self, *, as_string: bool) -> Any:
        if self.peek() == "{":
            self.pos += 1
            items: list[Any] = []
            while True:
                text, escaped = self.until(",}")
                if text or self.peek() == ",":
                    items.append(text if as_string or escaped else typed(text))
                if self.peek() == "}":
                    self.pos += 1
                    break
                if self.done():
                    raise self.error("a list opened with '{' is not closed with '}'")
                self.pos += 1
            return items
        text, escaped = self.until(",")
        return text if as_string or escaped else typed(text)


def parse_set(text: str, *, as_string: bool = False) -> list[tuple[list[Segment], Any]]:
    """The ``(path, value)`` pairs of one ``--set`` argument, in order."""
    scanner = _Scanner(text)
    pairs: list[tuple[list[Segment], Any]] = []
    while not scanner.done():
        path = scanner.path()
        if scanner.peek() != "=":
            raise scanner.error(f"key {_dotted(path)!r} has no value (write {_dotted(path)}=VALUE)")
        scanner.pos += 1
        pairs.append((path, scanner.value(as_string=as_string)))
        if not scanner.done():
            if scanner.peek() != ",":
                raise scanner.error(f"unexpected {scanner.peek()!r} after the value of {_dotted(path)!r}")
            scanner.pos += 1
    if not pairs:
        raise scanner.error("nothing to set (write key=value)")
    return pairs


def assign(tree: dict[str, Any], path: list[Segment], value: Any) -> None:
    """Set ``value`` at ``path`` in ``tree``, creating maps and lists on the way (in place)."""
    node: Any = tree
    for here, following in zip(path, [*path[1:], None], strict=True):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(here, int):
            if not isinstance(node, list):
                raise ValuesError(f"{_dotted(path)}: [{here}] indexes something that is not a list")
            node.extend([None] * (here + 1 - len(node)))
            if following is None:
                node[here] = value
            elif not isinstance(node[here], type(empty)):
                node[here] = empty
            node = node[here]
            continue
        if not isinstance(node, dict):
            raise ValuesError(f"{_dotted(path)}: {here!r} is under something that is not a map")
        if following is None:
            node[here] = value
        elif not isinstance(node.get(here), type(empty)):
            node[here] = empty
        node = node[here]


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: maps merged key by key, anything else (lists, nulls) replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_file(name: str) -> dict[str, Any]:
    """The values of one ``-f`` file (``-`` reads standard input); an empty file is no values."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as error:
        raise ValuesError(f"-f {name}: {error.strerror or error}") from None
    import yaml  # only for -f files: most commands never read YAML, and a start of qc stays quick

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValuesError(f"-f {name}: not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValuesError(f"-f {name}: values are a YAML map (key: value), not a {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def build(*, files: Iterable[str] = (), sets: Iterable[str] = (), set_strings: Iterable[str] = ()) -> dict[str, Any]:
    """The values a command sends: the files merged in order, then ``--set``, then ``--set-string``."""
    values: dict[str, Any] = {}
    for name in files:
        values = merge(values, load_file(name))
    for text, as_string in [*((s, False) for s in sets), *((s, True) for s in set_strings)]:
        for path, value in parse_set(text, as_string=as_string):
            assign(values, path, value)
    return values


def _dotted(path: list[Segment]) -> str:
    out = ""
    for segment in path:
        out += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if out else segment)
    return out
