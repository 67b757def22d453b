"""Each receiver's request, built without I/O: the URL, the body and the headers it expects.

- Generic webhook: QuickOn's JSON; ``X-QuickOn-Signature: sha256=<hex HMAC-SHA256 of the body>`` with the
  channel's secret. The body carries its ``timestamp`` (also in ``X-QuickOn-Timestamp``), so the signature
  covers it: a receiver refuses an old timestamp (a replay) and a repeated ``X-QuickOn-Event-Id``.
- Slack-compatible incoming webhook: ``{"text": …}`` in Slack's mrkdwn; it answers ``ok``.
- DingTalk custom robot: markdown; with a secret, ``&timestamp=<ms>&sign=<urlencoded base64
  HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>")>`` on the URL; it answers ``{"errcode": 0}``.
- WeCom (企业微信) group robot: markdown (the key is in the URL); it answers ``{"errcode": 0}``.
- Feishu custom bot: text; with a secret, ``timestamp`` (s) and ``sign`` = base64 HMAC-SHA256 with key
  ``"<timestamp>\\n<secret>"`` of an empty message, in the body; it answers ``{"code": 0}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from ..messages import Message

SIGNATURE_HEADER = "X-QuickOn-Signature"
TIMESTAMP_HEADER = "X-QuickOn-Timestamp"
EVENT_HEADER = "X-QuickOn-Event-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True, slots=True)
class Request:
    url: str
    body: bytes
    headers: dict[str, str]


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def sign_body(secret: str, body: bytes) -> str:
    """The generic webhook's signature header value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook(url: str, secret: str | None, message: Message, notice: dict[str, Any], *, now_s: int) -> Request:
    body = _json({
        "id": notice["event_id"], "topic": notice["topic"], "timestamp": now_s, "title": message.title,
        "text": message.plain(), "link": message.link, "event": notice,
    })  # fmt: skip
    headers = {TIMESTAMP_HEADER: str(now_s)}
    if secret:
        headers[SIGNATURE_HEADER] = sign_body(secret, body)
    return Request(url, body, headers)


def slack(url: str, message: Message) -> Request:
    facts = "\n".join(f"*{label}*: {value}" for label, value in message.lines)
    text = f"*{message.title}*\n{facts}\n{message.next_step}\n<{message.link}|{message.link_label}>"
    return Request(url, _json({"text": text}), {})


def dingtalk(url: str, secret: str | None, message: Message, *, now_ms: int) -> Request:
    if secret:
        digest = hmac.new(secret.encode(), f"{now_ms}\n{secret}".encode(), hashlib.sha256).digest()
        sign = quote_plus(base64.b64encode(digest).decode())
        url = f"{url}{'&' if '?' in url else '?'}timestamp={now_ms}&sign={sign}"
    body = {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.markdown()}}
    return Request(url, _json(body), {})


def wecom(url: str, message: Message) -> Request:
    return Request(url, _json({"msgtype": "markdown", "markdown": {"content": message.markdown()}}), {})


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's ``sign``: the key is the timestamp and the secret, the message empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu(url: str, secret: str | None, message: Message, *, now_s: int) -> Request:
    body: dict[str, Any] = {"msg_type": "text", "content": {"text": message.plain()}}
    if secret:
        body = {"timestamp": str(now_s), "sign": feishu_sign(secret, now_s), **body}
    return Request(url, _json(body), {})


def accepted(kind: str, status: int, text: str) -> bool:
    """Whether the receiver took the message: a 2xx, and for the bots that answer 200 to everything, the
    error code in the body says so."""
    if not 200 <= status < 300:
        return False
    if kind in ("dingtalk", "wecom", "feishu"):
        try:
            answer = json.loads(text)
        except ValueError:
            return False
        if not isinstance(answer, dict):
            return False
        return answer.get("errcode", answer.get("code", answer.get("StatusCode"))) == 0
    return True
