"""Export and import in Chromium: a service exported from its page as a bundle under a passphrase, its file
downloaded, then imported from the services list under another name and into another team, and the new
service seen running; what each dialog refuses before anything is sent; no serious accessibility violation
in either dialog. One gitea service, installed through the API, is the one exported."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from support.browser import serious_violations, succeeded, wait_until
from support.platform import Platform

SERVICE = "carried"
COPY = "carried-copy"
TEAM = "export-b"  # the copy's team: not the one the original is in
PASSPHRASE = "correct horse battery staple"
OPERATION_MS = 120_000  # an export backs up first and an import installs then restores, on a busy machine


@pytest.fixture(scope="module")
def service(admin_api: httpx.Client) -> str:
    """gitea, installed through the API in the default team and running."""
    api = admin_api
    wait_until(lambda: any(a["name"] == "gitea" for a in api.get("/api/v1/apps").json()["apps"]), what="gitea")
    succeeded(api, api.post("/api/v1/services", json={"name": SERVICE, "app": "gitea", "version": "1.0.0"}))
    return SERVICE


@pytest.fixture(scope="module")
def other_team(admin_api: httpx.Client) -> str:
    """A second team (the admin, a platform admin, may import into any): its id."""
    answer = admin_api.post("/api/v1/teams", json={"name": TEAM})
    assert answer.status_code in (200, 201), answer.text
    team: str = answer.json()["team"]
    return team


def _watch(page: Page, part: str) -> list[str]:
    """The URLs of the requests the page sends whose path has ``part``, as they go."""
    seen: list[str] = []

    def note(request: Request) -> None:
        if part in request.url and request.method != "GET":
            seen.append(request.url)

    page.on("request", note)
    return seen


def _open_export(page: Page, url: str, service: str):  # type: ignore[no-untyped-def]
    page.goto(f"{url}/services/{service}")
    page.get_by_role("region", name="Actions").get_by_role("button", name="Export", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Export {service}")
    expect(dialog).to_be_visible()
    return dialog


def _open_import(page: Page, url: str):  # type: ignore[no-untyped-def]
    page.goto(f"{url}/services")
    page.get_by_role("button", name="Import a service").click()
    dialog = page.get_by_role("dialog", name="Import a service")
    expect(dialog).to_be_visible()
    return dialog


def test_the_export_and_import_dialogs_refuse_what_cannot_be_sent_and_are_accessible(
    admin_page: Page, console_platform: Platform, service: str
) -> None:
    """What needs no export or import on the platform: the dialogs open, check what is typed and send nothing."""
    page = admin_page
    sent = _watch(page, "/export")
    dialog = _open_export(page, console_platform.url, service)
    expect(dialog.get_by_label("QuickOn bundle (.qcb)")).to_be_checked()
    expect(dialog.get_by_text("cannot be recovered")).to_be_visible()
    assert serious_violations(page) == []

    passphrase = dialog.get_by_label("Passphrase", exact=True)
    confirmation = dialog.get_by_label("Passphrase again")
    start = dialog.get_by_role("button", name="Start the export")
    start.click()
    expect(passphrase).to_have_attribute("aria-invalid", "true")
    expect(passphrase).to_be_focused()
    expect(dialog.get_by_text("Give a passphrase.")).to_be_visible()

    passphrase.fill("short")
    confirmation.fill("short")
    start.click()
    expect(dialog.get_by_text("At least 8 characters.")).to_be_visible()

    passphrase.fill(PASSPHRASE)
    confirmation.fill(PASSPHRASE + "!")
    start.click()
    expect(dialog.get_by_text("The two passphrases differ")).to_be_visible()
    expect(confirmation).to_have_attribute("aria-invalid", "true")
    expect(passphrase).not_to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []

    # A plain Helm chart carries no secret: no passphrase is asked.
    dialog.get_by_label("Plain Helm chart").check()
    expect(dialog.get_by_label("Passphrase", exact=True)).to_have_count(0)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert sent == []

    sent = _watch(page, "/imports")
    dialog = _open_import(page, console_platform.url)
    expect(dialog.get_by_label("Keep the bundle's custom domains")).to_be_checked()
    expect(dialog.get_by_label("Team")).to_be_visible()
    assert serious_violations(page) == []

    submit = dialog.get_by_role("button", name="Import", exact=True)
    submit.click()
    expect(dialog.get_by_text("Choose the bundle file.")).to_be_visible()
    expect(dialog.get_by_text("Give the new service a name.")).to_be_visible()
    expect(dialog.get_by_text("Give a passphrase.")).to_be_visible()
    expect(dialog.get_by_label("Bundle file (.qcb)")).to_be_focused()

    dialog.get_by_label("Bundle file (.qcb)").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a bundle"}]
    )
    dialog.get_by_label("New service name").fill("Not_A_Name")
    dialog.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    submit.click()
    expect(dialog.get_by_text("This is not a bundle")).to_be_visible()
    expect(dialog.get_by_text("Lowercase letters, digits and hyphens only")).to_be_visible()
    expect(dialog.get_by_label("New service name")).to_have_attribute("aria-invalid", "true")
    assert serious_violations(page) == []
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert sent == []


def test_a_service_exported_with_a_passphrase_is_imported_under_another_name_and_team(
    admin_page: Page, console_platform: Platform, admin_api: httpx.Client, service: str, other_team: str, tmp_path: Path
) -> None:
    page = admin_page
    dialog = _open_export(page, console_platform.url, service)
    dialog.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    dialog.get_by_label("Passphrase again").fill(PASSPHRASE)
    dialog.get_by_role("button", name="Start the export").click()
    progress = dialog.get_by_role("region", name=re.compile(f"^Progress of export {service}"))
    expect(progress.get_by_role("status")).to_have_text("Done.", timeout=OPERATION_MS)

    with page.expect_download() as started:
        dialog.get_by_role("button", name=re.compile("^Download")).click()
    download = started.value
    assert download.suggested_filename.endswith(".qcb"), download.suggested_filename
    bundle = tmp_path / download.suggested_filename
    download.save_as(bundle)
    assert bundle.stat().st_size > 0
    expect(dialog.get_by_text(re.compile(r"^Saved as .+\.qcb"))).to_be_visible()
    assert serious_violations(page) == []

    dialog = _open_import(page, console_platform.url)
    dialog.get_by_label("Bundle file (.qcb)").set_input_files(str(bundle))
    dialog.get_by_label("New service name").fill(COPY)
    dialog.get_by_label("Team").select_option(label=TEAM)
    dialog.get_by_label("Passphrase", exact=True).fill(PASSPHRASE)
    dialog.get_by_role("button", name="Import", exact=True).click()
    progress = dialog.get_by_role("region", name=re.compile("^Progress of import"))
    expect(progress.get_by_role("status")).to_have_text("Done.", timeout=OPERATION_MS)
    expect(dialog.get_by_text(f"{COPY} is imported.")).to_be_visible()
    assert serious_violations(page) == []

    dialog.get_by_role("link", name=f"Open the service {COPY}").click()
    expect(page.get_by_role("heading", name=COPY, level=1)).to_be_visible()
    expect(page.locator(".service-summary")).to_contain_text("Running", timeout=OPERATION_MS)

    copies = [s for s in admin_api.get("/api/v1/services").json()["services"] if s["service"] == COPY]
    assert [(s["app"], s["status"], s["team"]) for s in copies] == [("gitea", "running", other_team)], copies
    original = admin_api.get(f"/api/v1/services/{service}").json()
    assert original["team"] != other_team and original["status"] == "running"
