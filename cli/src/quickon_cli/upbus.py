"""``qc up``'s side of the locked bus: a credential per service, the stream made by the admin.

With the nats-server it runs, ``qc up`` keeps a seed per service and one for itself (the admin) under
``var/nats/credentials`` (owner-only), writes the server's permissions from
:mod:`quickon_common.buspermissions`, gives each service its own seed file, and creates or updates the
stream with the admin's credential (a service's may create it, not change it). With an outside NATS the
operator gives each service its seed (``QC_<SERVICE>_NATS_NKEY_FILE``); see docs/nats-permissions.md.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import nats

from quickon_common.bus import ensure_stream
from quickon_common.buscredentials import connect_options, seed_file
from quickon_common.buspermissions import ADMIN
from quickon_common.settings import SERVICES, Settings


def credentials_dir(var_dir: Path) -> Path:
    """Where ``qc up`` keeps the seeds of the nats-server it runs."""
    return var_dir / "nats" / "credentials"


def seed_variable(service: str) -> str:
    """The environment variable naming ``service``'s seed file."""
    return f"QC_{service.upper()}_NATS_NKEY_FILE"


def service_environment(service: str, credentials: Path) -> dict[str, str]:
    """The variable that gives ``service`` its own seed, unless the environment already names one."""
    variable = seed_variable(service)
    return {} if os.environ.get(variable) else {variable: str(seed_file(credentials, service))}


def missing_credentials(environment: dict[str, str]) -> list[str]:
    """The services an outside NATS that asks for credentials would refuse: no seed file is named for them."""
    if environment.get("QC_NATS_NKEY_FILE"):
        return []
    return [seed_variable(name) for name in SERVICES if not environment.get(seed_variable(name))]


def prepare_stream(settings: Settings, credentials: Path) -> None:
    """Create the stream, or update it to this version's subjects and limits, as the admin."""

    async def prepare() -> None:
        admin = settings.model_copy(update={"nats_nkey_file": seed_file(credentials, ADMIN)})
        connection = await nats.connect(admin.nats_url, connect_timeout=5, **connect_options(admin, credential=ADMIN))
        try:
            await ensure_stream(connection.jetstream(timeout=15), admin)
        finally:
            await connection.close()

    asyncio.run(prepare())
