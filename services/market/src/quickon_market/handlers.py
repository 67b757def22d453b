"""The market's consumers: repository commands (add, refresh, remove) recorded in one unit of work each.

The slow part of a sync (network, parsing) is the syncer's; a consumer only records that one is wanted.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import select

from quickon_common.consumer import Handling
from quickon_common.contracts.market import (
    RepositoryAdded,
    RepositoryAddRequested,
    RepositoryFailed,
    RepositoryRefreshRequested,
    RepositoryRemoved,
    RepositoryRemoveRequested,
)
from quickon_common.service import Service

from .domain import repository_name_problem
from .models import CatalogVersion, Repository, SyncWaiter
from .sources import RepositorySource, SourceError
from .syncer import Syncer


def register_handlers(service: Service, *, syncer: Syncer) -> None:
    """Wire the market's consumers into ``service``."""

    @service.handles(RepositoryAddRequested)
    async def add_repository(event: RepositoryAddRequested, handling: Handling[RepositoryAddRequested]) -> None:
        """Record a new repository; the syncer reads it right after."""
        uow, name = handling.uow, event.repository
        subject = f"repositories/{name}"
        try:
            problem = repository_name_problem(name)
            if problem:
                raise SourceError(problem)
            source = RepositorySource.parse(event.url)
            if await uow.session.get(Repository, name) is not None:
                raise SourceError(f"a repository named {name!r} exists already; remove it first or pick another name")
            source.check(syncer.egress)  # where it points: quickon_market.egress
        except SourceError as error:
            uow.emit(
                RepositoryFailed(repository=name, reason=str(error), step="add", operation_id=event.operation_id),
                subject=subject,
            )
            return
        uow.session.add(Repository(name=name, url=source.url))
        if event.operation_id:  # the operation ends with the first sync: CatalogSynced or RepositoryFailed
            uow.session.add(SyncWaiter(operation_id=event.operation_id, repository=name, wanted=1))
        uow.emit(RepositoryAdded(repository=name, url=source.url, operation_id=event.operation_id), subject=subject)
        uow.after_commit(syncer.wake)

    @service.handles(RepositoryRefreshRequested)
    async def refresh_repository(
        event: RepositoryRefreshRequested, handling: Handling[RepositoryRefreshRequested]
    ) -> None:
        """Ask the syncer to read a repository again now."""
        uow = handling.uow
        repository = await uow.session.get(Repository, event.repository)
        if repository is None:
            reason = f"no repository {event.repository!r}"
            failed = RepositoryFailed(
                repository=event.repository, reason=reason, step="refresh", operation_id=event.operation_id
            )
            uow.emit(failed, subject=f"repositories/{event.repository}")
            return
        repository.refresh_wanted += 1
        uow.session.add(repository)
        if event.operation_id:  # answered by the sync's outcome event
            waiter = SyncWaiter(
                operation_id=event.operation_id, repository=repository.name, wanted=repository.refresh_wanted
            )
            await uow.session.merge(waiter)
        uow.after_commit(syncer.wake)

    @service.handles(RepositoryRemoveRequested)
    async def remove_repository(
        event: RepositoryRemoveRequested, handling: Handling[RepositoryRemoveRequested]
    ) -> None:
        """Forget a repository and its versions (installed services are not touched)."""
        uow, name = handling.uow, event.repository
        repository = await uow.session.get(Repository, name)
        reason = None
        if repository is None:
            reason = f"no repository {name!r}"
        elif repository.builtin:
            reason = f"{name!r} is built in and cannot be removed"
        if reason:
            uow.emit(
                RepositoryFailed(repository=name, reason=reason, step="remove", operation_id=event.operation_id),
                subject=f"repositories/{name}",
            )
            return
        await uow.session.exec(delete(CatalogVersion).where(CatalogVersion.repository == name))  # type: ignore[arg-type]
        for waiter in (await uow.session.exec(select(SyncWaiter).where(SyncWaiter.repository == name))).all():
            reason = f"repository {name!r} was removed before it was read"
            uow.emit(
                RepositoryFailed(repository=name, reason=reason, step="sync", operation_id=waiter.operation_id),
                subject=f"repositories/{name}",
            )
            await uow.session.delete(waiter)
        await uow.session.delete(repository)
        uow.emit(RepositoryRemoved(repository=name, operation_id=event.operation_id), subject=f"repositories/{name}")
        uow.after_commit(syncer.wake)  # drops it from the read model
