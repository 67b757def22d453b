"""The bundle format: what one passphrase seals opens whole with it, and a wrong passphrase, a changed byte
anywhere or a file cut short anywhere is refused with a message that says which."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import tarfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from quickon_backup.bundle import (
    CHART,
    MANIFEST,
    RELEASE,
    SETTINGS,
    BundleInvalid,
    BundleWriter,
    Content,
    Member,
    Secrets,
    Source,
    helm_archive,
    open_bundle,
    write_volume,
)

PASSPHRASE = "correct horse battery staple"
VOLUMES = {"data-forge-0": b"volume one " * 5000, "cache-forge-0": b"\x00\x01" * 777}


def member(claim: str, data: bytes) -> Member:
    return Member(name=f"volumes/{claim}.tar", size=len(data), sha256=hashlib.sha256(data).hexdigest())


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 4096):
        yield data[start : start + 4096]


def write(path: Path, *, passphrase: str = PASSPHRASE) -> None:
    content = Content(
        source=Source(service="forge", namespace="team-a", team="team-a", app="gitea", version="1.1.1",
                      repository="builtin", revision=2, runtime="sim"),
        chart=b"\x1f\x8b package bytes", release={"values": {"replicas": 1}, "secret_paths": ["admin.password"]},
        settings={"domains": [{"host": "git.example.com", "primary": True, "tls": "none"}]},
        volumes=[member(claim, data) for claim, data in VOLUMES.items()],
        secrets=Secrets(values={"admin": {"password": "s3cret"}}, passwords={"ops": "$2b$12$hash"}),
    )  # fmt: skip
    writer = BundleWriter(content, passphrase, now=datetime(2026, 12, 7, tzinfo=UTC))

    async def stream() -> None:
        with path.open("wb") as file:
            writer.begin(file)
            for claim, data in VOLUMES.items():
                await write_volume(file, writer, member(claim, data), chunks(data))
            file.write(writer.end())

    asyncio.run(stream())


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "forge.qcb"
    write(path)
    return path


def test_a_bundle_opens_whole_with_its_passphrase(bundle: Path) -> None:
    opened = open_bundle(bundle, PASSPHRASE)
    assert opened.secrets.values == {"admin": {"password": "s3cret"}}
    assert opened.secrets.passwords == {"ops": "$2b$12$hash"}
    assert opened.read(CHART) == b"\x1f\x8b package bytes"
    assert opened.json(RELEASE) == {"values": {"replicas": 1}, "secret_paths": ["admin.password"]}
    assert opened.json(SETTINGS)["domains"][0]["host"] == "git.example.com"
    assert {claim: opened.read(m.name) for claim, m in opened.volumes().items()} == VOLUMES
    assert opened.manifest.source.service == "forge"
    # Any tar reader sees the members in order, the manifest first; no secret is in it in clear.
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        manifest = tar.extractfile(MANIFEST).read()  # type: ignore[union-attr]
    assert names == [MANIFEST, CHART, RELEASE, SETTINGS, "volumes/data-forge-0.tar", "volumes/cache-forge-0.tar"]
    assert b"s3cret" not in bundle.read_bytes() and b"$2b$12$hash" not in manifest


def test_a_wrong_passphrase_opens_nothing(bundle: Path) -> None:
    with pytest.raises(BundleInvalid, match="passphrase does not open this bundle"):
        open_bundle(bundle, "not the passphrase")


def offset_of(data: bytes, needle: bytes) -> int:
    at = data.find(needle)
    assert at >= 0
    return at


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("volume", "volumes/data-forge-0.tar was changed"),
        ("chart", "chart.tgz was changed"),
        ("manifest source", "manifest was changed after it was exported"),
        ("manifest sum", "manifest was changed after it was exported"),
    ],
)
def test_a_changed_byte_anywhere_is_found(bundle: Path, where: str, expected: str) -> None:
    data = bytearray(bundle.read_bytes())
    opened = open_bundle(bundle, PASSPHRASE)
    at = {
        "volume": opened.offsets["volumes/data-forge-0.tar"] + 1000,
        "chart": opened.offsets[CHART] + 3,
        "manifest source": offset_of(data, b'"forge"') + 2,
        "manifest sum": offset_of(data, opened.manifest.members[0].sha256.encode()) + 5,
    }[where]
    data[at] ^= 0x01
    bundle.write_bytes(bytes(data))
    with pytest.raises(BundleInvalid, match=expected):
        open_bundle(bundle, PASSPHRASE)


def test_a_file_cut_short_anywhere_is_refused(bundle: Path) -> None:
    data = bundle.read_bytes()
    opened = open_bundle(bundle, PASSPHRASE)
    last = opened.offsets["volumes/cache-forge-0.tar"]
    cuts = [0, 100, 512, opened.offsets[CHART] + 2, opened.offsets[SETTINGS], last - 300, last + 10, last + 1554]
    for cut in cuts:
        bundle.write_bytes(data[:cut])
        with pytest.raises(BundleInvalid, match=r"cut short|not a QuickOn bundle"):
            open_bundle(bundle, PASSPHRASE)


def test_a_member_added_or_a_costly_key_derivation_is_refused(tmp_path: Path, bundle: Path) -> None:
    data = bundle.read_bytes()
    with tarfile.open(bundle, "a") as tar:
        info = tarfile.TarInfo("volumes/extra.tar")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    with pytest.raises(BundleInvalid, match=r"'volumes/extra\.tar', which its manifest does not list"):
        open_bundle(bundle, PASSPHRASE)

    # A manifest asking for a key derivation far above what QuickOn writes is refused before it is tried.
    opened_manifest = json.loads(data[512 : data.index(b"\n}") + 2])
    opened_manifest["kdf"]["n"] = 2**24
    body = json.dumps(opened_manifest).encode()
    costly = tmp_path / "costly.qcb"
    with tarfile.open(costly, "w") as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    with pytest.raises(BundleInvalid, match=r"kdf\.n"):
        open_bundle(costly, PASSPHRASE)

    not_a_bundle = tmp_path / "notes.txt"
    not_a_bundle.write_text("hello")
    with pytest.raises(BundleInvalid, match="not a QuickOn bundle"):
        open_bundle(not_a_bundle, PASSPHRASE)


def test_a_helm_export_holds_the_chart_and_the_values_without_secrets() -> None:
    archive = helm_archive(chart_name="gitea-1.1.1.tgz", chart=b"package", values={"replicas": 2},
                           left_out=["admin.password"])  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        assert tar.getnames() == ["gitea-1.1.1.tgz", "values.yaml"]
        text = tar.extractfile("values.yaml").read().decode()  # type: ignore[union-attr]
    assert yaml.safe_load(text) == {"replicas": 2} and "#   admin.password" in text
