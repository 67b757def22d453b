"""The service page's Backups tab in Chromium: back up now and see it complete, verify it, restore it as a new
service that runs, delete a backup, set a schedule (a bad cron named at its field, then a good one), and what
a viewer is offered; no serious accessibility violation. One gitea service, installed through the API, serves
them all."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from support.browser import serious_violations, sign_in, succeeded, wait_until
from support.platform import Platform

SERVICE = "keep"
COPY = "keep-copy"
OPERATION_MS = 60_000  # how long an operation may take to end on a busy machine (expect waits 5 s by default)


@pytest.fixture(scope="module")
def api(admin_api: httpx.Client) -> httpx.Client:
    return admin_api


@pytest.fixture(scope="module")
def service(api: httpx.Client) -> str:
    """gitea, installed through the API and running (the market reads its catalog at its start)."""
    wait_until(lambda: any(a["name"] == "gitea" for a in api.get("/api/v1/apps").json()["apps"]), what="gitea")
    answer = api.post("/api/v1/services", json={"name": SERVICE, "app": "gitea", "version": "1.0.0"})
    assert answer.status_code == 202, answer.text
    succeeded(api, answer)
    return SERVICE


def test_back_up_now_verify_and_restore_as_a_new_service(
    admin_page: Page, console_platform: Platform, api: httpx.Client, service: str
) -> None:
    page = admin_page
    page.goto(f"{console_platform.url}/services/{service}/backups")
    tab = page.get_by_role("region", name="Backups", exact=True)
    expect(tab.get_by_text("No backups yet")).to_be_visible()

    tab.get_by_role("button", name="Back up now").click()
    expect(tab.get_by_role("region", name=re.compile(f"^Progress of backup {service}"))).to_contain_text(
        "Done.", timeout=OPERATION_MS
    )
    row = tab.get_by_role("row").filter(has_text="by hand")
    expect(row).to_contain_text("completed")
    backup_id = row.get_attribute("data-backup")
    assert backup_id

    row.get_by_role("button", name="Verify").click()
    expect(tab.get_by_text(re.compile(f"Backup {backup_id} is sound: its \\d+ parts were read back"))).to_be_visible(
        timeout=OPERATION_MS
    )
    expect(row).to_contain_text("verified")
    assert serious_violations(page) == []

    row.get_by_role("button", name="Restore").click()
    dialog = tab.get_by_role("region", name=f"Restore backup {backup_id}")
    dialog.get_by_label("As a new service").check()
    dialog.get_by_label("New service's name").fill(COPY)
    dialog.get_by_role("button", name="Restore as a new service").click()
    expect(dialog.get_by_text(f"Restored as {COPY}")).to_be_visible(timeout=OPERATION_MS)
    expect(dialog.get_by_role("link", name=f"open {COPY}")).to_have_attribute("href", f"/services/{COPY}")
    copy = wait_until(
        lambda: (s := api.get(f"/api/v1/services/{COPY}").json()).get("status") == "running" and s, what="the copy"
    )
    assert copy["app"] == "gitea"
    # In place asks for the service's name typed first: it replaces the data.
    row.get_by_role("button", name="Restore").click()
    dialog.get_by_label(f"In place, into {service}").check()
    confirm = dialog.get_by_role("button", name="Restore in place")
    expect(confirm).to_be_disabled()
    dialog.get_by_role("textbox", name=f"Type {service} to confirm").fill(service)
    expect(confirm).to_be_enabled()
    assert serious_violations(page) == []
    dialog.get_by_role("button", name="Cancel").click()

    # The copy's own backup, deleted after a confirmation: the copy's tab lists none afterwards.
    succeeded(api, api.post(f"/api/v1/services/{COPY}/backups"))
    page.goto(f"{console_platform.url}/services/{COPY}/backups")
    tab.get_by_role("row").filter(has_text="by hand").get_by_role("button", name="Delete").click()
    removal = tab.get_by_role("region", name=re.compile("^Delete backup "))
    expect(removal).to_contain_text("it cannot be restored afterwards")
    removal.get_by_role("button", name="Delete").click()
    expect(removal.get_by_role("status").filter(has_text="Done.")).to_be_visible(timeout=OPERATION_MS)
    expect(tab.get_by_text("No backups yet")).to_be_visible()


def test_a_schedule_with_a_bad_cron_is_refused_at_the_field_then_a_good_one_is_set(
    admin_page: Page, console_platform: Platform, api: httpx.Client, service: str
) -> None:
    page = admin_page
    page.goto(f"{console_platform.url}/services/{service}/backups")
    schedule = page.get_by_role("region", name="Schedule and retention")
    expect(schedule.get_by_text("No schedule")).to_be_visible()
    cron = schedule.get_by_label("When (cron")
    cron.fill("61 3 * * *")
    schedule.get_by_label("Time zone").fill("UTC")
    schedule.get_by_label("Keep the last N backups").fill("3")
    schedule.get_by_role("button", name="Save schedule").click()
    expect(cron).to_have_attribute("aria-invalid", "true")
    expect(schedule.get_by_role("alert")).to_contain_text("not a valid cron expression")

    cron.fill("0 3 * * *")
    schedule.get_by_label("Time zone").fill("Mars/Olympus")
    schedule.get_by_role("button", name="Save schedule").click()
    expect(schedule.get_by_role("alert")).to_contain_text("unknown time zone")
    expect(cron).not_to_have_attribute("aria-invalid", "true")

    schedule.get_by_label("Time zone").fill("Asia/Shanghai")
    schedule.get_by_role("button", name="Save schedule").click()
    expect(schedule.get_by_role("status").filter(has_text="Done.")).to_be_visible(timeout=OPERATION_MS)
    expect(schedule.get_by_text("Current schedule: 0 3 * * * (Asia/Shanghai), keep 3")).to_be_visible()
    saved = api.get(f"/api/v1/services/{service}/backups/schedule").json()["schedules"]
    assert [(s["cron"], s["timezone"], s["keep_last"]) for s in saved] == [("0 3 * * *", "Asia/Shanghai", 3)]
    assert serious_violations(page) == []


def test_a_viewer_sees_the_backups_but_no_command(
    fresh_page: Page, console_platform: Platform, api: httpx.Client, service: str
) -> None:
    password = "viewer-password-4711"
    made = api.post("/api/v1/users", json={"username": "bk-viewer", "password": password})
    assert made.status_code == 201, made.text
    added = api.post("/api/v1/teams/default/members", json={"username": "bk-viewer", "role": "viewer"})
    assert added.status_code in (200, 201), added.text
    if not api.get(f"/api/v1/services/{service}/backups").json()["backups"]:  # when run alone
        succeeded(api, api.post(f"/api/v1/services/{service}/backups"))
    sign_in(fresh_page, console_platform.url, "bk-viewer", password)
    fresh_page.goto(f"{console_platform.url}/services/{service}/backups")
    tab = fresh_page.get_by_role("region", name="Backups", exact=True)
    expect(tab.get_by_role("row").filter(has_text="by hand").first).to_contain_text("completed")
    expect(tab.get_by_role("region", name="Schedule and retention")).to_be_visible()
    expect(tab.get_by_role("button")).to_have_count(0)
