"""The services area in the browser: one gitea installed through the API at an older version, then, as a
person would, filtered in the list, upgraded after its preview, rolled back, stopped and started, seen (and
not acted on) by a viewer of its team, unseen by another team, and uninstalled once its name is typed.

The tests share that one service and run in file order (each step starts where the one before left it):
installing a gitea per test would cost the suite more than it proves."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from support.browser import serious_violations, sign_in

TEAM, OTHER_TEAM = "svc-team", "svc-other"
SERVICE = "svc-git"
PASSWORD = "a long enough password"
GITEA_ADMIN_PASSWORD = "gitea admin secret 42"  # a secret value: sealed at install, shown only on a reveal
OPERATION_S = 90  # an upgrade backs the service up first; on a loaded machine that takes a while


@dataclass
class Setup:
    url: str
    page_path: str  # the service's page, with its namespace


def _ok(response: httpx.Response) -> httpx.Response:
    request = response.request
    assert response.is_success, f"{request.method} {request.url}: {response.status_code} {response.text}"
    return response


def _settled(http: httpx.Client, operation_id: str) -> dict[str, object]:
    deadline = time.monotonic() + OPERATION_S
    while True:
        found: dict[str, object] = _ok(http.get(f"/api/v1/operations/{operation_id}")).json()
        if found["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.fixture(scope="module")
def setup(admin_api: httpx.Client) -> Setup:
    """A team with a viewer, another team with a member, and gitea 1.0.0 installed in the first."""
    for team, user in ((TEAM, "svc-viewer"), (OTHER_TEAM, "svc-outsider")):
        _ok(admin_api.post("/api/v1/teams", json={"name": team}))
        _ok(admin_api.post("/api/v1/users", json={"username": user, "password": PASSWORD}))
        _ok(admin_api.post(f"/api/v1/teams/{team}/members", json={"username": user, "role": "viewer"}))
    install = {
        "name": SERVICE, "app": "gitea", "version": "1.0.0", "team": TEAM,
        "values": {"admin": {"password": GITEA_ADMIN_PASSWORD}},
    }  # fmt: skip
    operation = _ok(admin_api.post("/api/v1/services", json=install)).json()
    assert _settled(admin_api, operation["operation_id"])["state"] == "succeeded"
    return Setup(url=str(admin_api.base_url).rstrip("/"), page_path=f"/services/{SERVICE}?namespace={TEAM}")


def _progress(page: Page, kind: str) -> None:
    """The operation the page started, followed on the page until it says it is done."""
    progress = page.get_by_role("region", name=f"Progress of {kind} {SERVICE}")
    expect(progress.get_by_role("status")).to_have_text("Done.", timeout=OPERATION_S * 1000)


def test_the_list_filters_by_text_and_has_no_serious_accessibility_violation(admin_page: Page, setup: Setup) -> None:
    admin_page.goto(f"{setup.url}/services")
    rows = admin_page.get_by_role("row")
    expect(rows.filter(has_text=SERVICE)).to_have_count(1)
    assert serious_violations(admin_page) == []
    search = admin_page.get_by_label("Filter services")
    search.fill("no such service anywhere")
    expect(admin_page.get_by_text("No service matches this filter.")).to_be_visible()
    search.fill(f"{SERVICE} gitea")
    expect(rows.filter(has_text=SERVICE)).to_have_count(1)
    expect(rows).to_have_count(2)  # the header and the one match
    rows.filter(has_text=SERVICE).get_by_role("link", name=SERVICE).click()
    expect(admin_page.get_by_role("heading", level=1, name=SERVICE)).to_be_visible()
    tabs = admin_page.get_by_role("navigation", name="Service sections")
    backups = f"/services/{SERVICE}/backups?namespace={TEAM}"
    expect(tabs.get_by_role("link", name="Backups")).to_have_attribute("href", backups)
    expect(admin_page.get_by_text(GITEA_ADMIN_PASSWORD)).to_have_count(0)
    admin_page.get_by_role("button", name="Reveal secrets").click()
    expect(admin_page.get_by_role("region", name=f"Secret values of {SERVICE}")).to_contain_text(GITEA_ADMIN_PASSWORD)


def test_an_upgrade_shows_its_preview_before_it_is_confirmed_and_then_succeeds(admin_page: Page, setup: Setup) -> None:
    admin_page.goto(setup.url + setup.page_path)
    expect(admin_page.get_by_text("Every workload has all its replicas ready.")).to_be_visible()
    assert serious_violations(admin_page) == []
    admin_page.get_by_role("button", name="Upgrade").click()
    dialog = admin_page.get_by_role("dialog", name=f"Upgrade {SERVICE}")
    expect(dialog.get_by_label("Version")).to_have_value("1.1.1")
    expect(dialog.get_by_role("button", name="Upgrade")).to_have_count(0)  # not before the preview
    dialog.get_by_label(re.compile("^Back up first")).uncheck()  # the backups tab's tests back up
    dialog.get_by_role("button", name="Preview").click()
    preview = dialog.get_by_role("region", name="What the upgrade changes")
    expect(preview.get_by_text("From 1.0.0 to 1.1.1")).to_be_visible()
    expect(preview.get_by_role("heading", name="Changelog")).to_be_visible()
    expect(preview.get_by_role("term").filter(has_text="1.1.1")).to_be_visible()  # the changelog lists the version
    expect(preview.get_by_role("heading", name="Objects")).to_be_visible()
    expect(preview.locator("pre.diff").first).to_contain_text("(upgrade)")  # the manifest's diff, shown
    assert serious_violations(admin_page) == []
    dialog.get_by_role("button", name="Upgrade").click()
    _progress(admin_page, "upgrade")
    revisions = admin_page.get_by_role("table", name="Revisions")
    expect(revisions.get_by_role("row").filter(has_text="(current)")).to_contain_text("1.1.1")


def test_a_rollback_returns_to_the_revision_chosen(admin_page: Page, setup: Setup) -> None:
    admin_page.goto(setup.url + setup.page_path)
    revisions = admin_page.get_by_role("table", name="Revisions")
    first = revisions.get_by_role("row").filter(has=admin_page.get_by_role("cell", name="1", exact=True))
    first.get_by_role("button", name="Roll back").click()
    # Asked a second time, in the row: a rollback restarts the service.
    asked = first.get_by_role("group", name="Roll back")
    expect(asked).to_contain_text("Roll back to revision 1 (1.0.0)?")
    asked.get_by_role("button", name="Roll back now").click()
    _progress(admin_page, "rollback")
    current = revisions.get_by_role("row").filter(has_text="(current)")
    expect(current).to_contain_text("1.0.0")
    expect(current.get_by_role("cell").first).to_have_text("3 (current)")


def test_stop_then_start(admin_page: Page, setup: Setup) -> None:
    admin_page.goto(setup.url + setup.page_path)
    admin_page.get_by_role("button", name="Stop").click()
    _progress(admin_page, "stop")
    expect(admin_page.get_by_role("button", name="Start")).to_be_visible()
    expect(admin_page.get_by_text("Stopped: every workload is scaled to zero.")).to_be_visible()
    admin_page.get_by_role("button", name="Start").click()
    _progress(admin_page, "start")
    expect(admin_page.get_by_role("button", name="Stop")).to_be_visible()


def test_a_viewer_of_the_team_sees_the_service_but_no_action_and_another_team_does_not_see_it(
    fresh_page: Page, setup: Setup
) -> None:
    sign_in(fresh_page, setup.url, "svc-viewer", PASSWORD)
    fresh_page.goto(f"{setup.url}/services")
    fresh_page.get_by_role("row").filter(has_text=SERVICE).get_by_role("link", name=SERVICE).click()
    expect(fresh_page.get_by_role("heading", name="Health")).to_be_visible()
    expect(fresh_page.get_by_role("table", name="Revisions")).to_be_visible()
    for verb in ("Upgrade", "Start", "Stop", "Restart", "Uninstall", "Roll back", "Reveal secrets"):
        expect(fresh_page.get_by_role("button", name=verb)).to_have_count(0)

    fresh_page.get_by_role("button", name="Sign out").click()
    sign_in(fresh_page, setup.url, "svc-outsider", PASSWORD)
    fresh_page.goto(f"{setup.url}/services")
    expect(fresh_page.get_by_text("No service yet.")).to_be_visible()
    fresh_page.goto(setup.url + setup.page_path)
    expect(fresh_page.get_by_role("alert")).to_contain_text(TEAM)  # the gateway's refusal, said where it happened


def test_uninstall_needs_the_name_typed_and_then_leaves_the_list(admin_page: Page, setup: Setup) -> None:
    admin_page.goto(setup.url + setup.page_path)
    admin_page.get_by_role("button", name="Uninstall").click()
    dialog = admin_page.get_by_role("group", name="Uninstall")
    confirm = dialog.get_by_role("button", name="Uninstall")
    expect(confirm).to_be_disabled()
    dialog.get_by_label(f"Type {SERVICE} to confirm").fill("svc-gi")
    expect(confirm).to_be_disabled()
    dialog.get_by_label(f"Type {SERVICE} to confirm").fill(SERVICE)
    expect(confirm).to_be_enabled()
    confirm.click()
    expect(admin_page.get_by_text(f"{SERVICE} is uninstalled.")).to_be_visible(timeout=OPERATION_S * 1000)
    expect(admin_page).to_have_url(f"{setup.url}/services")
    admin_page.get_by_label("Filter services").fill(SERVICE)
    expect(admin_page.get_by_role("row").filter(has_text=SERVICE)).to_have_count(0)
