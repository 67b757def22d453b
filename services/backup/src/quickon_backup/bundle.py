"""A bundle (``.qcb``): one service whole, in one file that another QuickOn (or this one) imports.

It is a plain tar: ``manifest.json`` first, then the chart package (``chart.tgz``), the values without
their secrets (``release.json``), the service's domains, access rules and firewall (``settings.json``)
and each volume's data as the backup stored it (``volumes/<claim>.tar``). The manifest lists every other
member with its size and SHA-256, in order, so a reader checks the file in one pass.

The passphrase the user gives guards it: a key is derived from it with scrypt (its salt and cost in the
manifest), and under that key (Fernet: AES-128-CBC with an HMAC) the manifest carries the secret values,
the uploaded certificates' keys, the basic-auth hashes and the SHA-256 of the rest of the manifest. So
a wrong passphrase opens nothing, and a changed byte anywhere (the manifest itself, a sum in it, a
member) or a file cut short is found by :func:`open_bundle` before anything is installed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import re
import tarfile
import time
from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import yaml
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

BUNDLE_FORMAT = "quickon-bundle"
BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
CHART = "chart.tgz"
RELEASE = "release.json"
SETTINGS = "settings.json"
VOLUME = re.compile(r"volumes/([a-z0-9][a-z0-9.-]{0,252})\.tar")
MAX_MANIFEST = 1 << 20  # a manifest lists a few members: anything larger is not one
BLOCK = tarfile.BLOCKSIZE
# scrypt's cost: about 0.1 s and 32 MB to try one passphrase. A bundle names its own cost; one asking
# for more than the bounds below is refused rather than let a crafted file take the memory of the service.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MAX_SCRYPT_N, MAX_SCRYPT_R, MAX_SCRYPT_P = 2**17, 16, 4


class BundleInvalid(ValueError):
    """The file is not a bundle this passphrase opens whole; the message says which and what to do."""


class Member(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Source(BaseModel):
    """The service the bundle was exported from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str
    namespace: str
    team: str | None = None
    app: str
    version: str
    repository: str | None = None
    revision: int
    runtime: str


class Kdf(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "scrypt"
    salt: str
    n: int = Field(ge=2, le=MAX_SCRYPT_N)
    r: int = Field(ge=1, le=MAX_SCRYPT_R)
    p: int = Field(ge=1, le=MAX_SCRYPT_P)


class BundleManifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str
    version: int
    created_at: datetime
    source: Source
    members: list[Member]
    kdf: Kdf
    sealed: str = Field(description="under the passphrase: the secrets and the SHA-256 of the rest of this manifest")

    def unsealed_digest(self) -> str:
        """The SHA-256 of everything here but ``sealed``, as the seal records it."""
        body = self.model_dump(mode="json", exclude={"sealed"})
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class Secrets(BaseModel):
    """What only the passphrase opens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    values: dict[str, Any] = Field(default_factory=dict, description="the secret values, by path as sealed")
    keys: dict[str, str] = Field(default_factory=dict, description="host -> the uploaded certificate's key (PEM)")
    passwords: dict[str, str] = Field(default_factory=dict, description="basic-auth user -> bcrypt hash")
    manifest_sha256: str = ""


@dataclass(frozen=True)
class Content:
    """A bundle's contents before it is written: small members in memory, volumes as the store's parts."""

    source: Source
    chart: bytes
    release: dict[str, Any]  # values without secrets, and their secret paths
    settings: dict[str, Any]  # contracts.exposure.Exposure as JSON
    volumes: list[Member]  # volumes/<claim>.tar, with the stored part's size and SHA-256
    secrets: Secrets


@dataclass(frozen=True)
class Opened:
    """A bundle checked whole: its manifest, its secrets, and where each member's bytes lie in the file."""

    path: Path
    manifest: BundleManifest
    secrets: Secrets
    offsets: dict[str, int]  # member -> offset of its data

    def read(self, name: str) -> bytes:
        member = self.member(name)
        with self.path.open("rb") as file:
            file.seek(self.offsets[name])
            return file.read(member.size)

    def json(self, name: str) -> dict[str, Any]:
        data = json.loads(self.read(name))
        if not isinstance(data, dict):
            raise BundleInvalid(f"{name} in the bundle is not a JSON object")
        return data

    def member(self, name: str) -> Member:
        return next(m for m in self.manifest.members if m.name == name)

    def volumes(self) -> dict[str, Member]:
        """Each volume's claim and its member."""
        return {match.group(1): m for m in self.manifest.members if (match := VOLUME.fullmatch(m.name))}


def derive_key(passphrase: str, kdf: Kdf) -> bytes:
    """The Fernet key ``passphrase`` gives under ``kdf``."""
    try:
        salt = base64.b64decode(kdf.salt, validate=True)
    except ValueError:
        raise BundleInvalid("the bundle's key derivation salt is not base64; the file was changed") from None
    if kdf.name != "scrypt" or kdf.n & (kdf.n - 1):
        raise BundleInvalid(f"the bundle's key derivation ({kdf.name}, n={kdf.n}) is not one QuickOn writes")
    raw = Scrypt(salt=salt, length=32, n=kdf.n, r=kdf.r, p=kdf.p).derive(passphrase.encode())
    return base64.urlsafe_b64encode(raw)


def _member_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, indent=1).encode()


def _sum(data: bytes) -> Member:
    return Member(name="", size=len(data), sha256=hashlib.sha256(data).hexdigest())


def _header(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    return info.tobuf(format=tarfile.PAX_FORMAT)


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


class BundleWriter:
    """Writes a bundle: the manifest, the small members, then each volume as it streams. Made in a thread
    (scrypt takes a tenth of a second)."""

    def __init__(self, content: Content, passphrase: str, *, now: datetime) -> None:
        self.content, self.now = content, now
        self.small = {
            CHART: content.chart,
            RELEASE: _member_json(content.release),
            SETTINGS: _member_json(content.settings),
        }
        members = [_sum(data).model_copy(update={"name": name}) for name, data in self.small.items()]
        kdf = Kdf(salt=base64.b64encode(os.urandom(16)).decode(), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        unsealed = BundleManifest(
            format=BUNDLE_FORMAT, version=BUNDLE_VERSION, created_at=now, source=content.source,
            members=[*members, *content.volumes], kdf=kdf, sealed="",
        )  # fmt: skip
        secrets = content.secrets.model_copy(update={"manifest_sha256": unsealed.unsealed_digest()})
        token = Fernet(derive_key(passphrase, kdf)).encrypt(secrets.model_dump_json().encode()).decode()
        self.manifest = unsealed.model_copy(update={"sealed": token})

    def begin(self, file: IO[bytes]) -> None:
        """The manifest and the small members (synchronous: run it in a thread)."""
        self._add(file, MANIFEST, self.manifest.model_dump_json(indent=1).encode())
        for name, data in self.small.items():
            self._add(file, name, data)

    def _add(self, file: IO[bytes], name: str, data: bytes) -> None:
        file.write(_header(name, len(data), self.now.timestamp()))
        file.write(data)
        file.write(_padding(len(data)))

    def volume_header(self, member: Member) -> bytes:
        return _header(member.name, member.size, self.now.timestamp())

    @staticmethod
    def end() -> bytes:
        return b"\0" * (2 * BLOCK)


async def write_volume(file: IO[bytes], writer: BundleWriter, member: Member, chunks: AsyncIterable[bytes]) -> None:
    """Stream one volume's stored part into the bundle; its length must be the manifest's."""
    await asyncio.to_thread(file.write, writer.volume_header(member))
    written = 0
    async for chunk in chunks:
        written += len(chunk)
        if written > member.size:
            raise BundleInvalid(f"{member.name} is longer than its part recorded ({member.size} bytes)")
        await asyncio.to_thread(file.write, chunk)
    if written != member.size:
        raise BundleInvalid(f"{member.name} is {written} bytes, its part recorded {member.size}")
    await asyncio.to_thread(file.write, _padding(member.size))


def open_bundle(path: Path, passphrase: str) -> Opened:
    """Check the bundle at ``path`` whole and open its secrets (synchronous: run it in a thread).

    Refused with :class:`BundleInvalid`: not a tar or cut short, no manifest first, a wrong passphrase, a
    manifest changed since it was sealed, a member missing, added, of another size or another SHA-256.
    """
    try:
        with tarfile.open(path, mode="r:") as tar:
            return _open(path, tar, passphrase)
    except tarfile.ReadError as error:  # includes the end of the file in the middle of a header
        raise BundleInvalid(f"the file is cut short or is not a QuickOn bundle ({error}); export it again") from None
    except EOFError:
        raise BundleInvalid("the file is cut short; copy it again or export it again") from None


def _open(path: Path, tar: tarfile.TarFile, passphrase: str) -> Opened:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile() or first.size > MAX_MANIFEST:
        raise BundleInvalid(f"the file is not a QuickOn bundle: it does not start with {MANIFEST}")
    manifest = _manifest(_read_whole(tar, first))
    secrets = _unseal(manifest, passphrase)
    offsets: dict[str, int] = {}
    for expected in manifest.members:
        info = tar.next()
        if info is None:
            raise BundleInvalid(f"the file is cut short: {expected.name} and what follows it are missing")
        if info.name != expected.name or not info.isfile():
            raise BundleInvalid(f"the bundle holds {info.name!r} where its manifest lists {expected.name!r}")
        if info.size != expected.size:
            raise BundleInvalid(f"{expected.name} is {info.size} bytes; the manifest recorded {expected.size}")
        digest = hashlib.sha256()
        read = 0
        source = tar.extractfile(info)
        assert source is not None  # a regular file, checked above
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            read += len(chunk)
        if read != expected.size:
            raise BundleInvalid(f"the file is cut short inside {expected.name} ({read} of {expected.size} bytes)")
        if digest.hexdigest() != expected.sha256:
            raise BundleInvalid(
                f"{expected.name} was changed: its SHA-256 is {digest.hexdigest()[:16]}…, the manifest recorded "
                f"{expected.sha256[:16]}…; export it again"
            )
        offsets[expected.name] = info.offset_data
    if (extra := tar.next()) is not None:
        raise BundleInvalid(f"the bundle holds {extra.name!r}, which its manifest does not list")
    return Opened(path=path, manifest=manifest, secrets=secrets, offsets=offsets)


def _read_whole(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    source = tar.extractfile(info)
    data = source.read() if source is not None else b""
    if len(data) != info.size:
        raise BundleInvalid("the file is cut short inside its manifest; copy it again or export it again")
    return data


def _manifest(data: bytes) -> BundleManifest:
    try:
        manifest = BundleManifest.model_validate_json(data)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise BundleInvalid(f"the bundle's manifest is not valid at {where}: {problem['msg']}") from None
    if manifest.format != BUNDLE_FORMAT or manifest.version != BUNDLE_VERSION:
        raise BundleInvalid(
            f"the file is a {manifest.format} version {manifest.version}; this QuickOn reads {BUNDLE_FORMAT} "
            f"version {BUNDLE_VERSION}"
        )
    names = [m.name for m in manifest.members]
    for name in names:
        if name not in (CHART, RELEASE, SETTINGS) and not VOLUME.fullmatch(name):
            raise BundleInvalid(f"the bundle's manifest lists {name!r}, which is not a member a bundle holds")
    for name in (CHART, RELEASE, SETTINGS):
        if names.count(name) != 1:
            raise BundleInvalid(f"the bundle's manifest must list {name} once")
    if len(set(names)) != len(names):
        raise BundleInvalid("the bundle's manifest lists a member twice")
    return manifest


def _unseal(manifest: BundleManifest, passphrase: str) -> Secrets:
    try:
        opened = Fernet(derive_key(passphrase, manifest.kdf)).decrypt(manifest.sealed.encode())
        secrets = Secrets.model_validate_json(opened)
    except (InvalidToken, ValueError):
        raise BundleInvalid(
            "the passphrase does not open this bundle: give the one it was exported with (a bundle whose "
            "manifest was changed does not open either); nothing was installed"
        ) from None
    if secrets.manifest_sha256 != manifest.unsealed_digest():
        raise BundleInvalid("the bundle's manifest was changed after it was exported; export it again")
    return secrets


# -- plain Helm --------------------------------------------------------------------------------------


def helm_archive(*, chart_name: str, chart: bytes, values: dict[str, Any], left_out: list[str]) -> bytes:
    """A ``.tgz`` holding the chart package and a ``values.yaml`` without the secret values, for
    ``helm install NAME <chart>.tgz -f values.yaml`` on a cluster without QuickOn."""
    note = (
        "# Values exported by QuickOn. The secret values were left out; set them before installing:\n"
        + "".join(f"#   {path}\n" for path in left_out)
        if left_out
        else "# Values exported by QuickOn (this service has no secret values).\n"
    )
    text = (note + yaml.safe_dump(values, sort_keys=True, allow_unicode=True)).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in ((chart_name, chart), ("values.yaml", text)):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
