"""The alerts area, the dashboard's alerts card and the monitoring page in Chromium: an admin creates a rule from
a template (a bad summary refused by the gateway at once), changes and disables it; adds a webhook channel (a
loopback URL refused, a name the platform allows accepted), sends it a test that a real receiver gets, and
reads the delivery; an Alertmanager alert shows on the dashboard and, live, on the alerts page, is acknowledged
and silenced from the page, the silence expired; a viewer reads rules and alerts but is offered no change; the
monitoring page draws nodes, services and components. Every page: no serious accessibility violation.

Names start with ``mon-``/``Mon``: the platform is shared with the other console tests (its
QC_NOTIFY_ALLOWED_HOSTS allows ``localhost``, see tests/e2e/conftest.py)."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page, expect

from support.browser import serious_violations, sign_in, succeeded, wait_until
from support.monitor import Receiver, receiver, signature_ok
from support.platform import Platform

OPERATION_MS = 60_000  # how long an operation may take to end on a busy machine (expect waits 5 s by default)
VIEWER_PASSWORD = "mon-viewer-password-4711"


def alertmanager(api: httpx.Client, name: str, status: str, severity: str = "critical") -> None:
    """Alertmanager's webhook, as an outside Alertmanager would send it: one alert, firing or resolved."""
    alert = {
        "status": status, "labels": {"alertname": name, "severity": severity, "instance": "db:9100"},
        "annotations": {"summary": f"{name} on db"}, "startsAt": datetime.now(UTC).isoformat(),
        "fingerprint": uuid.uuid5(uuid.NAMESPACE_DNS, name).hex[:16],
    }  # fmt: skip
    body = {"version": "4", "status": status, "receiver": "quickon", "alerts": [alert]}
    succeeded(api, api.post("/api/v1/alerts/alertmanager", json=body))


@pytest.fixture(scope="module")
def hook() -> Iterator[Receiver]:
    """A real webhook receiver (aiohttp, support/monitor.py) on its own event loop beside the sync browser."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    running = receiver()
    found = asyncio.run_coroutine_threadsafe(running.__aenter__(), loop).result(30)
    try:
        yield found
    finally:
        asyncio.run_coroutine_threadsafe(running.__aexit__(None, None, None), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def test_an_admin_creates_a_rule_from_a_template_changes_and_disables_it(
    admin_page: Page, admin_api: httpx.Client
) -> None:
    page = admin_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    page.get_by_role("navigation", name="Alert sections").get_by_role("link", name="Rules").click()
    expect(page).to_have_url(re.compile("/alerts/rules$"))
    expect(page.locator("tr[data-rule='ServiceRestarting']")).to_contain_text("built in")

    form = page.get_by_role("form", name="Create a rule")
    form.get_by_label(re.compile("^Name")).fill("mon-restarts")
    form.get_by_label(re.compile("^Template")).select_option("restarts")
    form.get_by_label("Count").fill("7")
    form.get_by_label("Firing after").fill("2m")
    form.get_by_label("Severity").select_option("critical")
    # A summary the monitor could not fill in is refused by the gateway before anything is recorded.
    form.get_by_label("Summary").fill("{{ .Labels.pod }} restarts")
    form.get_by_role("button", name="Create rule").click()
    expect(form.get_by_role("alert")).to_contain_text("is not a placeholder")
    expect(form.get_by_label("Summary")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Summary").fill("{{ $labels.pod }} restarts")
    form.get_by_role("button", name="Create rule").click()
    expect(page.get_by_role("region", name=re.compile("^Progress of create_rule"))).to_contain_text(
        "Done.", timeout=OPERATION_MS
    )
    row = page.locator("tr[data-rule='mon-restarts']")
    expect(row).to_contain_text("Platform")
    expect(row).to_contain_text("Count: 7")
    expect(row).to_contain_text("critical")
    assert serious_violations(page) == []

    row.get_by_role("button", name="Edit mon-restarts").click()
    editor = page.get_by_role("form", name="Edit mon-restarts")
    editor.get_by_label("Severity").select_option("warning")
    editor.get_by_label("Firing after").fill("10m")
    assert serious_violations(page) == []
    editor.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("warning", timeout=OPERATION_MS)
    expect(row).to_contain_text("Firing after: 10m")
    row.get_by_role("button", name="Disable mon-restarts").click()
    expect(row).to_have_attribute("data-enabled", "false", timeout=OPERATION_MS)
    saved = next(r for r in admin_api.get("/api/v1/alert-rules").json()["rules"] if r["name"] == "mon-restarts")
    assert (saved["team"], saved["params"], saved["for_s"]) == (None, {"count": 7, "window_s": 600}, 600)
    assert (saved["severity"], saved["enabled"]) == ("warning", False)


def test_a_webhook_channel_is_added_tested_and_its_delivery_logged(
    admin_page: Page, console_platform: Platform, hook: Receiver
) -> None:
    page = admin_page
    page.goto(f"{console_platform.url}/alerts/channels")
    form = page.get_by_role("form", name="Add a channel")
    form.get_by_label(re.compile("^Name")).fill("mon-hook")
    form.get_by_label("Kind").select_option("webhook")
    url = form.get_by_label(re.compile("^URL"))
    url.fill(f"http://127.0.0.1:{hook.port}/hook")
    form.get_by_label("Signing secret").fill("mon-secret")
    form.get_by_role("button", name="Add channel").click()
    expect(form.get_by_role("alert")).to_contain_text("127.0.0.1 is a loopback address")
    expect(url).to_have_attribute("aria-invalid", "true")

    url.fill(f"http://localhost:{hook.port}/hook")
    form.get_by_label("Signing secret").fill("mon-secret")
    form.get_by_role("button", name="Add channel").click()
    expect(page.get_by_role("region", name=re.compile("^Progress of create_channel"))).to_contain_text(
        "Done.", timeout=OPERATION_MS
    )
    row = page.locator("tr[data-channel='mon-hook']")
    expect(row).to_contain_text(f"http://localhost:{hook.port}")
    expect(row).to_contain_text("Alert fired")
    expect(form.get_by_label("Signing secret")).to_have_value("")  # the form starts afresh, the secret gone
    assert serious_violations(page) == []

    row.get_by_role("button", name="Send a test message to mon-hook").click()
    expect(row.get_by_role("status")).to_contain_text("Test message delivered (200)", timeout=OPERATION_MS)
    received = wait_until(lambda: hook.on("/hook"), what="the test message at the receiver")
    assert signature_ok(received[0], "mon-secret")
    row.get_by_role("button", name="Delivery log of mon-hook").click()
    log = page.get_by_role("table", name="Delivery log of mon-hook")
    expect(log.locator("tr[data-delivery='test']")).to_have_attribute("data-state", "delivered")
    assert serious_violations(page) == []


def test_an_alert_shows_on_the_dashboard_and_live_is_acknowledged_and_silenced(
    admin_page: Page, console_platform: Platform, admin_api: httpx.Client
) -> None:
    page = admin_page
    alertmanager(admin_api, "MonDiskSlow", "firing")
    page.goto(f"{console_platform.url}/")
    card = page.locator("[data-card='alerts']")
    expect(card.locator("li[data-alert='MonDiskSlow']")).to_contain_text("MonDiskSlow on db")
    expect(card.locator("li[data-severity='critical'] strong")).not_to_have_text("0")
    assert serious_violations(page) == []
    card.get_by_role("link", name="All alerts").click()
    expect(page).to_have_url(re.compile("/alerts$"))
    expect(page.locator("[data-connection]")).to_have_attribute("data-connection", "live")
    row = page.locator("tr[data-alert='MonDiskSlow']")
    expect(row).to_have_attribute("data-state", "firing")

    # Live: an alert that fires while the page is open shows without a reload, and goes when it resolves.
    alertmanager(admin_api, "MonLiveAlert", "firing", severity="warning")
    live = page.locator("tr[data-alert='MonLiveAlert']")
    expect(live).to_contain_text("MonLiveAlert on db", timeout=OPERATION_MS)

    row.get_by_role("button", name="Acknowledge MonDiskSlow").click()
    expect(row).to_contain_text("seen by admin", timeout=OPERATION_MS)

    row.get_by_role("button", name="Silence MonDiskSlow").click()
    silence = page.get_by_role("form", name="Silence MonDiskSlow")
    expect(silence.get_by_label("Value of matcher 1")).to_have_value("MonDiskSlow")  # alertname first
    silence.locator("[data-matcher='instance']").get_by_role("button", name=re.compile("^Remove matcher")).click()
    silence.get_by_label("For how long").fill("soon")
    silence.get_by_role("button", name="Silence", exact=True).click()
    expect(silence.get_by_role("alert")).to_contain_text("Give a duration such as 30m")
    silence.get_by_label("For how long").fill("1h")
    silence.get_by_label("Why").fill("mon: disks being replaced")
    assert serious_violations(page) == []
    silence.get_by_role("button", name="Silence", exact=True).click()
    expect(page.get_by_role("region", name=re.compile("^Progress of create_silence"))).to_contain_text(
        "Done.", timeout=OPERATION_MS
    )
    held = page.locator("tr[data-silence]").filter(has_text="mon: disks being replaced")
    expect(held).to_contain_text('alertname="MonDiskSlow"')
    expect(held).not_to_contain_text("instance=")
    expect(held).to_have_attribute("data-state", "active")
    silence_id = held.get_attribute("data-silence")
    held.get_by_role("button", name=f"Expire the silence {silence_id}").click()
    expect(page.locator(f"tr[data-silence='{silence_id}']")).to_have_count(0, timeout=OPERATION_MS)

    alertmanager(admin_api, "MonLiveAlert", "resolved", severity="warning")
    expect(live).to_have_count(0, timeout=OPERATION_MS)
    alertmanager(admin_api, "MonDiskSlow", "resolved")


def test_a_viewer_reads_rules_alerts_and_channels_but_is_offered_no_change(
    fresh_page: Page, console_platform: Platform, admin_api: httpx.Client
) -> None:
    made = admin_api.post("/api/v1/users", json={"username": "mon-viewer", "password": VIEWER_PASSWORD})
    assert made.status_code == 201, made.text
    added = admin_api.post("/api/v1/teams/default/members", json={"username": "mon-viewer", "role": "viewer"})
    assert added.status_code in (200, 201), added.text
    alertmanager(admin_api, "MonViewerSees", "firing", severity="info")
    sign_in(fresh_page, console_platform.url, "mon-viewer", VIEWER_PASSWORD)
    page = fresh_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    row = page.locator("tr[data-alert='MonViewerSees']")
    expect(row).to_contain_text("Platform")
    expect(row.get_by_role("button", name=re.compile("^(Acknowledge|Silence) "))).to_have_count(0)
    page.get_by_role("navigation", name="Alert sections").get_by_role("link", name="Rules").click()
    expect(page.get_by_role("note")).to_contain_text("You are an admin of no team")
    expect(page.get_by_role("form", name="Create a rule")).to_have_count(0)
    expect(page.locator("tr[data-rule='ServiceNotReady']")).to_be_visible()
    changes = re.compile("^(Edit|Enable|Disable|Delete) ")
    expect(page.locator("tr[data-rule]").get_by_role("button", name=changes)).to_have_count(0)
    page.get_by_role("navigation", name="Alert sections").get_by_role("link", name="Notification channels").click()
    expect(page.get_by_role("form", name="Add a channel")).to_have_count(0)
    assert serious_violations(page) == []
    alertmanager(admin_api, "MonViewerSees", "resolved", severity="info")


def test_the_monitoring_page_draws_nodes_services_and_components(
    admin_page: Page, console_platform: Platform, admin_api: httpx.Client
) -> None:
    """The platform runs Prometheus (qc up does): a platform admin gets every series, placed by what it is
    about, each drawn (a canvas) or saying its range holds no data yet (the first scrapes)."""
    page = admin_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Monitoring").click()
    expect(page.get_by_role("heading", name="Monitoring", level=1)).to_be_visible()
    offered = admin_api.get("/api/v1/metrics/series")
    assert offered.status_code == 200, offered.text
    names = {s["name"] for s in offered.json()["series"]}
    assert {"node_cpu", "service_cpu", "component_up"} <= names
    drawn = [("node", "node_cpu"), ("component", "component_up")]
    if admin_api.get("/api/v1/services").json()["services"]:
        drawn.append(("service", "service_cpu"))
    else:  # none installed yet (this test on its own): the section says how to get some
        expect(page.locator("section[data-scope='service']")).to_contain_text("No service installed yet")
    for scope, series in drawn:
        figure = page.locator(f"section[data-scope='{scope}'] figure[data-series='{series}']")
        expect(figure).to_be_visible(timeout=OPERATION_MS)
        expect(figure.locator("canvas").or_(figure.get_by_text("No data in this range."))).to_be_visible(
            timeout=OPERATION_MS
        )
    # The platform's components are scraped from the start: their chart has data.
    expect(page.locator("figure[data-series='component_up'] canvas")).to_be_visible(timeout=OPERATION_MS)
    assert serious_violations(page) == []
