"""Path and query parameters every resource shares, constrained so that a path trick is a 4xx."""

from __future__ import annotations

from typing import Annotated, Any, Self

from fastapi import Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError

from quickon_common.names import DNS_LABEL_BODY, DNS_LABEL_PATTERN, RELEASE_NAME_MAX

DNS_LABEL = DNS_LABEL_PATTERN  # the platform's rule (quickon_common.names), for the request models here
APP_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
APP_ID = rf"^({DNS_LABEL_BODY}/)?[A-Za-z0-9][A-Za-z0-9._-]*$"  # name, or repository/name
VERSION = r"^[A-Za-z0-9][A-Za-z0-9.+_-]*$"
OPERATION_ID = r"^[A-Za-z0-9_-]+$"
SERVICE_NAME_MAX = RELEASE_NAME_MAX

ServiceName = Annotated[
    str, Path(pattern=DNS_LABEL, min_length=1, max_length=SERVICE_NAME_MAX, description="the service's name")
]
Namespace = Annotated[str, Query(pattern=DNS_LABEL, min_length=1, max_length=63, description="the service's namespace")]
RepositoryName = Annotated[str, Path(pattern=DNS_LABEL, min_length=1, max_length=63)]
AppName = Annotated[str, Path(pattern=APP_NAME, min_length=1, max_length=63, description="the chart's name")]
RepositoryFilter = Annotated[
    str | None, Query(pattern=DNS_LABEL, max_length=63, description="the repository, when the name is in several")
]
VersionName = Annotated[
    str, Path(pattern=VERSION, min_length=1, max_length=128, description="a chart version, or 'latest'")
]
OperationId = Annotated[str, Path(pattern=OPERATION_ID, min_length=1, max_length=64)]


class Strict(BaseModel):
    """A request body: unknown fields are refused (422), so a typo does not pass silently."""

    model_config = ConfigDict(extra="forbid")


class QueryModel(BaseModel):
    """A route's query parameters read as one model, for the busiest reads: FastAPI validates each declared
    query parameter on its own, with enough bookkeeping around each that seven of them cost the catalog
    search more than the rest of its route; one model is one validation. A route reads it with
    ``Model.of(request)`` and documents it with ``openapi_extra=Model.documented()``. Unknown parameters are
    ignored and a repeated one counts by its last value, as FastAPI does."""

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def of(cls, request: Request) -> Self:
        """The request's query, or a 422 naming each invalid parameter (``query.limit``) as FastAPI's own."""
        try:
            return cls.model_validate(dict(request.query_params))
        except ValidationError as error:
            errors = [{**e, "loc": ("query", *e["loc"])} for e in error.errors(include_url=False)]
            raise RequestValidationError(errors) from None

    @classmethod
    def documented(cls) -> dict[str, Any]:
        """The parameters in the OpenAPI document, as FastAPI writes declared ones."""
        schema = cls.model_json_schema()
        required = set(schema.get("required", ()))
        parameters = []
        for name, field in schema["properties"].items():
            parameter = {"name": name, "in": "query", "required": name in required, "schema": field}
            if "description" in field:
                parameter["description"] = field["description"]
            parameters.append(parameter)
        return {"parameters": parameters}
