"""The catalog search reads its query as one model (routes.params.QueryModel): documented and validated as
FastAPI documents and validates the same parameters declared one by one."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError

from quickon_gateway.routes.apps import CatalogSearch
from quickon_gateway.routes.params import RepositoryFilter


def test_the_search_is_documented_as_its_parameters_declared_one_by_one() -> None:
    declared, modelled = FastAPI(), FastAPI()

    @declared.get("/apps")
    async def one_by_one(
        q: Annotated[str, Query(max_length=200, description="words to look for")] = "",
        category: Annotated[str | None, Query(max_length=63)] = None,
        keyword: Annotated[str | None, Query(max_length=63)] = None,
        repository: RepositoryFilter = None,
        include_deprecated: bool = False,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> None: ...

    @modelled.get("/apps", openapi_extra=CatalogSearch.documented())
    async def as_one() -> None: ...

    def parameters(app: FastAPI) -> Any:
        return app.openapi()["paths"]["/apps"]["get"]["parameters"]

    assert parameters(modelled) == parameters(declared)


def request(query: bytes) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/apps", "query_string": query, "headers": []})


def test_the_search_reads_its_query_and_names_each_invalid_parameter() -> None:
    read = CatalogSearch.of(request(b"q=db&include_deprecated=yes&limit=5&limit=7&other=1"))
    assert (read.q, read.include_deprecated, read.limit, read.offset, read.category) == ("db", True, 7, 0, None)
    with pytest.raises(RequestValidationError) as refused:
        CatalogSearch.of(request(b"limit=0&repository=UPPER&offset=x"))
    assert sorted(e["loc"] for e in refused.value.errors()) == [
        ("query", "limit"), ("query", "offset"), ("query", "repository")
    ]  # fmt: skip
