"""Notifications: an alert and platform events (an install and a backup that failed) reach a real webhook
receiver (signature checked), a Slack-format receiver and a real SMTP server once each; a channel of one
team never gets another team's events; an unreachable channel is retried, recorded failed, and raises the
component alert; every try is in the delivery log; no channel secret crosses the bus in clear."""

from __future__ import annotations

import email
import ssl
from pathlib import Path
from typing import Any

from quickon_common.contracts.backup import BackupFailed
from quickon_common.contracts.deploy import AppInstallFailed
from quickon_common.contracts.monitor import AlertFired
from quickon_common.envelope import Envelope
from quickon_common.natsserver import NatsServer, free_port
from support.bus import eventually, publish, query, running, stream_messages
from support.monitor import (
    WITHOUT_PROMETHEUS,
    fire,
    monitor_events,
    monitor_service,
    receiver,
    save_channel,
    sealer,
    signature_ok,
    smtp_server,
)
from support.pki import make_pki

SECRET = "webhook-signing-secret-4f1c"
SMTP_PASSWORD = "smtp-password-99a2"


async def test_an_alert_reaches_each_channel_of_its_team_once_and_a_dead_one_raises_an_alert(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    sealing = sealer(tmp_path)
    async with (
        receiver() as http,
        smtp_server() as (mailbox, smtp_port),
        running(monitor_service(url, database_url, tmp_path), but=WITHOUT_PROMETHEUS),
    ):
        hook = await save_channel(url, sealing, team="team-a", target={"url": http.url("/hook"), "secret": SECRET},
                                  name="ops webhook", kind="webhook")  # fmt: skip
        await save_channel(url, sealing, team="team-a", target={"url": http.url("/slack")}, name="ops slack",
                           kind="slack", language="zh")  # fmt: skip
        await save_channel(
            url, sealing, team="team-a", target={"password": SMTP_PASSWORD}, name="ops mail", kind="email",
            email={"host": "127.0.0.1", "port": smtp_port, "starttls": False, "sender": "quickon@example.com",
                   "recipients": ["oncall@example.com"]},
        )  # fmt: skip
        dead_port = free_port()  # nothing listens there
        dead = await save_channel(url, sealing, team="team-a", target={"url": f"http://127.0.0.1:{dead_port}/x"},
                                  name="dead", kind="webhook")  # fmt: skip
        other = await save_channel(url, sealing, team="team-b", target={"url": http.url("/team-b"), "secret": SECRET},
                                   name="team b", kind="webhook")  # fmt: skip

        alert = await fire(url, team="team-a")
        # Platform events, as the deployer and the backup service publish their outcomes.
        install = AppInstallFailed(service="cache", namespace="team-a", reason="no node has 4 CPUs free", step="wait")
        installed = await publish(url, install, envelope=Envelope.new(install, source="deployer", team="team-a"))
        backup = BackupFailed(backup_id="b1", service="cache", namespace="team-a", reason="store full", step="copy")
        backed_up = await publish(url, backup, envelope=Envelope.new(backup, source="backup", team="team-a"))

        raised: list[str] = []  # the envelope id of the component alert the dead channel raised

        async def failing_alert_raised() -> bool:
            raised[:] = [
                envelope.id for event, envelope in await monitor_events(url)
                if isinstance(event, AlertFired) and event.alert_id == f"notification-channel-failing:{dead}"
            ]  # fmt: skip
            return bool(raised)

        await eventually(failing_alert_raised, what="the dead channel's component alert")
        assert len(raised) == 1, raised  # once, however many of its deliveries failed
        # Each live channel of team A gets the alert and the component alert its dead neighbour raised.
        expected = sorted([alert.id, raised[0], installed.id, backed_up.id])
        await eventually(lambda: _ids(http.on("/hook"), http.on("/slack"), mailbox.messages, expected=expected),
                         what="both alerts at each live channel of team A")  # fmt: skip

        # team B's channel works: it gets team B's alert, and only that one.
        theirs = await fire(url, team="team-b")
        await eventually(lambda: _ids(http.on("/team-b"), expected=[theirs.id]), what="team B's alert at its channel")
        assert [r.headers["X-QuickOn-Event-Id"] for r in http.on("/team-b")] == [theirs.id]
        assert sorted(r.headers["X-QuickOn-Event-Id"] for r in http.on("/hook")) == expected  # once each
        assert len(http.on("/slack")) == len(mailbox.messages) == 4
        by_id = {r.headers["X-QuickOn-Event-Id"]: r.json() for r in http.on("/hook")}
        assert (by_id[installed.id]["topic"], by_id[installed.id]["event"]["reason"]) == (
            "install.failed", "no node has 4 CPUs free"
        )  # fmt: skip
        assert "Install failed: cache (team-a)" in by_id[installed.id]["title"]
        assert by_id[backed_up.id]["link"] == "http://127.0.0.1:8080/services/cache/backups?namespace=team-a"

        (webhook,) = [r for r in http.on("/hook") if r.headers["X-QuickOn-Event-Id"] == alert.id]
        assert signature_ok(webhook, SECRET)
        assert webhook.headers["X-QuickOn-Event-Id"] == alert.id
        assert webhook.headers["Idempotency-Key"] == f"{alert.id}:{hook}"
        body = webhook.json()
        assert (body["topic"], body["event"]["rule"], body["event"]["severity"]) == (
            "alert.fired",
            "node-disk",
            "critical",
        )
        assert body["link"] == "http://127.0.0.1:8080/services/cache?namespace=team-a"
        assert "What to do" in body["text"]

        (slack,) = [r for r in http.on("/slack") if "node-disk" in r.json()["text"]]
        assert "告警触发" in slack.json()["text"]  # the channel's language
        assert "<http://127.0.0.1:8080/services/cache?namespace=team-a|" in slack.json()["text"]

        ((sender, recipients, content),) = [m for m in mailbox.messages if alert.id.encode() in m[2]]
        mail = email.message_from_bytes(content)
        assert (sender, recipients) == ("quickon@example.com", ["oncall@example.com"])
        assert "node-disk" in mail["Subject"] and mail["X-QuickOn-Event-Id"] == alert.id

        log = await query(url, "qc.query.monitor.deliveries", {"channel_id": dead, "caller": {"is_admin": True}})
        failed = next(d for d in log["deliveries"] if d["event_id"] == alert.id)
        assert (failed["state"], failed["tries"]) == ("failed", 3)
        assert [a["ok"] for a in failed["attempts"]] == [False, False, False]
        assert "ConnectError" in failed["attempts"][0]["detail"]
        log = await query(url, "qc.query.monitor.deliveries", {"channel_id": hook, "caller": {"is_admin": True}})
        assert [(d["state"], d["tries"]) for d in log["deliveries"]] == [("delivered", 1)] * 4
        assert {d["attempts"][0]["status"] for d in log["deliveries"]} == {200}

        hidden = await query(url, "qc.query.monitor.channel", {"channel_id": other, "caller": {"teams": ["team-a"]}})
        assert hidden["error"]["status"] == 404  # team A's members do not see team B's channel

    # Nothing the bus carried holds a channel's secret, its SMTP password or a webhook's path in clear.
    carried = b"".join(m.data + str(m.headers).encode() for m in await stream_messages(url))
    for clear in (SECRET, SMTP_PASSWORD, "/hook", "/slack"):
        assert clear.encode() not in carried, clear


async def _ids(*receivers: list[Any], expected: list[str]) -> bool:
    """Whether each receiver got at least the events ``expected`` (by event id)."""
    for found in receivers:
        ids = [r.headers["X-QuickOn-Event-Id"] if hasattr(r, "headers") else _mail_id(r) for r in found]
        if sorted(set(ids)) != sorted(expected):
            return False
    return True


def _mail_id(message: tuple[str, list[str], bytes]) -> str:
    return str(email.message_from_bytes(message[2])["X-QuickOn-Event-Id"])


async def test_email_goes_over_starttls_with_auth_to_a_server_whose_ca_the_platform_trusts(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url, pki = nats_server.url, make_pki(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(pki.server_cert, pki.server_key)
    monitor = monitor_service(url, f"sqlite:///{tmp_path / 'monitor.db'}", tmp_path, smtp_ca_file=pki.ca)
    logins = {"quickon": SMTP_PASSWORD}
    async with smtp_server(tls=server_tls, logins=logins) as (mailbox, port), running(monitor, but=WITHOUT_PROMETHEUS):
        mail = {"host": "127.0.0.1", "port": port, "username": "quickon", "sender": "quickon@example.com",
                "recipients": ["oncall@example.com"]}  # fmt: skip
        good = await save_channel(url, sealer(tmp_path), team="team-a", target={"password": SMTP_PASSWORD},
                                  name="mail", kind="email", email=mail)  # fmt: skip
        bad = await save_channel(url, sealer(tmp_path), team="team-a", target={"password": "wrong"},
                                 name="mail", kind="email", email=mail)  # fmt: skip
        asked = {"caller": {"teams": ["team-a"]}}
        sent = await query(url, "qc.query.monitor.test_channel", {"channel_id": good, **asked})
        assert (sent["ok"], sent["status"]) == (True, 250), sent
        refused = await query(url, "qc.query.monitor.test_channel", {"channel_id": bad, **asked})
        assert refused["ok"] is False and "SMTPAuthenticationError" in refused["detail"], refused
    assert mailbox.logins == ["quickon"]
    ((_sender, recipients, content),) = mailbox.messages
    assert recipients == ["oncall@example.com"] and b"Test message from QuickOn" in content


async def test_the_delivery_log_forgets_finished_deliveries_after_its_retention_not_pending_ones(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    monitor = monitor_service(url, database_url, tmp_path, log_keep_s=0.5, prune_every_s=0.2, tries=5,
                              backoff_s=3600, backoff_max_s=3600)  # fmt: skip
    async with receiver() as http, running(monitor, but=WITHOUT_PROMETHEUS):
        live = await save_channel(url, sealer(tmp_path), team="team-a", target={"url": http.url("/hook")},
                                  name="live", kind="webhook")  # fmt: skip
        dead = await save_channel(url, sealer(tmp_path), team="team-a", target={"url": http.url("/down")},
                                  name="dead", kind="webhook")  # fmt: skip
        alert = await fire(url, team="team-a")

        async def log_of(channel: str) -> list[dict[str, Any]]:
            found = await query(
                url, "qc.query.monitor.deliveries", {"channel_id": channel, "caller": {"is_admin": True}}
            )
            deliveries: list[dict[str, Any]] = found["deliveries"]
            return deliveries

        async def retried_later() -> bool:
            return [(d["state"], d["tries"]) for d in await log_of(dead)] == [("pending", 1)]

        await eventually(retried_later, what="the dead channel's first try, the next one an hour away")
        await eventually(lambda: _ids(http.on("/hook"), expected=[alert.id]), what="the alert at the live channel")

        async def forgotten() -> bool:
            return await log_of(live) == []

        await eventually(forgotten, what="the delivered alert pruned from the log")
        assert [(d["state"], d["tries"]) for d in await log_of(dead)] == [("pending", 1)]
