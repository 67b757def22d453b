"""The market's request/reply answers: repositories, catalog search, one app or version, charts for the
deployer, values validation, upgrades, and publishing into QuickOn's own repository."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlmodel import select

from quickon_common.contracts.market import AppPublished, AppPublishFailed
from quickon_common.contracts.queries import NoRequest
from quickon_common.contracts.queries import market as contract
from quickon_common.contracts.queries.market import (
    AppRequest,
    AppsRequest,
    ChartRequest,
    PublishRequest,
    ScanRequest,
    UpgradesRequest,
    ValidateRequest,
    VersionRequest,
)
from quickon_common.helm import merge_values
from quickon_common.queries import QueryError
from quickon_common.secret_values import expand
from quickon_common.service import Service

from . import values
from .catalog import Ambiguous, AppView, Catalog, NotFound, VersionView
from .charts import ChartError, ChartFiles
from .checking import within
from .domain import LOCAL_REPOSITORY
from .models import Repository
from .publish import PublishRefused, publish_chart
from .scans import Scanner, ScanUnavailable
from .settings import MarketSettings
from .sources import SourceError
from .store import ChartStore
from .syncer import Syncer

T = TypeVar("T")


def register_queries(
    service: Service,
    *,
    catalog: Catalog,
    syncer: Syncer,
    store: ChartStore,
    settings: MarketSettings,
    scanner: Scanner,
    local_dir: Path,
) -> None:
    """Wire the market's queries into ``service``; published charts go into ``local_dir``."""
    publishing = asyncio.Lock()

    @service.answers(contract.REPOSITORIES)
    async def repositories(_request: NoRequest) -> contract.Repositories:
        async with service.db.read_session() as session:
            rows = (await session.exec(select(Repository).order_by(Repository.name))).all()
        apps = catalog.all_apps()
        return contract.Repositories.model_validate({
            "repositories": [
                {
                    "name": r.name, "url": r.url, "builtin": r.builtin, "status": r.status, "last_error": r.last_error,
                    "synced_at": r.synced_at.isoformat() if r.synced_at else None,
                    "checked_at": r.checked_at.isoformat() if r.checked_at else None,
                    "apps": sum(1 for a in apps if a.repository == r.name),
                }
                for r in rows
            ]
        })  # fmt: skip

    @service.answers(contract.APPS)
    async def apps(request: AppsRequest) -> contract.AppList:
        found = catalog.search(
            text=request.text, category=request.category, keyword=request.keyword,
            repository=request.repository, include_deprecated=request.include_deprecated,
        )  # fmt: skip
        page = found[request.offset : request.offset + request.limit]
        return contract.AppList.model_validate(
            {"total": len(found), "offset": request.offset, "apps": [a.summary() for a in page]}
        )

    @service.answers(contract.CATEGORIES)
    async def categories(_request: NoRequest) -> contract.Categories:
        return contract.Categories(categories=catalog.categories())

    @service.answers(contract.APP)
    async def app(request: AppRequest) -> contract.AppDetail:
        found = _found(lambda: catalog.app(request.app, request.repository))
        return contract.AppDetail.model_validate({**found.detail(), "install_as": catalog.install_name(found)})

    @service.answers(contract.VERSION)
    async def version(request: VersionRequest) -> contract.VersionDetail:
        """One version's values, schema, secret paths and readme (its latest stable one when none is named)."""
        found, chosen, _, files = await _resolved(request)
        return contract.VersionDetail.model_validate({
            "app": found.id, **chosen.summary(),
            "values": files.values, "values_yaml": files.values_yaml, "schema": files.schema,
            "secret_paths": files.secret_paths, "readme": files.readme,
        })  # fmt: skip

    @service.answers(contract.CHART)
    async def chart(request: ChartRequest) -> contract.Chart:
        """One version's packaged chart (.tgz, base64), verified against its digest, for the deployer to render;
        with ``values``, also what is wrong with them (one round trip for the deployer's resolve step)."""
        found, chosen, url, files = await _resolved(request)
        answer: dict[str, Any] = {
            "app": found.id, "repository": chosen.repository, "version": chosen.version, "digest": chosen.digest,
            "values": files.values, "schema": files.schema, "secret_paths": files.secret_paths,
        }  # fmt: skip
        if request.package:
            with _readable(found, chosen):
                package = await store.package(chosen, url)  # cached on disk by now: files() fetched it
            answer["chart"] = base64.b64encode(package).decode("ascii")
        if request.values is not None:
            merged = merge_values(files.values, request.values)
            answer["errors"] = await within(
                settings.values_check_timeout_s,
                lambda: values.problems(files.schema, merged),
                what=f"{found.id} {chosen.version}",
            )
        return contract.Chart.model_validate(answer)

    @service.answers(contract.VALIDATE)
    async def validate(request: ValidateRequest) -> contract.Validation:
        """Check user values against a version's schema, merged over its defaults as Helm does."""
        found, chosen, _, files = await _resolved(request)
        merged = merge_values(files.values, request.values)

        def check() -> tuple[list[dict[str, str]], list[str]]:  # both run the chart's patterns: off the loop
            errors = values.problems(files.schema, merged)
            return errors, values.unknown_keys(schema=files.schema, defaults=files.values, given=request.values)

        errors, unknown = await within(settings.values_check_timeout_s, check, what=f"{found.id} {chosen.version}")
        secret = sorted({path for pattern in files.secret_paths for path in expand(request.values, pattern)})
        return contract.Validation.model_validate(
            {
                "app": found.id,
                # The package checked, pinned: the deployer installs exactly this one without asking again.
                "repository": chosen.repository,
                "version": chosen.version,
                "digest": chosen.digest,
                "valid": not errors,
                "errors": errors,
                "secret_paths_given": secret,
                # Keys Helm would ignore without a word: the install goes ahead, and the user is told.
                "unknown_keys": unknown,
            }
        )

    @service.answers(contract.UPGRADES)
    async def upgrades(request: UpgradesRequest) -> contract.Upgrades:
        found = _found(lambda: catalog.app(request.app, request.repository))
        newer = _found(lambda: catalog.upgrades(found, request.version, include_prerelease=request.include_prerelease))
        return contract.Upgrades.model_validate(newer)

    @service.answers(contract.SCAN)
    async def scan(request: ScanRequest) -> contract.ScanReport:
        """One version's security scan: kept per package digest, run now (waiting a little) if it never ran."""
        found = _found(lambda: catalog.app(request.app, request.repository))
        chosen = _found(lambda: catalog.version(found, request.version))
        try:
            kept = await scanner.ask(chosen, wait_s=request.wait_s)
        except ScanUnavailable as error:
            raise QueryError(503, f"{found.id} {chosen.version} cannot be scanned now: {error}") from None
        answer: dict[str, Any] = {
            "app": found.id, "repository": chosen.repository, "version": chosen.version, "digest": chosen.digest,
            "state": "scanning",
        }  # fmt: skip
        if kept is not None:
            answer.update(kept.report, state=kept.state, error=kept.error, scanned_at=kept.scanned_at.isoformat())
        return contract.ScanReport.model_validate(answer)

    @service.answers(contract.PUBLISH)
    async def publish(request: PublishRequest) -> contract.PublishAnswer:
        try:
            data = base64.b64decode(request.chart, validate=True)
        except binascii.Error as error:
            raise QueryError(422, f"chart: not base64 ({error})") from None
        try:
            async with publishing:  # one at a time: each rewrites the local index
                files, digest = await publish_chart(data, directory=local_dir, settings=settings)
        except PublishRefused as refused:
            async with service.outbox.begin() as uow:
                uow.emit(
                    AppPublishFailed(reason=refused.reason, messages=refused.messages), subject="repositories/local"
                )
            raise QueryError(refused.status, refused.reason, messages=refused.messages) from None
        await syncer.sync(LOCAL_REPOSITORY, requested=True)
        scanner.wake()  # the version just published is its app's newest: scanned before anybody asks
        async with service.outbox.begin() as uow:
            uow.emit(
                AppPublished(repository=LOCAL_REPOSITORY, app=files.name, version=files.version, digest=digest),
                subject=f"apps/{LOCAL_REPOSITORY}/{files.name}",
            )
        return contract.PublishAnswer(
            published=contract.Published(
                repository=LOCAL_REPOSITORY, app=files.name, version=files.version, digest=digest
            )
        )

    def _found(produce: Callable[[], T]) -> T:
        """``produce()``, its :class:`NotFound` as a 404; or, while the catalog is still loading, as a
        retryable 503: the app may well be in a repository not read yet. A name several repositories serve
        is a 409 listing them (more repositories loading cannot make it less ambiguous)."""
        try:
            return produce()
        except Ambiguous as error:
            raise QueryError(409, str(error), choices=error.choices) from None
        except NotFound as error:
            if not catalog.loaded:
                raise QueryError(
                    503, "the market has just started and is still loading its catalog; retry in a few seconds",
                    retryable=True,
                ) from None  # fmt: skip
            raise QueryError(404, str(error)) from None

    async def _resolved(request: VersionRequest) -> tuple[AppView, VersionView, str, ChartFiles]:
        """The app and version a request names, its repository's URL and its chart files (404 / 502 otherwise)."""
        found = _found(lambda: catalog.app(request.app, request.repository))
        chosen = _found(lambda: catalog.version(found, request.version))
        url = await _repository_url(chosen.repository)
        with _readable(found, chosen):
            files = await store.files(chosen, url)
        return found, chosen, url, files

    async def _repository_url(name: str) -> str:
        async with service.db.read_session() as session:
            repository = await session.get(Repository, name)
        if repository is None:
            raise QueryError(404, f"repository {name!r} was removed")
        return repository.url


@contextmanager
def _readable(found: AppView, chosen: VersionView) -> Iterator[None]:
    """A chart that cannot be fetched or read is the repository's fault: 502, not ours."""
    try:
        yield
    except (ChartError, SourceError) as error:
        raise QueryError(502, f"cannot read {found.id} {chosen.version}: {error}") from None
