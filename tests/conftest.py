"""Fixtures every test layer shares: a real nats-server per test, both databases, the object stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from quickon_common.natsserver import NatsServer, free_port
from quickon_common.objectstore import StoreSettings
from support.bus import bus_credentials, refusals
from support.s3 import S3Endpoint, ceph_server, moto_server, new_bucket_name

POSTGRES_ENV = "QC_TEST_POSTGRES_URL"
# The machine's own PostgreSQL, used when the variable is unset and it answers (as on CI's machines).
LOCAL_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    """Run the PostgreSQL half on a fresh clone too: without ``QC_TEST_POSTGRES_URL``, the machine's
    PostgreSQL on 127.0.0.1:5432 is used when it answers within two seconds (asked once per session).
    The variable is set for the whole run, so that every test and every process a test starts agree."""
    if os.environ.get(POSTGRES_ENV):
        return
    try:
        with psycopg.connect(LOCAL_POSTGRES_URL, connect_timeout=2):
            pass
    except psycopg.Error:
        return  # no local server: the PostgreSQL runs skip, saying how to give them one
    os.environ[POSTGRES_ENV] = LOCAL_POSTGRES_URL


@pytest.fixture
def nats_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server with JetStream of this test's own, on a free port, locked: each service connects with
    its own credential and permissions, a test's plain client with the admin's (support.bus.connect)."""
    server = NatsServer(tmp_path / "nats", credentials=bus_credentials(), monitor_port=free_port()).start()
    yield server
    server.stop()
    # A refused publish does not raise: it is dropped, and a relay would wait for its acknowledgement for
    # ever. The server's log says what it refused; only a test that tries on purpose may leave any.
    if request.node.get_closest_marker("refused_on_the_bus") is None and (refused := refusals(server.log_file)):
        pytest.fail(f"the locked bus refused what the platform needs (see quickon_common.buspermissions): {refused}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"no PostgreSQL: {POSTGRES_ENV} is not set and none answers at {LOCAL_POSTGRES_URL} "
            f"(start one there, or set {POSTGRES_ENV} to a server's URL)"
        )
    name = f"qc_test_{uuid.uuid4().hex[:12]}"
    admin = make_url(base).render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """moto's S3 server, for the whole session (it accepts any credentials)."""
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def ceph_rgw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """A real Ceph RGW, started once per session (~20 s) and stopped at its end."""
    with ceph_server(tmp_path_factory.mktemp("ceph")) as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "moto", "ceph"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSettings:
    """A fresh, empty store on each backend: a tmp folder, or a new bucket on moto or Ceph."""
    if request.param == "local":
        return StoreSettings(url=f"file://{tmp_path / 'objects'}")
    server = request.getfixturevalue("moto_s3" if request.param == "moto" else "ceph_rgw")
    assert isinstance(server, S3Endpoint)
    return server.store_settings(new_bucket_name(), prefix="quickon")
