"""A chart a security scan must object to: a privileged container and a private key committed in it."""

from __future__ import annotations

import functools
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from support.charts import chart_tgz, index_entry

PINNED = "registry.example.com:5000/tools/sidecar:2.1@sha256:" + "ab" * 32
RISKY_TEMPLATE = (
    """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: main
          image: "nginx:{{ .Values.tag }}"
          securityContext:
            privileged: true
        - name: sidecar
          image: "PINNED"
"""
).replace("PINNED", PINNED)


@functools.cache
def private_key_pem() -> bytes:
    """A freshly made private key, as a careless chart author would commit one."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def risky_chart(name: str = "risky", version: str = "1.0.0") -> bytes:
    """The packaged chart: its Deployment runs a privileged container, ``files/tls.key`` is a private key."""
    key = private_key_pem()
    info = tarfile.TarInfo(f"{name}/files/tls.key")
    info.size, info.mtime = len(key), 1_700_000_000
    return chart_tgz(name, version, values="tag: '1.27'\n", template=RISKY_TEMPLATE, extra=[(info, key)], schema={})


def risky_repository(directory: Path) -> Path:
    """A local repository holding :func:`risky_chart`."""
    directory.mkdir(parents=True, exist_ok=True)
    data = risky_chart()
    (directory / "risky-1.0.0.tgz").write_bytes(data)
    entry = index_entry("risky", "1.0.0", data, created=datetime(2026, 1, 1, tzinfo=UTC))
    (directory / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": {"risky": [entry]}}))
    return directory
