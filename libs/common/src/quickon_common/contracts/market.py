"""Market context: chart repositories and the app catalog (owned by the market service)."""

from __future__ import annotations

from .common import Failure, OperationEvent, Success


class RepositoryEvent(OperationEvent):
    """An event about one chart repository, by its unique name."""

    repository: str


class RepositoryAddRequested(RepositoryEvent):
    subject = "qc.market.repository.add_requested"
    url: str


class RepositoryAdded(RepositoryEvent):
    subject = "qc.market.repository.added"
    url: str


class RepositoryRefreshRequested(RepositoryEvent):
    subject = "qc.market.repository.refresh_requested"


class RepositoryRemoveRequested(RepositoryEvent):
    subject = "qc.market.repository.remove_requested"


class RepositoryRemoved(RepositoryEvent, Success):
    subject = "qc.market.repository.removed"


class RepositoryFailed(RepositoryEvent, Failure):
    """A repository could not be read; it keeps its last good catalog."""

    subject = "qc.market.repository.failed"


class CatalogSynced(RepositoryEvent, Success):
    subject = "qc.market.catalog.synced"
    added: int
    updated: int
    removed: int
    total_versions: int


class AppVersionAdded(RepositoryEvent):
    subject = "qc.market.app.version_added"
    app: str
    version: str
    app_version: str | None = None
    contains_security_updates: bool = False


class AppPublished(RepositoryEvent, Success):
    subject = "qc.market.app.published"
    app: str
    version: str
    digest: str


class AppPublishFailed(OperationEvent, Failure):
    subject = "qc.market.app.publish_failed"
    app: str | None = None
    version: str | None = None
    messages: list[str] = []
