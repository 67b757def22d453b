# ruff: noqa: RUF001 (the Chinese messages use Chinese punctuation: full-width colons and commas)
"""The words of a notification, in English or Chinese, with a link to where to act in the console.

Pure: a notice and a language in, a title, a body and a link out; each channel's adapter lays them out in
its receiver's format.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from .domain import Notice

TITLES = {
    "en": {
        "alert.fired": "[{severity}] Alert firing: {rule}",
        "alert.resolved": "Resolved: {rule}",
        "install.succeeded": "Installed: {service}",
        "install.failed": "Install failed: {service}",
        "upgrade.succeeded": "Upgraded: {service}",
        "upgrade.failed": "Upgrade failed: {service}",
        "backup.succeeded": "Backup completed: {service}",
        "backup.failed": "Backup failed: {service}",
        "test": "Test message from QuickOn",
    },
    "zh": {
        "alert.fired": "【{severity}】告警触发：{rule}",
        "alert.resolved": "告警已恢复：{rule}",
        "install.succeeded": "安装成功：{service}",
        "install.failed": "安装失败：{service}",
        "upgrade.succeeded": "升级成功：{service}",
        "upgrade.failed": "升级失败：{service}",
        "backup.succeeded": "备份完成：{service}",
        "backup.failed": "备份失败：{service}",
        "test": "QuickOn 测试消息",
    },
}
NEXT = {
    "en": {
        "alert.fired": "Open the alert, look at the service's health and events, and fix or silence it.",
        "alert.resolved": "Nothing to do; the alert's history stays in the console.",
        "failed": "Open the operation in the console to see which step failed and why, then retry.",
        "succeeded": "Nothing to do; the details are in the console.",
        "test": "This channel works: QuickOn's alerts and events will arrive here.",
    },
    "zh": {
        "alert.fired": "请打开告警，查看服务的健康状况与事件，然后修复或静默它。",
        "alert.resolved": "无需操作；告警历史仍可在控制台查看。",
        "failed": "请在控制台打开该操作，查看哪一步失败及原因，然后重试。",
        "succeeded": "无需操作；详情见控制台。",
        "test": "此通知渠道可用：QuickOn 的告警与事件将发送到这里。",
    },
}
LABELS = {
    "en": {"service": "Service", "namespace": "Namespace", "summary": "Summary", "reason": "Reason",
           "version": "Version", "team": "Team", "next": "What to do", "link": "Open in QuickOn", "at": "At"},
    "zh": {"service": "服务", "namespace": "命名空间", "summary": "摘要", "reason": "原因",
           "version": "版本", "team": "团队", "next": "下一步", "link": "在 QuickOn 中打开", "at": "时间"},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Message:
    """A notification's words: a one-line title, the facts as labelled lines, what to do, and the link."""

    title: str
    lines: tuple[tuple[str, str], ...]
    next_step: str
    link: str
    link_label: str

    def plain(self) -> str:
        """The message as plain text (email, text-only bots)."""
        facts = "\n".join(f"{label}: {value}" for label, value in self.lines)
        return f"{self.title}\n\n{facts}\n\n{self.next_step}\n{self.link_label}: {self.link}"

    def markdown(self) -> str:
        """The message as the Markdown most bots read (DingTalk, WeCom, Feishu's text is plain)."""
        facts = "\n".join(f"- **{label}**: {value}" for label, value in self.lines)
        return f"### {self.title}\n\n{facts}\n\n{self.next_step}\n\n[{self.link_label}]({self.link})"


def link_of(notice: Notice, public_url: str) -> str:
    """Where in the console to act on ``notice``: the service's page (its backups for a backup), else the
    alerts page."""
    base = public_url.rstrip("/")
    if notice.service and notice.namespace:
        tail = "/backups" if notice.topic.startswith("backup.") else ""
        return f"{base}/services/{quote(notice.service)}{tail}?{urlencode({'namespace': notice.namespace})}"
    if notice.alert_id:
        return f"{base}/alerts?{urlencode({'alert': notice.alert_id})}"
    return f"{base}/"


def render(notice: Notice, *, language: str, public_url: str) -> Message:
    """The message of ``notice`` in ``language`` (en or zh)."""
    words = language if language in TITLES else "en"
    values = {
        "severity": (notice.severity or "").upper(), "rule": notice.rule or notice.alert_id or "",
        "service": f"{notice.service} ({notice.namespace})" if notice.service else (notice.rule or ""),
    }  # fmt: skip
    title = TITLES[words].get(notice.topic, notice.event_type).format(**values)
    labels = LABELS[words]
    facts = [
        (labels[name], value)
        for name, value in (
            ("summary", notice.summary),
            ("reason", notice.reason),
            ("service", notice.service),
            ("namespace", notice.namespace),
            ("version", notice.version),
            ("team", notice.team),
            ("at", notice.time.strftime("%Y-%m-%d %H:%M:%S UTC")),
        )
        if value
    ]
    kind = notice.topic if notice.topic in NEXT[words] else notice.topic.rsplit(".", 1)[-1]
    next_step = f"{labels['next']}: {NEXT[words].get(kind, NEXT[words]['succeeded'])}"
    return Message(title, tuple(facts), next_step, link_of(notice, public_url), labels["link"])
