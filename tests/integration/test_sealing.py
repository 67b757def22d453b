"""The platform key: made once by whichever service comes first, shared by all; the deployer's former key
file becomes it, or keeps opening what it sealed. Credentials a record still holds in clear are sealed at start."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from quickon_common.db import Database
from quickon_common.migrations import migrate
from quickon_common.sealing import Sealer, SealError, adopt_key, platform_key
from quickon_common.secret_values import split_secrets
from quickon_common.settings import Settings
from quickon_deployer.adapters.sealing import platform_sealer
from quickon_deployer.migrations import MIGRATIONS as DEPLOYER
from quickon_deployer.models import ServiceRecord
from quickon_deployer.reseal import reseal_clear_credentials
from quickon_deployer.settings import DeployerSettings


def test_services_starting_at_once_share_one_key(tmp_path: Path) -> None:
    start = threading.Barrier(8)

    def make() -> bytes:
        start.wait()
        return platform_key(tmp_path / "var")

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: make(), range(8)))
    assert len(keys) == 1
    key_file = tmp_path / "var" / "secret.key"
    assert key_file.read_bytes().strip() == keys.pop()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["secret.key"]  # no temporary files left


def test_the_deployers_former_key_becomes_the_platform_key(tmp_path: Path) -> None:
    former = tmp_path / "deployer" / "secret.key"
    former.parent.mkdir()
    former.write_bytes(Fernet.generate_key() + b"\n")
    old = Sealer(former.read_bytes().strip())
    sealed = old.seal({"auth": {"password": "s3cret"}})

    sealer = platform_sealer(Settings(var_dir=tmp_path), DeployerSettings(), former)
    assert sealer.open(sealed) == {"auth": {"password": "s3cret"}}
    assert not former.exists()
    assert Sealer.platform(Settings(var_dir=tmp_path)).open(sealed) == {"auth": {"password": "s3cret"}}


def test_a_former_key_that_lost_the_race_still_opens_what_it_sealed(tmp_path: Path) -> None:
    platform_key(tmp_path)  # the gateway came first
    former = tmp_path / "deployer" / "secret.key"
    former.parent.mkdir()
    former.write_bytes(Fernet.generate_key())
    sealed = Sealer(former.read_bytes()).seal({"token": "t"})
    assert adopt_key(tmp_path, former) == former.read_bytes()

    sealer = platform_sealer(Settings(var_dir=tmp_path), DeployerSettings(), former)
    assert sealer.open(sealed) == {"token": "t"}
    gateway = Sealer.platform(Settings(var_dir=tmp_path))
    assert sealer.open(gateway.seal({"token": "new"})) == {"token": "new"}  # new values: the platform key
    with pytest.raises(SealError):
        gateway.open(sealed)


def test_the_configured_key_wins_over_the_file(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    sealed = Sealer(key).seal({"a": 1})
    assert Sealer.platform(Settings(var_dir=tmp_path, secret_key=SecretStr(key))).open(sealed) == {"a": 1}
    assert not (tmp_path / "secret.key").exists()
    with pytest.raises(SealError, match="not a Fernet key"):
        Sealer("nope")


def test_secret_paths_are_split_out_of_nested_values() -> None:
    values = {"auth": {"password": "p", "user": "u"}, "token": "t", "replicas": 2}
    plain, secret = split_secrets(values, ["auth.password", "token", "absent.path", "replicas.deeper"])
    assert plain == {"auth": {"user": "u"}, "replicas": 2}
    assert secret == {"auth": {"password": "p"}, "token": "t"}
    assert values["auth"] == {"password": "p", "user": "u"}  # the input is left as it was


async def test_credentials_left_in_clear_in_lists_are_sealed_at_start(tmp_path: Path) -> None:
    """A record written before secret paths named list items held ``users[0].password`` in clear."""
    sealer = Sealer(Fernet.generate_key())
    db = Database(f"sqlite:///{tmp_path / 'deployer.db'}")
    await migrate(db, DEPLOYER)
    now = datetime.now(UTC)
    given = {"users": [{"name": "a", "password": "clear-list-pass"}], "auth": {"password": "sealed-pass"}}
    plain, secret = split_secrets(given, ["auth.password"])  # sealed as it was then: the list item was not
    async with db.session() as session:
        session.add(ServiceRecord(
            id="s1", namespace="default", name="old", app="redis", status="running", values=plain,
            sealed_secrets=sealer.seal(secret), secret_paths=["auth.password"], created_at=now, updated_at=now,
        ))  # fmt: skip
        session.add(ServiceRecord(
            id="s2", namespace="default", name="fine", app="redis", status="running", values={"replicas": 1},
            created_at=now, updated_at=now,
        ))  # fmt: skip
        await session.commit()
    await reseal_clear_credentials(db, sealer)
    await reseal_clear_credentials(db, sealer)  # again: nothing more to do
    async with db.read_session() as session:
        old, fine = (await session.get(ServiceRecord, "s1")), (await session.get(ServiceRecord, "s2"))
    assert old is not None and fine is not None
    assert old.values == {"users": [{"name": "a"}], "auth": {}}
    assert old.secret_paths == ["auth.password", "users[0].password"]
    assert sealer.joined(old.values, old.sealed_secrets) == given
    assert (fine.values, fine.sealed_secrets) == ({"replicas": 1}, None)
    await db.dispose()
