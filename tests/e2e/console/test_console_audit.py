"""The console's audit, activity and account pages, driven as a person would against a whole platform: what
is done through the API is found in the audit log by filter, verified, exported; it shows live in the
activity stream; a user manages their own API tokens and password."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from support.browser import serious_violations, sign_in, token_of
from support.platform import Platform

USER_CREATED = "io.quickon.iam.user.created.v1"


def wait_for(check: Callable[[], Any], *, what: str, timeout_s: float = 30) -> Any:
    """``check()``'s first truthy answer: the audit log records events a moment after they happen."""
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
    return found


@pytest.fixture(scope="module")
def admin(admin_api: httpx.Client) -> httpx.Client:
    return admin_api


def server_contexts(admin: httpx.Client) -> list[str]:
    """The contexts the gateway knows, as its refusal of an unknown one lists them (this process's own
    registry may hold contexts other tests registered)."""
    refused = admin.get("/api/v1/events", params={"context": "nosuchcontext", "follow": "false"})
    assert refused.status_code == 422, refused.text
    message: str = refused.json()["errors"][0]["message"]
    return sorted(message.removeprefix("one of ").split(", "))


def add_user(admin: httpx.Client, username: str, password: str) -> dict[str, Any]:
    answer = admin.post("/api/v1/users", json={"username": username, "password": password})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def test_an_api_action_is_found_by_filter_opened_verified_and_exported(admin_page: Page, admin: httpx.Client) -> None:
    add_user(admin, "audited-ann", "audited-ann-password")

    def recorded() -> dict[str, Any] | None:
        entries = admin.get("/api/v1/audit", params={"type": USER_CREATED, "actor": "admin"}).json()["entries"]
        return next((e for e in entries if e["body"].get("username") == "audited-ann"), None)

    entry = wait_for(recorded, what="the user's creation in the audit log")
    page = admin_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    search = page.get_by_role("search", name="Search the audit log")
    search.get_by_label("Actor").fill("admin")
    search.get_by_label("Context").select_option("iam")
    search.get_by_label("Event type").fill(USER_CREATED)
    search.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"context=iam"))
    opener = page.get_by_role("button", name=f"Details of entry {entry['seq']}")
    expect(opener).to_be_visible()
    # Every row the filters let through is a user's creation by admin.
    for row in page.get_by_role("table", name="Audit entries").locator("tbody tr").all():
        expect(row).to_contain_text("iam.user.created")
        expect(row).to_contain_text("admin")

    opener.click()
    details = page.get_by_role("region", name=f"Entry {entry['seq']}")
    expect(details).to_contain_text('"username": "audited-ann"')
    expect(details).to_contain_text(entry["entry_hash"])
    expect(details).to_contain_text(entry["prev_hash"])
    assert serious_violations(page) == []

    page.get_by_role("button", name="Verify").click()
    verdict = page.get_by_role("region", name="Verify the log").get_by_role("status")
    expect(verdict).to_contain_text("The log is intact", timeout=60_000)
    expect(verdict).to_contain_text("No entry was changed")

    # The export honours the filters, and comes down as a file through a blob: URL under the console's CSP.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    saved = download.value.path().read_text()
    assert entry["entry_hash"] in saved
    assert all(USER_CREATED in line for line in saved.splitlines())
    expect(page.get_by_text(re.compile(r"^Saved \d+ entries\.$"))).to_be_visible()


def test_the_activity_page_shows_an_event_live_and_filters_by_the_registry_s_contexts(
    admin_page: Page, admin: httpx.Client
) -> None:
    page = admin_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activity").click()
    context = page.get_by_label("Context")
    # The iam context is offered to platform admins, once the page knows who is signed in.
    expect(context.locator('option[value="iam"]')).to_have_count(1)
    offered = [v for v in context.locator("option").evaluate_all("options => options.map(o => o.value)") if v]
    assert offered == server_contexts(admin)
    context.select_option("iam")
    expect(page).to_have_url(re.compile(r"context=iam"))
    expect(page.get_by_role("status")).to_have_text(re.compile("^Live"))

    created = add_user(admin, "live-lee", "live-lee-password")
    event = page.locator("li.event", has_text=f"users/{created['user_id']}")
    expect(event).to_contain_text("iam.user.created")
    expect(event).to_contain_text("admin")
    event.locator("summary").click()
    expect(event.locator("pre")).to_contain_text('"username": "live-lee"')
    # Newest first: it is at the top.
    expect(page.locator("li.event").first).to_contain_text(f"users/{created['user_id']}")
    assert serious_violations(page) == []


def test_a_user_creates_uses_and_revokes_an_api_token_and_changes_their_password(
    browser: Browser, console_platform: Platform, admin: httpx.Client
) -> None:
    # A user of their own: changing the password revokes their other tokens, which no other test may hold.
    add_user(admin, "token-tom", "token-tom-password")
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console_platform.url)
    page = context.new_page()
    try:
        sign_in(page, console_platform.url, "token-tom", "token-tom-password")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
        expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()

        page.get_by_label("Name").fill("ci")
        page.get_by_role("button", name="Create token").click()
        shown = page.get_by_role("region", name="Your new token ci")
        token = shown.get_by_label("Token").input_value()
        shown.get_by_role("button", name="Copy").click()
        expect(shown.get_by_role("status")).to_have_text("Copied.")
        assert page.evaluate("navigator.clipboard.readText()") == token
        me = httpx.get(f"{console_platform.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["username"] == "token-tom"
        assert serious_violations(page) == []

        shown.get_by_role("button", name="Done").click()
        expect(shown).to_be_hidden()
        page.get_by_role("button", name=re.compile("^Revoke ci ")).click()
        expect(page.get_by_text("Token ci revoked.")).to_be_visible()
        expect(page.get_by_role("button", name=re.compile("^Revoke ci "))).to_have_count(0)
        refused = httpx.get(f"{console_platform.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401

        password = page.get_by_role("region", name="Change password")
        password.get_by_label("Current password").fill("not-my-password")
        password.get_by_label("New password", exact=True).fill("token-tom-new-password")
        password.get_by_label("New password again").fill("token-tom-new-password")
        password.get_by_role("button", name="Change password").click()
        expect(password.get_by_role("alert")).to_have_text("the current password is wrong")

        password.get_by_label("Current password").fill("token-tom-password")
        password.get_by_label("New password", exact=True).fill("short")
        password.get_by_label("New password again").fill("short")
        password.get_by_role("button", name="Change password").click()
        expect(password.get_by_label("New password", exact=True)).to_have_accessible_description(
            re.compile("at least 8 characters")
        )

        password.get_by_label("New password", exact=True).fill("token-tom-new-password")
        password.get_by_label("New password again").fill("token-tom-new-password")
        password.get_by_role("button", name="Change password").click()
        expect(password.get_by_role("status")).to_contain_text("Password changed")
        assert token_of(console_platform.url, "token-tom", "token-tom-new-password")
        # The session that changed it stays signed in.
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        # Only platform admins may verify the whole log: the button is not offered to anyone else.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
        expect(page.get_by_role("search", name="Search the audit log")).to_be_visible()
        expect(page.get_by_role("button", name="Verify")).to_have_count(0)
    finally:
        context.close()
