"""S3 servers for tests: moto in-process (fast, any credentials) and a real Ceph RGW (real auth)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from quickon_common.objectstore import StoreSettings
from support.ceph import CephRgw


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
def moto_server() -> Iterator[S3Endpoint]:
    """moto's S3 in a thread of this process, on a free 127.0.0.1 port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Endpoint(endpoint=f"{host}:{port}", access_key="moto-access", secret_key="moto-secret")
    finally:
        server.stop()


@contextmanager
def ceph_server(root: Path) -> Iterator[S3Endpoint]:
    """A Ceph RGW (mon + osd on memstore + radosgw) with its data under ``root``."""
    ceph = CephRgw(root).start()
    try:
        yield S3Endpoint(endpoint=ceph.endpoint, access_key=ceph.access_key, secret_key=ceph.secret_key)
    finally:
        ceph.stop()
