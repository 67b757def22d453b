"""How each operation ends: what success records and announces, what a failure leaves and says.

Each function runs inside the saga's last transaction, so the service's new state and the
outcome event are written together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete

from quickon_common.contracts.deploy import (
    AppInstalled,
    AppInstallFailed,
    AppRollbackFailed,
    AppRolledBack,
    AppUninstalled,
    AppUninstallFailed,
    AppUpgraded,
    AppUpgradeFailed,
    ServiceRestarted,
    ServiceRestartFailed,
    ServiceStarted,
    ServiceStartFailed,
    ServiceStatusChanged,
    ServiceStopFailed,
    ServiceStopped,
)
from quickon_common.contracts.exposure import ServiceExposed, ServiceExposeFailed
from quickon_common.outbox import UnitOfWork

from .domain import observed_status, service_subject
from .models import RevisionRecord, ServiceRecord
from .plans import DeployPlan, ExposePlan, InstallPlan, RollbackPlan, ScalePlan, UninstallPlan, UpgradePlan
from .runtime.base import Health
from .saga import Run, Saga, Step
from .scans import forget_scans
from .soak import forget_alerts
from .steps import Steps


def set_status(uow: UnitOfWork, service: ServiceRecord, status: str, reason: str | None = None) -> None:
    """Change a service's status, telling the bus when it really changed."""
    previous = service.status or None  # a new service has none yet
    service.status, service.status_reason, service.updated_at = status, reason, datetime.now(UTC)
    uow.session.add(service)
    if previous != status:
        uow.emit(
            ServiceStatusChanged(
                service=service.name, namespace=service.namespace, status=status,  # type: ignore[arg-type]
                previous=previous, reason=reason,  # type: ignore[arg-type]
            ),
            subject=service_subject(service.namespace, service.name),
        )  # fmt: skip


def _last_seen(run: Run) -> tuple[str, str | None]:
    health: Health | None = run.memory.get("health")
    return observed_status(health) if health is not None else ("failed", "its state is not known")


def _ids(run: Run) -> dict[str, Any]:
    return {"service": run.record.service, "namespace": run.record.namespace, "operation_id": run.record.id}


def _emit(uow: UnitOfWork, run: Run, event: Any) -> None:
    uow.emit(event, subject=service_subject(run.record.namespace, run.record.service))


async def _forget(uow: UnitOfWork, service: ServiceRecord) -> None:
    await uow.session.exec(delete(RevisionRecord).where(RevisionRecord.service_id == service.id))  # type: ignore[arg-type]
    await forget_scans(uow.session, service.id)
    await uow.session.delete(service)


def build_sagas(
    steps: Steps, *, pre_upgrade: Step | None = None, restore_data: Step | None = None, soak: Step | None = None
) -> dict[str, Saga]:
    """Every operation's saga, from the shared steps; ``pre_upgrade`` (the backup an upgrade waits for
    unless it opted out) comes first in the upgrade, ``soak`` (its alerts watched, when asked) last, and
    ``restore_data`` (its data back, when asked) last in the undoing of a failed one."""

    async def deployed(uow: UnitOfWork, service: ServiceRecord, plan: DeployPlan) -> None:
        """The service runs what an install or upgrade deployed."""
        assert plan.version is not None and plan.revision is not None  # resolve and apply ran
        service.version, service.repository, service.revision = plan.version, plan.repository, plan.revision
        service.values, service.sealed_secrets = plan.values, plan.sealed
        service.secret_paths, service.operation_id = plan.secret_paths, None
        service.web, service.exposure_secrets = plan.web, plan.exposure_secrets
        await steps.settle_revisions(uow.session, service.id, plan.revision)
        set_status(uow, service, "running")
        uow.after_commit(steps.scans.wake)  # its new manifests, scanned unless the scan step did

    async def installed(run: Run, uow: UnitOfWork, service: ServiceRecord | None) -> None:
        assert service is not None
        plan = run.plan
        await deployed(uow, service, plan)
        _emit(uow, run, AppInstalled(**_ids(run), app=service.app, version=service.version, revision=service.revision))

    async def install_failed(run: Run, uow: UnitOfWork, service: ServiceRecord | None, reason: str) -> None:
        if service is not None and run.compensation_failed is not None:
            # The release may be left in the cluster: keep the service, so that it can be uninstalled.
            service.operation_id = None
            set_status(uow, service, "failed", reason)
        elif service is not None:  # nothing of it stays: the name is free again
            await _forget(uow, service)
        _emit(uow, run, AppInstallFailed(**_ids(run), reason=reason, step=run.failed_step))

    async def upgraded(run: Run, uow: UnitOfWork, service: ServiceRecord | None) -> None:
        assert service is not None
        plan: UpgradePlan = run.plan
        await deployed(uow, service, plan)
        await forget_alerts(uow.session, run.record.id)
        _emit(
            uow, run,
            AppUpgraded(**_ids(run), from_version=plan.previous_version, to_version=service.version,
                        revision=service.revision),
        )  # fmt: skip

    async def upgrade_failed(run: Run, uow: UnitOfWork, service: ServiceRecord | None, reason: str) -> None:
        assert service is not None
        plan: UpgradePlan = run.plan
        rolled_back = plan.rolled_back_revision if run.compensation_failed is None else None
        service.operation_id = None
        if rolled_back is not None:
            service.revision = rolled_back
            await steps.settle_revisions(uow.session, service.id, rolled_back, failed=plan.revision)
            reason = f"{reason}; rolled back to revision {plan.previous_revision} (now revision {rolled_back})"
            if plan.data_restored:
                reason += f", its data restored from backup {plan.backup_id}"
            set_status(uow, service, *_last_seen(run))
        elif plan.revision is not None:  # it reached the cluster and could not be undone
            await steps.settle_revisions(uow.session, service.id, plan.revision, failed=plan.revision)
            set_status(uow, service, "failed", reason)
        else:  # refused before anything changed
            set_status(uow, service, plan.previous_status, service.status_reason)
        await forget_alerts(uow.session, run.record.id)
        event = AppUpgradeFailed(
            **_ids(run), reason=reason, step=run.failed_step, rolled_back=rolled_back is not None,
            alert=plan.soak_alert, alert_id=plan.soak_alert_id,
        )  # fmt: skip
        _emit(uow, run, event)

    async def rolled_back(run: Run, uow: UnitOfWork, service: ServiceRecord | None) -> None:
        assert service is not None
        plan: RollbackPlan = run.plan
        assert plan.revision is not None  # roll_back ran
        record = await uow.session.get(RevisionRecord, (service.id, plan.revision))
        assert record is not None
        service.version, service.values, service.sealed_secrets = record.version, record.values, record.sealed_secrets
        service.revision, service.operation_id = plan.revision, None
        await steps.settle_revisions(uow.session, service.id, plan.revision)
        set_status(uow, service, "running")
        uow.after_commit(steps.scans.wake)  # a revision rolled back to may never have been scanned
        _emit(uow, run, AppRolledBack(**_ids(run), to_revision=plan.target, revision=plan.revision))

    def simple(done: type[Any], failed: type[Any], status: str) -> tuple[Any, Any]:
        async def finish(run: Run, uow: UnitOfWork, service: ServiceRecord | None) -> None:
            assert service is not None
            service.operation_id = None
            set_status(uow, service, status)
            _emit(uow, run, done(**_ids(run)))

        async def fail(run: Run, uow: UnitOfWork, service: ServiceRecord | None, reason: str) -> None:
            if service is not None:
                service.operation_id = None
                set_status(uow, service, *_last_seen(run))
            _emit(uow, run, failed(**_ids(run), reason=reason, step=run.failed_step))

        return finish, fail

    async def exposed(run: Run, uow: UnitOfWork, service: ServiceRecord | None) -> None:
        assert service is not None
        plan: ExposePlan = run.plan
        service.exposure, service.exposure_secrets = plan.exposure, plan.exposure_secrets
        service.operation_id, service.updated_at = None, datetime.now(UTC)
        uow.session.add(service)
        _emit(uow, run, ServiceExposed(**_ids(run), urls=plan.urls))

    async def expose_failed(run: Run, uow: UnitOfWork, service: ServiceRecord | None, reason: str) -> None:
        if service is not None:  # what the cluster holds may be half of the new settings: the old ones stay on
            service.operation_id = None  # record, and asking again (or for the old ones) puts it right
            uow.session.add(service)
        _emit(uow, run, ServiceExposeFailed(**_ids(run), reason=reason, step=run.failed_step))

    async def uninstalled(run: Run, uow: UnitOfWork, service: ServiceRecord | None) -> None:
        if service is not None:
            await _forget(uow, service)
        plan: UninstallPlan = run.plan
        _emit(uow, run, AppUninstalled(**_ids(run), volumes_kept=plan.keep_volumes))

    rollback_failed = simple(AppRolledBack, AppRollbackFailed, "running")[1]
    started, start_failed = simple(ServiceStarted, ServiceStartFailed, "running")
    stopped, stop_failed = simple(ServiceStopped, ServiceStopFailed, "stopped")
    restarted, restart_failed = simple(ServiceRestarted, ServiceRestartFailed, "running")
    uninstall_failed = simple(AppUninstalled, AppUninstallFailed, "failed")[1]
    s = steps
    # Steps safe to run again after a crash without their start on record: the reads (the market,
    # helm template, the cluster's health) and apply, which finds its own tag on the release's
    # newest revision instead of deploying twice. Each is still on record once it runs long.
    repeatable = frozenset({"resolve", "render", "scan", "apply", "wait", "expose"})
    deploy = (
        ("resolve", s.resolve), ("render", s.render), ("scan", s.scan), ("apply", s.apply), ("wait", s.wait_ready),
        ("expose", s.expose),
    )  # fmt: skip
    return {
        "install": Saga(
            plan=InstallPlan, steps=deploy, finish=installed, compensation=(("remove", s.remove),),
            fail=install_failed, repeatable=repeatable, early=s.ask_early,
        ),
        "upgrade": Saga(
            plan=UpgradePlan, steps=((("backup", pre_upgrade),) if pre_upgrade else ()) + deploy
            + ((("soak", soak),) if soak else ()), finish=upgraded,
            compensation=(("undo_upgrade", s.undo_upgrade), ("wait_rollback", s.wait_rollback))
            + ((("restore_data", restore_data),) if restore_data else ()),
            fail=upgrade_failed, repeatable=repeatable,
            early=None if pre_upgrade else s.ask_early,  # not before a backup
        ),
        "rollback": Saga(
            plan=RollbackPlan, steps=(("roll_back", s.roll_back), ("wait", s.wait_ready)), finish=rolled_back,
            fail=rollback_failed, repeatable=repeatable,
        ),
        "start": Saga(
            plan=ScalePlan, steps=(("scale_up", s.scale_up), ("wait", s.wait_ready)), finish=started,
            fail=start_failed, repeatable=repeatable,
        ),
        "stop": Saga(
            plan=ScalePlan, steps=(("scale_down", s.scale_down), ("wait", s.wait_stopped)), finish=stopped,
            fail=stop_failed, repeatable=repeatable,
        ),
        "restart": Saga(
            plan=ScalePlan, steps=(("restart", s.restart), ("wait", s.wait_ready)), finish=restarted,
            fail=restart_failed, repeatable=repeatable,
        ),
        "expose": Saga(
            plan=ExposePlan, steps=(("expose", s.expose),), finish=exposed, fail=expose_failed, repeatable=repeatable,
        ),
        "uninstall": Saga(
            plan=UninstallPlan, steps=(("uninstall", s.uninstall), ("wait", s.wait_gone)), finish=uninstalled,
            fail=uninstall_failed, repeatable=repeatable,
        ),
    }  # fmt: skip
