"""The deployer's consumers: each request is accepted as an operation (or refused, changing nothing).

Acceptance only checks what the deployer's own database knows — a valid, free or existing name,
no other operation on the service, an existing revision — and records the operation; the saga
runner does the rest. A refusal is the request's failure event, with the reason and what to do.

The backup service's restores ask for the same operations in its own context (``quickon_common.contracts.
asks``: only the gateway sends requests, and only the backup service publishes there); an ask is accepted
as the request it stands for, its team checked the same way.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from quickon_common.certificates import certificate_problems
from quickon_common.consumer import Handling
from quickon_common.contracts.asks import (
    ImportExposeAsked,
    RestoreInstallAsked,
    RestoreRollbackAsked,
    RestoreStartAsked,
    RestoreStopAsked,
    RestoreUninstallAsked,
)
from quickon_common.contracts.common import Ask
from quickon_common.contracts.deploy import (
    AppInstallFailed,
    AppInstallRequested,
    AppRollbackFailed,
    AppRollbackRequested,
    AppUninstallFailed,
    AppUninstallRequested,
    AppUpgradeFailed,
    AppUpgradeRequested,
    ServiceEvent,
    ServiceRestartFailed,
    ServiceRestartRequested,
    ServiceStartFailed,
    ServiceStartRequested,
    ServiceStopFailed,
    ServiceStopRequested,
    ValuesChange,
)
from quickon_common.contracts.exposure import Exposure, ServiceExposeFailed, ServiceExposureRequested
from quickon_common.helm import merge_values
from quickon_common.names import reserved_namespace
from quickon_common.saga import Plan
from quickon_common.sealing import SealedValues, Sealer, SealError, seal_secrets
from quickon_common.service import Service

from .domain import Refused, claims_of, name_problem, pin_problem, rollback_target, service_subject, team_problem
from .exposure import ExposureError
from .exposure.ingress import Keys, Platform, exposure_objects, parse_web_entry, with_kept_certificates
from .models import OperationRecord, RevisionRecord, ServiceRecord
from .outcomes import set_status
from .plans import ExposePlan, InstallPlan, RollbackPlan, ScalePlan, UninstallPlan, UpgradePlan
from .runtime.base import Runtime
from .saga import SagaRunner, cause_of
from .settings import DeployerSettings

# kind -> (request, failure event, status while it runs; None keeps the current one)
OPERATIONS: dict[str, tuple[type[ServiceEvent], type[Any], str | None]] = {
    "install": (AppInstallRequested, AppInstallFailed, "installing"),
    "upgrade": (AppUpgradeRequested, AppUpgradeFailed, "upgrading"),
    "rollback": (AppRollbackRequested, AppRollbackFailed, "rolling_back"),
    "start": (ServiceStartRequested, ServiceStartFailed, None),
    "stop": (ServiceStopRequested, ServiceStopFailed, None),
    "restart": (ServiceRestartRequested, ServiceRestartFailed, None),
    "uninstall": (AppUninstallRequested, AppUninstallFailed, "uninstalling"),
    "expose": (ServiceExposureRequested, ServiceExposeFailed, None),
}
# kind -> the ask of another service's saga that stands for its request
ASKS: dict[str, type[Ask]] = {
    "install": RestoreInstallAsked,
    "rollback": RestoreRollbackAsked,
    "start": RestoreStartAsked,
    "stop": RestoreStopAsked,
    "uninstall": RestoreUninstallAsked,
    "expose": ImportExposeAsked,
}


def register(
    service: Service, *, runner: SagaRunner, runtime: Runtime, sealer: Sealer, settings: DeployerSettings
) -> None:
    """Wire one consumer per operation request into ``service``."""
    platform_namespace = service.settings.platform_namespace

    def deadline(kind: str, plan: Plan) -> datetime:
        seconds = {"install": settings.install_deadline_s, "upgrade": settings.upgrade_deadline_s}
        soak = plan.soak_s if isinstance(plan, UpgradePlan) else 0  # the soak's window comes on top
        return datetime.now(UTC) + timedelta(seconds=seconds.get(kind, settings.operation_deadline_s) + soak)

    def user_values(event: ValuesChange) -> dict[str, Any]:
        try:
            return sealer.joined(dict(event.values), event.sealed_values)
        except SealError as error:
            raise Refused(str(error)) from None

    async def backup_first(event: AppUpgradeRequested, record: ServiceRecord, uow: Any) -> bool:
        """Whether the upgrade backs the service up first; refused, before anything starts, when the
        backup could not be taken (volumes the runtime cannot copy), unless the operator chose to go on."""
        wanted = event.backup_first and settings.pre_upgrade_backup
        if not wanted or runtime.copies_volumes:
            return wanted
        revision = await uow.session.get(RevisionRecord, (record.id, record.revision))
        claims = claims_of(revision.objects()) if revision is not None else []
        if not claims:
            return True  # backed up as its release and objects: nothing is left out
        if settings.upgrade_without_volume_backup:
            return False
        raise Refused(
            f"{record.name} keeps data in {', '.join(claims)}, which the {runtime.name} runtime cannot back up "
            "yet, so the backup before the upgrade cannot be taken; nothing was changed. Upgrade with "
            "--no-backup (backup_first=false) to go on without one, or have the operator set "
            "QC_DEPLOYER_UPGRADE_WITHOUT_VOLUME_BACKUP=true"
        )

    def pinned(event: AppInstallRequested | AppUpgradeRequested, split: SealedValues) -> dict[str, Any]:
        """A pinned request's plan fields: its package and its values as the gateway split them."""
        if problem := pin_problem(repository=event.repository, version=event.version, digest=event.digest):
            raise Refused(problem)
        return {
            "version": event.version, "digest": event.digest, "values": split.values, "sealed": split.sealed,
            "secret_paths": split.secret_paths or [],
        }  # fmt: skip

    def scan_policy(event: AppInstallRequested | AppUpgradeRequested) -> dict[str, Any]:
        """The scan policy as the request carries it (the gateway's, the only sender of requests)."""
        return {"scan_blocks": event.scan_blocks, "scan_warns": event.scan_warns, "scan_override": event.scan_override}

    async def plan_for(kind: str, event: Any, record: ServiceRecord | None, uow: Any) -> Plan:
        """What the saga needs from the request, checked against the service as it is."""
        if kind == "install":
            if record is not None:
                raise Refused(
                    f"a service named {event.service!r} exists in {event.namespace!r} already ({record.app}, "
                    f"{record.status}); pick another name or uninstall it first"
                )
            values = user_values(event)  # opened once to refuse what cannot be opened
            if event.digest is None:
                return InstallPlan(
                    app=event.app, wanted_version=event.version, repository=event.repository,
                    request=sealer.seal(values), **scan_policy(event),
                )  # fmt: skip
            # Sealed again by the same rule with the paths the request names: a value the sender left in clear
            # (an older gateway, a forged request) under a credential's name is not stored in clear here.
            split = seal_secrets(sealer, values, event.secret_paths or [])
            return InstallPlan(
                app=event.app,
                wanted_version=event.version,
                repository=event.repository,
                **pinned(event, split),
                **scan_policy(event),
            )
        if record is None:
            raise Refused(f"there is no service {event.service!r} in {event.namespace!r}")
        if record.operation_id is not None:
            running = await uow.session.get(OperationRecord, record.operation_id)
            at = running.current_step if running else ""
            doing = f"{running.kind} {running.id} (at {at or 'its start'})" if running else record.operation_id
            raise Refused(f"{record.name} is busy with {doing}; try again when it has finished")
        if kind == "upgrade":
            if record.status == "stopped":
                raise Refused(f"{record.name} is stopped; start it before upgrading, so the upgrade can be checked")
            current = sealer.joined(record.values, record.sealed_secrets)
            wanted = merge_values(current, user_values(event)) if event.reuse_values else user_values(event)
            if event.digest is None:  # resolve asks the market
                chosen: dict[str, Any] = {"request": sealer.seal(wanted)}
            elif event.repository != record.repository:
                raise Refused(f"{record.name} comes from {record.repository!r}; an upgrade cannot move it")
            else:  # the service's secrets stay secret under the new values too: the same rule, with its paths
                paths = [*record.secret_paths, *(event.secret_paths or [])]
                chosen = pinned(event, seal_secrets(sealer, wanted, paths))
            return UpgradePlan(
                app=record.app, repository=record.repository, wanted_version=event.version or record.version,
                previous_version=record.version, previous_revision=record.revision, previous_status=record.status,
                backup_first=await backup_first(event, record, uow),
                restore_data=event.restore_data_on_failure, soak_s=event.soak_seconds, **chosen,
                **scan_policy(event),
            )  # fmt: skip
        if kind == "rollback":
            found = await uow.session.exec(select(RevisionRecord).where(RevisionRecord.service_id == record.id))
            outcomes = {r.number: r.outcome for r in found.all()}
            target = rollback_target(
                name=record.name, current=record.revision, outcomes=outcomes, wanted=event.revision
            )
            return RollbackPlan(target=target)
        if kind == "uninstall":
            return UninstallPlan(keep_volumes=event.keep_volumes)
        if kind == "expose":
            return expose_plan(event, record)
        return ScalePlan()

    def expose_plan(event: ServiceExposureRequested, record: ServiceRecord) -> ExposePlan:
        """The new settings, refused when they cannot be applied as asked: a certificate without its key or
        that does not fit it, a user without a password, a domain for a service with no web page, single
        sign-on the operator has not configured. Rendered once here, so the step meets no such surprise."""
        try:
            kept = Keys.from_json(sealer.open(record.exposure_secrets))
            given_keys, given_passwords = sealer.open(event.sealed_keys), sealer.open(event.sealed_passwords)
        except SealError as error:
            raise Refused(str(error)) from None
        exposure = with_kept_certificates(event.exposure, Exposure.model_validate(record.exposure or {}))
        for domain in exposure.domains:
            if domain.tls != "uploaded":
                continue
            if domain.certificate is None:
                raise Refused(f"{domain.host}: upload its certificate with its key, or choose tls auto or none")
            key = given_keys.get(domain.host) or kept.uploaded.get(domain.host)
            if key is None:
                raise Refused(f"{domain.host}: upload the certificate's private key too")
            if problems := certificate_problems(domain.certificate, str(key), domain.host):
                raise Refused(f"{domain.host}: {'; '.join(problems)}")
        keys = kept.merged(exposure, given_keys, given_passwords)
        entry = parse_web_entry(record.web)
        try:
            platform = Platform.from_settings(settings)
            keys.sign_missing(record.name, record.namespace, exposure, platform, entry, lambda _: ("", ""))
            exposure_objects(
                service=record.name, namespace=record.namespace, exposure=exposure, web=entry, platform=platform,
                keys=keys,
            )  # fmt: skip
        except ExposureError as error:
            raise Refused(str(error)) from None
        return ExposePlan(
            exposure=exposure.model_dump(mode="json"), sealed_keys=event.sealed_keys,
            sealed_passwords=event.sealed_passwords,
        )  # fmt: skip

    asked: dict[type[Ask], Any] = {}  # each ask of a restore, and the acceptance of the request it stands for

    def consumer(kind: str) -> None:
        request, failure, running_status = OPERATIONS[kind]

        async def accept(event: Any, handling: Handling[Any]) -> None:
            uow, envelope = handling.uow, handling.envelope
            op_id = event.operation_id or envelope.id
            ids = {"service": event.service, "namespace": event.namespace, "operation_id": op_id}
            subject = service_subject(event.namespace, event.service)
            try:
                if problem := name_problem(event.namespace, event.service):
                    raise Refused(problem)
                if await uow.session.get(OperationRecord, op_id) is not None:
                    if isinstance(event, Ask):
                        return  # asked again: the outcome it had (or will have) reaches the asker all the same
                    raise Refused(f"operation id {op_id} was used already; each request needs its own")
                found = await uow.session.exec(
                    select(ServiceRecord).where(
                        ServiceRecord.namespace == event.namespace, ServiceRecord.name == event.service
                    )
                )
                record = found.first()
                if problem := team_problem(recorded=record.team if record else None, asking=envelope.team,
                                           exists=record is not None):  # fmt: skip
                    raise Refused(problem)
                if record is None and (
                    problem := reserved_namespace(event.namespace, platform_namespace=platform_namespace)
                ):
                    raise Refused(problem)
                plan = await plan_for(kind, event, record, uow)
            except Refused as refused:
                uow.emit(failure(**ids, reason=str(refused), step="accept"), subject=subject)
                return
            now = datetime.now(UTC)
            if record is None:
                record = ServiceRecord(
                    id=str(uuid.uuid4()), namespace=event.namespace, name=event.service, team=envelope.team,
                    app=event.app, repository=event.repository, status="", created_by=envelope.actor,
                    created_at=now, updated_at=now,
                )  # fmt: skip
                set_status(uow, record, "installing")
            elif running_status is not None:
                set_status(uow, record, running_status)
            record.operation_id = op_id
            uow.session.add(record)
            op = OperationRecord(
                id=op_id, service_id=record.id, namespace=event.namespace, service=event.service, kind=kind,
                state="running", plan=plan.model_dump(mode="json"), deadline=deadline(kind, plan),
                cause=cause_of(envelope), created_at=now,
            )  # fmt: skip
            runner.begin(uow, op)
            uow.session.add(op)

        accept.__name__ = (
            f"{kind}_app" if kind in ("install", "upgrade", "rollback", "uninstall") else f"{kind}_service"
        )
        accept.__doc__ = f"Accept a {kind} request as an operation, or refuse it with the reason."
        service.handles(request)(accept)
        if (ask := ASKS.get(kind)) is not None:
            asked[ask] = accept

    for kind in OPERATIONS:
        consumer(kind)
    service.accepts(asked, name="restore_asks")
