"""S3 servers for tests: moto (fast, accepts any credentials) and a real Ceph RGW (real authentication)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from quickon_common.natsserver import free_port, port_answers
from quickon_common.objectstore import StoreSettings
from support.ceph import CephRgw, die_with_parent


@dataclass(frozen=True)
class S3Endpoint:
    """How to reach one S3 server (plain HTTP on 127.0.0.1)."""

    endpoint: str
    access_key: str
    secret_key: str
    secure: bool = False

    def store_settings(self, bucket: str, prefix: str = "", **overrides: object) -> StoreSettings:
        url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        fields: dict[str, object] = {
            "url": url,
            "endpoint": self.endpoint,
            "access_key": SecretStr(self.access_key),
            "secret_key": SecretStr(self.secret_key),
            "secure": self.secure,
            "region": "us-east-1",  # saves a bucket-location request per bucket
            **overrides,
        }
        return StoreSettings.model_validate(fields)


def new_bucket_name() -> str:
    """A bucket name nobody used yet (lowercase, 3-63 characters)."""
    return f"qc-test-{uuid.uuid4().hex[:16]}"


@contextmanager
def moto_server(log: Path) -> Iterator[S3Endpoint]:
    """moto's S3 server on a free 127.0.0.1 port, in a process of its own: what it stores is not
    counted in the tests' memory measurements, and it does not compete for the tests' GIL."""
    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    try:
        deadline = time.monotonic() + 60
        while not port_answers("127.0.0.1", port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto's S3 server did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield S3Endpoint(endpoint=f"127.0.0.1:{port}", access_key="moto-access", secret_key="moto-secret")
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def ceph_server(root: Path) -> Iterator[S3Endpoint]:
    """A Ceph RGW (mon + osd on memstore + radosgw) with its data under ``root``."""
    ceph = CephRgw(root).start()
    try:
        yield S3Endpoint(endpoint=ceph.endpoint, access_key=ceph.access_key, secret_key=ceph.secret_key)
    finally:
        ceph.stop()
