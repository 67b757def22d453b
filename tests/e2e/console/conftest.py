"""The e2e tests' shared platform (tests/e2e/conftest.py), one Chromium, and a page per
test signed in as the admin; a test that fails leaves a screenshot in test-results/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from support.browser import chromium, screenshot, sign_in, token_of
from support.platform import ADMIN_PASSWORD, Platform

WEB_DIST = Path(__file__).resolve().parents[3] / "web" / "dist" / "index.html"


@pytest.fixture(scope="package")
def console_platform(shared_platform: Platform) -> Platform:
    assert WEB_DIST.is_file(), "the console is not built: `make test` builds it (make web)"
    return shared_platform


@pytest.fixture(scope="package")
def admin_api(console_platform: Platform) -> Iterator[httpx.Client]:
    """The admin, through the HTTP API: how the tests set up what a page is then checked against."""
    token = token_of(console_platform.url, "admin", ADMIN_PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=console_platform.url, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with chromium() as (_playwright, launched):
        yield launched


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def fresh_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new browser context (no session), English unless the test switches; screenshot if the test fails."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        yield page
    finally:
        if request.node.stash.get(FAILED, False):
            print(f"screenshot: {screenshot(page, request.node.nodeid)}")
        context.close()


@pytest.fixture
def admin_page(fresh_page: Page, console_platform: Platform) -> Page:
    sign_in(fresh_page, console_platform.url, "admin", ADMIN_PASSWORD)
    return fresh_page


@pytest.fixture
def browser_zh_page(browser: Browser) -> Iterator[Page]:
    """A browser whose language is Chinese, with no language chosen yet."""
    context = browser.new_context(locale="zh-CN")
    yield context.new_page()
    context.close()
