"""Export and import through events, on the sim runtime against a real nats-server, the market with the
built-in catalog, the deployer and the backup service: a service exported to a bundle is imported under
another name into another team with byte-identical volume data, its secret values, its domains, access
rules and firewall; a wrong passphrase, a changed byte and a file cut short are refused before anything
is installed; a plain Helm export holds the chart and the values without their secrets."""

from __future__ import annotations

import asyncio
import io
import tarfile
from pathlib import Path

import yaml
from nats.aio.client import Client as NatsClient

from quickon_common.blobs import Blobs
from quickon_common.contracts.backup import (
    ServiceExported,
    ServiceExportRequested,
    ServiceImported,
    ServiceImportFailed,
    ServiceImportRequested,
)
from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested
from quickon_common.contracts.exposure import (
    AccessSettings,
    Domain,
    Exposure,
    Protection,
    ServiceExposed,
    ServiceExposureRequested,
    WafSettings,
)
from quickon_common.natsserver import NatsServer
from quickon_common.objectstore import StoreSettings
from support.backup import backup_events, backup_platform, claim_dirs, ended, new_id, send, steps
from support.bus import connect, query
from support.deployer import ask, finished, outcome, request
from support.monitor import sealer
from support.trees import fill, snapshot

SOURCE, TARGET = "team-a", "team-b"
PASSPHRASE = "correct horse battery staple"
HASH = "$2b$12$abcdefghijklmnopqrstuuJ4t6f3sYzYp1Ck0cP3pQyQ2yQ0Yx8jS"  # a bcrypt hash, as the gateway makes them
EXPOSURE = Exposure(
    domains=[Domain(host="git.example.com", primary=True, tls="none")],
    protection=Protection(
        waf=WafSettings(mode="block", paranoia=2, exclusions=[942100]),
        access=AccessSettings(allow=["10.0.0.0/8"], basic_auth_users=["ops"]),
    ),
)


async def bus_blobs(url: str) -> tuple[NatsClient, Blobs]:
    nc = await connect(url)
    return nc, Blobs(nc.jetstream())


async def download(url: str, digest: str, path: Path) -> bytes:
    nc, blobs = await bus_blobs(url)
    try:
        await blobs.get_file(digest, path)
    finally:
        await nc.close()
    return await asyncio.to_thread(path.read_bytes)


async def upload(url: str, data: bytes, path: Path) -> str:
    await asyncio.to_thread(path.write_bytes, data)
    nc, blobs = await bus_blobs(url)
    try:
        return await blobs.put_file(path)
    finally:
        await nc.close()


async def service_names(url: str, namespace: str) -> set[str]:
    answer = await ask(url, "services", namespace=namespace)
    return {s["service"] for s in answer["services"]}


async def test_a_service_exported_is_imported_whole_under_another_name_and_team_and_bad_bundles_install_nothing(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url, seal = nats_server.url, sealer(tmp_path)
    store = StoreSettings(url=f"file://{tmp_path / 'objects'}")
    async with backup_platform(url, tmp_path, store, base_domain="apps.example.com"):
        op = await request(url, AppInstallRequested(
            service="forge", namespace=SOURCE, app="gitea", version="1.1.1", values={"admin": {"username": "root"}},
            sealed_values=seal.seal({"admin": {"password": "Sup3r-Secret"}}), secret_paths=["admin.password"],
        ), team=SOURCE)  # fmt: skip
        assert isinstance(outcome(await finished(url, op)), AppInstalled)
        op = await request(url, ServiceExposureRequested(
            service="forge", namespace=SOURCE, exposure=EXPOSURE, sealed_passwords=seal.seal({"ops": HASH}),
        ), team=SOURCE)  # fmt: skip
        assert isinstance(outcome(await finished(url, op)), ServiceExposed)
        volumes = await claim_dirs(url, "forge", SOURCE)
        assert volumes
        for volume in volumes.values():
            fill(volume)
        original = {claim: snapshot(volume) for claim, volume in volumes.items()}

        # Export: a fresh backup, then the bundle, announced with its digest in the blob bucket.
        passphrase = seal.seal({"passphrase": PASSPHRASE})
        op = await send(url, ServiceExportRequested(
            backup_id=new_id(), service="forge", namespace=SOURCE, sealed_passphrase=passphrase))  # fmt: skip
        exported = await ended(url, op)
        assert isinstance(exported, ServiceExported), exported
        assert exported.filename == "forge-1.1.1.qcb" and exported.size_bytes > 3 * 1024 * 1024
        done = [s for s, state in steps(await backup_events(url, op)) if state == "completed"]
        assert done == ["source", "copy", "manifest", "bundle"]
        bundle = await download(url, exported.bundle, tmp_path / "forge.qcb")
        assert b"Sup3r-Secret" not in bundle and HASH.encode() not in bundle

        # Its custom domain still routes to forge: an import that brings it is undone at its last step.
        op = await send(url, ServiceImportRequested(
            backup_id=new_id(), service="git2", namespace=TARGET, bundle=exported.bundle,
            sealed_passphrase=passphrase))  # fmt: skip
        failed = await ended(url, op, timeout_s=120)
        assert isinstance(failed, ServiceImportFailed) and failed.step == "expose", failed
        assert "git.example.com already routes to forge in team-a" in failed.reason
        assert "the service and the data the import had made were removed" in failed.reason
        assert "git2" not in await service_names(url, TARGET)

        # Without the bundle's domains: the data byte for byte, the secrets, the access rules and firewall.
        op = await send(url, ServiceImportRequested(
            backup_id=new_id(), service="git2", namespace=TARGET, bundle=exported.bundle,
            sealed_passphrase=passphrase, domains=False))  # fmt: skip
        imported = await ended(url, op, timeout_s=120)
        assert isinstance(imported, ServiceImported), imported
        assert (imported.app, imported.version, imported.source_service) == ("gitea", "1.1.1", "forge")
        assert [s for s, state in steps(await backup_events(url, op)) if state == "completed"] == [
            "fetch", "check", "publish", "keep", "install", "locate", "stage", "stop", "swap", "start", "expose",
        ]  # fmt: skip
        detail = await ask(url, "service", namespace=TARGET, service="git2")
        assert (detail["status"], detail["app"], detail["version"]) == ("running", "gitea", "1.1.1")
        assert detail["team"] == TARGET
        assert Exposure.model_validate(detail["exposure"]) == EXPOSURE.model_copy(update={"domains": []})
        copies = await claim_dirs(url, "git2", TARGET)
        assert sorted(snapshot(v) for v in copies.values()) == sorted(original.values())
        secrets = await ask(url, "sealed_secrets", namespace=TARGET, service="git2", caller={"is_admin": True})
        assert seal.open(secrets["sealed"])["admin"]["password"] == "Sup3r-Secret"
        kept = await query(url, "qc.query.backup.backups", {"service": "git2", "namespace": TARGET,
                                                            "caller": {"is_admin": True}})  # fmt: skip
        assert sorted((b["trigger"], b["status"]) for b in kept["backups"]) == [
            ("import", "completed"), ("import", "failed")
        ]  # fmt: skip

        # Once forge gives its domain up, an import takes it with everything else.
        without_domains = EXPOSURE.model_copy(update={"domains": []})
        op = await request(
            url, ServiceExposureRequested(service="forge", namespace=SOURCE, exposure=without_domains), team=SOURCE
        )
        assert isinstance(outcome(await finished(url, op)), ServiceExposed)
        op = await send(url, ServiceImportRequested(
            backup_id=new_id(), service="git4", namespace=TARGET, bundle=exported.bundle, sealed_passphrase=passphrase,
        ))  # fmt: skip
        assert isinstance(await ended(url, op, timeout_s=120), ServiceImported)
        detail = await ask(url, "service", namespace=TARGET, service="git4")
        assert Exposure.model_validate(detail["exposure"]) == EXPOSURE and detail["urls"][0] == "http://git.example.com"

        # Three bad bundles: each refused at its first step, nothing installed, nothing kept.
        cut = bytearray(bundle)
        cut[len(bundle) // 2] ^= 0x20
        bad = {
            "wrong passphrase": (bundle, seal.seal({"passphrase": "not the passphrase"}), "passphrase does not open"),
            "changed byte": (bytes(cut), passphrase, "was changed"),
            "cut short": (bundle[: len(bundle) - 70_000], passphrase, "cut short"),
        }
        for case, (data, sealed, expected) in bad.items():
            digest = await upload(url, data, tmp_path / "bad.qcb")
            op = await send(url, ServiceImportRequested(
                backup_id=new_id(), service="git3", namespace=TARGET, bundle=digest, sealed_passphrase=sealed,
            ))  # fmt: skip
            failed = await ended(url, op)
            assert isinstance(failed, ServiceImportFailed), (case, failed)
            assert failed.step == "fetch" and expected in failed.reason and "nothing was installed" in failed.reason, (
                case, failed.reason
            )  # fmt: skip
            assert "git3" not in await service_names(url, TARGET) and "git2" in await service_names(url, TARGET)
        kept = await query(url, "qc.query.backup.backups", {"service": "git3", "namespace": TARGET,
                                                            "caller": {"is_admin": True}})  # fmt: skip
        assert {b["status"] for b in kept["backups"]} <= {"failed"}

        # The new name taken: refused at check, the service there untouched.
        op = await send(url, ServiceImportRequested(
            backup_id=new_id(), service="git2", namespace=TARGET, bundle=exported.bundle, sealed_passphrase=passphrase,
        ))  # fmt: skip
        failed = await ended(url, op)
        assert isinstance(failed, ServiceImportFailed) and failed.step == "check" and "exists" in failed.reason

        # Plain Helm: the chart and values.yaml, the secret values left out and named.
        op = await send(url, ServiceExportRequested(backup_id=new_id(), service="forge", namespace=SOURCE,
                                                    format="helm"))  # fmt: skip
        helm = await ended(url, op)
        assert isinstance(helm, ServiceExported) and helm.filename == "forge-helm.tgz", helm
        archive = await download(url, helm.bundle, tmp_path / "forge-helm.tgz")
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            assert tar.getnames() == ["gitea-1.1.1.tgz", "values.yaml"]
            text = tar.extractfile("values.yaml").read().decode()  # type: ignore[union-attr]
        assert yaml.safe_load(text) == {"admin": {"username": "root"}} and "#   admin.password" in text
        assert "Sup3r-Secret" not in text
