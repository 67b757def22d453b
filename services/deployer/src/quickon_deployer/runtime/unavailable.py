"""A runtime that could not be built (no kubeconfig, bad settings): every call says why, the service stays up."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from .base import ClusterResources, DrainOutcome, DrainProgress, Health, NodeInfo, Revision, RuntimeFailure

UNAVAILABLE_RETRY_S = 5.0  # nothing changes until the operator fixes the settings: no hurry to look again


class UnavailableRuntime:
    copies_volumes = False

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def _fail(self) -> RuntimeFailure:
        # Retryable: a saga waits (until its deadline) for the operator to fix the settings and restart.
        return RuntimeFailure(f"the {self.name} runtime is unavailable: {self.reason}", retryable=True)

    async def check(self) -> str | None:
        return self._fail().reason

    async def deploy(
        self, *, namespace: str, release: str, chart: Path, values: dict[str, Any], manifests: list[dict[str, Any]],
        description: str,
    ) -> int:  # fmt: skip
        raise self._fail()

    async def rollback(self, *, namespace: str, release: str, revision: int, description: str) -> int:
        raise self._fail()

    async def history(self, *, namespace: str, release: str) -> list[Revision]:
        raise self._fail()

    async def uninstall(self, *, namespace: str, release: str, keep_volumes: bool) -> None:
        raise self._fail()

    async def stop(self, *, namespace: str, release: str) -> None:
        raise self._fail()

    async def start(self, *, namespace: str, release: str) -> None:
        raise self._fail()

    async def restart(self, *, namespace: str, release: str) -> None:
        raise self._fail()

    async def replace_broken_pods(self, *, namespace: str, release: str) -> list[str]:
        raise self._fail()

    async def apply_exposure(self, *, namespace: str, release: str, objects: list[dict[str, Any]]) -> None:
        raise self._fail()

    async def exposure(self, *, namespace: str, release: str) -> list[dict[str, Any]]:
        raise self._fail()

    async def health(self, *, namespace: str, release: str) -> Health:
        raise self._fail()

    async def releases(self) -> list[tuple[str, str]]:
        raise self._fail()

    async def resources(self) -> ClusterResources:
        raise self._fail()

    async def nodes(self) -> list[NodeInfo]:
        raise self._fail()

    async def node(self, name: str) -> NodeInfo:
        raise self._fail()

    async def cordon(self, name: str) -> bool:
        raise self._fail()

    async def uncordon(self, name: str) -> bool:
        raise self._fail()

    async def drain(self, name: str, *, progress: DrainProgress, until: float) -> DrainOutcome:
        raise self._fail()

    async def components(self) -> dict[str, int]:
        raise self._fail()

    async def scale_component(self, name: str, replicas: int) -> int:
        raise self._fail()

    async def until_changed(self, *, namespace: str, release: str, at_most: float) -> None:
        await asyncio.sleep(min(UNAVAILABLE_RETRY_S, at_most))

    async def close(self) -> None:
        return None
