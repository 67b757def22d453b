"""A service's protection settings: checked strictly, and rendered as ingress-nginx annotations whose
ModSecurity snippet carries nothing a user typed (the snippet itself runs in tests/integration/test_waf_nginx)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from quickon_common.contracts.exposure import AccessSettings, Protection, WafSettings
from quickon_deployer.exposure import (
    ExposureError,
    ForwardAuth,
    access_annotations,
    basic_auth_secret_name,
    ingress_annotations,
    modsecurity_directives,
    waf_annotations,
)
from quickon_deployer.settings import DeployerSettings

P = "nginx.ingress.kubernetes.io/"
CRS = "/etc/nginx/owasp-modsecurity-crs/nginx-modsecurity.conf"


def test_block_renders_the_engine_paranoia_the_rule_set_then_the_exclusions_in_that_order() -> None:
    waf = WafSettings(mode="block", paranoia=3, exclusions=[942100, 930120])
    assert modsecurity_directives(waf).splitlines() == [
        "SecRuleEngine On",
        'SecAction "id:900000,phase:1,nolog,pass,t:none,'
        'setvar:tx.paranoia_level=3,setvar:tx.blocking_paranoia_level=3"',
        f"Include {CRS}",
        "SecRuleRemoveById 942100",
        "SecRuleRemoveById 930120",
    ]
    assert waf_annotations(waf) == {
        f"{P}enable-modsecurity": "true",
        f"{P}enable-owasp-core-rules": "true",
        f"{P}modsecurity-snippet": modsecurity_directives(waf),
    }


def test_detect_runs_the_rules_without_blocking_and_off_loads_nothing() -> None:
    assert modsecurity_directives(WafSettings(mode="detect")).splitlines()[0] == "SecRuleEngine DetectionOnly"
    off = WafSettings(mode="off", paranoia=4, exclusions=[942100])  # kept for when it is turned on again
    assert modsecurity_directives(off) == "SecRuleEngine Off\n"
    assert waf_annotations(off)[f"{P}enable-modsecurity"] == "false"
    assert waf_annotations(off)[f"{P}enable-owasp-core-rules"] == "false"


def test_the_rule_set_path_is_the_operators_and_must_be_a_plain_absolute_path() -> None:
    waf = WafSettings(mode="block")
    assert "Include /opt/crs/main.conf\n" in modsecurity_directives(waf, crs_include="/opt/crs/main.conf")
    for bad in ("crs.conf", "/opt/crs main.conf", "/opt/crs';\nload_module x", "/opt/../etc/passwd", ""):
        with pytest.raises(ExposureError, match="QC_DEPLOYER_WAF_CRS_INCLUDE"):
            modsecurity_directives(waf, crs_include=bad)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mode": "on"}, "mode"),
        ({"paranoia": 0}, "paranoia"),
        ({"paranoia": 5}, "paranoia"),
        ({"paranoia": "2"}, "paranoia"),
        ({"paranoia": 2.5}, "paranoia"),
        ({"exclusions": [0]}, "exclusions"),
        ({"exclusions": [-942100]}, "exclusions"),
        ({"exclusions": ["942100"]}, "exclusions"),  # ids are numbers, never text that reaches the snippet
        ({"exclusions": ["942100\nSecRuleEngine Off"]}, "exclusions"),
        ({"exclusions": [True]}, "exclusions"),
        ({"exclusions": [2**31]}, "exclusions"),
        ({"exclusions": [942100, 942100]}, "excluded twice"),
        ({"snippet": "SecRuleEngine Off"}, "snippet"),
    ],
)
def test_bad_firewall_settings_are_refused_naming_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WafSettings(**fields)


def test_networks_are_parsed_and_written_back_canonically() -> None:
    access = AccessSettings(allow=["10.0.0.0/8", "192.0.2.7", "2001:DB8::/32"], deny=["10.1.0.0/16"])
    assert access.allow == ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]
    assert access_annotations(access, service="shop") == {
        f"{P}whitelist-source-range": "10.0.0.0/8,192.0.2.7/32,2001:db8::/32",
        f"{P}denylist-source-range": "10.1.0.0/16",
    }
    assert access_annotations(AccessSettings(deny=["203.0.113.0/24"]), service="shop") == {
        f"{P}denylist-source-range": "203.0.113.0/24"
    }
    assert access_annotations(AccessSettings(), service="shop") == {}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"allow": ["10.0.0.1/8"]}, "host bits set; the network is 10.0.0.0/8"),
        ({"allow": ["10.0.0.0/33"]}, "not a network"),
        ({"allow": ["example.com"]}, "not a network"),
        ({"allow": ["10.0.0.0/8,0.0.0.0/0"]}, "not a network"),
        ({"deny": ["10.0.0.0/8\nallow all"]}, "not a network"),
        ({"allow": ["10.0.0.0/8", "10.0.0.0/8"]}, "listed twice"),
        ({"allow": ["10.1.0.0/16"], "deny": ["10.0.0.0/8"]}, "inside deny 10.0.0.0/8"),
        ({"allow": ["10.0.0.0/8"], "deny": ["10.0.0.0/8"]}, "inside deny"),
        ({"allow": ["10.0.0.0/8"], "deny": ["192.168.0.0/16"]}, "outside every allowed network"),
        ({"basic_auth_users": ["alice", "bob"], "sso": True}, "not both"),
        ({"basic_auth_users": ["al:ice"]}, "a name is"),
        ({"basic_auth_users": ["alice\n"]}, "a name is"),
        ({"basic_auth_users": [""]}, "a name is"),
        ({"basic_auth_users": ["alice", "alice"]}, "listed twice"),
        ({"sso": "yes"}, "sso"),
        ({"password": "x"}, "password"),
    ],
)
def test_bad_or_contradictory_access_is_refused_saying_why(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AccessSettings(**fields)


def test_basic_auth_names_the_services_htpasswd_secret() -> None:
    rendered = access_annotations(AccessSettings(basic_auth_users=["alice", "bob@example.com"]), service="shop")
    assert rendered == {
        f"{P}auth-type": "basic",
        f"{P}auth-secret": "shop-basic-auth",
        f"{P}auth-secret-type": "auth-file",
        f"{P}auth-realm": "shop (QuickOn)",
    }
    assert basic_auth_secret_name("shop") == "shop-basic-auth"
    for bad in ("Shop", "shop;", "shop\n", "a" * 54, ""):
        with pytest.raises(ExposureError, match="not a service name"):
            basic_auth_secret_name(bad)


def test_single_sign_on_uses_the_operators_forward_auth_or_is_refused_saying_what_to_set() -> None:
    sso = AccessSettings(sso=True)
    with pytest.raises(ExposureError, match="QC_DEPLOYER_FORWARD_AUTH_URL"):
        access_annotations(sso, service="shop")
    settings = DeployerSettings(
        forward_auth_url="https://auth.example.com/oauth2/auth",
        forward_auth_signin_url="https://auth.example.com/oauth2/start?rd=$scheme://$host$escaped_request_uri",
    )
    forward = ForwardAuth.from_settings(settings)
    assert access_annotations(sso, service="shop", forward_auth=forward) == {
        f"{P}auth-url": "https://auth.example.com/oauth2/auth",
        f"{P}auth-signin": "https://auth.example.com/oauth2/start?rd=$scheme://$host$escaped_request_uri",
        f"{P}auth-response-headers": "X-Auth-Request-User,X-Auth-Request-Email",
    }
    assert ForwardAuth.from_settings(DeployerSettings()) is None


@pytest.mark.parametrize(
    "url", ["auth.example.com/oauth2/auth", "ftp://auth.example.com/", "https://a.example.com/x y", "https:///x",
            "https://a.example.com/';more_set_headers x", "https://a.example.com/{x}"],
)  # fmt: skip
def test_a_bad_forward_auth_url_is_refused(url: str) -> None:
    with pytest.raises(ExposureError, match="http\\(s\\) URL"):
        ForwardAuth(url)
    with pytest.raises(ExposureError, match="sign-in URL"):
        ForwardAuth("https://auth.example.com/oauth2/auth", url)


def test_all_of_a_services_protection_in_one_dict() -> None:
    protection = Protection.model_validate(
        {"waf": {"mode": "block", "paranoia": 2}, "access": {"allow": ["10.0.0.0/8"], "basic_auth_users": ["ops"]}}
    )
    rendered = ingress_annotations(protection, service="shop")
    assert rendered[f"{P}enable-modsecurity"] == "true"
    assert rendered[f"{P}whitelist-source-range"] == "10.0.0.0/8"
    assert rendered[f"{P}auth-secret"] == "shop-basic-auth"
    assert all(key.startswith(P) and isinstance(value, str) for key, value in rendered.items())
    assert ingress_annotations(Protection(), service="shop") == {
        f"{P}enable-modsecurity": "false",
        f"{P}enable-owasp-core-rules": "false",
        f"{P}modsecurity-snippet": "SecRuleEngine Off\n",
    }
