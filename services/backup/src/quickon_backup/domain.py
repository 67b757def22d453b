"""The backup domain, pure: what a backup holds (its manifest), where its objects go, and how volumes
of one service map onto another's. No I/O here."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MANIFEST_FORMAT = 1
BACKUP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
PartKind = Literal["release", "manifests", "volume", "dump"]


class Part(BaseModel):
    """One object of a backup: what it is, where it lies, its size and SHA-256 (of the stored plaintext)."""

    model_config = ConfigDict(frozen=True)

    name: str  # "release", "manifests", a claim's name, a dump's name
    kind: PartKind
    key: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    format: str = "tar"  # "json", "tar", "sql"


class Release(BaseModel):
    """The release as the deployer knows it: enough to install it again. Secret values stay sealed."""

    model_config = ConfigDict(frozen=True)

    app: str
    version: str
    repository: str | None = None
    revision: int
    values: dict[str, Any] = Field(default_factory=dict)
    sealed_secrets: str | None = None
    secret_paths: list[str] = Field(default_factory=list)


class Manifest(BaseModel):
    """A complete backup. Written last: a backup without its manifest is not one."""

    model_config = ConfigDict(frozen=True)

    format: int = MANIFEST_FORMAT
    backup_id: str
    service: str
    namespace: str
    trigger: str
    created_at: datetime
    runtime: str
    release: Release
    parts: list[Part]
    notes: list[str] = Field(default_factory=list)  # what could not be taken, and why

    @property
    def size_bytes(self) -> int:
        return sum(part.size for part in self.parts)

    def volumes(self) -> list[Part]:
        return [part for part in self.parts if part.kind == "volume"]


def backup_prefix(namespace: str, service: str, backup_id: str) -> str:
    """Where one backup's objects live in the store."""
    return f"backups/{namespace}/{service}/{backup_id}/"


def manifest_key(namespace: str, service: str, backup_id: str) -> str:
    return backup_prefix(namespace, service, backup_id) + "manifest.json"


def part_key(namespace: str, service: str, backup_id: str, kind: PartKind, name: str) -> str:
    extension = {"release": "json", "manifests": "json", "volume": "tar", "dump": "sql"}[kind]
    folder = "" if kind in ("release", "manifests") else f"{kind}s/"
    return f"{backup_prefix(namespace, service, backup_id)}{folder}{name}.{extension}"


def new_backup_id(now: datetime, suffix: str) -> str:
    """A backup id that sorts by time: ``20261201t030000z-1a2b3c``."""
    return f"{now.strftime('%Y%m%dt%H%M%Sz')}-{suffix}"


def match_volumes(*, backup: list[str], source: str, target: list[str], release: str) -> dict[str, str]:
    """Which of ``target``'s claims (of release ``release``) receives each claim of a backup taken of
    ``source``: charts name claims after the release (``data-cache-redis-0``), so the backup's name with
    the release's name swapped is looked for; one volume on each side is paired whatever the names.
    Claims that find no match are left out: the caller decides whether that is an error."""
    if source == release:
        return {claim: claim for claim in backup if claim in target}
    if len(backup) == 1 and len(target) == 1:
        return {backup[0]: target[0]}
    wanted = set(target)
    found: dict[str, str] = {}
    for claim in backup:
        for candidate in _renamed(claim, source, release):
            if candidate in wanted:
                found[claim] = candidate
                break
    return found


def _renamed(claim: str, source: str, release: str) -> list[str]:
    """``claim`` with one dash-delimited occurrence of ``source`` replaced by ``release``, each in turn,
    the last first (a template named like the release comes before it: ``data-data-redis-0``)."""
    tokens, name = claim.split("-"), source.split("-")
    width = len(name)
    starts = [i for i in range(len(tokens) - width + 1) if tokens[i : i + width] == name]
    return ["-".join([*tokens[:i], release, *tokens[i + width :]]) for i in reversed(starts)]
