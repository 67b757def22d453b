"""The service page's Access tab in Chromium: a bad network named at its field, then a domain, an allowlist and
the firewall in block mode saved as one operation and shown; and a market version's security scan report.
No serious accessibility violation. One gitea service, installed through the API."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from support.browser import serious_violations, succeeded, wait_until
from support.platform import Platform

SERVICE = "site"
HOST = "site.example.com"
OPERATION_MS = 60_000  # how long an operation may take to end on a busy machine (expect waits 5 s by default)
SCAN_MS = 180_000  # the market scans each version in the background, two at a time, on a busy machine


@pytest.fixture(scope="module")
def service(admin_api: httpx.Client) -> str:
    """gitea, installed through the API and running."""
    api = admin_api
    wait_until(lambda: any(a["name"] == "gitea" for a in api.get("/api/v1/apps").json()["apps"]), what="gitea")
    succeeded(api, api.post("/api/v1/services", json={"name": SERVICE, "app": "gitea", "version": "1.0.0"}))
    return SERVICE


def test_a_domain_an_allowlist_and_the_firewall_are_set_in_the_access_tab(
    admin_page: Page, console_platform: Platform, admin_api: httpx.Client, service: str
) -> None:
    page = admin_page
    page.goto(f"{console_platform.url}/services/{service}/access")
    tab = page.get_by_role("region", name="Access", exact=True)
    expect(tab.get_by_text("No custom domain.")).to_be_visible()
    assert serious_violations(page) == []

    # A network with host bits set: the gateway's 422 is shown at the field, and nothing changes.
    tab.get_by_label("Allowed networks").fill("10.0.0.1/8")
    tab.get_by_role("button", name="Save access settings").click()
    expect(tab.get_by_role("alert")).to_contain_text("10.0.0.0/8")
    assert (
        admin_api.get(f"/api/v1/services/{service}/exposure").json()["exposure"]["protection"]["access"]["allow"] == []
    )

    tab.get_by_label("Domain", exact=True).fill(HOST)
    tab.get_by_role("button", name="Add domain").click()
    expect(tab.get_by_text(f"{HOST} · automatic · primary")).to_be_visible()
    tab.get_by_label("Allowed networks").fill("10.0.0.0/8")
    tab.get_by_label("Firewall mode").select_option("block")
    tab.get_by_role("button", name="Save access settings").click()
    expect(tab.get_by_role("region", name=re.compile(f"^Progress of expose {service}"))).to_contain_text(
        "Done.", timeout=OPERATION_MS
    )
    expect(tab.get_by_role("link", name=f"https://{HOST}")).to_be_visible()

    exposure = admin_api.get(f"/api/v1/services/{service}/exposure").json()
    assert [d["host"] for d in exposure["exposure"]["domains"]] == [HOST]
    assert exposure["exposure"]["protection"]["access"]["allow"] == ["10.0.0.0/8"]
    assert exposure["exposure"]["protection"]["waf"]["mode"] == "block"
    assert serious_violations(page) == []


def test_a_market_version_shows_its_security_scan(admin_page: Page, console_platform: Platform) -> None:
    page = admin_page
    page.goto(f"{console_platform.url}/market/gitea")
    report = page.get_by_role("region", name=re.compile(r"^Security scan \("))
    expect(report.get_by_text(re.compile(r"Scanned by trivy \d"))).to_be_visible(timeout=SCAN_MS)
    assert serious_violations(page) == []
