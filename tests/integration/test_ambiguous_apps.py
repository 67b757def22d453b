"""An app name two repositories serve is never resolved by guessing: the caller is told to choose, and every
page that prints an install command names the repository when it must."""

from __future__ import annotations

from pathlib import Path

from quickon_common.natsserver import NatsServer
from support.bus import eventually
from support.charts import chart_tgz
from support.gateway_flows import stack, succeeded


async def test_a_name_in_two_repositories_must_be_qualified(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    async with stack(nats_server.url, database_url, tmp_path) as s:
        http = s.http
        assert (await http.get("/api/v1/apps/redis")).json()["install_as"] == "redis"  # unique so far
        chart = chart_tgz("redis", "9.0.0", description="a team's own redis")
        published = await http.post("/api/v1/charts", files={"chart": ("redis-9.0.0.tgz", chart, "application/gzip")})
        assert published.status_code == 201, published.text

        async def refused_as_ambiguous() -> bool:  # the gateway's cached answer goes once the market says it published
            return (await http.get("/api/v1/apps/redis")).status_code == 409

        await eventually(refused_as_ambiguous, timeout_s=10, what="the app page to see both repositories")
        problem = (await http.get("/api/v1/apps/redis")).json()
        assert problem["choices"] == ["builtin/redis", "local/redis"] and "name one" in problem["detail"]
        own = (await http.get("/api/v1/apps/redis", params={"repository": "local"})).json()
        assert own["install_as"] == "local/redis"

        refused = await http.post("/api/v1/services", json={"name": "cache", "app": "redis"})
        assert refused.status_code == 409, refused.text
        assert refused.json()["choices"] == ["builtin/redis", "local/redis"]
        assert (await http.get("/api/v1/services")).json()["services"] == []  # nothing was started

        installed = await succeeded(
            http, await http.post("/api/v1/services", json={"name": "cache", "app": "local/redis"})
        )
        assert installed["state"] == "succeeded"
        service = (await http.get("/api/v1/services/cache")).json()
        assert (service["app"], service["repository"], service["version"]) == ("redis", "local", "9.0.0")
