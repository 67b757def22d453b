"""Wiring of the deployer service: installed services and their operations, run as sagas on a runtime."""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from pathlib import Path

from quickon_common.sealing import Sealer, adopt_key
from quickon_common.service import Service
from quickon_common.settings import Settings

from . import backup_source, handlers, queries
from .market import Market
from .migrations import MIGRATIONS
from .outcomes import build_sagas
from .pre_upgrade import PreUpgradeBackup
from .runtime.base import Runtime, RuntimeFailure
from .runtime.simulated import SimRuntime
from .runtime.unavailable import UnavailableRuntime
from .saga import SagaRunner
from .settings import DeployerSettings
from .steps import Steps
from .watcher import StatusWatcher

log = logging.getLogger(__name__)
RUNTIME_CHECK_S = 10.0


def create_runtime(service: Service, settings: DeployerSettings) -> Runtime:
    """The runtime ``QC_RUNTIME`` names; one that explains itself on every call when it cannot be built."""
    try:
        if settings.runtime == "sim":
            return SimRuntime.from_settings(
                service.settings.var_dir.resolve() / "deployer" / "sim", nodes=settings.sim_nodes,
                cpu=settings.sim_node_cpu, memory=settings.sim_node_memory, delay_scale=settings.sim_delay_scale,
            )  # fmt: skip
        from .runtime.kubernetes import KubernetesRuntime

        return KubernetesRuntime.create(
            kubeconfig=settings.kubeconfig, context=settings.kube_context, helm_timeout_s=settings.helm_timeout_s
        )
    except RuntimeFailure as failure:
        log.error("runtime %s unavailable: %s", settings.runtime, failure.reason)
        return UnavailableRuntime(settings.runtime, failure.reason)


def platform_sealer(settings: Settings, deployer: DeployerSettings, former_file: Path) -> Sealer:
    """The platform's sealer; the deployer's former key (its file, moved to ``var/secret.key`` on first
    start when that is free, or ``QC_DEPLOYER_SECRET_KEY``) still opens the values it sealed."""
    older: list[str | bytes] = [deployer.secret_key] if deployer.secret_key else []
    if settings.secret_key is None:
        if (kept := adopt_key(settings.var_dir, former_file)) is not None:
            older.append(kept)
    elif former_file.exists():
        older.append(former_file.read_bytes().strip())
    return Sealer.platform(settings, older=older)


def create_service(settings: Settings | None = None, deployer: DeployerSettings | None = None) -> Service:
    """The deployer service, ready to run."""
    service = Service("deployer", settings=settings, migrations=MIGRATIONS)
    deployer = deployer or DeployerSettings()
    var = service.settings.var_dir.resolve() / "deployer"
    runtime = create_runtime(service, deployer)
    sealer = platform_sealer(service.settings, deployer, var / "secret.key")

    @cache
    def market() -> Market:
        return Market(service.broker.connection, cache_dir=var / "charts", timeout_s=deployer.market_timeout_s)

    steps = Steps(runtime=runtime, market=market, sealer=sealer, outbox=service.outbox, settings=deployer)
    pre_upgrade = PreUpgradeBackup(service, service.outbox, steps)
    runner = SagaRunner(
        service.outbox,
        build_sagas(steps, pre_upgrade=pre_upgrade.step, restore_data=pre_upgrade.restore_data)
        if deployer.pre_upgrade_backup
        else build_sagas(steps),  # no backup service: the upgrade's steps as they were
        compensation_s=deployer.operation_deadline_s,
        parallel=deployer.parallel_operations,
        failpoints=deployer.failpoints,
    )
    watcher = StatusWatcher(service.outbox, runtime, interval_s=deployer.status_interval_s)
    handlers.register(service, runner=runner, sealer=sealer, settings=deployer)
    queries.register(service, runtime=runtime, market=market, sealer=sealer)
    backup_source.register(service, runtime=runtime)
    service.checks["runtime"] = "not checked yet"

    async def check_runtime() -> None:
        while True:
            service.checks["runtime"] = await runtime.check()
            await asyncio.sleep(RUNTIME_CHECK_S)

    service.runs(runner.run)
    service.runs(watcher.run)
    service.runs(check_runtime)
    service.runtime = runtime  # type: ignore[attr-defined]  # for tests and benchmarks
    service.runner = runner  # type: ignore[attr-defined]
    service.watcher = watcher  # type: ignore[attr-defined]
    return service
