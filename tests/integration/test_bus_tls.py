"""TLS to NATS: a CA made here signs the server's certificate and a client's; a service configured with the
CA and its client certificate works over TLS, a client that does not trust the CA or shows no certificate
is refused, and the credentials still apply on top."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from quickon_common.natsserver import NatsServer, ServerTls
from support.bus import bus_credentials, credential_of, running, settings_for
from support.tally import tally_service


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _sign(
    subject: str, ca_key: ec.EllipticCurvePrivateKey, issuer: x509.Name, usage: ExtendedKeyUsageOID, *, server: bool
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    """A self-signed CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it."""
    folder = tmp_path / "pki"
    folder.mkdir()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("QuickOn test CA"))
        .issuer_name(_name("QuickOn test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(*(folder / name for name in ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")))
    pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for cert_path, key_path, usage, server in (
        (pki.server_cert, pki.server_key, ExtendedKeyUsageOID.SERVER_AUTH, True),
        (pki.client_cert, pki.client_key, ExtendedKeyUsageOID.CLIENT_AUTH, False),
    ):
        cert, key = _sign(cert_path.stem, ca_key, ca.subject, usage, server=server)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key_path, key)
    return pki


@pytest.fixture
def tls_server(tmp_path: Path, pki: Pki) -> Iterator[NatsServer]:
    """A locked nats-server that speaks TLS only and asks every client for a certificate signed by the CA."""
    tls = ServerTls(cert_file=pki.server_cert, key_file=pki.server_key, ca_file=pki.ca, verify_clients=True)
    server = NatsServer(tmp_path / "nats", credentials=bus_credentials(), tls=tls).start()
    yield server
    server.stop()


async def test_a_service_configured_for_tls_works_and_other_clients_are_refused(
    tls_server: NatsServer, pki: Pki, tmp_path: Path
) -> None:
    settings = settings_for(
        "monitor", nats_url=tls_server.url, database_url=f"sqlite:///{tmp_path / 'm.db'}", var_dir=tmp_path,
        nats_tls_ca_file=pki.ca, nats_tls_cert_file=pki.client_cert, nats_tls_key_file=pki.client_key,
    )  # fmt: skip
    async with running(tally_service(settings)):
        trusted = ssl.create_default_context(cafile=str(pki.ca))
        trusted.load_cert_chain(str(pki.client_cert), str(pki.client_key))
        seed = str(credential_of("admin"))
        nc = await nats.connect(tls_server.url, tls=trusted, nkeys_seed=seed, allow_reconnect=False)
        try:
            reply = await nc.request("qc.query.monitor.info", b"{}", timeout=30)
        finally:
            await nc.close()
        assert b'"service":"monitor"' in reply.data

    refused = [
        ("no TLS", {}),
        ("a CA it does not trust", {"tls": ssl.create_default_context()}),
        ("no client certificate", {"tls": ssl.create_default_context(cafile=str(pki.ca))}),
        ("TLS but no credential", {"tls": trusted, "nkeys_seed": None}),
    ]
    for what, options in refused:
        kwargs = {k: v for k, v in {"nkeys_seed": seed, **options}.items() if v is not None}
        try:
            nc = await nats.connect(
                tls_server.url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=5, **kwargs
            )
        except Exception:  # each refusal has its own kind: a certificate error, an authorization violation, EOF
            continue
        await nc.close()
        pytest.fail(f"a client with {what} was let in")
