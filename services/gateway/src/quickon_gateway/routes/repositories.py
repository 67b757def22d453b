"""Chart repositories (add, refresh, remove: operations) and chart uploads to QuickOn's own repository."""

from __future__ import annotations

import base64
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, File, Response, UploadFile
from pydantic import Field

from quickon_common.contracts.market import (
    RepositoryAddRequested,
    RepositoryRefreshRequested,
    RepositoryRemoveRequested,
)
from quickon_common.contracts.queries import NoRequest
from quickon_common.contracts.queries.market import PUBLISH, REPOSITORIES, PublishAnswer, PublishRequest, Repositories

from ..auth import AdminUser, CurrentUser
from ..deps import GatewayParts
from ..operations import ACCEPTED, OperationView, Target, submit
from ..principal import Principal
from ..problems import Problem
from .params import DNS_LABEL, RepositoryName, Strict

router = APIRouter(prefix="/api/v1", tags=["repositories"])
PUBLISH_TIMEOUT_S = 60.0  # a chart is checked and indexed while the upload waits


class RepositoryRequest(Strict):
    name: str = Field(pattern=DNS_LABEL, min_length=1, max_length=63, description="a name of your choice")
    url: str = Field(min_length=1, max_length=2048, description="an http(s) URL (or a local path) with an index.yaml")


def _subject(name: str) -> str:
    return f"repositories/{name}"


@router.get("/repositories", response_model=Repositories, summary="The chart repositories and their state")
async def list_repositories(parts: GatewayParts, _user: CurrentUser) -> Repositories:
    return await parts.reads.ask(REPOSITORIES, NoRequest())


@router.post(
    "/repositories", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Add a chart repository (platform admins; the operation ends once it has been read)",
)  # fmt: skip
async def add_repository(
    parts: GatewayParts, user: AdminUser, request: RepositoryRequest, response: Response
) -> OperationView:
    _local_only_for_admins(user, request.url)
    event = RepositoryAddRequested(repository=request.name, url=request.url)
    return await submit(
        parts, user, response, kind="add_repository", event=event, target=Target(repository=request.name),
        subject=_subject(request.name), team=None,
    )  # fmt: skip


def _local_only_for_admins(user: Principal, url: str) -> None:
    """A local directory is read with the market's own file access: only an admin may name one (the market
    also keeps it under QC_MARKET_LOCAL_ROOTS)."""
    if not user.is_admin and (url.startswith("/") or urlparse(url).scheme not in ("http", "https")):
        raise Problem(403, "only an admin may add a local directory as a repository; serve it over http(s)")


@router.post(
    "/repositories/{name}/refresh", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Read a repository again now (platform admins)",
)  # fmt: skip
async def refresh_repository(
    parts: GatewayParts, user: AdminUser, name: RepositoryName, response: Response
) -> OperationView:
    event = RepositoryRefreshRequested(repository=name)
    return await submit(
        parts, user, response, kind="refresh_repository", event=event, target=Target(repository=name),
        subject=_subject(name), team=None,
    )  # fmt: skip


@router.delete(
    "/repositories/{name}", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Remove a repository and its apps from the catalog (platform admins; installed services stay)",
)  # fmt: skip
async def remove_repository(
    parts: GatewayParts, user: AdminUser, name: RepositoryName, response: Response
) -> OperationView:
    event = RepositoryRemoveRequested(repository=name)
    return await submit(
        parts, user, response, kind="remove_repository", event=event, target=Target(repository=name),
        subject=_subject(name), team=None,
    )  # fmt: skip


@router.post(
    "/charts", status_code=201, response_model=PublishAnswer,
    summary="Publish a packaged chart (.tgz) to QuickOn's own repository, 'local' (platform admins)",
)  # fmt: skip
async def publish_chart(
    parts: GatewayParts,
    _admin: AdminUser,
    chart: Annotated[UploadFile, File(description="the packaged chart (.tgz)")],
) -> PublishAnswer:
    data = await chart.read()
    if not data:
        raise Problem(422, "the chart file is empty", errors=[{"field": "body.chart", "message": "empty file"}])
    encoded = base64.b64encode(data).decode("ascii")
    return await parts.reads.ask(PUBLISH, PublishRequest(chart=encoded), timeout_s=PUBLISH_TIMEOUT_S)
