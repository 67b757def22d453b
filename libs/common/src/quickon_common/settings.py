"""Settings shared by every service (environment prefix ``QC_``).

Per-service values use the service name in the prefix (``QC_MARKET_DATABASE_URL``,
``QC_MARKET_HTTP_PORT``) so that one environment can describe the whole platform.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from quickon_common.objectstore.config import DEFAULT_PART_SIZE, MIN_PART_SIZE, StoreSettings

SERVICES = ("market", "deployer", "backup", "monitor", "audit", "gateway")
DEFAULT_HTTP_PORTS = {
    "gateway": 8080,
    "market": 8091,
    "deployer": 8092,
    "backup": 8093,
    "monitor": 8094,
    "audit": 8095,
}
PER_SERVICE_FIELDS = (
    "database_url",
    "http_host",
    "http_port",
    "store_url",
    "s3_endpoint",
    "s3_access_key",
    "s3_secret_key",
    "s3_secure",
    "s3_region",
    "store_part_size",
    "store_encryption_key",
    "nats_nkey_file",
    "nats_tls_cert_file",
    "nats_tls_key_file",
)


class Settings(BaseSettings):
    """One service's settings. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="QC_", extra="ignore")

    service: str = "quickon"
    nats_url: str = "nats://127.0.0.1:4222"
    # The bus credential (quickon_common.buscredentials): this service's NKey seed file; unset, no credential
    # (a NATS without authorization). TLS to NATS: the CA that signed the server's certificate, and a
    # client certificate when the server asks for one.
    nats_nkey_file: Path | None = None
    nats_tls_ca_file: Path | None = None
    nats_tls_cert_file: Path | None = None
    nats_tls_key_file: Path | None = None
    var_dir: Path = Path("var")
    database_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8090
    # The platform key (Fernet: 32 url-safe base64 bytes) sealing secret values; the gateway and the
    # deployer must share it. Unset: var/secret.key, made on first use (quickon_common.sealing).
    secret_key: SecretStr | None = None
    # Where the platform itself runs on Kubernetes: never a target of an install (nor are kube-*).
    platform_namespace: str = "quickon-system"

    # The object store (quickon_common.objectstore): unset, a folder under var_dir named after the service.
    store_url: str | None = None  # file:///abs/dir | file:relative/dir | s3://bucket/prefix
    s3_endpoint: str | None = None  # host:port of an S3 server; unset: AWS
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_secure: bool = True
    s3_region: str | None = None
    store_part_size: int = Field(default=DEFAULT_PART_SIZE, ge=MIN_PART_SIZE)
    store_encryption_key: SecretStr | None = None  # base64 of 32 bytes: every object AES-256-GCM encrypted

    stream_name: str = "QUICKON"
    stream_max_age_s: float = 30 * 24 * 3600
    stream_duplicate_window_s: float = 120
    stream_replicas: int = 1

    consumer_max_tries: int = Field(default=5, ge=1)
    consumer_backoff_s: list[float] = Field(default_factory=lambda: [1.0, 5.0, 15.0, 60.0])
    consumer_ack_wait_s: float = 60
    consumer_batch_size: int = Field(default=100, ge=1, le=1000)
    # How often the leading replica deletes inbox claims older than stream_max_age_s (bounded batches).
    inbox_prune_every_s: float = Field(default=3600, gt=0)

    # Which replica this process is (QC_INSTANCE): a replica started again under the same name takes back
    # its sagas at once, where another waits for their leases to pass. Unset: the host's name and the
    # process id (a pod's name, and 1 when its container restarts). Two live processes must never share one.
    instance: str | None = Field(default=None, max_length=100)
    # How long a replica keeps the lead of its service (the periodic jobs) and its sagas without renewing
    # them (every third of it): a replica that dies is taken over within about this long.
    lease_s: float = Field(default=10.0, ge=1.0, le=600.0)

    relay_batch_size: int = Field(default=1000, ge=1, le=10_000)
    relay_poll_s: float = 0.5
    relay_ack_timeout_s: float = 10

    # Where people reach the console (behind any proxy): the links in notifications point there.
    public_url: str = Field(default="http://127.0.0.1:8080", pattern=r"^https?://[^\s]+$")
    # Hosts and CIDRs a notification channel may reach though they are not public (loopback, private,
    # link-local): none by default, since a channel's URL is typed by a team admin and the monitor posts to
    # it from inside the platform's network. Comma-separated in the environment (QC_NOTIFY_ALLOWED_HOSTS);
    # the gateway refuses other such URLs at once and the monitor checks every address again when it sends.
    notify_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    sqlite_synchronous: str = Field(default="FULL", pattern="^(OFF|NORMAL|FULL|EXTRA)$")
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("notify_allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, given: Any) -> Any:
        return [part.strip() for part in given.split(",") if part.strip()] if isinstance(given, str) else given

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or a SQLite file under ``var_dir`` named after the service."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / f'{self.service}.db').resolve()}"

    def store_settings(self) -> StoreSettings:
        """This service's object store (``QC_<SERVICE>_STORE_URL``, ``QC_<SERVICE>_S3_*``)."""
        return StoreSettings(
            url=self.store_url or f"file://{(self.var_dir / 'objects' / self.service).resolve()}",
            endpoint=self.s3_endpoint,
            access_key=self.s3_access_key,
            secret_key=self.s3_secret_key,
            secure=self.s3_secure,
            region=self.s3_region,
            part_size=self.store_part_size,
            encryption_key=self.store_encryption_key,
        )


def load_settings(service: str, **overrides: object) -> Settings:
    """Settings for ``service``: ``QC_*`` for shared values, ``QC_<SERVICE>_*`` for its own."""
    prefix = f"QC_{service.upper()}_"
    own: dict[str, object] = {"http_port": DEFAULT_HTTP_PORTS.get(service, 8090)}
    for name in PER_SERVICE_FIELDS:
        if (value := os.environ.get(prefix + name.upper())) is not None:
            own[name] = value
    return Settings(service=service, **{**own, **overrides})  # type: ignore[arg-type]
