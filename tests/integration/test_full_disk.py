"""A full disk under the database: events wait, nothing is dead-lettered, all apply once it frees."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from quickon_common.natsserver import NatsServer
from quickon_common.service import Service
from support.bus import eventually, publish, running, settings_for, stream_messages
from support.tally import status, tally_service, total


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB filesystem of the test's own (tmpfs), so it can really fill up."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Write until the filesystem refuses; return the file that holds the space."""
    filler = disk / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


async def test_events_wait_for_a_full_disk_and_none_is_dead_lettered(
    nats_server: NatsServer, small_disk: Path, tmp_path: Path
) -> None:
    settings = settings_for(
        "monitor",
        nats_url=nats_server.url,
        database_url=f"sqlite:///{small_disk / 'monitor.db'}",
        var_dir=tmp_path,
        consumer_max_tries=2,
        consumer_backoff_s=[0.2],
    )
    service = tally_service(settings)
    async with running(service):
        await publish(nats_server.url, status("before"))
        await eventually(lambda: _applied(service, 1), what="the first event applied")

        filler = fill(small_disk)
        for i in range(20):
            await publish(nats_server.url, status(f"while-full-{i}"))
        await eventually(lambda: _consumer_reports(service, "disk is full"), what="/readyz to name the full disk")
        ready = await service.readiness()
        assert not ready["ready"]
        assert await total(service.db) == 1, "nothing half-applied"

        filler.unlink()
        await eventually(lambda: _applied(service, 21), timeout_s=60, what="every waiting event applied")
        await eventually(lambda: _is_ready(service), what="readiness to recover")

    assert await stream_messages(nats_server.url, "qc.dlq.>") == [], "no event was dead-lettered"


async def _applied(service: Service, expected: int) -> bool:
    return await total(service.db) == expected


async def _consumer_reports(service: Service, text: str) -> bool:
    return any(text in (c.last_error or "") for c in service.consumers)


async def _is_ready(service: Service) -> bool:
    return service.ready
