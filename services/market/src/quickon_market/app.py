"""Wiring of the market service: chart repositories become a searchable app catalog."""

from __future__ import annotations

from dataclasses import dataclass

from quickon_common.service import Service
from quickon_common.settings import Settings

from .catalog import Catalog
from .handlers import register_handlers
from .migrations import MIGRATIONS
from .own_repositories import ensure_own_repositories, local_repository_dir
from .queries import register_queries
from .scans import Scanner
from .settings import MarketSettings
from .store import ChartStore
from .syncer import Syncer


@dataclass(frozen=True)
class Market:
    """The market service and the parts a test or benchmark may drive directly."""

    service: Service
    catalog: Catalog
    syncer: Syncer
    scanner: Scanner


def build(settings: Settings | None = None, market: MarketSettings | None = None) -> Market:
    """The market service, wired, with its catalog and syncer at hand."""
    service = Service("market", settings=settings, migrations=MIGRATIONS)
    market = market or MarketSettings()
    catalog = Catalog()
    syncer = Syncer(service.outbox, catalog, market, leads=lambda: service.leadership.leads)
    store = ChartStore(service.settings.var_dir.resolve() / "market" / "charts", market)
    scanner = Scanner(service.db, catalog, store, market, service.settings.var_dir.resolve() / "market" / "trivy")
    register_handlers(service, syncer=syncer)
    register_queries(
        service, catalog=catalog, syncer=syncer, store=store, settings=market, scanner=scanner,
        local_dir=local_repository_dir(service.settings.var_dir),
    )  # fmt: skip

    # The catalog the database already holds is in memory before the first query is answered: a market
    # started again would otherwise say, until its first sync pass ends, that apps it has do not exist.
    service.prepares(syncer.reload)
    service.prepares(scanner.load)

    async def keep_catalog() -> None:
        await ensure_own_repositories(service, market)
        await service.leadership.asked()  # the leader refreshes the repositories: know first whether it is this one
        await syncer.run()

    service.runs(keep_catalog)
    service.runs(scanner.feed)
    service.runs(scanner.work)
    return Market(service=service, catalog=catalog, syncer=syncer, scanner=scanner)


def create_service(settings: Settings | None = None, market: MarketSettings | None = None) -> Service:
    """The market service, ready to run."""
    return build(settings, market).service
