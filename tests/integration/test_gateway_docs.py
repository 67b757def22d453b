"""The API's documentation pages work offline: Swagger UI and ReDoc load their scripts and styles from the
gateway itself, never from a CDN."""

from __future__ import annotations

import re
from pathlib import Path

from quickon_common.natsserver import NatsServer
from support.gateway import client, gateway

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""")
KINDS = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


async def test_docs_pages_use_only_the_gateways_own_assets(nats_server: NatsServer, tmp_path: Path) -> None:
    async with gateway(nats_server.url, f"sqlite:///{tmp_path / 'gw.db'}", tmp_path) as app, client(app) as http:
        for page in ("/docs", "/redoc"):
            answer = await http.get(page)
            assert answer.status_code == 200, answer.text
            urls = {a or b for a, b in ASSET.findall(answer.text)}
            assert urls, f"{page} names its assets"
            outside = sorted(u for u in urls if not u.startswith("/"))
            assert outside == [], f"{page} loads from outside the gateway: {outside}"
            for url in urls - {app.openapi_url}:
                asset = await http.get(url)
                assert asset.status_code == 200, f"{page}: {url} answered {asset.status_code}"
                kind = next(kind for suffix, kind in KINDS.items() if url.endswith(suffix))
                assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
                assert len(asset.content) > 1000, url
        assert (await http.get(app.openapi_url or "")).json()["openapi"].startswith("3.")
