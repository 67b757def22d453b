"""Wiring of the market service: chart repositories become a searchable app catalog."""

from __future__ import annotations

import logging

from quickon_common.contracts.market import RepositoryAdded
from quickon_common.service import Service
from quickon_common.settings import Settings

from .catalog import Catalog
from .handlers import LOCAL_REPOSITORY, local_repository_dir, register
from .migrations import MIGRATIONS
from .models import Repository
from .settings import MarketSettings
from .sources import RepositorySource
from .store import ChartStore
from .syncer import Syncer

log = logging.getLogger(__name__)
BUILTIN_REPOSITORY = "builtin"


def create_service(settings: Settings | None = None, market: MarketSettings | None = None) -> Service:
    """The market service, ready to run."""
    service = Service("market", settings=settings, migrations=MIGRATIONS)
    market = market or MarketSettings()
    catalog = Catalog()
    syncer = Syncer(service.outbox, catalog, market)
    store = ChartStore(service.settings.var_dir.resolve() / "market" / "charts", market)
    register(service, catalog=catalog, syncer=syncer, store=store, settings=market)

    # The catalog the database already holds is in memory before the first query is answered: a market
    # started again would otherwise say, until its first sync pass ends, that apps it has do not exist.
    service.prepares(syncer.reload)

    async def keep_catalog() -> None:
        await ensure_own_repositories(service, market)
        await syncer.run()

    service.runs(keep_catalog)
    service.catalog = catalog  # type: ignore[attr-defined]  # for tests and benchmarks
    service.syncer = syncer  # type: ignore[attr-defined]
    return service


async def ensure_own_repositories(service: Service, market: MarketSettings) -> None:
    """The built-in catalog and QuickOn's own repository of published charts exist."""
    own = {LOCAL_REPOSITORY: local_repository_dir(service)}
    if str(market.builtin_catalog) != "off":
        builtin = market.builtin_catalog.resolve()
        if (builtin / "index.yaml").exists():
            own[BUILTIN_REPOSITORY] = builtin
        else:
            log.warning("no built-in catalog at %s (QC_MARKET_BUILTIN_CATALOG); starting without it", builtin)
    own[LOCAL_REPOSITORY].mkdir(parents=True, exist_ok=True)
    if not (own[LOCAL_REPOSITORY] / "index.yaml").exists():
        (own[LOCAL_REPOSITORY] / "index.yaml").write_text("apiVersion: v1\nentries: {}\n")
    async with service.outbox.begin(actor="market") as uow:
        for name, directory in own.items():
            url = RepositorySource.parse(str(directory)).url
            repository = await uow.session.get(Repository, name)
            if repository is None:
                uow.session.add(Repository(name=name, url=url, builtin=True))
                uow.emit(RepositoryAdded(repository=name, url=url), subject=f"repositories/{name}")
            elif repository.url != url:  # the checkout moved: follow it
                repository.url, repository.refresh_wanted = url, repository.refresh_wanted + 1
                uow.session.add(repository)
