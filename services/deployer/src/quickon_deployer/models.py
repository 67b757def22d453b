"""The deployer's tables: installed services, their revisions, and the operations (sagas) on them.

JSON columns are replaced, never changed in place: SQLAlchemy only notices a new value.
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from quickon_common.saga import SagaRecord


class ServiceRecord(SQLModel, table=True):
    """An installed app: one Helm release, named uniquely in its namespace."""

    __tablename__ = "deployer_service"
    __table_args__ = (UniqueConstraint("namespace", "name", name="uq_deployer_service_name"),)

    id: str = Field(primary_key=True, max_length=36)
    namespace: str = Field(max_length=63)
    name: str = Field(max_length=53)  # Helm's limit for a release name
    team: str | None = Field(default=None, max_length=128)
    app: str = Field(max_length=130)
    repository: str | None = Field(default=None, max_length=63)
    version: str = Field(default="", max_length=128)  # empty until the install has chosen one
    status: str = Field(max_length=16)
    status_reason: str | None = None
    revision: int = 0  # the release's revision that is deployed
    # The user's values without the secret ones, which are sealed (encrypted) apart.
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sealed_secrets: str | None = None
    secret_paths: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    operation_id: str | None = Field(default=None, max_length=64)  # the operation running on it
    # How it is reached (quickon_common.contracts.exposure.Exposure as JSON), the secrets behind that sealed
    # (uploaded keys, self-signed certificates, basic-auth hashes: exposure.ingress.Keys), and its web entry
    # (<Service>:<port>) as its chart's newest deployed revision declares it.
    exposure: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    exposure_secrets: str | None = None
    web: str | None = Field(default=None, max_length=128)
    created_by: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class RevisionRecord(SQLModel, table=True):
    """One revision of a service's release: what was deployed, by whom, and how it ended."""

    __tablename__ = "deployer_revision"

    service_id: str = Field(primary_key=True, max_length=36)
    number: int = Field(primary_key=True)
    version: str = Field(max_length=128)
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sealed_secrets: str | None = None
    manifest_digest: str = Field(max_length=64)
    # The rendered objects (Secret contents replaced by digests), zlib-compressed JSON: the
    # upgrade preview diffs against them.
    manifests: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    operation: str = Field(max_length=16)  # install, upgrade, rollback
    outcome: str = Field(max_length=16)  # deployed, superseded, failed
    description: str = ""
    actor: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))

    def objects(self) -> list[dict[str, Any]]:
        """The rendered objects, read back from :attr:`manifests`."""
        found: list[dict[str, Any]] = json.loads(zlib.decompress(self.manifests))
        return found


class OperationRecord(SagaRecord, table=True):
    """One operation on a service, run as a saga: each step recorded, a deadline, an outcome (the saga's
    columns are :class:`SagaRecord`'s)."""

    __tablename__ = "deployer_operation"
    __table_args__ = (
        Index("ix_deployer_operation_state", "state"),
        Index("ix_deployer_operation_service", "namespace", "service"),
    )

    id: str = Field(primary_key=True, max_length=64)
    service_id: str = Field(max_length=36)
    namespace: str = Field(max_length=63)
    service: str = Field(max_length=53)
    # kind: install, upgrade, rollback, start, stop, restart, uninstall
