"""What every command gets: its parsed arguments, the gateway it talks to, and how to print."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config as cfg
from . import output

if TYPE_CHECKING:  # httpx loads only when a command talks to the gateway (see errors.py)
    import httpx

    from .client import Client


class UsageError(Exception):
    """The command line asks for something impossible (exit 2)."""


@dataclass
class Context:
    """One run of ``qc``."""

    args: argparse.Namespace
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    transport: httpx.BaseTransport | None = None  # tests only: a MockTransport instead of the network

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def tty(self) -> bool:
        return sys.stdout.isatty()

    @cached_property
    def config_path(self) -> Path:
        return cfg.config_path(self.env)

    @cached_property
    def config(self) -> cfg.Config:
        return cfg.load(self.config_path)

    @cached_property
    def target(self) -> cfg.Target:
        return cfg.resolve(
            url=getattr(self.args, "url", None),
            token=getattr(self.args, "token", None),
            env=self.env,
            config=self.config,
        )

    @cached_property
    def client(self) -> Client:
        return self.connect(self.target.url, self.target.token)

    def connect(self, url: str, token: str | None) -> Client:
        """A client for ``url`` (login and logout talk to a gateway of their own choosing)."""
        from .client import Client

        return Client(url, token, transport=self.transport)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()

    def show(self, answer: Any, text: str | None) -> None:
        """The API's answer as JSON with ``--json``, else ``text`` (nothing when it is None)."""
        if self.json:
            output.emit_json(answer)
        elif text is not None:
            print(text, flush=True)

    @property
    def namespace(self) -> str | None:
        """The namespace named with -n; None lets the gateway choose (the caller's only team's, else 'default')."""
        found = getattr(self.args, "namespace", None)
        return str(found) if found else None
