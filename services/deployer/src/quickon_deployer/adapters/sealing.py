"""The platform's sealing key as the deployer reads it: the platform key, and the deployer's former key file
(adopted as the platform key on first start when that is free), which still opens the values it sealed."""

from __future__ import annotations

from pathlib import Path

from quickon_common.sealing import Sealer, adopt_key
from quickon_common.settings import Settings

from ..settings import DeployerSettings


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
