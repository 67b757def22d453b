"""The bus credentials: one NKey per service (and one for the admin), and how a client connects with them.

A credential is an NKey seed in a file of its own (``<name>.nk``, owner-only in an owner-only folder);
nats-server knows only its public key, and a connection proves it holds the seed by signing the
server's nonce, so no secret crosses the wire. A service finds its seed file through
``QC_<SERVICE>_NATS_NKEY_FILE`` (or ``QC_NATS_NKEY_FILE``); TLS through ``QC_NATS_TLS_CA_FILE`` and,
when the server asks for client certificates, ``QC_NATS_TLS_CERT_FILE`` / ``QC_NATS_TLS_KEY_FILE``.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

import nkeys

from .settings import Settings

SEED_SUFFIX = ".nk"


class CredentialError(RuntimeError):
    """A credential file is missing or unreadable; the message says which and what to do."""


def inbox_prefix(credential: str) -> str:
    """Where the replies to ``credential``'s requests (and its pull consumers' messages) arrive: a prefix
    of its own, so that no other credential may subscribe to them (:mod:`.buspermissions`)."""
    return f"_INBOX.{credential}"


def seed_file(directory: Path, name: str) -> Path:
    """Where credential ``name``'s seed is kept in ``directory``."""
    return directory / f"{name}{SEED_SUFFIX}"


def ensure_seeds(directory: Path, names: tuple[str, ...] | list[str]) -> dict[str, Path]:
    """A seed file per name in ``directory``, made (owner-only) where missing; existing ones are kept, so
    the services' credentials survive a restart."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    files = {}
    for name in names:
        path = files[name] = seed_file(directory, name)
        if path.exists():
            path.chmod(0o600)
            continue
        seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(seed + b"\n")
    return files


def public_key(path: Path) -> str:
    """The NKey public key (``U…``) of the seed in ``path``: what nats-server's configuration holds."""
    try:
        seed = path.read_bytes().strip()
    except OSError as error:
        raise CredentialError(f"cannot read the NATS seed file {path}: {error.strerror}") from None
    try:
        key: bytes = nkeys.from_seed(bytearray(seed)).public_key
        return key.decode()
    except Exception as error:
        raise CredentialError(f"{path} does not hold an NKey user seed (SU…): {error}") from None


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for NATS: None unless a CA file is set (or the URL says ``tls://``)."""
    if settings.nats_tls_ca_file is None and not settings.nats_url.startswith("tls://"):
        return None
    try:
        ca = str(settings.nats_tls_ca_file) if settings.nats_tls_ca_file else None
        context = ssl.create_default_context(cafile=ca)
    except (OSError, ssl.SSLError) as error:
        raise CredentialError(f"QC_NATS_TLS_CA_FILE {settings.nats_tls_ca_file} cannot be used: {error}") from None
    if settings.nats_tls_cert_file is not None:
        if settings.nats_tls_key_file is None:
            raise CredentialError("QC_NATS_TLS_CERT_FILE is set without QC_NATS_TLS_KEY_FILE: set both, or neither")
        try:
            context.load_cert_chain(str(settings.nats_tls_cert_file), str(settings.nats_tls_key_file))
        except (OSError, ssl.SSLError) as error:
            raise CredentialError(
                f"the client certificate {settings.nats_tls_cert_file} and key {settings.nats_tls_key_file} "
                f"(QC_NATS_TLS_CERT_FILE, QC_NATS_TLS_KEY_FILE) cannot be used: {error}"
            ) from None
    return context


def connect_options(settings: Settings, *, credential: str | None = None) -> dict[str, Any]:
    """What nats-py's ``connect`` needs besides the URL: the seed file, the TLS context, the inbox prefix
    the credential may subscribe to. ``credential`` defaults to the service's own name."""
    options: dict[str, Any] = {}
    if settings.nats_nkey_file is not None:
        # Read at each connection: a missing or wrong file is the reason /readyz gives while it retries.
        options["nkeys_seed"] = str(settings.nats_nkey_file)
    options["inbox_prefix"] = inbox_prefix(credential or settings.service)
    if (context := tls_context(settings)) is not None:
        options["tls"] = context
    return options
