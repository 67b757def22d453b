"""The app market: search, categories, one app, one version, the upgrades from a version (market reads)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from ..auth import CurrentUser
from ..deps import GatewayParts, Parts
from .params import VERSION, AppName, Open, RepositoryFilter, VersionName

router = APIRouter(prefix="/api/v1/apps", tags=["apps"])


class AppSummary(Open):
    id: str
    repository: str
    name: str
    title: str | None = None
    description: str | None = None
    category: str | None = None
    latest_version: str | None = None
    app_version: str | None = None
    deprecated: bool | None = None


class AppList(Open):
    total: int
    offset: int
    apps: list[AppSummary]


class Categories(Open):
    categories: dict[str, int] = {}


class VersionSummary(Open):
    version: str
    app_version: str | None = None
    created: str | None = None
    deprecated: bool | None = None
    prerelease: bool | None = None
    breaking: bool | None = None
    contains_security_updates: bool | None = None
    changes: list[Any] = []


class AppDetail(AppSummary):
    version_list: list[VersionSummary] = []


class VersionDetail(VersionSummary):
    app: str
    values: dict[str, Any] | None = None
    values_yaml: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema", description="values.schema.json")
    secret_paths: list[str] = []
    readme: str | None = None


class Upgrades(Open):
    app: str
    current: str
    latest: str
    newer: list[VersionSummary]
    breaking: bool | None = None
    contains_security_updates: bool | None = None


@router.get("", response_model=AppList, summary="Search the catalog")
async def search_apps(
    request: Request,
    _user: CurrentUser,
    q: Annotated[str, Query(max_length=200, description="words to look for")] = "",
    category: Annotated[str | None, Query(max_length=63)] = None,
    keyword: Annotated[str | None, Query(max_length=63)] = None,
    repository: RepositoryFilter = None,
    include_deprecated: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    body = {
        "text": q, "category": category, "keyword": keyword, "repository": repository,
        "include_deprecated": include_deprecated, "limit": limit, "offset": offset,
    }  # fmt: skip
    # The parts from the app rather than the GatewayParts dependency: the busiest read solves one
    # dependency less (as current_user does).
    parts: Parts = request.app.state.parts
    return await parts.reads.catalog("apps", body)


@router.get("/categories", response_model=Categories, summary="The categories and how many apps each has")
async def categories(parts: GatewayParts, _user: CurrentUser) -> Any:
    return await parts.reads.catalog("categories")


@router.get("/{app}", response_model=AppDetail, summary="One app and its versions, newest first")
async def app_detail(parts: GatewayParts, _user: CurrentUser, app: AppName, repository: RepositoryFilter = None) -> Any:
    return await parts.reads.catalog("app", {"app": app, "repository": repository})


@router.get(
    "/{app}/versions/{version}",
    response_model=VersionDetail,
    summary="One version: default values, schema, secret paths, readme",
)
async def version_detail(
    parts: GatewayParts, _user: CurrentUser, app: AppName, version: VersionName, repository: RepositoryFilter = None
) -> Any:
    chosen = None if version == "latest" else version
    return await parts.reads.catalog("version", {"app": app, "version": chosen, "repository": repository})


@router.get("/{app}/upgrades", response_model=Upgrades, summary="The versions newer than one, oldest first")
async def upgrades(
    parts: GatewayParts,
    _user: CurrentUser,
    app: AppName,
    from_version: Annotated[str, Query(pattern=VERSION, min_length=1, max_length=128)],
    repository: RepositoryFilter = None,
    include_prerelease: bool = False,
) -> Any:
    body = {"app": app, "version": from_version, "repository": repository, "include_prerelease": include_prerelease}
    return await parts.reads.catalog("upgrades", body)
