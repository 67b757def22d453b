"""``qc url``, ``qc domain``, ``qc access`` and ``qc waf`` against a scripted gateway: each change reads the
exposure and sends it back whole, keeping what the gateway never shows (keys, passwords) where it is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_cli_main import Gateway, answer, qc

PATH = "/api/v1/services/git/exposure"
OP = {"operation_id": "op1", "kind": "expose", "target": {"service": "git", "namespace": "default"}, "state": "pending"}
CURRENT = {
    "exposure": {
        "domains": [
            {"host": "git.example.com", "primary": True, "tls": "uploaded", "certificate": "-----BEGIN CERT…"},
            {"host": "www.example.com", "primary": False, "tls": "auto", "certificate": None},
        ],
        "protection": {
            "waf": {"mode": "detect", "paranoia": 1, "exclusions": [920350]},
            "access": {"allow": ["10.0.0.0/8"], "deny": [], "basic_auth_users": ["alice"], "sso": False},
        },
    },
    "urls": ["https://git.example.com", "https://www.example.com"],
    "web": "git-http:3000",
}
KEPT_DOMAINS = [
    {"host": "git.example.com", "primary": True, "tls": "uploaded"},  # no certificate: the stored one stays
    {"host": "www.example.com", "primary": False, "tls": "auto"},
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}


def gateway(current: dict[str, Any] = CURRENT) -> Gateway:
    return Gateway({
        f"GET {PATH}": answer(200, current),
        f"PUT {PATH}": answer(202, OP),
        "GET /api/v1/operations/op1": answer(200, {**OP, "state": "running"}),
    })  # fmt: skip


def test_url_prints_the_primary_first_or_how_to_give_the_service_one(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert qc(["url", "git"], env, gateway()) == 0
    assert capsys.readouterr().out.splitlines() == ["https://git.example.com", "https://www.example.com"]
    assert qc(["url", "git"], env, gateway({**CURRENT, "urls": []})) == 1
    err = capsys.readouterr().err
    assert "git has no address yet" in err and "qc domain add git HOST" in err and "QC_BASE_DOMAIN" in err
    assert qc(["url", "git"], env, gateway({**CURRENT, "urls": [], "web": None})) == 1
    assert "no web page" in capsys.readouterr().err


def test_waf_keeps_everything_else_and_adds_exclusions(env: dict[str, str]) -> None:
    found = gateway()
    assert qc(["waf", "git", "block", "--paranoia", "2", "--exclude", "942100", "--json"], env, found) == 0
    assert found.bodies(PATH) == [{
        "domains": KEPT_DOMAINS,
        "protection": {"waf": {"mode": "block", "paranoia": 2, "exclusions": [920350, 942100]},
                       "access": CURRENT["exposure"]["protection"]["access"]},  # type: ignore[index]
        "passwords": {},
    }]  # fmt: skip


@pytest.mark.parametrize("level", ["0", "5", "two"])
def test_a_bad_paranoia_level_is_a_usage_error_that_says_the_range(
    level: str, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    found = gateway()
    with pytest.raises(SystemExit) as exited:
        qc(["waf", "git", "block", "--paranoia", level], env, found)
    assert exited.value.code == 2
    assert "paranoia level" in capsys.readouterr().err
    assert found.requests == []


def test_domain_add_uploads_a_certificate_and_moves_primary(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("CERT")
    (tmp_path / "k.pem").write_text("KEY")
    found = gateway()
    argv = ["domain", "add", "git", "Shop.Example.com", "--primary", "--cert", str(tmp_path / "c.pem"),
            "--key", str(tmp_path / "k.pem")]  # fmt: skip
    assert qc(argv, env, found) == 0
    (body,) = found.bodies(PATH)
    assert body["domains"] == [
        {**KEPT_DOMAINS[0], "primary": False}, KEPT_DOMAINS[1],
        {"host": "Shop.Example.com", "primary": True, "tls": "uploaded", "certificate": "CERT", "key": "KEY"},
    ]  # fmt: skip


def test_domain_add_needs_cert_and_key_together(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("CERT")
    found = gateway()
    assert qc(["domain", "add", "git", "shop.example.com", "--cert", str(tmp_path / "c.pem")], env, found) == 2
    assert qc(["domain", "add", "git", "shop.example.com", "--cert", str(tmp_path / "nope"), "--key",
               str(tmp_path / "c.pem")], env, found) == 2  # fmt: skip
    assert found.bodies(PATH) == []


def test_domain_remove_of_a_domain_not_there_says_which_are(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    found = gateway()
    assert qc(["domain", "remove", "git", "nope.example.com"], env, found) == 1
    assert "git.example.com, www.example.com" in capsys.readouterr().err and found.bodies(PATH) == []
    assert qc(["domain", "remove", "git", "www.example.com"], env, found) == 0
    assert found.bodies(PATH)[0]["domains"] == KEPT_DOMAINS[:1]


def test_access_adds_a_user_with_a_password_from_a_file(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("bobs-long-password\n")
    found = gateway()
    argv = ["access", "git", "--basic-auth", "bob", "--password-file", str(tmp_path / "pw"), "--deny", "10.1.0.0/16"]
    assert qc(argv, env, found) == 0
    (body,) = found.bodies(PATH)
    assert body["protection"]["access"] == {
        "allow": ["10.0.0.0/8"], "deny": ["10.1.0.0/16"], "basic_auth_users": ["alice", "bob"], "sso": False,
    }  # fmt: skip
    assert body["passwords"] == {"bob": "bobs-long-password"}  # alice's stays as stored

    assert qc(["access", "git", "--clear"], env, found) == 0
    assert found.bodies(PATH)[1]["protection"]["access"] == {
        "allow": [], "deny": [], "basic_auth_users": [], "sso": False,
    }  # fmt: skip
    two = ["access", "git", "--basic-auth", "a", "--basic-auth", "b", "--password-file", str(tmp_path / "pw")]
    assert qc(two, env, found) == 2
