"""The market's own repositories at start-up: the built-in catalog and QuickOn's repository of published
charts (an adapter: it reads and writes the file system and the database)."""

from __future__ import annotations

import logging
from pathlib import Path

from quickon_common.contracts.market import RepositoryAdded
from quickon_common.service import Service

from .domain import BUILTIN_REPOSITORY, LOCAL_REPOSITORY
from .models import Repository
from .settings import MarketSettings
from .sources import RepositorySource

log = logging.getLogger(__name__)


def local_repository_dir(var_dir: Path) -> Path:
    """Where published charts live: QuickOn's own repository, under the service's ``var_dir``."""
    return var_dir.resolve() / "market" / LOCAL_REPOSITORY


async def ensure_own_repositories(service: Service, market: MarketSettings) -> None:
    """The built-in catalog and QuickOn's own repository of published charts exist."""
    own = {LOCAL_REPOSITORY: local_repository_dir(service.settings.var_dir)}
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
