"""The console in Debian's Chromium, driven by Playwright (the PyPI package, with the system browser: no
browser is downloaded), signed in as a given user, with helpers the console tests share."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, expect, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
SERIOUS = ("serious", "critical")


@contextmanager
def chromium() -> Iterator[tuple[Playwright, Browser]]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield playwright, browser
        finally:
            browser.close()


def local_only(context: BrowserContext, blocked: list[str]) -> None:
    """Every request to anything but 127.0.0.1 fails, and is noted in ``blocked`` (the console must need none)."""

    def route(route_: Route) -> None:
        url = route_.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith("data:"):
            route_.continue_()
        else:
            blocked.append(url)
            route_.abort()

    context.route("**/*", route)


def token_of(url: str, username: str, password: str) -> str:
    answer = httpx.post(f"{url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=30)
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(f"{url}/")
    page.get_by_label(re.compile("^(Username|用户名)$")).fill(username)
    page.get_by_label(re.compile("^(Password|密码)$")).fill(password)
    page.get_by_role("button", name=re.compile("^(Log in|登录)$")).click()
    expect(page.get_by_role("button", name=re.compile("^(Sign out|退出登录)$"))).to_be_visible()


def use_english(page: Page) -> None:
    page.get_by_label(re.compile("^(Language|语言)$")).first.select_option("en")


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one readable line each."""
    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [node["target"] for node in violation["nodes"]][:3]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def screenshot(page: Page, test_name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", test_name)[:150] + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_until(check: Callable[[], Any], *, what: str, timeout_s: float = 120) -> Any:
    """``check()``'s first truthy answer, asked every 0.3 s; an AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)
    return found


def succeeded(api: httpx.Client, answer: httpx.Response) -> dict[str, Any]:
    """The operation a 202 started, once it has ended, which must be in success."""
    assert answer.status_code == 202, answer.text
    path = f"/api/v1/operations/{answer.json()['operation_id']}"

    def ended() -> dict[str, Any] | None:
        now: dict[str, Any] = api.get(path).json()
        return now if now["state"] in ("succeeded", "failed") else None

    done: dict[str, Any] = wait_until(ended, what=path)
    assert done["state"] == "succeeded", done
    return done
