"""Path and query parameters every resource shares, constrained so that a path trick is a 4xx."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict

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
