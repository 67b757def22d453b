"""The DNS name rules every service shares (quickon_common.names)."""

from __future__ import annotations

import re

import pytest

from quickon_common.names import DNS_LABEL_PATTERN, is_dns_label, is_dns_subdomain


@pytest.mark.parametrize("name", ["a", "web", "my-app-2", "0", "a" * 63])
def test_labels_that_are_valid(name: str) -> None:
    assert is_dns_label(name)
    assert re.fullmatch(DNS_LABEL_PATTERN, name)  # the gateway's pattern agrees


@pytest.mark.parametrize("name", ["", "-web", "web-", "Web", "my_app", "a.b", "a" * 64, "web\n", "wéb"])
def test_labels_that_are_refused(name: str) -> None:
    assert not is_dns_label(name)


def test_a_shorter_limit_applies_when_given() -> None:
    assert is_dns_label("a" * 53, max_length=53)
    assert not is_dns_label("a" * 54, max_length=53)
    assert not is_dns_label("a" * 64, max_length=100)  # never longer than a label can be


def test_subdomains() -> None:
    assert is_dns_subdomain("apps.example.com")
    assert not is_dns_subdomain("apps..example")
    assert not is_dns_subdomain("apps.example.com\n")
    assert not is_dns_subdomain("a" * 254)
