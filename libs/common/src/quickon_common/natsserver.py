"""Run a local nats-server with JetStream: for ``qc up``, the tests and the benchmarks.

Installs it with apt-get when it is missing (Debian's package is 2.9, which has JetStream).
The data lives in a directory of ours, so a stop and a start keep the stream. Given a folder of
credentials, it runs locked: one NKey user per service and the admin, each with the permissions of
:mod:`.buspermissions` (seeds made where missing, see :mod:`.buscredentials`); given certificates,
it speaks TLS only.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .buscredentials import ensure_seeds, public_key, seed_file
from .buspermissions import CREDENTIALS, authorization_config

INSTALL_HINT = "install it with 'apt-get install nats-server' or put nats-server on PATH"


class NatsServerError(RuntimeError):
    """nats-server could not be found, installed or started; the message says what to do."""


def nats_server_binary(*, install: bool = True) -> str:
    """The path of nats-server, installing Debian's package when allowed and missing."""
    found = shutil.which("nats-server") or ("/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None)
    if found:
        return found
    if install and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        result = subprocess.run(["apt-get", "install", "-y", "-qq", "nats-server"], capture_output=True, text=True)
        found = shutil.which("nats-server") or (
            "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None
        )
        if found:
            return found
        raise NatsServerError(f"apt-get could not install nats-server: {result.stderr.strip()[-500:]}; {INSTALL_HINT}")
    raise NatsServerError(f"nats-server not found; {INSTALL_HINT}")


def server_version(binary: str) -> tuple[int, int, int]:
    """The version nats-server reports, as numbers."""
    output = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", output)
    return (int(match[1]), int(match[2]), int(match[3])) if match else (0, 0, 0)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_answers(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def server_info(host: str, port: int, *, timeout_s: float = 2.0) -> dict[str, Any]:
    """The INFO a NATS server sends first on every connection (max_payload, jetstream, version…)."""
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        line = sock.makefile("rb").readline(64 * 1024)
    if not line.startswith(b"INFO "):
        raise NatsServerError(f"{host}:{port} answers, but not as a NATS server")
    info: dict[str, Any] = json.loads(line[5:])
    return info


@dataclass(frozen=True)
class ServerTls:
    """The server's certificate and key, and the CA it trusts for client certificates (asked for when
    ``verify_clients``)."""

    cert_file: Path
    key_file: Path
    ca_file: Path | None = None
    verify_clients: bool = False

    def config(self) -> str:
        """nats-server's ``tls`` block."""
        lines = [f"  cert_file: {json.dumps(str(self.cert_file))}", f"  key_file: {json.dumps(str(self.key_file))}"]
        if self.ca_file is not None:
            lines.append(f"  ca_file: {json.dumps(str(self.ca_file))}")
        if self.verify_clients:
            lines.append("  verify: true")
        lines.append("  timeout: 2")
        return "tls {\n" + "\n".join(lines) + "\n}\n"


class NatsServer:
    """One nats-server process on 127.0.0.1 with JetStream storing under ``data_dir``; locked with the
    seeds in ``credentials`` (a folder, made owner-only) when given, speaking TLS when ``tls`` is given."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        log_file: Path | None = None,
        max_payload: str = "1MB",
        credentials: Path | None = None,
        tls: ServerTls | None = None,
        monitor_port: int | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.monitor_port = monitor_port  # its monitoring endpoint (/healthz, /varz, /jsz) on 127.0.0.1, if any
        self.max_payload = max_payload
        self.credentials = credentials
        self.tls = tls
        self.port = port or free_port()
        self.log_file = log_file or self.data_dir / "nats-server.log"
        self.binary = nats_server_binary()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The client URL."""
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str | None:
        """The monitoring endpoint's URL, when it has one."""
        return None if self.monitor_port is None else f"http://127.0.0.1:{self.monitor_port}"

    def config(self) -> str:
        """The server configuration: JetStream on file storage, fsync on every write where supported."""
        # sync_interval arrived in nats-server 2.10; 2.9 refuses the whole file if it is there.
        sync = "  sync_interval: always\n" if server_version(self.binary) >= (2, 10, 0) else ""
        config = (
            f"listen: 127.0.0.1:{self.port}\n"
            f"max_payload: {self.max_payload}\n"
            f'jetstream {{\n  store_dir: "{self.data_dir / "jetstream"}"\n{sync}}}\n'
        )
        if self.monitor_port is not None:
            config += f"http: 127.0.0.1:{self.monitor_port}\n"
        if self.credentials is not None:
            seeds = ensure_seeds(self.credentials, CREDENTIALS)
            config += authorization_config({name: public_key(path) for name, path in seeds.items()})
        if self.tls is not None:
            config += self.tls.config()
        return config

    def seed_file(self, credential: str) -> Path:
        """The seed file of ``credential`` (a service's name or ``admin``) on a locked server."""
        if self.credentials is None:
            raise NatsServerError("this nats-server runs without credentials")
        return seed_file(self.credentials, credential)

    def start(self, *, timeout_s: float = 15) -> NatsServer:
        """Start the server and wait until it accepts connections."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config_file = self.data_dir / "nats-server.conf"
        config_file.touch(mode=0o600)  # it names who may connect: the owner's alone
        config_file.chmod(0o600)
        config_file.write_text(self.config())
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen([self.binary, "-c", str(config_file)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout_s
        while not port_answers("127.0.0.1", self.port):
            if self.process.poll() is not None:
                raise NatsServerError(f"nats-server exited with {self.process.returncode}; see {self.log_file}")
            if time.monotonic() > deadline:
                self.stop()
                raise NatsServerError(f"nats-server did not listen on {self.port} in {timeout_s}s; see {self.log_file}")
            time.sleep(0.05)
        return self

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

    def restart(self) -> None:
        """Stop, then start again on the same port with the same data."""
        self.stop()
        self.start()

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
