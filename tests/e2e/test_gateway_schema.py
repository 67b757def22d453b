"""Schemathesis against the gateway's own OpenAPI document, on the platform running as processes: no
answer is a 5xx, and every answer fits the document (status, content type, body schema).

Requests are generated from the document, valid and invalid ones, with an admin's API token; the
events stream is left out (it follows until the client leaves; its own tests cover it).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from support.platform import ADMIN_PASSWORD, Platform

CHECKS = ["not_a_server_error", "response_schema_conformance", "content_type_conformance"]


@pytest.fixture(scope="module")
def running(shared_platform: Platform) -> tuple[Platform, dict[str, str]]:
    login = httpx.post(
        f"{shared_platform.url}/api/v1/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    ).json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    token = httpx.post(f"{shared_platform.url}/api/v1/auth/tokens", json={"name": "schemathesis"}, headers=headers)
    return shared_platform, {"Authorization": f"Bearer {token.json()['token']}"}


@pytest.mark.timeout(900)  # 62 routes, each with generated requests: minutes on a loaded machine
def test_the_gateway_answers_every_request_within_its_document(
    running: tuple[Platform, dict[str, str]], tmp_path: Path
) -> None:
    # The schemathesis CLI, as a user would run it (its pytest loader does not work with pytest 9).
    platform_, headers = running
    # An installed service and a real app and version, so that the generated requests also reach the
    # routes behind an existing name (schemathesis reads schemathesis.toml from its working directory).
    install = httpx.post(
        f"{platform_.url}/api/v1/services", json={"name": "demo", "app": "redis", "version": "1.0.0"}, headers=headers
    )
    assert install.status_code == 202, install.text
    operation = install.headers["location"]
    deadline = time.monotonic() + 120
    while httpx.get(f"{platform_.url}{operation}", headers=headers).json()["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, "the install did not finish"
        time.sleep(0.3)
    (tmp_path / "schemathesis.toml").write_text(
        '[parameters]\n"path.name" = "demo"\n"path.app" = "redis"\n"path.version" = "1.0.0"\n'
    )
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{platform_.url}/openapi.json",
        "--checks", ",".join(CHECKS), "--max-examples", "12", "--seed", "20261126",
        "--phases", "examples,coverage,fuzzing", "--exclude-path", "/api/v1/events",
        "--header", f"Authorization:{headers['Authorization']}", "--request-timeout", "15", "--no-color",
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path)
    # Generated bodies may have set a scan policy that blocks: the tests after this one install on this platform.
    reset = httpx.put(f"{platform_.url}/api/v1/platform/scan-policy", json={}, headers=headers)
    assert reset.status_code == 200, reset.text
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"schemathesis found problems:\n{output[-8000:]}"
    assert " passed" in output and "Tested: " in output


def test_the_document_lists_every_resource(running: tuple[Platform, dict[str, str]]) -> None:
    paths = httpx.get(f"{running[0].url}/openapi.json").json()["paths"]
    for expected in (
        "/api/v1/auth/token", "/api/v1/apps", "/api/v1/apps/{app}", "/api/v1/repositories", "/api/v1/services",
        "/api/v1/services/{name}", "/api/v1/services/{name}/upgrade/preview", "/api/v1/operations/{operation_id}",
        "/api/v1/events", "/api/v1/charts",
    ):  # fmt: skip
        assert expected in paths, f"{expected} is missing from the OpenAPI document"
