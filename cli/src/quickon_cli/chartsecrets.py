"""``python -m quickon_cli.chartsecrets``: the Helm chart's bus credentials, made inside the cluster.

The chart (charts/quickon) cannot make NKeys in a template (no Ed25519 seed, base32 or CRC16 in Helm's
functions), so a hook Job runs this before every install and upgrade. It keeps one Secret of seeds, a
``<credential>.nk`` key per service and the admin, made once and never overwritten (the services' seeds
outlive upgrades; an operator's own, given as the chart's existingSecret, are only read). From their public
keys it writes the nats-server ``authorization`` block the chart's NATS includes (``auth.conf``), again at
each upgrade so that the permissions follow :mod:`quickon_common.buspermissions`. It prints the public keys,
which an operator of an outside NATS registers there.

It talks to the API server with the pod's service account token (no kubernetes client in the CLI).
With ``--directory`` (docker-compose.yml) it does the same in a folder instead: the seed files as
``qc up`` keeps them (owner-only, kept once made) and ``auth.conf`` beside them.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import nkeys

from quickon_common.buscredentials import SEED_SUFFIX, ensure_seeds
from quickon_common.buspermissions import CREDENTIALS, authorization_config

ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def new_seed() -> str:
    """A fresh NKey user seed (``SU…``)."""
    seed: bytes = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    return seed.decode()


def completed_seeds(existing: dict[str, str]) -> dict[str, str]:
    """The seed of every credential: those in ``existing`` (keys ``<name>.nk``) kept, the missing ones made."""
    return {f"{name}{SEED_SUFFIX}": existing.get(f"{name}{SEED_SUFFIX}") or new_seed() for name in CREDENTIALS}


def public_keys(seeds: dict[str, str]) -> dict[str, str]:
    """Each credential's public key (``U…``), by credential name."""
    keys: dict[str, str] = {}
    for name in CREDENTIALS:
        seed = bytearray(seeds[f"{name}{SEED_SUFFIX}"].strip().encode())
        key: bytes = nkeys.from_seed(seed).public_key
        keys[name] = key.decode()
    return keys


def secret(name: str, data: dict[str, str], *, labels: dict[str, str]) -> dict[str, Any]:
    """A Secret manifest with ``data`` encoded as the API wants it."""
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "labels": labels}, "data": encoded}


def decoded(manifest: dict[str, Any]) -> dict[str, str]:
    """A Secret's data as text."""
    return {key: base64.b64decode(value).decode() for key, value in (manifest.get("data") or {}).items()}


class Api:
    """The few Secret calls this needs, in the pod's own namespace, as its service account."""

    def __init__(self, namespace: str) -> None:
        host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"]
        token = (ACCOUNT / "token").read_text().strip()
        self.secrets = f"/api/v1/namespaces/{namespace}/secrets"
        self.client = httpx.Client(
            base_url=f"https://{host}:{port}",
            headers={"Authorization": f"Bearer {token}"},
            verify=str(ACCOUNT / "ca.crt"),
            timeout=30,
        )

    def read(self, name: str) -> dict[str, Any] | None:
        response = self.client.get(f"{self.secrets}/{name}")
        if response.status_code == httpx.codes.NOT_FOUND:
            return None
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    def create(self, manifest: dict[str, Any]) -> None:
        self.client.post(self.secrets, json=manifest).raise_for_status()

    def replace(self, manifest: dict[str, Any]) -> None:
        self.client.put(f"{self.secrets}/{manifest['metadata']['name']}", json=manifest).raise_for_status()


def to_directory(directory: Path) -> dict[str, str]:
    """The seeds in ``directory`` (made where missing) and their ``auth.conf``; the public keys."""
    files = ensure_seeds(directory, CREDENTIALS)
    keys = public_keys({path.name: path.read_text() for path in files.values()})
    conf = directory / "auth.conf"
    conf.write_text(authorization_config(keys))
    conf.chmod(0o600)
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quickon_cli.chartsecrets", description=__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--seeds-secret", help="the Secret of NKey seeds (kept once made)")
    where.add_argument("--directory", type=Path, help="a folder instead of Secrets (docker-compose.yml)")
    parser.add_argument("--auth-secret", help="the Secret of nats-server's auth.conf; unset: an outside NATS")
    parser.add_argument("--given", action="store_true", help="the seeds Secret is the operator's: never make it")
    parser.add_argument("--label", action="append", default=[], help="KEY=VALUE on the Secrets this makes")
    options = parser.parse_args(argv)
    if options.directory is not None:
        for name, key in to_directory(options.directory).items():
            print(f"{name}: {key}")
        return 0
    labels = dict(item.split("=", 1) for item in options.label)
    api = Api((ACCOUNT / "namespace").read_text().strip())
    held = api.read(options.seeds_secret)
    if held is None and options.given:
        print(f"the Secret {options.seeds_secret} (nats.credentials.existingSecret) does not exist", file=sys.stderr)
        return 1
    seeds = completed_seeds(decoded(held) if held else {})
    if held is None:
        api.create(secret(options.seeds_secret, seeds, labels=labels))
    elif decoded(held) != seeds:
        if options.given:
            print(f"the Secret {options.seeds_secret} lacks seeds: it needs {', '.join(seeds)}", file=sys.stderr)
            return 1
        held["data"] = secret(options.seeds_secret, seeds, labels=labels)["data"]  # a credential added since
        api.replace(held)
    keys = public_keys(seeds)
    if options.auth_secret:
        manifest = secret(options.auth_secret, {"auth.conf": authorization_config(keys)}, labels=labels)
        if api.read(options.auth_secret) is None:
            api.create(manifest)
        else:
            api.replace(manifest)
    for name, key in keys.items():
        print(f"{name}: {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
