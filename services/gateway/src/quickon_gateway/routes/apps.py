"""The app market: search, categories, one app, one version, the upgrades from a version (market reads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from quickon_common.contracts.queries import NoRequest
from quickon_common.contracts.queries import market as market_queries
from quickon_common.contracts.queries.market import (
    AppDetail,
    AppList,
    AppRequest,
    AppsRequest,
    Categories,
    ScanReport,
    ScanRequest,
    Upgrades,
    UpgradesRequest,
    VersionDetail,
    VersionRequest,
)

from ..auth import CurrentUser
from ..deps import GatewayParts, Parts
from .params import DNS_LABEL, VERSION, AppName, QueryModel, RepositoryFilter, VersionName

router = APIRouter(prefix="/api/v1/apps", tags=["apps"])
SCAN_WAIT_S = 3.0


class CatalogSearch(QueryModel):
    """The search's query parameters (one model: the busiest read, see QueryModel)."""

    q: str = Field(default="", max_length=200, description="words to look for")
    category: str | None = Field(default=None, max_length=63)
    keyword: str | None = Field(default=None, max_length=63)
    repository: str | None = Field(
        default=None, pattern=DNS_LABEL, max_length=63, description="the repository, when the name is in several"
    )
    include_deprecated: bool = False
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


@router.get("", response_model=AppList, summary="Search the catalog", openapi_extra=CatalogSearch.documented())
async def search_apps(request: Request, _user: CurrentUser) -> Any:
    search = CatalogSearch.of(request)
    body = AppsRequest(
        text=search.q, category=search.category, keyword=search.keyword, repository=search.repository,
        include_deprecated=search.include_deprecated, limit=search.limit, offset=search.offset,
    )  # fmt: skip
    # The parts from the app rather than the GatewayParts dependency: the busiest read solves one
    # dependency less (as current_user does).
    parts: Parts = request.app.state.parts
    return await parts.reads.catalog(market_queries.APPS, body)


@router.get("/categories", response_model=Categories, summary="The categories and how many apps each has")
async def categories(parts: GatewayParts, _user: CurrentUser) -> Any:
    return await parts.reads.catalog(market_queries.CATEGORIES, NoRequest())


@router.get("/{app}", response_model=AppDetail, summary="One app and its versions, newest first")
async def app_detail(parts: GatewayParts, _user: CurrentUser, app: AppName, repository: RepositoryFilter = None) -> Any:
    return await parts.reads.catalog(market_queries.APP, AppRequest(app=app, repository=repository))


@router.get(
    "/{app}/versions/{version}",
    response_model=VersionDetail,
    summary="One version: default values, schema, secret paths, readme",
)
async def version_detail(
    parts: GatewayParts, _user: CurrentUser, app: AppName, version: VersionName, repository: RepositoryFilter = None
) -> Any:
    chosen = None if version == "latest" else version
    body = VersionRequest(app=app, version=chosen, repository=repository)
    return await parts.reads.catalog(market_queries.VERSION, body)


@router.get("/{app}/upgrades", response_model=Upgrades, summary="The versions newer than one, oldest first")
async def upgrades(
    parts: GatewayParts,
    _user: CurrentUser,
    app: AppName,
    from_version: Annotated[str, Query(pattern=VERSION, min_length=1, max_length=128)],
    repository: RepositoryFilter = None,
    include_prerelease: bool = False,
) -> Any:
    body = UpgradesRequest(app=app, version=from_version, repository=repository, include_prerelease=include_prerelease)
    return await parts.reads.catalog(market_queries.UPGRADES, body)


@router.get(
    "/{app}/versions/{version}/scan",
    response_model=ScanReport,
    summary="One version's security scan (Trivy): misconfigurations, secrets, images; 202 while it runs",
    responses={202: {"model": ScanReport, "description": "the scan is running (state: scanning): ask again shortly"}},
)
async def version_scan(
    parts: GatewayParts, _user: CurrentUser, app: AppName, version: VersionName, repository: RepositoryFilter = None
) -> Any:
    """Who may see the market may see what its charts hold: the scan is of the chart, not of anybody's service."""
    chosen = None if version == "latest" else version
    # A first scan takes a second or two: waited for a little, beyond that a 202 says to ask again.
    body = ScanRequest(app=app, version=chosen, repository=repository, wait_s=SCAN_WAIT_S)
    report = await parts.reads.ask(market_queries.SCAN, body, timeout_s=parts.reads.timeout_s + SCAN_WAIT_S)
    answer = report.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return JSONResponse(answer, status_code=202 if report.state == "scanning" else 200)
