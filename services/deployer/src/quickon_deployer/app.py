"""Wiring of the deployer service: installed services and their operations, run as sagas on a runtime."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from quickon_common.service import Service
from quickon_common.settings import Settings

from . import backup_source, components, handlers, node_operations, node_queries, queries, service_scans, sim_pages
from .adapters.market import Market
from .adapters.sealing import platform_sealer
from .migrations import MIGRATIONS
from .outcomes import build_sagas
from .pre_upgrade import PreUpgradeBackup
from .reseal import reseal_clear_credentials
from .runtime.base import Runtime
from .runtime.choice import create_runtime, watch_runtime
from .runtime.simulated import SimRuntime
from .saga import SagaRunner
from .scans import ServiceScans
from .settings import DeployerSettings
from .soak import Soak
from .steps import Steps
from .watcher import StatusWatcher


@dataclass(frozen=True)
class DeployerParts:
    """The deployer service and the parts a test or benchmark may drive directly."""

    service: Service
    runtime: Runtime
    runner: SagaRunner
    watcher: StatusWatcher
    scans: ServiceScans


def build(settings: Settings | None = None, deployer: DeployerSettings | None = None) -> DeployerParts:
    """The deployer service, wired, with its runtime, saga runner and status watcher at hand."""
    service = Service("deployer", settings=settings, migrations=MIGRATIONS)
    deployer = deployer or DeployerSettings()
    var = service.settings.var_dir.resolve() / "deployer"
    runtime = create_runtime(service, deployer)
    sealer = platform_sealer(service.settings, deployer, var / "secret.key")

    @cache
    def market() -> Market:
        return Market(service.broker.connection, cache_dir=var / "charts", timeout_s=deployer.market_timeout_s)

    scans = ServiceScans(service.outbox, deployer, var / "trivy", leads=lambda: service.leadership.leads)
    steps = Steps(runtime=runtime, market=market, sealer=sealer, outbox=service.outbox, settings=deployer, scans=scans)
    pre_upgrade = PreUpgradeBackup(service, service.outbox, steps)
    soak = Soak(service, steps)
    sagas = (
        build_sagas(steps, pre_upgrade=pre_upgrade.step, restore_data=pre_upgrade.restore_data, soak=soak.step)
        if deployer.pre_upgrade_backup
        else build_sagas(steps, soak=soak.step)  # no backup service: the upgrade's steps but the backup
    )
    runner = SagaRunner(
        service.outbox,
        sagas | node_operations.node_sagas(runtime) | components.component_sagas(runtime),
        compensation_s=deployer.operation_deadline_s,
        parallel=deployer.parallel_operations,
        failpoints=deployer.failpoints,
        owner=service.instance,
        lease_s=service.settings.lease_s,
    )
    watcher = StatusWatcher(
        service.outbox, runtime, interval_s=deployer.status_interval_s, leads=lambda: service.leadership.leads
    )
    handlers.register(service, runner=runner, runtime=runtime, sealer=sealer, settings=deployer)
    node_operations.register(service, runner=runner, settings=deployer)
    node_queries.register(service, runtime=runtime)
    components.register(service, runner=runner, runtime=runtime, settings=deployer)
    queries.register(service, runtime=runtime, market=market, sealer=sealer, base_domain=deployer.base_domain)
    service_scans.register(service, scans)
    backup_source.register(service, runtime=runtime)
    if isinstance(runtime, SimRuntime):  # the simulated cluster's exporters (a real cluster has its own)
        sim_pages.register(service, runtime)
    service.prepares(lambda: reseal_clear_credentials(service.db, sealer))
    service.checks["runtime"] = "not checked yet"

    async def check_runtime() -> None:
        await watch_runtime(runtime, lambda reason: service.checks.__setitem__("runtime", reason))

    service.runs(runner.run)
    service.runs(watcher.run)

    async def scan_in_the_background() -> None:
        await service.leadership.asked()  # the leader scans: know first whether it is this replica
        await scans.work()

    service.runs(scan_in_the_background)
    service.runs(check_runtime)
    return DeployerParts(service=service, runtime=runtime, runner=runner, watcher=watcher, scans=scans)


def create_service(settings: Settings | None = None, deployer: DeployerSettings | None = None) -> Service:
    """The deployer service, ready to run."""
    return build(settings, deployer).service
