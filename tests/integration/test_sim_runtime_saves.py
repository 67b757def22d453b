"""The sim runtime's saves: what is changed while another save is being written reaches the disk too.

A save writes in a worker thread; deploys made meanwhile record their revisions and wait for the
next save. Those revisions must be written by it: a deployer killed after a deploy returned must
find that revision on restart, or a resumed saga would not find its own revision and deploy again.
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import Any

from quickon_deployer.runtime.sim import SimConfig
from quickon_deployer.runtime.simulated import SimRuntime
from support.together import together

NAMESPACE = "apps"
RELEASES = [f"app-{n}" for n in range(12)]


def config_map(release: str, generation: int) -> list[dict[str, Any]]:
    """A release of one ConfigMap whose data says which deploy wrote it."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{release}-config", "labels": {"helm.sh/chart": f"app-1.0.{generation}"}},
            "data": {"generation": str(generation)},
        }
    ]


async def deploy(runtime: SimRuntime, release: str, generation: int, description: str) -> int:
    return await runtime.deploy(
        namespace=NAMESPACE,
        release=release,
        chart=Path("unused.tgz"),
        values={},
        manifests=config_map(release, generation),
        description=description,
    )


async def test_revisions_recorded_during_a_save_are_on_disk_when_their_deploys_return(tmp_path: Path) -> None:
    runtime = SimRuntime(tmp_path / "sim", SimConfig(delay_scale=0.01))
    # Started together: the first deploy's save is being written in its thread while the others
    # apply, record their revisions and wait for the next save.
    installs = await asyncio.gather(*(deploy(runtime, release, 0, "install") for release in RELEASES))
    upgrades = await asyncio.gather(*(deploy(runtime, release, 1, "upgrade") for release in RELEASES))
    assert installs == [1] * len(RELEASES) and upgrades == [2] * len(RELEASES)
    # No close(): a deployer killed now has nothing more written than what its calls saved.
    reopened = SimRuntime(tmp_path / "sim")
    try:
        for release in RELEASES:
            history = await reopened.history(namespace=NAMESPACE, release=release)
            assert [(r.number, r.description) for r in history] == [(1, "install"), (2, "upgrade")], release
        assert sorted(await reopened.releases()) == sorted((NAMESPACE, release) for release in RELEASES)
        assert await deploy(reopened, RELEASES[0], 2, "upgrade again") == 3
    finally:
        await reopened.close()


async def test_two_deployer_processes_sharing_the_cluster_each_see_what_the_other_did(tmp_path: Path) -> None:
    """Shared (two replicas of the deployer), each call reads what the other saved first: a release one
    installed, the other upgrades and uninstalls; concurrent deploys of both are all kept."""
    first = SimRuntime(tmp_path / "sim", SimConfig(delay_scale=0.01), shared=True)
    second = SimRuntime(tmp_path / "sim", SimConfig(delay_scale=0.01), shared=True)
    try:
        assert await deploy(first, "app-0", 0, "install") == 1
        assert await deploy(second, "app-0", 1, "upgrade") == 2, "the second saw the first's revision"
        history = await first.history(namespace=NAMESPACE, release="app-0")
        assert [(r.number, r.description) for r in history] == [(1, "install"), (2, "upgrade")]
        await second.uninstall(namespace=NAMESPACE, release="app-0", keep_volumes=False)
        assert not (await first.health(namespace=NAMESPACE, release="app-0")).exists, "the first saw it gone"
        # Both at once, many releases each: every revision of both is there, none written over.
        await asyncio.gather(
            *(deploy(first, release, 0, "install") for release in RELEASES[1:7]),
            *(deploy(second, release, 0, "install") for release in RELEASES[7:]),
        )
        assert sorted(await first.releases()) == sorted(await second.releases())
        assert sorted(await second.releases()) == sorted((NAMESPACE, release) for release in RELEASES[1:])
    finally:
        await first.close()
        await second.close()
    reopened = SimRuntime(tmp_path / "sim")
    try:
        assert len(await reopened.releases()) == len(RELEASES) - 1, "and all of it saved"
    finally:
        await reopened.close()


def test_deployers_starting_at_once_on_a_new_shared_cluster_all_open_it(tmp_path: Path) -> None:
    """Replicas starting together each open the new store (its WAL switch and tables) one after the other."""
    for round_ in range(12):
        opening = partial(SimRuntime, tmp_path / f"sim-{round_}", SimConfig(delay_scale=0.01), shared=True)
        runtimes, failures = together(4, opening)
        for runtime in runtimes:
            asyncio.run(runtime.close())
        assert failures == []
        assert len(runtimes) == 4
