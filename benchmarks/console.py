"""The console's speed in headless Chromium against a platform with many installed services (1,000; 100
with --quick), on the sim runtime, started as `qc up` starts it (tests/support/platform.py):

- ``js_kb``: the JavaScript the first page transfers (gzip, as the gateway sends it), signed in, up to the
  dashboard's data rendered. Goal ≤ 250 KB.
- ``dashboard_ms``: navigation start to the dashboard's data rendered (the services-by-status card counts
  every installed service, and the resources card shows the nodes: the next frame after the DOM shows it,
  as the page itself records it). Goal ≤ 1 s, and ``dashboard_ratio``
  ≤ 3: against a static HTML page with the same data (what the dashboard shows: the services counted by
  status, the newest, the nodes and their use) served by the same gateway, timed the same way: navigation
  start to the next frame after its data is on the page, noted by the same watcher.
- ``filter_ms``: typing a filter into the 1,000-service list to the rows updated (a mutation of the list
  seen, then the next frame painted). Goal ≤ 100 ms.

Every figure is the median of several runs (7; 5 with --quick), each in a fresh browser context (nothing
cached), console and baseline interleaved so that the machine's load weighs on both alike.

    uv run python benchmarks/console.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from playwright.sync_api import Browser

from support.browser import chromium, token_of
from support.platform import ADMIN_PASSWORD, platform

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
APP, VERSION = "redis", "1.0.0"  # the built-in catalog's smallest chart: one pod
IN_FLIGHT = 50
INSTALL_WAIT_S = 300
# A simulated cluster that holds 1,000 of those pods (50m CPU and 64Mi each): the default three nodes of 4 CPUs
# hold 240, and the installs past them would wait for room until their deadline.
FLEET_CLUSTER = {"QC_DEPLOYER_SIM_NODES": "12", "QC_DEPLOYER_SIM_NODE_CPU": "8", "QC_DEPLOYER_SIM_NODE_MEMORY": "16Gi"}
GOALS = {"js_kb": 250, "dashboard_ms": 1000, "dashboard_ratio": 3, "filter_ms": 100}
# What the console shows once the dashboard's data is there: the count of every installed service, and the
# nodes. The page itself notes when (WATCH_DASHBOARD, added before any of its scripts runs): the first frame
# after the DOM shows it. Polling from here instead would add the harness's own delay (Python, Playwright's
# driver, a round trip to the browser after the navigation commits), which on a loaded machine reached 100 ms
# and more after the data was on the page. The static page marks the same figures the same way, and the same
# watcher times it: a load event comes before the page's first frame, which would compare unlike moments.
WATCH_DASHBOARD = """(() => {
  const total = %d;
  const shown = () => {
    const cell = document.querySelector('[data-figure="services-total"]');
    const nodes = document.querySelector('[data-resource="nodes"]');
    return nodes && cell && Number(cell.getAttribute('data-value')) === total;
  };
  const observer = new MutationObserver(() => {
    if (!shown()) return;
    observer.disconnect();
    requestAnimationFrame(() => { window.__dashboardRendered = performance.now(); });
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true });
})()"""
DASHBOARD_RENDERED = "() => window.__dashboardRendered || false"
SCRIPTS_KB = """() => performance.getEntriesByType('resource')
  .filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js'))
  .reduce((sum, r) => sum + r.encodedBodySize, 0) / 1024"""
# Where the dashboard's time went: when the HTML, the script and the overview's answer arrived (their
# responseEnd), and when the overview was asked for, in ms from navigation start.
TIMELINE = """() => {
  const entries = performance.getEntriesByType('resource');
  const html = performance.getEntriesByType('navigation')[0];
  const script = entries.find((e) => e.name.endsWith('.js'));
  const overview = entries.find((e) => e.name.includes('/api/v1/overview'));
  return {html: html.responseEnd, script: script?.responseEnd, asked: overview?.startTime,
          answered: overview?.responseEnd, dom: html.domContentLoadedEventEnd};
}"""
# Types into the list's filter as a person would (React sees an input event), then waits for the rows to
# change and the next frame: the time the person waits to see the filtered list.
FILTER = """async (text) => {
  const label = [...document.querySelectorAll('label')].find((l) => l.textContent === 'Filter services');
  const input = document.getElementById(label.htmlFor);
  const rows = () => document.querySelectorAll('[role="row"]').length;
  const before = rows();
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const started = performance.now();
  const changed = new Promise((resolve) => {
    const observer = new MutationObserver(() => { if (rows() !== before) { observer.disconnect(); resolve(); } });
    observer.observe(document.body, { childList: true, subtree: true });
  });
  setter.call(input, text);
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await changed;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return performance.now() - started;
}"""


async def install_all(url: str, token: str, count: int) -> None:
    """``count`` services of one small chart, ``IN_FLIGHT`` at a time, each followed until it runs."""
    headers = {"Authorization": f"Bearer {token}"}
    limit = asyncio.Semaphore(IN_FLIGHT)
    done = 0

    async def one(client: httpx.AsyncClient, number: int) -> None:
        nonlocal done
        async with limit:
            body = {"app": APP, "version": VERSION, "name": f"svc-{number:04d}", "team": "default"}
            answer = await client.post("/api/v1/services", json=body)
            answer.raise_for_status()
            operation = answer.json()["operation_id"]
            deadline = time.monotonic() + INSTALL_WAIT_S
            while True:
                state = (await client.get(f"/api/v1/operations/{operation}")).json()
                if state["state"] == "succeeded":
                    break
                if state["state"] == "failed":
                    raise RuntimeError(f"install of svc-{number:04d} failed: {state.get('error')}")
                if time.monotonic() > deadline:  # a full cluster makes pods wait for room, not fail
                    step = state["steps"][-1]
                    raise RuntimeError(f"install of svc-{number:04d} still at {step} after {INSTALL_WAIT_S}s")
                await asyncio.sleep(0.2)
        done += 1
        if done % 100 == 0:
            print(f"  {done}/{count} services installed", flush=True)

    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        await asyncio.gather(*(one(client, n) for n in range(count)))


def static_page(url: str, token: str, folder: Path) -> str:
    """The baseline: what the dashboard shows (its overview: the services by status, the newest, the nodes
    and their CPU and memory) as one static HTML page."""
    overview = httpx.get(f"{url}/api/v1/overview", headers={"Authorization": f"Bearer {token}"}).json()
    services, resources = overview["services"], overview["resources"]
    counts = "".join(f"<li>{html.escape(status)}: {count}</li>" for status, count in services["by_status"].items())
    rows = "".join(
        f"<tr><td>{html.escape(s['service'])}</td><td>{html.escape(s['app'])}</td>"
        f"<td>{html.escape(str(s['version']))}</td><td>{html.escape(str(s['status']))}</td></tr>"
        for s in services["newest"]
    )
    page = (
        f"<!doctype html><html lang=en><title>services</title><p data-figure=services-total "
        f"data-value={services['total']}>{services['total']} services</p><ul>{counts}</ul>"
        f"<table>{rows}</table><p data-resource=nodes>{resources['nodes']} nodes, {resources['nodes_ready']} ready, "
        f"CPU {resources['cpu']['requested']} of {resources['cpu']['capacity']}, "
        f"memory {resources['memory']['requested']} of {resources['memory']['capacity']}</p></html>"
    )
    (folder / "assets" / "baseline-dashboard.html").write_text(page)
    return f"{url}/assets/baseline-dashboard.html"


def signed_in(browser: Browser, token: str) -> Any:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.add_init_script(f"sessionStorage.setItem('quickon.token', {json.dumps(token)})")
    return context


def measure(url: str, token: str, count: int, runs: int, baseline_url: str) -> dict[str, Any]:
    dashboard, static, scripts, filtering = [], [], [], []
    with chromium() as (_playwright, browser):
        for run in range(runs):
            context = signed_in(browser, token)
            context.add_init_script(WATCH_DASHBOARD % count)
            page = context.new_page()
            page.goto(f"{url}/", wait_until="commit")
            dashboard.append(page.wait_for_function(DASHBOARD_RENDERED, timeout=60_000).json_value())
            scripts.append(page.evaluate(SCRIPTS_KB))
            timeline = page.evaluate(TIMELINE)
            page.goto(f"{url}/services")
            page.get_by_label("Filter services").wait_for()
            page.wait_for_function("() => document.querySelectorAll('[role=\"row\"]').length > 1")
            filtering.append(page.evaluate(FILTER, f"svc-{run:03d}7"))
            context.close()
            context = browser.new_context()
            context.add_init_script(WATCH_DASHBOARD % count)
            page = context.new_page()
            page.goto(baseline_url, wait_until="commit")
            static.append(page.wait_for_function(DASHBOARD_RENDERED).json_value())
            context.close()
            print(
                f"  run {run + 1}: dashboard {dashboard[-1]:.0f} ms, static page {static[-1]:.0f} ms, "
                f"js {scripts[-1]:.1f} KB, filter {filtering[-1]:.1f} ms",
                flush=True,
            )
            moments = ", ".join(f"{name} {ms:.0f}" for name, ms in timeline.items() if ms is not None)
            print(f"    dashboard: {moments}", flush=True)
    dashboard_ms, static_ms = statistics.median(dashboard), statistics.median(static)
    return {
        "services": count,
        "js_kb": round(statistics.median(scripts), 1),
        "dashboard_ms": round(dashboard_ms, 1),
        "static_ms": round(static_ms, 1),
        "dashboard_ratio": round(dashboard_ms / static_ms, 2),
        "filter_ms": round(statistics.median(filtering), 1),
    }


def run(quick: bool) -> dict[str, Any]:
    count, runs = (100, 5) if quick else (1000, 7)
    if not (DIST / "index.html").is_file():
        raise SystemExit("the console is not built: run `make web` first")
    with tempfile.TemporaryDirectory(prefix="qc-bench-console-") as work:
        served = Path(work) / "dist"
        shutil.copytree(DIST, served)  # the baseline page goes beside the console's assets, not into web/
        with platform(
            Path(work) / "var", QC_GATEWAY_CONSOLE_DIR=str(served), QC_DEPLOYER_SIM_DELAY_SCALE="0", **FLEET_CLUSTER
        ) as running:
            token = token_of(running.url, "admin", ADMIN_PASSWORD)
            started = time.monotonic()
            print(f"installing {count} services of {APP} {VERSION}…", flush=True)
            asyncio.run(install_all(running.url, token, count))
            print(f"  installed in {time.monotonic() - started:.0f} s", flush=True)
            baseline = static_page(running.url, token, served)
            return measure(running.url, token, count, runs, baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 services, 5 runs (under a minute)")
    figures = run(parser.parse_args().quick)
    for key, goal in GOALS.items():
        verdict = "met" if figures[key] <= goal else "NOT met"
        print(f"{key}: {figures[key]} (goal ≤ {goal}: {verdict})")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
