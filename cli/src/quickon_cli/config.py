"""Where ``qc`` finds the gateway and its token: flags, then environment, then the config file.

The config file (``$XDG_CONFIG_HOME/quickon/config.json``, by default
``~/.config/quickon/config.json``) holds ``{url, token, username}`` as ``qc login`` wrote it,
readable by its owner only since the token is a credential.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from quickon_common.files import temporary_sibling

DEFAULT_URL = "http://127.0.0.1:8080"


class ConfigError(Exception):
    """The config file exists but cannot be used."""


@dataclass(frozen=True)
class Config:
    """What ``qc login`` keeps between runs."""

    url: str | None = None
    token: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class Target:
    """The gateway a command talks to, and how it authenticates."""

    url: str
    token: str | None
    username: str | None = None


def config_path(env: Mapping[str, str]) -> Path:
    """The config file's path: under ``XDG_CONFIG_HOME`` when set, else ``~/.config``."""
    base = env.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base else Path(env.get("HOME") or Path.home()) / ".config"
    return root / "quickon" / "config.json"


def load(path: Path) -> Config:
    """The config at ``path``; an empty one when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path} is not valid JSON ({error}); fix it or run `qc login` again") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} does not hold a JSON object; fix it or run `qc login` again")
    return Config(**{k: str(v) for k, v in data.items() if k in ("url", "token", "username") and v is not None})


def save(path: Path, config: Config) -> None:
    """Write ``config`` atomically, readable and writable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = temporary_sibling(path)  # one per call: two saves at once must not share it
    body = json.dumps({k: v for k, v in asdict(config).items() if v is not None}, indent=2) + "\n"
    # Created 0600 from the start: the token is never readable by others, not even for an instant.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o600)  # in case the file was left by an earlier run with other bits
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def same_url(a: str, b: str) -> bool:
    """Whether two gateway URLs name the same server (a trailing slash does not matter)."""
    return a.rstrip("/") == b.rstrip("/")


def resolve(*, url: str | None, token: str | None, env: Mapping[str, str], config: Config) -> Target:
    """The gateway URL and token: ``--url``/``--token``, then ``QC_URL``/``QC_TOKEN``, then the
    config file, then the default URL. The config file's token is only sent to the URL it was
    issued by, never to another server named by a flag or the environment."""
    chosen_url = (url or env.get("QC_URL") or config.url or DEFAULT_URL).rstrip("/")
    chosen_token = token or env.get("QC_TOKEN") or None
    username = None
    if chosen_token is None and config.token and (config.url is None or same_url(config.url, chosen_url)):
        chosen_token, username = config.token, config.username
    return Target(url=chosen_url, token=chosen_token, username=username)
