"""The market and the operations in the console: search, an app's page, install through the values form with
a custom value until the service runs, refusals shown where the user acted, and the operations that followed.
One install is shared by the steps (installing is the slow part), in the order a person would go."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from support.browser import serious_violations
from support.platform import Platform

APP_NAME = "Our team's Git"


@pytest.fixture(scope="module")
def api(admin_api: httpx.Client) -> httpx.Client:
    return admin_api


def test_search_the_market_and_read_an_app(admin_page: Page, console_platform: Platform) -> None:
    page = admin_page
    blocked: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(console_platform.url) else blocked.append(r.url))
    page.goto(f"{console_platform.url}/market")
    expect(page.get_by_role("heading", name="Market")).to_be_visible()
    expect(page.get_by_role("link", name="Redis")).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_label("Search apps").fill("gitea")
    expect(page.get_by_role("link", name="Redis")).to_have_count(0)
    page.get_by_role("link", name="Gitea").click()
    expect(page.get_by_role("heading", name="Gitea", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Changelog")).to_be_visible()
    expect(page.get_by_role("cell", name="1.1.1", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Readme (1.1.1)")).to_contain_text("no readme")  # the chart has none
    expect(page.get_by_role("region", name="Changelog")).to_contain_text("Upgrade Gitea to 1.22.3")
    # The chart's icon is on GitHub: a letter stands in for it, and nothing left the gateway.
    assert blocked == [], blocked
    assert serious_violations(page) == []


def test_install_gitea_through_the_form_with_a_custom_value(
    admin_page: Page, console_platform: Platform, api: httpx.Client
) -> None:
    page = admin_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{console_platform.url}/market/gitea")
    page.get_by_role("button", name="Install").click()
    dialog = page.get_by_role("dialog", name="Install Gitea")
    app_name = dialog.locator("#root_gitea_appName")
    expect(app_name).to_have_value(re.compile("Gitea"))  # the chart's default, filled in
    expect(dialog.locator("#root_admin_password")).to_have_attribute("type", "password")  # a secret
    assert serious_violations(page) == []

    # A value the schema refuses is shown at its field, and nothing is sent.
    dialog.locator("#root_admin_email").fill("not an address")
    dialog.get_by_role("button", name="Install").click()
    expect(dialog.get_by_text("Not a valid email.")).to_be_visible()
    expect(dialog.locator("#root_admin_email")).to_be_focused()
    dialog.locator("#root_admin_email").fill("git@example.com")

    # A name the gateway refuses (422): its message at the name field.
    dialog.get_by_label("Service name").fill("Not_A_Name")
    dialog.get_by_role("button", name="Install").click()
    expect(dialog.get_by_label("Service name")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_role("alert")).to_contain_text("body.name")

    dialog.get_by_label("Service name").fill("git")
    dialog.get_by_label("Team").select_option(label="default")  # other tests' teams share the platform
    app_name.fill(APP_NAME)
    dialog.get_by_role("button", name="Install").click()
    expect(dialog.get_by_role("status").filter(has_text="Done.")).to_be_visible(timeout=60_000)
    expect(dialog.get_by_role("link", name="Open the service git")).to_be_visible()

    service = api.get("/api/v1/services/git").json()
    assert service["status"] == "running", service
    assert service["values"]["gitea"]["appName"] == APP_NAME, service["values"]
    assert "image" not in service["values"], "only what the user changed is sent"
    assert errors == []

    dialog.get_by_role("link", name="Open the service git").click()
    expect(page.get_by_role("heading", level=1, name="git")).to_be_visible()
    expect(page.get_by_text("Running", exact=True).first).to_be_visible()


def test_installing_under_a_taken_name_shows_why_it_failed(admin_page: Page, console_platform: Platform) -> None:
    page = admin_page
    page.goto(f"{console_platform.url}/market/gitea")
    page.get_by_role("button", name="Install").click()
    dialog = page.get_by_role("dialog", name="Install Gitea")
    dialog.get_by_label("Service name").fill("git")
    dialog.get_by_label("Team").select_option(label="default")
    dialog.get_by_role("button", name="Install").click()
    expect(dialog.get_by_role("status").filter(has_text="Failed")).to_contain_text("exists", timeout=60_000)


def test_the_operations_list_and_an_operation(admin_page: Page, console_platform: Platform) -> None:
    page = admin_page
    page.goto(f"{console_platform.url}/operations")
    rows = page.get_by_role("row").filter(has_text="git in default")
    expect(rows.filter(has_text="Succeeded").filter(has_text="Install")).to_have_count(1)
    assert serious_violations(page) == []

    page.get_by_label("State").select_option("failed")
    failed = page.get_by_role("row").filter(has_text="git in default")
    expect(failed).to_have_count(1)
    expect(page.get_by_role("row").filter(has_text="Succeeded")).to_have_count(0)
    failed.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Operation: Install git in default")).to_be_visible()
    expect(page.get_by_role("heading", name="Why it failed")).to_be_visible()
    expect(page.locator("section.error")).to_contain_text("exists")
    assert serious_violations(page) == []
