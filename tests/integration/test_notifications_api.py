"""The notification channels through the gateway's API: bad input refused naming the field (and nothing
made), an address inside the network refused unless the platform allows it, a channel of each kind added,
tested against a real receiver of its format (each signature checked as the receiver does), changed, read
without its secrets, its delivery log, and removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from quickon_common.natsserver import NatsServer, free_port
from support.bus import running
from support.gateway import client, gateway_service, log_in
from support.gateway_flows import succeeded
from support.monitor import (
    WITHOUT_PROMETHEUS,
    dingtalk_sign_ok,
    feishu_sign_ok,
    monitor_service,
    receiver,
    save_channel,
    sealer,
    signature_ok,
)

CHANNELS = "/api/v1/notification-channels"
SECRET = "api-webhook-secret"
BOT_SECRET = "SECbot-secret"

REFUSED: list[tuple[dict[str, Any], int, str, str]] = [
    ({"url": "ftp://example.com/x"}, 422, "body.url", "http(s)"),
    ({"url": "http://169.254.169.254/latest/meta-data"}, 422, "body.url", "cloud metadata"),
    ({"url": "http://10.1.2.3/hook"}, 422, "body.url", "private address"),
    ({"url": "http://localhost:9/hook"}, 422, "body.url", "loopback"),
    ({"url": "http://user:pw@example.com/hook"}, 422, "body.url", "no user or password"),
    ({"kind": "slack", "url": "https://hooks.example.com/x", "secret": "s"}, 422, "body.secret", "no signing secret"),
    ({"password": "p"}, 422, "body.password", "no password"),
    ({"kind": "email"}, 422, "body.url", "has no url"),
    ({"kind": "email", "url": None}, 422, "body.email", "SMTP server"),
    ({"kind": "email", "url": None, "email": {"host": "192.168.1.5", "sender": "q@example.com",
                                              "recipients": ["a@example.com"]}}, 422, "body.email.host", "private"),
    ({"kind": "email", "url": None, "email": {"host": "smtp.example.com", "sender": "q@example.com",
                                              "recipients": []}}, 422, "body.email.recipients", ""),
    ({"kind": "pager"}, 422, "body.kind", ""),
    ({"language": "fr"}, 422, "body.language", ""),
    ({"topics": ["alert.exploded"]}, 422, "body.topics.0", ""),
    ({"team": "nope"}, 404, "body.team", "no team"),
]  # fmt: skip


async def test_channels_are_added_tested_changed_read_and_removed_through_the_api(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    monitor = monitor_service(url, f"sqlite:///{tmp_path / 'monitor.db'}", tmp_path)
    service, app = gateway_service(url, database_url, tmp_path)
    async with (
        receiver() as http,
        running(monitor, but=WITHOUT_PROMETHEUS),
        running(service),
        client(app, await log_in(app)) as admin,
    ):
        assert (await admin.post("/api/v1/teams", json={"name": "red"})).status_code == 201
        base = {"name": "ops", "kind": "webhook", "url": http.url("/hook"), "team": "red"}
        for change, status, field, words in REFUSED:
            answer = await admin.post(CHANNELS, json={**base, **change})
            assert answer.status_code == status, (change, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            problem = answer.json()
            assert field in [e["field"] for e in problem.get("errors", [])], (change, problem)
            assert words in problem["detail"] or words in str(problem["errors"]), (change, problem)
        assert (await admin.get(CHANNELS)).json() == {"channels": []}

        hook = await _add(admin, {**base, "secret": SECRET})
        listed = await admin.get(CHANNELS)
        assert [c["channel_id"] for c in listed.json()["channels"]] == [hook]
        (shown,) = listed.json()["channels"]
        assert shown["definition"]["url_hint"] == f"http://127.0.0.1:{http.port}"
        assert SECRET not in listed.text and "/hook" not in listed.text

        tested = await admin.post(f"{CHANNELS}/{hook}/test")
        assert tested.status_code == 200, tested.text
        assert (tested.json()["ok"], tested.json()["status"]) == (True, 200)
        (sent,) = http.on("/hook")
        assert signature_ok(sent, SECRET)
        assert sent.json()["topic"] == "test" and "This channel works" in sent.json()["text"]

        half = await admin.put(f"{CHANNELS}/{hook}", json={"name": "ops", "kind": "webhook", "secret": "new"})
        assert half.status_code == 422 and half.json()["errors"][0]["field"] == "body.url", half.text
        changed = await admin.put(f"{CHANNELS}/{hook}", json={"name": "ops", "kind": "webhook", "language": "zh"})
        await succeeded(admin, changed)
        assert (await admin.post(f"{CHANNELS}/{hook}/test")).json()["ok"] is True
        again = http.on("/hook")[-1]
        assert signature_ok(again, SECRET)  # the sealed address and secret were kept
        assert "测试消息" in again.json()["title"]

        bots = {
            "dingtalk": {"url": http.url("/dingtalk/robot/send?access_token=t0k"), "secret": BOT_SECRET},
            "wecom": {"url": http.url("/wecom/cgi-bin/webhook/send?key=k3y")},
            "feishu": {"url": http.url("/feishu/open-apis/bot/v2/hook/h00k"), "secret": BOT_SECRET},
            "slack": {"url": http.url("/slack/services/T/B/X")},
        }
        for kind, target in bots.items():
            made = await _add(admin, {"name": kind, "kind": kind, "team": "red", **target})
            result = (await admin.post(f"{CHANNELS}/{made}/test")).json()
            assert result["ok"] is True, (kind, result)
        (ding,) = [r for r in http.requests if r.path.startswith("/dingtalk")]
        assert ding.query["access_token"] == "t0k" and dingtalk_sign_ok(ding, BOT_SECRET)
        assert ding.json()["msgtype"] == "markdown" and "QuickOn" in ding.json()["markdown"]["title"]
        (wecom,) = [r for r in http.requests if r.path.startswith("/wecom")]
        assert wecom.query["key"] == "k3y" and wecom.json()["msgtype"] == "markdown"
        (feishu,) = [r for r in http.requests if r.path.startswith("/feishu")]
        assert feishu_sign_ok(feishu, BOT_SECRET) and feishu.json()["msg_type"] == "text"
        (slack,) = [r for r in http.requests if r.path.startswith("/slack")]
        assert "QuickOn" in slack.json()["text"]

        dead = await _add(admin, {**base, "name": "dead", "url": f"http://127.0.0.1:{free_port()}/x"})
        result = (await admin.post(f"{CHANNELS}/{dead}/test")).json()
        assert result["ok"] is False and "ConnectError" in result["detail"], result

        # Saved on the bus around the gateway's check: the monitor checks the address again when it sends.
        inside = await save_channel(url, sealer(tmp_path), team="red", target={"url": "http://10.255.255.1/x"},
                                    name="inside", kind="webhook")  # fmt: skip
        result = (await admin.post(f"{CHANNELS}/{inside}/test")).json()
        assert result["ok"] is False and "resolves to 10.255.255.1, which is a private address" in result["detail"]

        log = await admin.get(f"{CHANNELS}/{hook}/deliveries")
        assert log.status_code == 200, log.text
        assert [(d["event_type"], d["state"], d["tries"]) for d in log.json()["deliveries"]] == [
            ("test", "delivered", 1), ("test", "delivered", 1),
        ]  # fmt: skip
        assert log.json()["deliveries"][0]["attempts"][0]["status"] == 200

        await succeeded(admin, await admin.delete(f"{CHANNELS}/{hook}"))
        gone = await admin.get(f"{CHANNELS}/{hook}")
        assert gone.status_code == 404, gone.text


async def _add(admin: httpx.AsyncClient, body: dict[str, Any]) -> str:
    answer = await admin.post(CHANNELS, json=body)
    assert answer.status_code == 202, answer.text
    operation = await succeeded(admin, answer)
    channel_id: str = operation["result"]["channel_id"]
    return channel_id
