"""The Prometheus runner: Debian's prometheus starts on a free port, scrapes what its file names, and
takes a changed file on reload."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

from quickon_common.prometheusserver import PrometheusServer


def _query(url: str, promql: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{url}/api/v1/query?query={urllib.parse.quote(promql)}", timeout=5) as response:
        result: list[dict[str, object]] = json.load(response)["data"]["result"]
        return result


def _eventually(check, what: str, timeout_s: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _config(targets: dict[str, str]) -> str:
    jobs = "".join(
        f"  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n" for job, target in targets.items()
    )
    return f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n{jobs}"


def test_prometheus_scrapes_itself_and_takes_a_new_target_on_reload(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1s\nscrape_configs: []\n")
    with PrometheusServer(config, tmp_path / "data") as server:
        assert _query(server.url, "up") == []
        config.write_text(_config({"self": f"127.0.0.1:{server.port}", "nobody": "127.0.0.1:9"}))
        server.reload()

        def scraped() -> dict[str, object] | None:
            up = {result["metric"]["job"]: result["value"][1] for result in _query(server.url, "up")}  # type: ignore[index]
            return up if len(up) == 2 else None

        up = _eventually(scraped, "both targets scraped")
        assert up == {"self": "1", "nobody": "0"}
