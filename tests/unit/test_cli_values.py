"""qc's values: Helm's --set syntax and typing, -f files merged in order, --set on top."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from quickon_cli.values import ValuesError, build, merge, parse_set, typed


def set_values(*sets: str, strings: tuple[str, ...] = ()) -> dict[str, Any]:
    return build(sets=sets, set_strings=strings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("0", 0),
        ("-42", -42),
        ("+7", 7),
        ("007", "007"),  # a leading zero keeps it a string, as Helm does (zip codes, modes)
        ("1.5", "1.5"),  # Helm's --set leaves floats as strings
        ("true", True),
        ("false", False),
        ("null", None),
        ("True", "True"),
        ("", ""),
        ("abc", "abc"),
    ],
)
def test_values_are_typed_like_helm(text: str, expected: Any) -> None:
    assert typed(text) == expected
    assert type(typed(text)) is type(expected)


def test_dotted_paths_make_nested_maps() -> None:
    assert set_values("service.httpPort=3001") == {"service": {"httpPort": 3001}}
    assert set_values("a.b.c=x", "a.b.d=true") == {"a": {"b": {"c": "x", "d": True}}}


def test_one_argument_may_hold_several_pairs() -> None:
    assert set_values("a=1,b.c=two,d=null") == {"a": 1, "b": {"c": "two"}, "d": None}


def test_backslash_escapes_dots_commas_and_equals() -> None:
    assert set_values(r"podAnnotations.example\.com/team=a\,b\=c") == {"podAnnotations": {"example.com/team": "a,b=c"}}


def test_braces_make_lists_with_typed_items() -> None:
    assert set_values("persistence.accessModes={ReadWriteOnce,ReadOnlyMany}") == {
        "persistence": {"accessModes": ["ReadWriteOnce", "ReadOnlyMany"]}
    }
    assert set_values("a={1,true,x},b=2") == {"a": [1, True, "x"], "b": 2}
    assert set_values("a={}") == {"a": []}


def test_indexes_address_list_items() -> None:
    assert set_values("extraEnv[0].name=TZ", "extraEnv[0].value=UTC") == {"extraEnv": [{"name": "TZ", "value": "UTC"}]}
    assert set_values("a[2]=x") == {"a": [None, None, "x"]}


def test_set_string_keeps_text() -> None:
    assert set_values(strings=("image.tag=1.22,flag=true,n=null",)) == {
        "image": {"tag": "1.22"},
        "flag": "true",
        "n": "null",
    }


def test_later_sets_win_and_set_string_comes_last() -> None:
    assert set_values("a=1", "a=2") == {"a": 2}
    assert set_values("a.b=1", "a=3") == {"a": 3}
    assert set_values("a=3", "a.b=1") == {"a": {"b": 1}}
    assert set_values("tag=1", strings=("tag=2",)) == {"tag": "2"}


def test_files_merge_in_order_then_sets_on_top(tmp_path: Path) -> None:
    first = tmp_path / "one.yaml"
    first.write_text("gitea:\n  appName: One\n  requireSignInView: true\nservice:\n  httpPort: 3000\nlist: [1, 2]\n")
    second = tmp_path / "two.yaml"
    second.write_text("gitea:\n  appName: Two\nlist: [3]\nservice: {sshPort: 2222}\n")
    values = build(files=[str(first), str(second)], sets=["service.httpPort=8080", "gitea.requireSignInView=null"])
    assert values == {
        "gitea": {"appName": "Two", "requireSignInView": None},  # null is kept: the server drops the default
        "service": {"httpPort": 8080, "sshPort": 2222},
        "list": [3],  # lists are replaced, never merged
    }


def test_an_empty_file_is_no_values_and_dash_reads_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("a: {b: 1}\n"))
    assert build(files=[str(empty), "-"]) == {"a": {"b": 1}}
    assert build() == {}


def test_merge_does_not_touch_its_arguments() -> None:
    base = {"a": {"b": 1}}
    override = {"a": {"c": 2}}
    assert merge(base, override) == {"a": {"b": 1, "c": 2}}
    assert base == {"a": {"b": 1}}
    assert override == {"a": {"c": 2}}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("foo", "key 'foo' has no value"),
        ("a=1,b", "key 'b' has no value"),
        ("=1", "a key is missing"),
        ("a..b=1", "an empty key after 'a'"),
        ("a[x]=1", "a list index is a number"),
        ("a[99999999]=1", "larger than"),
        ("a={x,y", "not closed"),
        ("a=1\\", "trailing"),
        ("", "nothing to set"),
    ],
)
def test_bad_set_expressions_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValuesError, match=says):
        parse_set(text)


def test_a_later_path_replaces_what_is_in_its_way() -> None:
    assert set_values("a.b=1", "a[0]=x") == {"a": ["x"]}
    assert set_values("a[0]=x", "a.b=1") == {"a": {"b": 1}}
    assert set_values("a[1]=x", "a[0].b=y") == {"a": [{"b": "y"}, "x"]}


@pytest.mark.parametrize(
    ("content", "says"),
    [("- a\n- b\n", "not a list"), ("a: [b\n", "not valid YAML"), ("just text\n", "not a str")],
)
def test_bad_files_say_what_is_wrong(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(content)
    with pytest.raises(ValuesError, match=says):
        build(files=[str(path)])


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValuesError, match=r"-f .*nope\.yaml: No such file"):
        build(files=[str(tmp_path / "nope.yaml")])
