"""Where an object store lives and how to reach it."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

DEFAULT_PART_SIZE = 16 << 20
MIN_PART_SIZE = 5 << 20  # S3's smallest part but the last


class StoreSettings(BaseModel):
    """``url`` is ``file:///abs/dir``, ``file:relative/dir`` or ``s3://bucket/prefix``."""

    url: str
    endpoint: str | None = None  # "127.0.0.1:9000" (S3 only); None: AWS
    access_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    secure: bool = True  # TLS
    region: str | None = None
    part_size: int = Field(default=DEFAULT_PART_SIZE, ge=MIN_PART_SIZE)
    encryption_key: SecretStr | None = None  # base64 of 32 bytes: client-side AES-256-GCM of every object
    # Connection-level failures are tried this often in all (S3), briefly apart, before StoreUnavailable.
    connect_attempts: int = Field(default=3, ge=1)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=60.0, gt=0)
