"""Which values are secret (inside lists too), and the values split, joined, masked and scrubbed by them."""

from __future__ import annotations

import copy

from quickon_common.secret_values import (
    MASK,
    credential_paths,
    expand,
    has_path,
    join_secrets,
    masked,
    parts_of,
    path_of,
    scrub,
    secret_paths_of,
    secret_strings,
    split_secrets,
    value_at,
)

VALUES = {
    "users": [{"name": "alice", "password": "p-alice"}, {"name": "bob"}, {"name": "carol", "pin": "4711"}],
    "db": {"rootPassword": "p-root", "port": 5432},
    "keys": ["k1", "k2"],
    "grid": [[{"token": "t-deep"}]],
    "replicas": 2,
}


def test_paths_name_list_items_and_patterns_name_every_item() -> None:
    assert parts_of("grid[0][0].token") == ["grid", 0, 0, "token"]
    for path in ("grid[0][0].token", "users[*].pin", "db.rootPassword"):
        assert path_of(parts_of(path)) == path
    assert list(expand(VALUES, "users[*].pin")) == ["users[2].pin"]
    assert list(expand(VALUES, "users[*].name")) == ["users[0].name", "users[1].name", "users[2].name"]
    assert has_path(VALUES, "users[2].pin") and not has_path(VALUES, "users[1].pin")
    assert not has_path(VALUES, "users[9].name") and not has_path(VALUES, "replicas.deeper")
    assert value_at(VALUES, "grid[0][0].token") == "t-deep" and value_at(VALUES, "users[5].name") is None


def test_a_key_with_dots_or_brackets_is_named_quoted() -> None:
    values = {"podAnnotations": {"vault.hashicorp.com/agent-inject-secret-db": "db-creds", "team": "blue"}}
    [path] = secret_paths_of(values, [])
    assert path == 'podAnnotations["vault.hashicorp.com/agent-inject-secret-db"]'
    assert parts_of(path) == ["podAnnotations", "vault.hashicorp.com/agent-inject-secret-db"]
    plain, secret = split_secrets(values, [path])
    assert plain == {"podAnnotations": {"team": "blue"}} and join_secrets(plain, secret) == values
    assert masked(plain, [path])["podAnnotations"]["vault.hashicorp.com/agent-inject-secret-db"] == MASK


def test_credentials_are_found_in_lists_of_maps_at_any_depth() -> None:
    assert sorted(credential_paths(VALUES)) == ["db.rootPassword", "grid[0][0].token", "users[0].password"]
    # The chart's patterns and the credential rule together; a list item that is itself secret takes its list.
    assert secret_paths_of(VALUES, ["users[*].pin", "keys[*]", "absent.path"]) == [
        "db.rootPassword", "grid[0][0].token", "keys", "users[0].password", "users[2].pin",
    ]  # fmt: skip


def test_split_then_join_gives_the_values_back_each_in_its_place() -> None:
    paths = secret_paths_of(VALUES, ["users[*].pin", "keys[*]"])
    plain, secret = split_secrets(VALUES, paths)
    assert plain == {
        "users": [{"name": "alice"}, {"name": "bob"}, {"name": "carol"}], "db": {"port": 5432},
        "grid": [[{}]], "replicas": 2,
    }  # fmt: skip
    assert secret["users"] == [{"password": "p-alice"}, None, {"pin": "4711"}]
    assert join_secrets(plain, secret) == VALUES
    assert secret_strings(secret) == {"p-alice", "4711", "p-root", "k1", "k2", "t-deep"}
    before = copy.deepcopy(VALUES)
    join_secrets(plain, secret)
    assert before == VALUES, "nothing given is changed"
    # What was sealed before lists were understood (nested maps only) joins the same way.
    assert join_secrets({"auth": {"user": "u"}}, {"auth": {"password": "p"}}) == {
        "auth": {"user": "u", "password": "p"}
    }


def test_masked_values_show_where_each_secret_is_set_and_scrub_hides_them_in_text() -> None:
    paths = secret_paths_of(VALUES, ["keys[*]"])
    plain, _ = split_secrets(VALUES, paths)
    shown = masked(plain, paths)
    assert shown["users"][0] == {"name": "alice", "password": MASK} and shown["keys"] == MASK
    assert shown["db"] == {"port": 5432, "rootPassword": MASK}
    assert "p-alice" not in repr(shown)
    text = "admin: p-root\nurl: postgres://u:p-root@db/x k1"
    assert scrub(text, {"p-root", "k1"}) == f"admin: {MASK}\nurl: postgres://u:{MASK}@db/x k1"  # "k1": too short
