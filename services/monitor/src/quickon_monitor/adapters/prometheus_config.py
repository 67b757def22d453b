"""The embedded Prometheus' configuration file, kept as the monitor wants it: written when it differs
(atomically: Prometheus may read it at any moment) and taken by Prometheus through its lifecycle API, so
that the samples in its memory stay (a restart would lose them)."""

from __future__ import annotations

import asyncio
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from quickon_common.prometheusserver import PrometheusServerError, prometheus_binary

log = logging.getLogger(__name__)


class PrometheusUnavailable(Exception):
    """Prometheus did not take the configuration; the message says why, for /readyz."""


class PrometheusConfig:
    """The file at ``path``, read by the Prometheus answering at ``url``."""

    def __init__(self, path: Path, url: str) -> None:
        self.path = path
        self.url = url.rstrip("/")
        self._taken: str | None = None  # the text Prometheus last confirmed it loaded

    async def apply(self, text: str) -> None:
        """Make Prometheus run with ``text``: write it when the file differs, reload when Prometheus has not
        taken it yet (it may have restarted on an older file: a reload is cheap and idempotent)."""
        await asyncio.to_thread(self._write, text)
        if self._taken == text and await asyncio.to_thread(self._answers):
            return
        await asyncio.to_thread(self._reload)
        self._taken = text

    def _write(self, text: str) -> None:
        try:
            if self.path.read_text(encoding="utf-8") == text:
                return
        except OSError:
            pass
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, self.path)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=5) as response:
                return int(response.status) == 200
        except OSError:
            return False

    def _reload(self) -> None:
        request = urllib.request.Request(self.url + "/-/reload", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10):
                return
        except urllib.error.HTTPError as error:  # it answers, but refuses the file: its reason is in the body
            detail = error.read().decode("utf-8", "replace").strip()[:300]
            raise PrometheusUnavailable(f"Prometheus at {self.url} refused {self.path}: {detail}") from None
        except OSError as error:
            raise PrometheusUnavailable(f"Prometheus at {self.url} does not answer ({error}){_binary_hint()}") from None


def _binary_hint() -> str:
    """Why it may not answer: on this machine there is no prometheus to run (qc up could not start one)."""
    try:
        prometheus_binary(install=False)
    except PrometheusServerError as error:
        return f"; {error} (make prometheus installs it)"
    return ""


async def keep_applied(
    config: PrometheusConfig, text: str, *, every_s: float, report: Callable[[str | None], None]
) -> None:
    """Apply ``text`` now and every ``every_s`` (Prometheus may restart, or start after the monitor), reporting
    None once it is taken, else the reason (the monitor's ``prometheus`` readiness check)."""
    said: str | None = "not checked yet"
    while True:
        try:
            await config.apply(text)
            reason = None
        except PrometheusUnavailable as error:
            reason = str(error)
        except OSError as error:  # the file could not be written
            reason = f"cannot write {config.path}: {error}"
        if reason != said:  # said once per change, not at every check
            if reason is None:
                log.info("Prometheus at %s runs with %s", config.url, config.path)
            else:
                log.warning("%s", reason)
            said = reason
        report(reason)
        await asyncio.sleep(every_s)
