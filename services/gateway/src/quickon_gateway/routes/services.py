"""Installed services: install (values checked at once), read, and every operation on them (deployer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from quickon_common.contracts.deploy import (
    SOAK_MAX_S,
    AppInstallRequested,
    AppRollbackRequested,
    AppUninstallRequested,
    AppUpgradeRequested,
    ServiceEvent,
    ServiceRestartRequested,
    ServiceStartRequested,
    ServiceStopRequested,
)
from quickon_common.contracts.queries.deployer import (
    PREVIEW,
    SERVICE,
    SERVICES,
    Preview,
    PreviewRequest,
    Revision,
    ServiceDetail,
    ServiceList,
    ServiceRequest,
    ServicesRequest,
)
from quickon_common.contracts.queries.market import UPGRADES, VALIDATE, UpgradesRequest, ValidateRequest, Validation
from quickon_common.names import reserved_namespace
from quickon_common.sealing import SealedValues, seal_secrets

from ..auth import CurrentUser
from ..deps import GatewayParts, Parts
from ..operations import ACCEPTED, FieldWarning, OperationView, Target, submit
from ..principal import Principal
from ..problems import Problem
from ..scan_policy import request_fields
from ..teams.access import ServiceAccess, ServiceAdmin, ServiceOperator, ServiceViewer, check
from .params import APP_ID, DNS_LABEL, SERVICE_NAME_MAX, VERSION, Strict

router = APIRouter(prefix="/api/v1/services", tags=["services"])
Values = Annotated[dict[str, Any], Field(description="chart values, as for helm --values (nested)")]


class InstallRequest(Strict):
    name: str = Field(pattern=DNS_LABEL, min_length=1, max_length=SERVICE_NAME_MAX, description="the service's name")
    app: str = Field(pattern=APP_ID, min_length=1, max_length=130, description="the app: name or repository/name")
    version: str | None = Field(default=None, pattern=VERSION, max_length=128, description="none: latest stable")
    repository: str | None = Field(default=None, pattern=DNS_LABEL, max_length=63)
    team: str | None = Field(
        default=None, pattern=DNS_LABEL, max_length=63,
        description="the team it belongs to (name or id); none: the namespace's team, else your only team's",
    )  # fmt: skip
    namespace: str | None = Field(
        default=None, pattern=DNS_LABEL, min_length=1, max_length=63,
        description="one of the team's namespaces; none: the team's own (named after it), else 'default'",
    )  # fmt: skip
    values: Values = {}
    override_scan_policy: bool = Field(
        default=False, description="go on whatever the security scan finds (platform admins only; audited)"
    )


class UpgradeRequest(Strict):
    version: str | None = Field(
        default=None, pattern=VERSION, max_length=128,
        description="none: the newest stable version (the current one when it is the newest); name the current "
        "one to change only values",
    )  # fmt: skip
    values: Values = {}
    reuse_values: bool = Field(default=True, description="keep the values given before, changing only these")
    backup_first: bool = Field(default=True, description="back the service up before upgrading (and wait for it)")
    restore_data_on_failure: bool = Field(
        default=False, description="if the upgrade fails and is rolled back, bring the data back from that backup too"
    )
    soak_seconds: int = Field(
        default=0, ge=0, le=SOAK_MAX_S,
        description=f"health-gated: once the new revision is ready, watch the service's alerts this long (at most "
        f"{SOAK_MAX_S}); one that fires rolls the upgrade back, naming it. 0: no soak",
    )  # fmt: skip
    override_scan_policy: bool = Field(
        default=False, description="go on whatever the security scan finds (platform admins only; audited)"
    )


class RollbackRequest(Strict):
    revision: int | None = Field(default=None, ge=1, le=1_000_000, description="none: the one before")


class Revisions(BaseModel):
    revisions: list[Revision]


async def _detail(parts: Parts, access: ServiceAccess) -> ServiceDetail:
    body = ServiceRequest(service=access.name, namespace=access.namespace, caller=access.user.caller())
    return await parts.reads.ask(SERVICE, body)


async def _command(
    parts: Parts, user: Principal, team: str | None, response: Response, kind: str, event: ServiceEvent,
    warnings: list[FieldWarning] | None = None,
) -> OperationView:  # fmt: skip
    target = Target(service=event.service, namespace=event.namespace)
    return await submit(
        parts, user, response, kind=kind, event=event, target=target, subject=f"services/{event.namespace}/"
        f"{event.service}", team=team, warnings=warnings,
    )  # fmt: skip


async def placed(
    parts: Parts, user: Principal, *, team_given: str | None, namespace_given: str | None
) -> tuple[str, str | None]:
    """Where an install (or an import) goes: its namespace and team, from the team and namespace the request
    names (see InstallRequest's fields); 403 unless the caller is an admin of that team, 422 for a namespace
    that is not the team's."""
    teams = await parts.directory.teams()
    team: str | None
    if team_given is not None:
        team = teams.find(team_given)
        if team is None:
            raise Problem(422, f"there is no team {team_given!r}; list yours with GET /api/v1/teams (qc team list)",
                          errors=[{"field": "body.team", "message": "no such team"}])  # fmt: skip
        namespace = namespace_given or teams.home(team)
        if namespace is None:
            raise Problem(422, f"team {teams.names[team]!r} has no namespace; ask a platform admin to give it one",
                          errors=[{"field": "body.team", "message": "the team has no namespace"}])  # fmt: skip
    elif namespace_given is not None:
        namespace, team = namespace_given, teams.owners.get(namespace_given)
    elif len(user.roles) == 1 and (home := teams.home(only := next(iter(user.roles)))):
        namespace, team = home, only
    else:
        namespace = "default"
        team = teams.owners.get(namespace)
    if problem := reserved_namespace(namespace, platform_namespace=parts.service.settings.platform_namespace):
        raise Problem(422, problem, errors=[{"field": "body.namespace", "message": problem}])
    owner = teams.owners.get(namespace)
    if team is not None and owner != team:
        message = f"namespace {namespace!r} is not team {teams.names[team]!r}'s; use one of " + (
            ", ".join(teams.namespaces.get(team, [])) or "its namespaces (it has none yet: ask a platform admin)"
        )
        raise Problem(422, message, errors=[{"field": "body.namespace", "message": "not the team's"}])
    check(user, "admin", team, teams, f"namespace {namespace!r}")
    return namespace, team


def _unknown_keys(checked: Validation) -> list[FieldWarning]:
    """The market's ``unknown_keys`` as warnings: Helm ignores such a key without a word, so a typo in a
    top-level key would otherwise install as if it had not been given."""
    app, version = checked.app, checked.version
    values_at = f"/api/v1/apps/{app.rsplit('/', 1)[-1]}/versions/{version}"
    return [
        FieldWarning(
            field=f"body.values.{path}",
            message=f"{app} {version} neither declares {path!r} nor has a default for it, so it changes nothing; "
            f"check its spelling against the version's values (GET {values_at})",
        )
        for path in checked.unknown_keys
    ]


@router.get("", response_model=ServiceList, summary="The installed services")
async def list_services(
    parts: GatewayParts,
    user: CurrentUser,
    namespace: Annotated[str | None, Query(pattern=DNS_LABEL, max_length=63)] = None,
    status: Annotated[str | None, Query(pattern=r"^[a-z_]+$", max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ServiceList:
    body = ServicesRequest(namespace=namespace, status=status, limit=limit, offset=offset, caller=user.caller())
    return await parts.reads.ask(SERVICES, body)  # the deployer keeps to the caller's teams


@router.post(
    "", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Install an app as a service of a team (admins of the team; values are checked at once)",
)  # fmt: skip
async def install(parts: GatewayParts, user: CurrentUser, request: InstallRequest, response: Response) -> OperationView:
    namespace, team = await placed(parts, user, team_given=request.team, namespace_given=request.namespace)
    policy = await request_fields(parts, user, override=request.override_scan_policy)
    checked = await parts.reads.ask(
        VALIDATE,
        ValidateRequest(app=request.app, version=request.version, repository=request.repository, values=request.values),
    )
    if not checked.valid:
        errors = [
            {"field": "body.values" + ("" if e.path in ("", "(top)") else f".{e.path}"), "message": e.message}
            for e in checked.errors
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:3])
        raise Problem(422, f"the values do not fit {checked.app} {checked.version}: {summary}", errors=errors)
    # Pin what was checked: the repository, version and package the market chose are the ones installed,
    # with the values split as here; the deployer asks the market nothing more.
    repository, app = checked.app.split("/", 1)
    sealed = seal_secrets(parts.sealer, request.values, checked.secret_paths_given)
    event = AppInstallRequested(
        service=request.name, namespace=namespace, app=app, version=checked.version,
        repository=repository, digest=checked.digest, values=sealed.values, sealed_values=sealed.sealed,
        secret_paths=sealed.secret_paths, **policy,
    )  # fmt: skip
    return await _command(parts, user, team, response, "install", event, _unknown_keys(checked))


@router.get("/{name}", response_model=ServiceDetail, summary="One service: status, health, revisions, operation")
async def service_detail(parts: GatewayParts, access: ServiceViewer) -> ServiceDetail:
    return await _detail(parts, access)


@router.get("/{name}/revisions", response_model=Revisions, summary="A service's revisions, oldest first")
async def revisions(parts: GatewayParts, access: ServiceViewer) -> Revisions:
    return Revisions(revisions=(await _detail(parts, access)).revisions)


@router.delete(
    "/{name}", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Uninstall a service (team admins); its volumes stay unless delete_volumes",
)  # fmt: skip
async def uninstall(
    parts: GatewayParts, access: ServiceAdmin, response: Response,
    delete_volumes: Annotated[bool, Query(description="delete its volumes (its data) too")] = False,
) -> OperationView:  # fmt: skip
    event = AppUninstallRequested(service=access.name, namespace=access.namespace, keep_volumes=not delete_volumes)
    return await _command(parts, access.user, access.team, response, "uninstall", event)


def _lifecycle(kind: str, request: type[ServiceEvent], summary: str) -> None:
    async def act(parts: GatewayParts, access: ServiceOperator, response: Response) -> OperationView:
        event = request(service=access.name, namespace=access.namespace)
        return await _command(parts, access.user, access.team, response, kind, event)

    act.__name__ = f"{kind}_service"
    router.post(
        f"/{{name}}/{kind}", status_code=202, response_model=OperationView, responses=ACCEPTED, summary=summary
    )(act)


_lifecycle("start", ServiceStartRequested, "Start a stopped service")
_lifecycle("stop", ServiceStopRequested, "Stop a service (scaled to zero; its data stays)")
_lifecycle("restart", ServiceRestartRequested, "Restart a service's pods")


async def _newest_stable(parts: Parts, access: ServiceAccess) -> str | None:
    """The version an upgrade that names none goes to, as ``helm upgrade`` and app stores do: the newest
    stable version above the service's own, by the market's rule (its own when it is the newest)."""
    current = await _detail(parts, access)
    if not current.version:
        return None  # nothing to compare with: the deployer keeps what it has
    body = UpgradesRequest(app=current.app, repository=current.repository, version=current.version)
    upgrades = await parts.reads.ask(UPGRADES, body)
    return upgrades.latest or current.version


async def _checked_upgrade(
    parts: Parts, access: ServiceAccess, request: UpgradeRequest
) -> tuple[Validation, list[str]] | None:
    """The market's check of the upgrade's version and values, and the paths of the service's secret values
    (sealed again if given again); None when the market or the deployer cannot say (503)."""
    try:
        current = await _detail(parts, access)
        checked = await parts.reads.ask(
            VALIDATE,
            ValidateRequest(app=current.app, repository=current.repository,
                            version=request.version or current.version, values=request.values),
        )  # fmt: skip
    except Problem as problem:
        if problem.status == 503:
            return None
        raise
    return checked, current.secret_values


@router.post(
    "/{name}/upgrade", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Upgrade a service to another version and/or values (rolled back by itself if it fails)",
)  # fmt: skip
async def upgrade(
    parts: GatewayParts, access: ServiceOperator, request: UpgradeRequest, response: Response
) -> OperationView:
    name, namespace = access.name, access.namespace
    policy = await request_fields(parts, access.user, override=request.override_scan_policy)
    if request.version is None:
        request = request.model_copy(update={"version": await _newest_stable(parts, access)})
    found = await _checked_upgrade(parts, access, request)
    if found is None:  # sealed whole: nothing secret leaves in clear, and the command is still accepted
        event = _upgrade_event(name, namespace, request, seal_secrets(parts.sealer, request.values, None), policy)
        return await _command(parts, access.user, access.team, response, "upgrade", event)
    checked, secret_before = found
    sealed = seal_secrets(parts.sealer, request.values, [*checked.secret_paths_given, *secret_before])
    # Pinned when the values fit the version alone; otherwise they may still fit merged with the service's
    # current ones (reuse_values), which only the deployer can tell: it asks the market, as for an old request.
    pins = {"repository": checked.repository, "version": checked.version, "digest": checked.digest}
    event = _upgrade_event(name, namespace, request, sealed, policy, **(pins if checked.valid else {}))
    return await _command(parts, access.user, access.team, response, "upgrade", event, _unknown_keys(checked))


def _upgrade_event(
    name: str, namespace: str, request: UpgradeRequest, sealed: SealedValues, policy: dict[str, Any], **pins: Any
) -> AppUpgradeRequested:
    """The request as published; ``policy`` the scan policy's fields, ``pins`` (repository, version, digest)
    what the market checked."""
    return AppUpgradeRequested(
        service=name, namespace=namespace, reuse_values=request.reuse_values, values=sealed.values,
        sealed_values=sealed.sealed, secret_paths=sealed.secret_paths, backup_first=request.backup_first,
        restore_data_on_failure=request.restore_data_on_failure, soak_seconds=request.soak_seconds,
        **policy, **{"version": request.version, **pins},
    )  # fmt: skip


@router.post(
    "/{name}/upgrade/preview", response_model=Preview,
    summary="What an upgrade would change, before anything does: changelog, values and objects",
)  # fmt: skip
async def preview(parts: GatewayParts, access: ServiceViewer, request: UpgradeRequest) -> Preview:
    version = request.version or await _newest_stable(parts, access)
    body = PreviewRequest(service=access.name, namespace=access.namespace, version=version, values=request.values,
                          reuse_values=request.reuse_values, caller=access.user.caller())  # fmt: skip
    return await parts.reads.ask(PREVIEW, body)


@router.post(
    "/{name}/rollback", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Roll a service back to an earlier revision (the one before, unless named)",
)  # fmt: skip
async def rollback(
    parts: GatewayParts, access: ServiceOperator, response: Response, request: RollbackRequest | None = None
) -> OperationView:
    revision = request.revision if request else None
    event = AppRollbackRequested(service=access.name, namespace=access.namespace, revision=revision)
    return await _command(parts, access.user, access.team, response, "rollback", event)
