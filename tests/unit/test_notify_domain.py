"""The notification rules without I/O: which channel gets which event, the back-off, the messages' words
and links, each receiver's format and signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest

from quickon_common.contracts.channels import ChannelDefinition
from quickon_common.contracts.deploy import AppInstallFailed
from quickon_common.contracts.monitor import AlertFired
from quickon_common.envelope import Envelope
from quickon_monitor.notify.adapters import formats
from quickon_monitor.notify.domain import Notice, backoff_s, failing_alert_id, notice_of, wants
from quickon_monitor.notify.messages import render

WEBHOOK = ChannelDefinition(name="ops", kind="webhook")


def alert(team: str | None, severity: str = "critical", rule: str = "node-disk", alert_id: str = "a1") -> Notice:
    event = AlertFired(alert_id=alert_id, rule=rule, severity=severity, summary="disk 93%", service="db",  # type: ignore[arg-type]
                       namespace="red")  # fmt: skip
    found = notice_of(event, Envelope.new(event, source="monitor", team=team))
    assert found is not None
    return found


def test_a_channel_gets_only_its_own_teams_events() -> None:
    assert wants(WEBHOOK, channel_id="c1", channel_team="red", notice=alert("red"))
    assert not wants(WEBHOOK, channel_id="c1", channel_team="red", notice=alert("blue"))
    assert not wants(WEBHOOK, channel_id="c1", channel_team="red", notice=alert(None))
    assert not wants(WEBHOOK, channel_id="c1", channel_team=None, notice=alert("red"))  # the platform's: its own only
    assert wants(WEBHOOK, channel_id="c1", channel_team=None, notice=alert(None))


def test_topics_severities_and_the_switch_are_obeyed() -> None:
    assert not wants(WEBHOOK, channel_id="c1", channel_team="red", notice=alert("red", severity="info"))
    only_failures = WEBHOOK.model_copy(update={"topics": ["install.failed"]})
    assert not wants(only_failures, channel_id="c1", channel_team="red", notice=alert("red"))
    failed = AppInstallFailed(service="db", namespace="red", reason="no capacity", step="wait")
    notice = notice_of(failed, Envelope.new(failed, source="deployer", team="red"))
    assert notice is not None and notice.topic == "install.failed" and notice.reason == "no capacity"
    assert wants(only_failures, channel_id="c1", channel_team="red", notice=notice)
    assert not wants(WEBHOOK.model_copy(update={"enabled": False}), channel_id="c1", channel_team="red",
                     notice=alert("red"))  # fmt: skip


def test_a_channel_never_gets_the_alert_its_own_failure_raised() -> None:
    own = alert("red", severity="warning", rule="notification-channel-failing", alert_id=failing_alert_id("c1"))
    assert not wants(WEBHOOK, channel_id="c1", channel_team="red", notice=own)
    assert wants(WEBHOOK, channel_id="c2", channel_team="red", notice=own)  # its neighbours hear of it


def test_the_back_off_doubles_up_to_its_cap() -> None:
    assert [backoff_s(tries=n, first_s=5, max_s=60) for n in range(1, 6)] == [5, 10, 20, 40, 60]


@pytest.mark.parametrize(("language", "words"), [("en", "Alert firing"), ("zh", "告警触发")])
def test_the_message_says_what_happened_what_to_do_and_where(language: str, words: str) -> None:
    message = render(alert("red"), language=language, public_url="https://quickon.example.com/")
    assert words in message.title and "node-disk" in message.title
    assert message.link == "https://quickon.example.com/services/db?namespace=red"
    assert message.next_step and "disk 93%" in message.plain() and message.link in message.markdown()


def test_the_generic_webhook_signs_its_body_which_carries_the_timestamp() -> None:
    message = render(alert("red"), language="en", public_url="http://q")
    request = formats.webhook("http://r/x", "s3cret", message, {"event_id": "e1", "topic": "alert.fired"}, now_s=1700)
    expected = "sha256=" + hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers[formats.SIGNATURE_HEADER] == expected
    assert json.loads(request.body)["timestamp"] == 1700 == int(request.headers[formats.TIMESTAMP_HEADER])


def test_dingtalk_and_feishu_sign_as_their_documentation_says() -> None:
    message = render(alert("red"), language="zh", public_url="http://q")
    ding = formats.dingtalk(
        "https://oapi.dingtalk.com/robot/send?access_token=t", "SECx", message, now_ms=1700000000000
    )
    query = parse_qs(urlparse(ding.url).query)
    digest = hmac.new(b"SECx", b"1700000000000\nSECx", hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(digest).decode()] and query["access_token"] == ["t"]
    feishu = json.loads(formats.feishu("https://open.feishu.cn/x", "fs", message, now_s=1700000000).body)
    digest = hmac.new(b"1700000000\nfs", b"", hashlib.sha256).digest()
    assert (feishu["timestamp"], feishu["sign"]) == ("1700000000", base64.b64encode(digest).decode())
    assert feishu["msg_type"] == "text" and "告警触发" in feishu["content"]["text"]
    wecom = json.loads(formats.wecom("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", message).body)
    assert wecom["msgtype"] == "markdown" and "告警触发" in wecom["markdown"]["content"]


def test_bots_that_answer_200_to_everything_are_read_by_their_error_code() -> None:
    assert formats.accepted("dingtalk", 200, '{"errcode":0,"errmsg":"ok"}')
    assert not formats.accepted("dingtalk", 200, '{"errcode":310000,"errmsg":"sign not match"}')
    assert formats.accepted("feishu", 200, '{"code":0,"msg":"success"}')
    assert not formats.accepted("feishu", 200, '{"code":19021,"msg":"sign match fail"}')
    assert not formats.accepted("wecom", 200, "<html>") and not formats.accepted("wecom", 200, "[0]")
    assert formats.accepted("slack", 200, "ok") and not formats.accepted("slack", 404, "no_service")


def test_a_notice_keeps_the_time_of_its_event() -> None:
    notice = alert("red")
    assert notice.time.tzinfo is not None and notice.time <= datetime.now(UTC)
