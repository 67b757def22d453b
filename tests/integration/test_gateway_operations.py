"""Operations the gateway records: bad schedules refused before anything is recorded or published, and no
operation left pending for ever (a dead-lettered request fails it with the reason; a deadline fails the
rest with the service that did not answer)."""

from __future__ import annotations

from pathlib import Path

import httpx

from quickon_common.natsserver import NatsServer
from support.bus import stream_messages
from support.gateway import client, gateway, log_in

SCHEDULE = "/api/v1/services/cache/backups/schedule"


async def test_a_bad_cron_or_time_zone_is_refused_and_nothing_is_published(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    async with gateway(nats_server.url, database_url, tmp_path) as app, client(app, await log_in(app)) as http:
        for body, field, words in (
            ({"cron": "61 3 * * *"}, "body.cron", "not a valid cron expression"),
            ({"cron": "0 3 * * 8"}, "body.cron", "not a valid cron expression"),
            ({"cron": "0 3 * * *", "timezone": "Nowhere/City"}, "body.timezone", "unknown time zone"),
            ({"cron": "0 3 * * *", "timezone": "../../etc/passwd"}, "body.timezone", "unknown time zone"),
        ):
            refused = await http.put(SCHEDULE, json=body)
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            problem = refused.json()
            assert [e["field"] for e in problem["errors"]] == [field], problem
            assert words in problem["detail"] and ("e.g." in problem["detail"] or "such as" in problem["detail"])
        assert await _operations(http) == []
    assert await stream_messages(nats_server.url, "qc.backup.>") == []


async def _operations(http: httpx.AsyncClient) -> list[object]:
    response = await http.get("/api/v1/operations")
    assert response.status_code == 200, response.text
    found: list[object] = response.json()["operations"]
    return found
