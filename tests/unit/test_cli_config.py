"""Where qc finds its gateway and token: flags, then environment, then the config file (0600)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from quickon_cli.config import DEFAULT_URL, Config, ConfigError, config_path, load, resolve, save

SAVED = Config(url="http://saved:8080", token="saved-token", username="alice")


def test_the_config_file_lives_under_xdg_config_home_or_home() -> None:
    assert config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/quickon/config.json")
    assert config_path({"HOME": "/home/bob"}) == Path("/home/bob/.config/quickon/config.json")
    assert config_path({"XDG_CONFIG_HOME": "", "HOME": "/h"}) == Path("/h/.config/quickon/config.json")


def test_flags_win_over_environment_over_config_over_default() -> None:
    env = {"QC_URL": "http://env:1", "QC_TOKEN": "env-token"}
    assert resolve(url="http://flag:2", token="flag-token", env=env, config=SAVED).url == "http://flag:2"
    assert resolve(url="http://flag:2", token="flag-token", env=env, config=SAVED).token == "flag-token"
    from_env = resolve(url=None, token=None, env=env, config=SAVED)
    assert (from_env.url, from_env.token) == ("http://env:1", "env-token")
    from_config = resolve(url=None, token=None, env={}, config=SAVED)
    assert (from_config.url, from_config.token, from_config.username) == ("http://saved:8080", "saved-token", "alice")
    nothing = resolve(url=None, token=None, env={}, config=Config())
    assert (nothing.url, nothing.token) == (DEFAULT_URL, None)


def test_an_empty_environment_variable_does_not_count() -> None:
    target = resolve(url=None, token=None, env={"QC_URL": "", "QC_TOKEN": ""}, config=SAVED)
    assert (target.url, target.token) == ("http://saved:8080", "saved-token")


def test_the_saved_token_goes_only_to_the_gateway_that_issued_it() -> None:
    elsewhere = resolve(url="http://other:8080", token=None, env={}, config=SAVED)
    assert (elsewhere.url, elsewhere.token) == ("http://other:8080", None)
    same = resolve(url="http://saved:8080/", token=None, env={}, config=SAVED)
    assert (same.url, same.token) == ("http://saved:8080", "saved-token")
    via_env = resolve(url=None, token=None, env={"QC_URL": "http://other:8080"}, config=SAVED)
    assert via_env.token is None


def test_save_then_load_round_trips_readable_by_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "quickon" / "config.json"
    save(path, SAVED)
    assert load(path) == SAVED
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    save(path, Config(url="http://saved:8080"))
    assert load(path) == Config(url="http://saved:8080")
    assert "token" not in path.read_text()


def test_save_tightens_a_file_others_could_read(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}")
    path.chmod(0o644)
    save(path, SAVED)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*tmp")), "no temporary file left behind"


def test_no_file_is_an_empty_config(tmp_path: Path) -> None:
    assert load(tmp_path / "missing.json") == Config()


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_a_broken_file_says_how_to_fix_it(tmp_path: Path, content: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match="qc login"):
        load(path)


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"url": "http://x", "theme": "dark"}')
    assert load(path) == Config(url="http://x")
