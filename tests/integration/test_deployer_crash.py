"""The deployer process SIGKILLed at every step of install and upgrade (and of an upgrade's rollback):
after a restart, each operation completes or compensates, exactly once, leaving no orphan revision.

The process freezes itself at a failpoint (``QC_DEPLOYER_FAILPOINTS``): just before a step runs
(``before``; a step whose repetition could do harm is on record as started by then, a repeatable
one — resolve, render, apply, wait — is not yet), or after its effect and before that was recorded
(``after``). The test then kills it and starts the next process, which resumes the operation from
the last step on record.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested, AppUpgraded, AppUpgradeFailed
from quickon_common.contracts.deploy import AppUpgradeRequested as Upgrade
from quickon_common.natsserver import NatsServer, free_port
from quickon_deployer.runtime.simulated import SimRuntime
from support.bus import running, service_environment, wait_frozen
from support.deployer import CATALOG, FAST, ask, finished, outcome, request
from support.market import market_service, wait_repository

NS = "crash"
STEPS = ("resolve", "render", "apply", "wait")
CASES = [
    *(("install", f"i-{step}-{moment}", step, moment) for step in STEPS for moment in ("before", "after")),
    *(("upgrade", f"u-{step}-{moment}", step, moment) for step in STEPS for moment in ("before", "after")),
    *(("rollback", f"r-{step.replace('_', '-')}-{moment}", step, moment) for step in ("undo_upgrade", "wait_rollback")
      for moment in ("before", "after")),
]  # fmt: skip
# Each database takes half of the failpoints, every step's "before" on one and its "after" on the other,
# alternating from step to step: every failpoint is crossed once a run, and each database meets both
# moments (the whole set on each took ~80 s per database, near the suite's budget).
HALVES = {
    "sqlite": [case for index, case in enumerate(CASES) if index % 4 in (0, 3)],
    "postgresql": [case for index, case in enumerate(CASES) if index % 4 in (1, 2)],
}
CRASH = {"podAnnotations": {"sim.quickon.io/fail": "crash-loop"}}


def start_deployer(
    nats_url: str, database_url: str, var_dir: Path, failpoints: list[str], log: Path
) -> subprocess.Popen[bytes]:
    settings = {**FAST, "failpoints": json.dumps(failpoints)}
    env = {
        **os.environ, **service_environment("deployer", nats_url=nats_url), "QC_VAR_DIR": str(var_dir),
        "QC_DEPLOYER_DATABASE_URL": database_url,
        "QC_DEPLOYER_HTTP_PORT": str(free_port()), "QC_RUNTIME": "sim",
        # Started again under its name, as a container restarted in its pod: it takes its sagas back at once
        # (another replica waits for their leases to pass: tests/e2e/test_chaos.py, tests/unit/test_saga.py).
        "QC_INSTANCE": "deployer-1",
        **{f"QC_DEPLOYER_{k.upper()}": str(v) for k, v in settings.items() if k != "runtime"},
    }  # fmt: skip
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "quickon_deployer"], stdout=out, stderr=out, env=env)


async def test_a_killed_deployer_resumes_or_compensates_every_step(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url, log = nats_server.url, tmp_path / "deployer.log"
    cases = HALVES[database_url.split(":")[0].split("+")[0]]
    failpoints = [
        f"{kind if kind != 'rollback' else 'upgrade'}:{name}:{step}:{moment}" for kind, name, step, moment in cases
    ]
    market = market_service(url, f"sqlite:///{tmp_path / 'market.db'}", tmp_path, builtin=CATALOG)
    async with running(market):
        await wait_repository(url, "builtin", "ok")
        process = start_deployer(url, database_url, tmp_path, failpoints, log)
        try:
            for index, (kind, name, _step, _moment) in enumerate(cases):
                if kind != "install":  # the service to upgrade, installed before the failpoint
                    op = await request(
                        url, AppInstallRequested(service=name, namespace=NS, app="redis", version="1.0.0")
                    )
                    assert isinstance(outcome(await finished(url, op)), AppInstalled)
                values = CRASH if kind == "rollback" else {}
                event = (
                    AppInstallRequested(service=name, namespace=NS, app="redis", version="1.0.0")
                    if kind == "install"
                    else Upgrade(service=name, namespace=NS, version="1.0.1", values=values)
                )
                op = await request(url, event)
                await wait_frozen(process, f"the failpoint {failpoints[index]}")
                process.send_signal(signal.SIGKILL)
                process.wait()
                process = start_deployer(url, database_url, tmp_path, failpoints[index + 1 :], log)
                found = await finished(url, op, timeout_s=90)
                result = outcome(found)
                expected = {"install": AppInstalled, "upgrade": AppUpgraded, "rollback": AppUpgradeFailed}[kind]
                assert isinstance(result, expected), (failpoints[index], result)
                if isinstance(result, AppUpgradeFailed):
                    assert result.rolled_back, result.reason
                service = await ask(url, "service", namespace=NS, service=name)
                assert (service["status"], service["operation"]) == ("running", None), (failpoints[index], service)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    # The cluster as the deployers left it: one revision per install, two per upgrade, three when rolled back.
    runtime = SimRuntime(tmp_path / "deployer" / "sim")
    for kind, name, _step, _moment in cases:
        history = await runtime.history(namespace=NS, release=name)
        assert [r.status for r in history][-1] == "deployed"
        assert len(history) == {"install": 1, "upgrade": 2, "rollback": 3}[kind], (name, history)
    assert sorted(name for _ns, name in await runtime.releases()) == sorted(name for _k, name, _s, _m in cases)
