"""The chart's bus credentials (python -m quickon_cli.chartsecrets): seeds kept, the server configuration
nats-server accepts, and the KEDA consumers the values name are the services' real durables."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import nkeys
import pytest
import yaml

from quickon_cli.chartsecrets import completed_seeds, decoded, public_keys, secret, to_directory
from quickon_common.buspermissions import CREDENTIALS
from quickon_common.natsserver import nats_server_binary
from support.chart import CHART, ROOT


def test_seeds_already_made_are_kept_and_missing_ones_made() -> None:
    first = completed_seeds({})
    assert set(first) == {f"{name}.nk" for name in CREDENTIALS}
    kept = {"deployer.nk": first["deployer.nk"]}
    second = completed_seeds(kept)
    assert second["deployer.nk"] == first["deployer.nk"]
    assert second["gateway.nk"] != first["gateway.nk"]
    for seed in second.values():
        assert nkeys.from_seed(bytearray(seed.encode())).public_key.startswith(b"U")


def test_a_secret_round_trips_its_data() -> None:
    manifest = secret("s", {"a.nk": "SUABC"}, labels={"x": "y"})
    assert manifest["data"] == {"a.nk": base64.b64encode(b"SUABC").decode()}
    assert decoded(manifest) == {"a.nk": "SUABC"}


def test_the_auth_configuration_is_one_nats_server_accepts(tmp_path: Path) -> None:
    keys = to_directory(tmp_path / "credentials")
    assert keys == public_keys({f"{n}.nk": (tmp_path / "credentials" / f"{n}.nk").read_text() for n in CREDENTIALS})
    assert to_directory(tmp_path / "credentials") == keys  # a second run keeps every credential
    config = tmp_path / "nats.conf"
    config.write_text("listen: 127.0.0.1:4999\ninclude ./credentials/auth.conf\n")
    result = subprocess.run([nats_server_binary(), "-c", str(config), "-t"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    auth = (tmp_path / "credentials" / "auth.conf").read_text()
    assert all(key in auth for key in keys.values())


LIST_DURABLES = """
import json, os
os.environ["QC_VAR_DIR"] = os.environ["DURABLES_VAR"]
from quickon_audit.stream_reader import DURABLE
from quickon_backup.app import create_service as backup
from quickon_deployer.app import create_service as deployer
from quickon_market.app import create_service as market
from quickon_monitor.app import create_service as monitor
names = {"audit": [DURABLE]}
for name, create in {"backup": backup, "deployer": deployer, "market": market, "monitor": monitor}.items():
    names[name] = [c.durable for c in create().consumers]
print(json.dumps(names))
"""


@pytest.fixture(scope="module")
def durables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each service's durable consumer names, from its own wiring (in a process of its own: no I/O there)."""
    var = tmp_path_factory.mktemp("durables")
    result = subprocess.run(
        [sys.executable, "-c", LIST_DURABLES], capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={"DURABLES_VAR": str(var), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout))


def test_keda_consumers_in_the_values_are_real_durables(durables: dict[str, list[str]]) -> None:
    services = yaml.safe_load((CHART / "values.yaml").read_text())["services"]
    named = {name: spec["keda"]["consumers"] for name, spec in services.items() if spec["keda"]["consumers"]}
    assert set(named) == set(durables)  # every event-driven service has its scaler's consumers
    for name, consumers in named.items():
        assert set(consumers) <= set(durables[name]), name
