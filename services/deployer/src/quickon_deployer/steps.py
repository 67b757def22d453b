"""The steps of every operation, each idempotent: run again after a crash, it does not do twice.

A deploy or rollback is tagged with a description naming the operation (Helm keeps it in the
release's history), so a step that finds its own tag on the newest revision knows it already
happened and takes that revision instead of making another one.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, update

from quickon_common.certificates import self_signed
from quickon_common.contracts.deploy import AppInstallStarted, AppUpgradeStarted
from quickon_common.contracts.exposure import Exposure
from quickon_common.outbox import Outbox
from quickon_common.scan_report import of_severities
from quickon_common.sealing import Sealer, seal_secrets
from quickon_common.secret_values import join_secrets, scrub, secret_strings
from quickon_common.trivy import TrivyError

from .adapters.market import ChartVersion, Market
from .adapters.render import RenderFailed, chart_annotation, render
from .domain import not_ready, tagged
from .exposure import ExposureError
from .exposure.ingress import (
    WEB_ANNOTATION,
    Keys,
    Platform,
    exposure_objects,
    parse_web_entry,
    web_entry,
)
from .exposure.ingress import urls as exposure_urls
from .models import OperationRecord, RevisionRecord, ServiceRecord
from .plans import DeployPlan, ExposePlan, RollbackPlan, UninstallPlan, UpgradePlan
from .preview import manifest_digest
from .runtime.base import Health, Runtime, RuntimeFailure
from .saga import Run, StepFailed
from .scan_policy import refusal, warning
from .scans import ServiceScans
from .settings import DeployerSettings
from .stored import stored_manifests

EARLY_KEEP_S = 60.0  # an early answer is for the operation's first run, not for a pick-up much later
QUIET_MAX_S = 5.0  # the longest a wait goes without reading the release's health


class Steps:
    """The dependencies steps share: the runtime, the market, the sealer, the outbox."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        market: Callable[[], Market],
        sealer: Sealer,
        outbox: Outbox,
        settings: DeployerSettings,
        scans: ServiceScans,
    ) -> None:
        self.runtime = runtime
        self.market = market
        self.sealer = sealer
        self.outbox = outbox
        self.settings = settings
        self.scans = scans
        self._early: dict[str, asyncio.Future[ChartVersion]] = {}  # operation id -> the market's answer

    # -- install and upgrade ------------------------------------------------------------------

    def ask_early(self, op: OperationRecord) -> None:
        """For a request that is not pinned, ask the market for the chart :meth:`resolve` needs while the
        acceptance commits. A read: a request that is not accepted after all costs a question, and an answer
        nobody takes is dropped."""
        plan = DeployPlan.model_validate(op.plan)
        if plan.digest is not None:
            return  # pinned: there is nothing to ask
        task = asyncio.ensure_future(self._ask_chart(plan))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())  # resolve sees any error
        self._early[op.id] = task
        asyncio.get_running_loop().call_later(EARLY_KEEP_S, self._early.pop, op.id, None)

    async def _ask_chart(self, plan: DeployPlan) -> ChartVersion:
        values = self.sealer.open(plan.request)
        return await self.market().chart(
            plan.app, version=plan.wanted_version, repository=plan.repository, values=values
        )

    async def resolve(self, run: Run) -> None:
        """Have the chart the request pinned (asking the market only for a request it did not pin)."""
        op, plan = run.record, run.plan
        if plan.digest is None:
            run.plan = plan = await self._choose(run)
        await self._chart(run)  # fetched once per deployer and version, checked against its digest
        assert plan.version is not None  # pinned
        if op.kind == "install":
            run.announce(
                AppInstallStarted(
                    service=op.service, namespace=op.namespace, app=plan.app, version=plan.version,
                    operation_id=op.id,
                )
            )  # fmt: skip
        else:
            run.announce(
                AppUpgradeStarted(
                    service=op.service, namespace=op.namespace, from_version=plan.previous_version,
                    to_version=plan.version, operation_id=op.id,
                )
            )  # fmt: skip

    async def _choose(self, run: Run) -> DeployPlan:
        """An unpinned request's plan pinned by the market: the version, its digest, the values checked
        against its schema and split by the one rule the gateway seals by."""
        plan: DeployPlan = run.plan
        early = self._early.pop(run.record.id, None)  # an error there is this try's; the next one asks again
        chart = await early if early is not None else await self._ask_chart(plan)
        if chart.problems:
            raise StepFailed(f"the values do not fit {chart.app} {chart.version}: {'; '.join(chart.problems)}")
        split = seal_secrets(self.sealer, self.sealer.open(plan.request), chart.secret_paths)
        return plan.model_copy(
            update={
                "version": chart.version, "repository": chart.repository, "digest": chart.digest,
                "values": split.values, "sealed": split.sealed, "secret_paths": split.secret_paths or [],
            }
        )  # fmt: skip

    async def render(self, run: Run) -> None:
        """``helm template`` the chosen chart with the user's values (secrets opened only here)."""
        plan: DeployPlan = run.plan
        secret = self.sealer.open(plan.sealed)
        values, hidden = join_secrets(plan.values, secret), secret_strings(secret)
        try:
            manifests = await render(
                await self._chart(run), release=run.record.service, namespace=run.record.namespace, values=values
            )
        except RenderFailed as error:  # helm may quote a value (a template's fail, a bad type): never a secret
            raise StepFailed(scrub(str(error), hidden)) from None
        run.memory["manifests"], run.memory["values"], run.memory["hidden"] = manifests, values, hidden
        digest = manifest_digest(stored_manifests(manifests, hidden=hidden))
        try:
            web = web_entry(manifests, chart_annotation(await self._chart(run), WEB_ANNOTATION))
        except ExposureError as error:
            raise StepFailed(str(error)) from None
        run.plan = plan.model_copy(update={"manifest_digest": digest, "web": str(web) if web else None})

    async def scan(self, run: Run) -> None:
        """Enforce the scan policy the request carries: Trivy on the rendered manifests (as they are stored),
        failing the operation when it finds what the policy blocks. Only when the policy blocks something and
        no platform admin overrode it: otherwise the service is scanned after the operation, off its way."""
        plan: DeployPlan = run.plan
        op = run.record
        if not plan.scan_blocks or plan.scan_override:
            if plan.scan_override and plan.scan_blocks:
                await run.note("the scan policy was overridden by a platform admin; scanned after the operation")
            return
        if "manifests" not in run.memory:  # resumed after a crash: render again
            await self.render(run)
        manifests = stored_manifests(run.memory["manifests"], hidden=run.memory["hidden"])
        try:
            report = await self.scans.scan(manifests)
        except TrivyError as error:  # fail closed: a policy that blocks cannot be kept without its scan
            raise StepFailed(
                f"the platform's scan policy blocks findings, but the scan could not run: {error}; nothing was "
                "changed. Try again once the operator has fixed Trivy, or ask a platform admin to override"
            ) from None
        blocked = of_severities(report, plan.scan_blocks)
        if blocked:
            raise StepFailed(refusal(blocked, kind=op.kind, service=op.service))
        assert plan.manifest_digest is not None  # render ran
        await self.scans.keep(op.service_id, plan.manifest_digest, report=report, error=None)
        if warned := of_severities(report, plan.scan_warns):
            await run.note(warning(warned, service=op.service))

    async def apply(self, run: Run) -> None:
        """Install or upgrade the release; the revision it made is recorded, still pending."""
        op = run.record
        tag = tagged(op.kind, op.id)
        revision = await self._tagged(run, tag)
        if revision is None:
            if "manifests" not in run.memory:  # resumed after a crash: render again
                await self.render(run)
            try:
                revision = await self.runtime.deploy(
                    namespace=op.namespace, release=op.service, chart=await self._chart(run),
                    values=run.memory["values"], manifests=run.memory["manifests"], description=tag,
                )  # fmt: skip
            except RuntimeFailure as failure:  # the API server may quote the object it refused, secrets and all
                raise RuntimeFailure(scrub(failure.reason, run.memory["hidden"]), retryable=failure.retryable) from None
        manifests = run.memory.get("manifests")
        if manifests is None:
            await self.render(run)
            manifests = run.memory["manifests"]
        plan: DeployPlan = run.plan
        self._store_revision(
            run, revision, version=plan.version or "", values=plan.values, sealed=plan.sealed,
            manifests=stored_manifests(manifests, hidden=run.memory["hidden"]), description=tag,
        )  # fmt: skip
        run.plan = plan.model_copy(update={"revision": revision})

    # -- reaching the service ------------------------------------------------------------------

    async def expose(self, run: Run) -> None:
        """Apply the objects that reach and protect the service (its Ingress, TLS, basic-auth users): those of an
        expose operation's settings, or after an install or upgrade those the service has (its default address
        on the platform's base domain, for a new one)."""
        op = run.record
        async with self.outbox.db.read_session() as session:
            record = await session.get(ServiceRecord, op.service_id)
        assert record is not None  # a service with an operation running stays
        if isinstance(run.plan, ExposePlan):
            exposure, web = Exposure.model_validate(run.plan.exposure), record.web
            given = self.sealer.open(run.plan.sealed_keys), self.sealer.open(run.plan.sealed_passwords)
        else:  # after an install or upgrade: what the service has, on its chart's (new) web entry
            exposure, web, given = Exposure.model_validate(record.exposure or {}), run.plan.web, ({}, {})
        keys = Keys.from_json(self.sealer.open(record.exposure_secrets)).merged(exposure, *given)
        entry = parse_web_entry(web)
        try:
            platform = Platform.from_settings(self.settings)
            keys.sign_missing(op.service, op.namespace, exposure, platform, entry, self_signed)
            objects = exposure_objects(
                service=op.service, namespace=op.namespace, exposure=exposure, web=entry, platform=platform, keys=keys
            )
        except ExposureError as error:
            raise StepFailed(str(error)) from None
        await self.runtime.apply_exposure(namespace=op.namespace, release=op.service, objects=objects)
        urls = exposure_urls(op.service, op.namespace, exposure, platform.base_domain, entry)
        run.plan = run.plan.model_copy(update={"exposure_secrets": self.sealer.seal(keys.to_json()), "urls": urls})

    # -- rollback (asked for, or after a failed upgrade) ----------------------------------------

    async def roll_back(self, run: Run) -> None:
        """Bring back the plan's ``target`` revision's objects as a new revision."""
        plan: RollbackPlan = run.plan
        await self._roll_back_to(run, plan.target, tag=tagged("rollback", run.record.id), key="revision")

    async def undo_upgrade(self, run: Run) -> None:
        """After a failed upgrade that reached the cluster: back to the revision before it."""
        plan: UpgradePlan = run.plan
        applied = plan.revision is not None or await self._tagged(run, tagged("upgrade", run.record.id)) is not None
        if not applied:
            return
        tag = tagged("rollback after failed upgrade", run.record.id)
        await self._roll_back_to(run, plan.previous_revision, tag=tag, key="rolled_back_revision")

    async def _roll_back_to(self, run: Run, target: int, *, tag: str, key: str) -> None:
        op = run.record
        revision = await self._tagged(run, tag)
        if revision is None:
            revision = await self.runtime.rollback(
                namespace=op.namespace, release=op.service, revision=target, description=tag
            )
        # Pods the failed revision broke would block their own replacement (a StatefulSet's rollout).
        await self.runtime.replace_broken_pods(namespace=op.namespace, release=op.service)
        async with self.outbox.db.read_session() as session:
            source = await session.get(RevisionRecord, (op.service_id, target))
        if source is None:
            raise StepFailed(f"revision {target} of {op.service} is not recorded")
        self._store_revision(
            run, revision, version=source.version, values=source.values, sealed=source.sealed_secrets,
            manifests=None, description=tag, copy_of=source,
        )  # fmt: skip
        run.plan = run.plan.model_copy(update={key: revision})

    # -- start, stop, restart, uninstall --------------------------------------------------------

    async def scale_up(self, run: Run) -> None:
        await self.runtime.start(namespace=run.record.namespace, release=run.record.service)

    async def scale_down(self, run: Run) -> None:
        await self.runtime.stop(namespace=run.record.namespace, release=run.record.service)

    async def restart(self, run: Run) -> None:
        # Not tagged: repeated after a crash, it is one more rolling restart, which harms nothing.
        await self.runtime.restart(namespace=run.record.namespace, release=run.record.service)

    async def uninstall(self, run: Run) -> None:
        plan: UninstallPlan = run.plan
        keep = plan.keep_volumes
        await self.runtime.uninstall(namespace=run.record.namespace, release=run.record.service, keep_volumes=keep)

    async def remove(self, run: Run) -> None:
        """Undo a failed install: the release and everything it created, volumes included."""
        await self.runtime.uninstall(namespace=run.record.namespace, release=run.record.service, keep_volumes=False)
        await self.wait_gone(run)

    # -- waiting --------------------------------------------------------------------------------

    async def wait_ready(self, run: Run) -> None:
        await self._wait(run, lambda h: h.ready, "ready")

    async def wait_rollback(self, run: Run) -> None:
        """Wait for the rolled-back release; its own budget, as the operation's deadline may be spent."""
        plan: UpgradePlan = run.plan
        if plan.rolled_back_revision is None:  # the upgrade never reached the cluster
            return
        deadline = run.compensation_deadline
        await self._wait(run, lambda h: h.ready, "ready after the rollback", deadline=deadline)

    async def wait_stopped(self, run: Run) -> None:
        await self._wait(run, lambda h: h.stopped and h.gone, "stopped", fail_fast=False)

    async def wait_gone(self, run: Run) -> None:
        await self._wait(run, lambda h: not h.exists, "gone", fail_fast=False)

    async def _wait(
        self,
        run: Run,
        done: Callable[[Health], bool],
        what: str,
        *,
        deadline: float | None = None,
        fail_fast: bool = True,
    ) -> None:
        op = run.record
        until = deadline if deadline is not None else run.deadline
        failing_since: float | None = None
        while True:
            health = await self.runtime.health(namespace=op.namespace, release=op.service)
            run.memory["health"] = health
            if done(health):
                return
            now = time.time()
            failure = health.failure if fail_fast else None
            failing_since = (failing_since or now) if failure else None
            if failure and failing_since is not None and now - failing_since >= self.settings.failure_grace_s:
                raise StepFailed(f"{op.service} did not become {what}: {failure}{_last_warning(health)}")
            if now >= until:
                raise StepFailed(f"{op.service} was not {what} by the deadline: {not_ready(health)}")
            # Until the cluster reports a change; at least every QUIET_MAX_S, for the failure grace and deadline.
            quiet = min(QUIET_MAX_S, max(until - now, 0.01))
            await self.runtime.until_changed(namespace=op.namespace, release=op.service, at_most=quiet)

    # -- helpers --------------------------------------------------------------------------------

    async def _chart(self, run: Run) -> Path:
        """The pinned chart's package (cached after the first time, so mostly no question at all)."""
        plan: DeployPlan = run.plan
        assert plan.repository is not None and plan.version is not None and plan.digest is not None  # pinned
        return await self.market().package(
            plan.app, repository=plan.repository, version=plan.version, digest=plan.digest
        )

    async def _tagged(self, run: Run, tag: str) -> int | None:
        """The revision this operation already made with ``tag``, if the release's newest one is it."""
        history = await self.runtime.history(namespace=run.record.namespace, release=run.record.service)
        return history[-1].number if history and history[-1].description == tag else None

    def _store_revision(
        self,
        run: Run,
        number: int,
        *,
        version: str,
        values: dict[str, Any],
        sealed: str | None,
        manifests: list[dict[str, Any]] | None,
        description: str,
        copy_of: RevisionRecord | None = None,
    ) -> None:
        op = run.record
        record = RevisionRecord(
            service_id=op.service_id, number=number, version=version, values=values, sealed_secrets=sealed,
            manifest_digest=copy_of.manifest_digest if copy_of else run.plan.manifest_digest,
            manifests=copy_of.manifests if copy_of else zlib.compress(json.dumps(manifests).encode()),
            operation=op.kind if copy_of is None else "rollback", outcome="pending", description=description,
            actor=op.cause.get("actor"), created_at=datetime.now(UTC),
        )  # fmt: skip
        run.rows.append(record)  # saved with the step's record, in its transaction

    async def settle_revisions(
        self, session: Any, service_id: str, deployed: int, *, failed: int | None = None
    ) -> None:
        """``deployed`` is the live revision; the others were superseded (``failed`` failed)."""
        table = RevisionRecord.__table__  # type: ignore[attr-defined]
        outcome = {deployed: "deployed", **({failed: "failed"} if failed is not None else {})}
        await session.exec(
            update(table)
            .where(table.c.service_id == service_id)
            .values(outcome=case(outcome, value=table.c.number, else_="superseded"))
        )


def _last_warning(health: Health) -> str:
    warnings = [e for e in health.events if e.type == "Warning"]
    return f" ({warnings[-1].reason}: {warnings[-1].message})" if warnings else ""
