"""Operations the gateway records: bad schedules refused before anything is recorded or published, and no
operation left pending for ever (a dead-lettered request fails it with the reason; a deadline fails the
rest with the service that did not answer)."""

from __future__ import annotations

from pathlib import Path

import httpx

from quickon_common.bus import dead_letter
from quickon_common.contracts.deploy import ServiceRestartRequested
from quickon_common.natsserver import NatsServer
from support.bus import connect, eventually, stream_messages
from support.gateway import client, gateway, log_in
from support.gateway_flows import accepted, settled

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


async def test_a_dead_lettered_request_fails_its_operation_with_the_reason(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    async with gateway(url, database_url, tmp_path) as app, client(app, await log_in(app)) as http:
        observed = accepted(await http.post("/api/v1/services/cache/restart"))
        lost = accepted(await http.post("/api/v1/services/store/restart"))
        await eventually(lambda: _stored(url, 2), what="both requests in the stream")
        requests = {m.data: m for m in await stream_messages(url, ServiceRestartRequested.subject)}
        # The owner (the deployer) gives up on one request as its consumer does after the last try; an
        # observer (the audit) gives up on the other, which does not stop the deployer from carrying it out.
        nc = await connect(url)
        js = nc.jetstream()
        for operation, service in ((lost, "deployer"), (observed, "audit")):
            msg = next(m for data, m in requests.items() if operation["operation_id"].encode() in data)
            reason = f"RuntimeError: {service} cannot take it"
            await dead_letter(js, msg, service=service, consumer=f"{service}-restart", reason=reason, tries=5)
        await nc.close()

        failed = await settled(http, lost, timeout_s=30)
        assert failed["state"] == "failed", failed
        assert failed["error"]["reason"] == (
            "the deployer service could not take the request: RuntimeError: deployer cannot take it"
        )
        assert failed["finished_at"]
        assert (await http.get(f"/api/v1/operations/{observed['operation_id']}")).json()["state"] == "pending"
        # The list filtered by state (the console's filter) keeps to that state.
        for state, expected in (("failed", lost), ("pending", observed)):
            listed = (await http.get("/api/v1/operations", params={"state": state})).json()["operations"]
            assert [o["operation_id"] for o in listed] == [expected["operation_id"]], (state, listed)
        assert (await http.get("/api/v1/operations", params={"state": "lost"})).status_code == 422


async def test_an_operation_nobody_answers_fails_at_its_deadline(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    # No deployer runs: nothing will ever answer the request.
    async with (
        gateway(nats_server.url, database_url, tmp_path, operation_deadline_s=1) as app,
        client(app, await log_in(app)) as http,
    ):
        operation = await settled(http, accepted(await http.post("/api/v1/services/cache/restart")), timeout_s=30)
        assert operation["state"] == "failed", operation
        reason = operation["error"]["reason"]
        assert reason.startswith("no answer from the deployer service for 1 s") and "run the command again" in reason


async def _stored(url: str, count: int) -> bool:
    return len(await stream_messages(url, ServiceRestartRequested.subject)) == count


async def _operations(http: httpx.AsyncClient) -> list[object]:
    response = await http.get("/api/v1/operations")
    assert response.status_code == 200, response.text
    found: list[object] = response.json()["operations"]
    return found
