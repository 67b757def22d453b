"""Run a local Prometheus: for ``qc up``, the tests and the benchmarks.

Debian's ``prometheus`` package (2.42) is the embedded default; it is installed with apt-get when
missing, as nats-server is. The configuration file is written by the caller (on embedded defaults,
the monitor decides what is scraped); this module only runs the server on a port and a data folder
of ours, and reloads it when the configuration changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from .natsserver import free_port

INSTALL_HINT = "install it with 'apt-get install prometheus' or put prometheus on PATH"


class PrometheusServerError(RuntimeError):
    """Prometheus could not be found, installed or started; the message says what to do."""


def _which(name: str) -> str | None:
    return shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)


def binary_setting(name: str) -> str:
    """The variable that names where ``name`` is: ``QC_PROMETHEUS_BIN``, ``QC_PROMETHEUS_NODE_EXPORTER_BIN``."""
    return f"QC_{name.upper().replace('-', '_')}_BIN"


def prometheus_binary(*, install: bool = True, name: str = "prometheus", package: str = "prometheus") -> str:
    """The path of ``name`` (prometheus, or prometheus-node-exporter): the one its setting names, else on PATH,
    else Debian's package, installed when allowed and missing."""
    setting = binary_setting(name)
    if configured := os.environ.get(setting):
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        raise PrometheusServerError(f"{name} not found at {setting}={configured}; {INSTALL_HINT}")
    found = _which(name)
    if found:
        return found
    if install and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        result = subprocess.run(["apt-get", "install", "-y", "-qq", package], capture_output=True, text=True)
        found = _which(name)
        if found:
            return found
        raise PrometheusServerError(f"apt-get could not install {package}: {result.stderr.strip()[-500:]}")
    raise PrometheusServerError(f"{name} not found; {INSTALL_HINT}")


class PrometheusServer:
    """One Prometheus on 127.0.0.1 reading ``config_file`` and storing under ``data_dir``.

    The lifecycle API (``--web.enable-lifecycle``) is on so that a new configuration is taken with a
    reload instead of a restart, which would lose the samples still in the head block's memory."""

    def __init__(self, config_file: Path, data_dir: Path, *, port: int | None = None, log_file: Path | None = None):
        self.config_file = Path(config_file)
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.log_file = log_file or self.data_dir / "prometheus.log"
        self.binary = prometheus_binary()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The HTTP API's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def _get(self, path: str, *, timeout_s: float = 1.0) -> int:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout_s) as response:
                return int(response.status)
        except OSError:
            return 0

    def start(self, *, timeout_s: float = 30) -> PrometheusServer:
        """Start the server and wait until it says it is ready."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary,
            f"--config.file={self.config_file}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
            "--web.enable-lifecycle",
        ]
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout_s
        while self._get("/-/ready") != 200:
            if self.process.poll() is not None:
                raise PrometheusServerError(f"prometheus exited with {self.process.returncode}; see {self.log_file}")
            if time.monotonic() > deadline:
                self.stop()
                raise PrometheusServerError(
                    f"prometheus was not ready on {self.port} in {timeout_s}s; see {self.log_file}"
                )
            time.sleep(0.05)
        return self

    def reload(self) -> None:
        """Make the running server read its configuration file again."""
        request = urllib.request.Request(self.url + "/-/reload", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status != 200:
                raise PrometheusServerError(f"prometheus refused the reload ({response.status}); see {self.log_file}")

    def stop(self, *, timeout_s: float = 10) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it does not exit in time."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
