"""Query bodies: a strict model per query, and one way to turn a bad body into a 422 naming the field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .service import QueryError

R = TypeVar("R", bound="QueryRequest")


class QueryRequest(BaseModel):
    """The body of a query; unknown fields are refused, so a typo does not pass silently."""

    model_config = ConfigDict(extra="forbid")


def parse(model: type[R], body: dict[str, Any]) -> R:
    """The request as ``model``, or a 422 naming the field."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()[:5])
        raise QueryError(422, problems) from None
