"""TLS to NATS: a CA made here signs the server's certificate and a client's; a service configured with the
CA and its client certificate works over TLS, a client that does not trust the CA or shows no certificate
is refused, and the credentials still apply on top."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from quickon_common.natsserver import NatsServer, ServerTls
from support.bus import bus_credentials, credential_of, running, settings_for
from support.pki import Pki, make_pki
from support.tally import tally_service


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    """A self-signed CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it."""
    return make_pki(tmp_path)


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
