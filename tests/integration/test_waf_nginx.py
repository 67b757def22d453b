"""A service's firewall, proven on a real WAF: Debian's nginx with ModSecurity and the OWASP Core Rule Set runs
exactly the modsecurity-snippet the deployer renders for each mode (only the Core Rule Set's path is this
machine's), in front of a small local app. Block refuses an SQL injection and a path traversal and passes a
normal request; detect passes everything and its audit log names the rules; off passes everything and logs
nothing; an excluded rule stops firing; a higher paranoia level refuses what level 1 lets through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from quickon_common.contracts.exposure import WafSettings
from quickon_deployer.exposure import waf_annotations
from support.nginx import (
    Location,
    audit_entries,
    backend,
    check_config,
    config_text,
    crs_include,
    nginx,
    rules_logged,
    wait_logged,
)

SNIPPET = "nginx.ingress.kubernetes.io/modsecurity-snippet"
PROBES = {
    "sqli": {"id": "1' OR '1'='1"},
    "traversal": {"file": "../../etc/passwd"},
    "normal": {"id": "1", "page": "about"},
    # An SQL server variable: rule 942480 (SQL injection) catches it from paranoia level 2 only.
    "variable": {"q": "@@version"},
}
# A host name, not the numeric address: the Core Rule Set flags a numeric Host (920350) on every request.
HEADERS = {"Host": "shop.example.com"}


def snippet(directory: Path, waf: WafSettings) -> str:
    """The service's modsecurity-snippet annotation, with this machine's Core Rule Set."""
    return waf_annotations(waf, crs_include=crs_include(directory))[SNIPPET]


def status(url: str, path: str, probe: str) -> int:
    return httpx.get(f"{url}{path}{probe}", params=PROBES[probe], headers=HEADERS, timeout=10).status_code


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One nginx, a location per service setting, in front of the app; yields its URL and directory."""
    directory = tmp_path_factory.mktemp("waf")
    locations = [
        Location("/block/", snippet(directory, WafSettings(mode="block"))),
        Location("/detect/", snippet(directory, WafSettings(mode="detect"))),
        Location("/off/", snippet(directory, WafSettings(mode="off"))),
        Location("/paranoid/", snippet(directory, WafSettings(mode="block", paranoia=2))),
    ]
    with backend() as backend_port, nginx(directory, backend_port, locations) as url:
        yield url, directory


def test_block_refuses_sql_injection_and_path_traversal_and_passes_a_normal_request(
    served: tuple[str, Path],
) -> None:
    url, _ = served
    assert status(url, "/block/", "sqli") == 403
    assert status(url, "/block/", "traversal") == 403
    assert status(url, "/block/", "normal") == 200


def test_detect_passes_everything_and_the_audit_log_names_the_rules(served: tuple[str, Path]) -> None:
    url, directory = served
    for probe in ("normal", "sqli", "traversal"):
        assert status(url, "/detect/", probe) == 200, probe
    traversal = wait_logged(directory, "GET /detect/traversal")
    sqli = rules_logged(directory, "GET /detect/sqli")
    assert 942100 in sqli  # SQL injection detected via libinjection
    assert {rule for rule in traversal if 930000 <= rule < 931000}, traversal  # the path traversal family
    assert 949110 in sqli and 949110 in traversal  # scored past the threshold, yet let through
    assert rules_logged(directory, "GET /detect/normal") == set()


def test_off_passes_everything_and_logs_nothing(served: tuple[str, Path]) -> None:
    url, directory = served
    for probe in ("sqli", "traversal", "normal"):
        assert status(url, "/off/", probe) == 200, probe
    # A request the log will name, after them: once it is there, theirs would be too.
    assert httpx.get(f"{url}/detect/after-off", params=PROBES["sqli"], headers=HEADERS).status_code == 200
    wait_logged(directory, "GET /detect/after-off")
    assert not [entry for entry in audit_entries(directory) if "GET /off/" in entry]


def test_paranoia_level_2_refuses_what_level_1_lets_through(served: tuple[str, Path]) -> None:
    url, directory = served
    assert status(url, "/block/", "variable") == 200
    assert status(url, "/paranoid/", "variable") == 403
    assert 942480 in wait_logged(directory, "GET /paranoid/variable")
    assert status(url, "/paranoid/", "normal") == 200


def test_an_excluded_rule_stops_firing(served: tuple[str, Path], tmp_path: Path) -> None:
    url, directory = served
    # The rule the detect run named for the SQL injection (libinjection's), excluded on a blocking service.
    assert status(url, "/detect/", "sqli") == 200
    named = wait_logged(directory, "GET /detect/sqli")
    assert 942100 in named
    excluded = WafSettings(mode="block", exclusions=[942100])
    with (
        backend() as backend_port,
        nginx(tmp_path, backend_port, [Location("/", snippet(tmp_path, excluded))]) as other,
    ):
        assert status(other, "/", "sqli") == 200
        assert status(other, "/", "traversal") == 403  # only that rule is gone, not the firewall
        assert {rule for rule in wait_logged(tmp_path, "GET /traversal") if 930000 <= rule < 931000}
    assert 942100 not in rules_logged(tmp_path, "GET /sqli")


@pytest.mark.parametrize("paranoia", [1, 2, 3, 4])
def test_nginx_accepts_the_snippet_at_every_paranoia_level(tmp_path: Path, paranoia: int) -> None:
    waf = WafSettings(mode="block", paranoia=paranoia, exclusions=[920350, 942100])
    checked = check_config(tmp_path, config_text(tmp_path, 9, 9, [Location("/", snippet(tmp_path, waf))]))
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_nginx_refuses_a_broken_snippet(tmp_path: Path) -> None:
    """The check above can fail: nginx does refuse a snippet ModSecurity cannot read."""
    broken = snippet(tmp_path, WafSettings(mode="block")).replace("SecRuleEngine On", "SecRuleEngine Maybe")
    checked = check_config(tmp_path, config_text(tmp_path, 9, 9, [Location("/", broken)]))
    assert checked.returncode != 0
