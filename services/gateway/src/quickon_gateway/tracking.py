"""Operations kept current from the events: durable consumers follow every event of the deploy, market,
backup and monitor contexts and apply those that carry the id of an operation the gateway recorded.

Progress (``SagaStepRecorded``, ``BackupStepRecorded``, ``AppInstallStarted``…) makes an operation
``running`` and adds to its steps; an outcome ends it: a :class:`~quickon_common.contracts.common.Failure` as ``failed``
with its reason and step, anything else as ``succeeded``; the outcome's body is its ``result``.
A repository add or refresh ends with the sync it asked for (``CatalogSynced``), not at
``RepositoryAdded``, so that when it succeeds the catalog already lists the apps. An export or an import
ends only with its own outcome (``ServiceExported``, ``ServiceImportFailed``…): the backup it takes or
restores on the way reports its own outcomes under the same operation, and those only show it running.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from quickon_common.consumer import Handling
from quickon_common.contracts.backup import (
    BackupPruned,
    BackupStarted,
    BackupStepRecorded,
    RestoreStarted,
    ServiceExported,
    ServiceExportFailed,
    ServiceImported,
    ServiceImportFailed,
)
from quickon_common.contracts.common import Ask, Failure, OperationEvent
from quickon_common.contracts.deploy import (
    AppInstallStarted,
    AppUpgradeStarted,
    ComponentStepRecorded,
    NodeStepRecorded,
    SagaStepRecorded,
)
from quickon_common.contracts.market import AppVersionAdded, RepositoryAdded
from quickon_common.envelope import Envelope
from quickon_common.service import Service

from .models import OperationRecord
from .operations import DONE

Effect = Literal["ignore", "step", "running", "succeeded", "failed"]
# The fields that say what an event is about or why it failed: not part of an operation's result.
NOT_RESULT = frozenset({"operation_id", "service", "namespace", "repository", "reason", "step"})
PROGRESS: tuple[type[OperationEvent], ...] = (AppInstallStarted, AppUpgradeStarted, BackupStarted, RestoreStarted)
STEPS = (SagaStepRecorded, BackupStepRecorded, NodeStepRecorded, ComponentStepRecorded)
# The step a market outcome ends: add and refresh end with a sync.
OUTCOME_STEP = {"add_repository": "sync", "refresh_repository": "sync", "remove_repository": "remove"}
# The service that owns the requests of each context the gateway follows.
OWNERS = {"deploy": "deployer", "market": "market", "backup": "backup", "monitor": "monitor"}
BACKUP_KINDS = frozenset({"backup", "restore", "verify_backup", "delete_backup", "schedule_backups", "export",
                          "import"})  # fmt: skip
# The operations that only their own outcome events end.
OWN_OUTCOMES: dict[str, tuple[type[OperationEvent], ...]] = {
    "export": (ServiceExported, ServiceExportFailed),
    "import": (ServiceImported, ServiceImportFailed),
}
MONITOR_KINDS = frozenset({"create_rule", "update_rule", "delete_rule", "create_silence", "expire_silence",
                           "external_alerts", "acknowledge_alert"})  # fmt: skip


def owner_of(kind: str) -> str:
    """The service that carries out operations of ``kind``."""
    if kind.endswith("_repository"):
        return OWNERS["market"]
    if kind in MONITOR_KINDS or kind.endswith("_channel"):
        return OWNERS["monitor"]
    return OWNERS["backup"] if kind in BACKUP_KINDS else OWNERS["deploy"]


def effect(event: OperationEvent, kind: str) -> Effect:
    """What ``event`` does to an operation of ``kind``."""
    name = type(event).__name__
    if (
        name.endswith("Requested")
        or isinstance(event, (Ask, AppVersionAdded, BackupPruned))  # an ask is a saga's request, not an outcome
        or name == "ServiceStatusChanged"
    ):
        return "ignore"
    if isinstance(event, STEPS):
        return "step"
    if isinstance(event, PROGRESS) or (isinstance(event, RepositoryAdded) and kind == "add_repository"):
        return "running"
    if kind in OWN_OUTCOMES and not isinstance(event, OWN_OUTCOMES[kind]):
        return "running"  # the backup an export takes, the install an import makes: on the way, not the end
    return "failed" if isinstance(event, Failure) else "succeeded"


def apply(record: OperationRecord, event: OperationEvent, envelope: Envelope) -> bool:
    """Advance ``record`` by ``event``; False when it changes nothing (ended already, or not its business)."""
    happened = effect(event, record.kind)
    if happened == "ignore" or record.state in DONE:
        return False
    at = envelope.time.isoformat()
    steps = list(record.steps)
    if isinstance(event, STEPS):
        steps.append({"step": event.step, "state": event.state, "detail": event.detail, "at": at})
    elif isinstance(event, RepositoryAdded):
        steps.append({"step": "add", "state": "completed", "detail": event.url, "at": at})
    elif record.repository is not None and happened in DONE:  # the market records no steps: say how it ended
        step = event.step if isinstance(event, Failure) and event.step else OUTCOME_STEP.get(record.kind, "sync")
        steps.append({"step": step, "state": "completed" if happened == "succeeded" else "failed", "at": at})
    record.steps = steps
    record.updated_at = datetime.now(UTC)
    if happened == "running":
        record.state = "running"
    elif isinstance(event, Failure):
        fail(record, event.reason, step=event.step)
        record.result = result_of(event)
    elif happened in DONE:
        record.state, record.finished_at = happened, record.updated_at
        record.result = result_of(event)
    else:
        record.state = "running"
    return True


def fail(record: OperationRecord, reason: str, *, step: str | None = None) -> bool:
    """End ``record`` as failed with ``reason``; False when it had ended already."""
    if record.state in DONE:
        return False
    record.state, record.error = "failed", {"reason": reason, "step": step}
    record.updated_at = record.finished_at = datetime.now(UTC)
    return True


def result_of(event: OperationEvent) -> dict[str, Any]:
    """The outcome's body without what it is about (the operation says that), secrets redacted."""
    return {k: v for k, v in event.redacted().items() if k not in NOT_RESULT}


def register(service: Service) -> None:
    """Follow the deploy and market contexts into the operations table."""

    async def follow(event: OperationEvent, handling: Handling[OperationEvent]) -> None:
        if not event.operation_id:
            return
        session = handling.uow.session
        # Locked: the gateway's replicas share the consumer, so two events of one operation may be applied at
        # once; unlocked, a step's "running" written last undid the outcome committed just before it.
        record = await session.get(OperationRecord, event.operation_id, with_for_update=True)
        if record is not None and apply(record, event, handling.envelope):
            session.add(record)

    for context in OWNERS:
        name = f"follow_{context}_operations"
        service.handles(OperationEvent, subject=f"qc.{context}.>", name=name)(follow)
