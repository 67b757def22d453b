"""Sending one message to one channel and saying what the receiver answered.

HTTP goes through httpx without following redirects (a redirect could lead inside); every address the
host resolves to is checked first against the platform's egress rule (:mod:`quickon_common.egress`).
Email goes through the standard library's ``smtplib`` in a thread: STARTTLS and AUTH are built in, a
notification is one short message at a time, and it adds no dependency (aiosmtplib would save the
thread, which nothing here needs).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from quickon_common.contracts.channels import ChannelDefinition, EmailTarget
from quickon_common.egress import Allowance, resolved_refusal

from ..messages import Message
from . import formats

DETAIL_MAX = 500  # what is kept of a receiver's answer in the delivery log


@dataclass(frozen=True, slots=True)
class Target:
    """A channel's address and secrets, opened from their seal only to send."""

    url: str | None = None
    secret: str | None = None
    password: str | None = None

    @classmethod
    def of(cls, opened: dict[str, Any]) -> Target:
        return cls(url=opened.get("url"), secret=opened.get("secret"), password=opened.get("password"))


@dataclass(frozen=True, slots=True)
class Receipt:
    """What became of one try: taken or not, the receiver's status, what it said (or why it was not reached)."""

    ok: bool
    status: int | None
    detail: str


def smtp_tls(ca_file: Path | None) -> ssl.SSLContext:
    """The TLS an SMTP server's STARTTLS is checked with: the system's CAs, and ``ca_file``'s when given."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


@dataclass(frozen=True, slots=True)
class Sender:
    """Sends messages within ``timeout_s``, to the addresses ``allowance`` and the public internet allow;
    STARTTLS checks the SMTP server's certificate with ``tls``, HTTPS the receiver's with ``https``."""

    timeout_s: float
    allowance: Allowance
    tls: ssl.SSLContext
    # Made once: building a context loads the system's CAs, about 30 ms of CPU that a burst of sends would
    # otherwise spend one after the other (40 alerts at once waited 0.9 s for their contexts).
    https: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    async def send(
        self, definition: ChannelDefinition, target: Target, message: Message, notice: dict[str, Any], *, key: str
    ) -> Receipt:
        """Send ``message`` (about ``notice``); ``key`` identifies this delivery to a receiver that de-duplicates."""
        try:
            if definition.kind == "email":
                if definition.email is None:
                    return Receipt(False, None, "the channel has no SMTP server")
                return await self._mail(definition.email, target, message, key=key)
            return await self._post(definition.kind, self._request(definition.kind, target, message, notice), key=key)
        except (httpx.HTTPError, OSError, smtplib.SMTPException) as error:
            return Receipt(False, None, _short(f"{type(error).__name__}: {error}"))

    def _request(self, kind: str, target: Target, message: Message, notice: dict[str, Any]) -> formats.Request:
        url, now = target.url or "", time.time()
        if kind == "webhook":
            return formats.webhook(url, target.secret, message, notice, now_s=int(now))
        if kind == "slack":
            return formats.slack(url, message)
        if kind == "dingtalk":
            return formats.dingtalk(url, target.secret, message, now_ms=int(now * 1000))
        if kind == "wecom":
            return formats.wecom(url, message)
        return formats.feishu(url, target.secret, message, now_s=int(now))

    async def _post(self, kind: str, request: formats.Request, *, key: str) -> Receipt:
        parsed = urlparse(request.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            return Receipt(False, None, "the channel's URL is not an http(s) URL")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        if refused := await resolved_refusal(parsed.hostname, port, self.allowance):
            return Receipt(False, None, f"{refused}: not sent (QC_NOTIFY_ALLOWED_HOSTS may allow it)")
        headers = {
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "QuickOn-Notifier/1",
            formats.EVENT_HEADER: key.split(":", 1)[0], formats.IDEMPOTENCY_HEADER: key, **request.headers,
        }  # fmt: skip
        async with httpx.AsyncClient(
            timeout=self.timeout_s, verify=self.https, follow_redirects=False, trust_env=False
        ) as client:
            answer = await client.post(request.url, content=request.body, headers=headers)
        ok = formats.accepted(kind, answer.status_code, answer.text)
        return Receipt(ok, answer.status_code, _short(answer.text) or answer.reason_phrase)

    async def _mail(self, email: EmailTarget, target: Target, message: Message, *, key: str) -> Receipt:
        if refused := await resolved_refusal(email.host, email.port, self.allowance):
            return Receipt(False, None, f"{refused}: not sent (QC_NOTIFY_ALLOWED_HOSTS may allow it)")
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message.title, email.sender, ", ".join(email.recipients)
        # The same id on a resent mail lets a mail system (or a reader) see it is the same message.
        mail["Message-ID"] = make_msgid(idstring=key.replace(":", "."), domain="quickon")
        mail["X-QuickOn-Event-Id"] = key.split(":", 1)[0]
        mail.set_content(message.plain())
        return await asyncio.to_thread(self._smtp, email, target.password, mail)

    def _smtp(self, email: EmailTarget, password: str | None, mail: EmailMessage) -> Receipt:
        with smtplib.SMTP(email.host, email.port, timeout=self.timeout_s) as smtp:
            smtp.ehlo()
            if email.starttls:
                smtp.starttls(context=self.tls)
                smtp.ehlo()
            if email.username:
                smtp.login(email.username, password or "")
            refused = smtp.send_message(mail)
            code, said = smtp.noop()
        if refused:
            return Receipt(False, None, _short(f"recipients refused: {refused}"))
        return Receipt(True, 250, _short(f"accepted for {len(email.recipients)} recipient(s); {code} {said!r}"))


def _short(text: str) -> str:
    return text.strip()[:DETAIL_MAX]
