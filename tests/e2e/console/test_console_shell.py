"""The console as a first visitor meets it: served by the gateway, offline, signed in through its form, in
Chinese or English, accessible."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from support.browser import local_only, serious_violations, sign_in
from support.platform import ADMIN_PASSWORD, Platform


def test_the_console_loads_with_everything_but_127_0_0_1_blocked_and_signs_in(
    fresh_page: Page, console_platform: Platform
) -> None:
    blocked: list[str] = []
    local_only(fresh_page.context, blocked)
    errors: list[str] = []
    fresh_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    fresh_page.on("pageerror", lambda e: errors.append(str(e)))

    fresh_page.goto(f"{console_platform.url}/")
    fresh_page.get_by_label("Username").fill("admin")
    fresh_page.get_by_label("Password").fill("not the password")
    fresh_page.get_by_role("button", name="Log in").click()
    expect(fresh_page.get_by_role("alert")).to_contain_text("wrong username or password")

    sign_in(fresh_page, console_platform.url, "admin", ADMIN_PASSWORD)
    expect(fresh_page.get_by_text("Signed in as admin")).to_be_visible()
    expect(fresh_page.get_by_role("navigation", name="Main").get_by_role("link", name="Services")).to_be_visible()
    assert blocked == [], f"the console reached beyond the gateway: {blocked}"
    # The 401 of the wrong password is logged by the browser as a failed resource; nothing else may fail
    # (a script refused by the CSP, an exception).
    assert [e for e in errors if "401" not in e] == []


def test_a_signed_in_dashboard_asks_for_its_data_once_from_the_page_itself(
    admin_page: Page, console_platform: Platform
) -> None:
    # index.html's inline script asks for the dashboard's data before the code arrives; the CSP allows that
    # one script by its hash. Were the script refused, or its answers not taken, the code would ask again.
    errors: list[str] = []
    admin_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    admin_page.goto(f"{console_platform.url}/")
    expect(admin_page.locator('[data-figure="services-total"]')).to_be_visible()
    expect(admin_page.locator('[data-resource="nodes"]')).to_be_visible()
    asked = admin_page.evaluate(
        "() => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname + new URL(r.name).search)"
    )
    for path in ("/api/v1/overview", "/api/v1/auth/me"):
        assert asked.count(path) == 1, f"{path} asked {asked.count(path)} times: {asked}"
    assert admin_page.evaluate("() => Object.keys(window.quickonEarly)") == []  # every early answer was taken
    # The alerts card asks only once the overview has answered: the first figures never wait behind it.
    expect(admin_page.locator("[data-card='alerts']").get_by_role("link", name="All alerts")).to_be_visible()
    timing = admin_page.evaluate(
        "() => Object.fromEntries(performance.getEntriesByType('resource')"
        ".map((r) => [new URL(r.name).pathname, [r.startTime, r.responseEnd]]))"
    )
    assert timing["/api/v1/overview"][1] <= timing["/api/v1/alerts"][0], timing
    # The code is asked for before the inline script runs (vite.config.ts puts the entry first), not after it.
    script = next(path for path in timing if path.startswith("/assets/") and path.endswith(".js"))
    assert timing[script][0] <= timing["/api/v1/overview"][0], timing
    assert errors == []
    policy = httpx.get(f"{console_platform.url}/", headers={"Accept": "text/html"}).headers["content-security-policy"]
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]{44}';", policy), policy
    assert "unsafe-inline" not in policy.split("style-src")[0]


def test_a_client_route_reloads_into_the_console_and_the_session_ends_on_sign_out(
    admin_page: Page, console_platform: Platform
) -> None:
    admin_page.goto(f"{console_platform.url}/services")
    expect(admin_page.get_by_role("link", name="Services")).to_have_class(re.compile("active"))
    admin_page.get_by_role("button", name="Sign out").click()
    expect(admin_page.get_by_role("button", name="Log in")).to_be_visible()
    admin_page.reload()
    expect(admin_page.get_by_role("button", name="Log in")).to_be_visible()


def test_switching_language_changes_the_page_text_and_is_remembered(admin_page: Page) -> None:
    nav = admin_page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Market")).to_be_visible()
    admin_page.get_by_label("Language").select_option("zh-CN")
    expect(admin_page.get_by_role("navigation", name="主菜单").get_by_role("link", name="应用市场")).to_be_visible()
    expect(admin_page.locator("html")).to_have_attribute("lang", "zh-CN")
    admin_page.reload()
    expect(admin_page.get_by_role("button", name="退出登录")).to_be_visible()
    admin_page.get_by_label("语言").select_option("en")
    expect(nav.get_by_role("link", name="Market")).to_be_visible()


def test_a_chinese_browser_gets_chinese_at_first(browser_zh_page: Page, console_platform: Platform) -> None:
    browser_zh_page.goto(f"{console_platform.url}/")
    expect(browser_zh_page.get_by_role("button", name="登录")).to_be_visible()
    expect(browser_zh_page.get_by_label("用户名")).to_be_visible()


def test_the_login_page_has_no_serious_accessibility_violation(fresh_page: Page, console_platform: Platform) -> None:
    fresh_page.goto(f"{console_platform.url}/")
    expect(fresh_page.get_by_role("button", name="Log in")).to_be_visible()
    assert serious_violations(fresh_page) == []


def test_assets_are_cached_for_a_year_and_gzipped_while_pages_are_never_cached(console_platform: Platform) -> None:
    page = httpx.get(f"{console_platform.url}/services/gitea", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    assert "content-security-policy" in page.headers
    script = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
    assert script, page.text
    asset = httpx.get(console_platform.url + script.group(1), headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert asset.headers["content-encoding"] == "gzip"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    # The API keeps answering misses as problem documents, browsers or not.
    missing = httpx.get(f"{console_platform.url}/api/v1/nothing-here", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    escape = httpx.get(f"{console_platform.url}/assets/..%2F..%2F..%2Fpyproject.toml")
    assert escape.status_code == 404
