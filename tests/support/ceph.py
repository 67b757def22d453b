"""A real Ceph RGW for tests: one monitor, one OSD on memstore and a radosgw, all on 127.0.0.1.

Started from Debian's packages (``make s3-servers`` installs them) in a directory of its own, on
free ports; cephx stays on (radosgw refuses to work without it). About 25 s to start, once per
test session. The daemons die with the process that started them (PR_SET_PDEATHSIG), so a killed
test run leaves none behind.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from quickon_common.natsserver import free_port, port_answers

PACKAGES = ("radosgw", "ceph-mon", "ceph-osd")
START_TIMEOUT_S = float(os.environ.get("QC_TEST_CEPH_TIMEOUT_S", "120"))
ACCESS_KEY = "QCTESTACCESSKEY00001"
SECRET_KEY = "qc-test-secret-key-for-ceph-rgw-0000001"


class CephError(RuntimeError):
    """Ceph could not start; the message carries the tail of the logs."""


def die_with_parent() -> None:
    """In a child before exec: receive SIGTERM when the parent dies."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class CephRgw:
    """``start()`` brings the three daemons up and makes an S3 user; ``stop()`` ends them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "ceph.conf"
        self.mon_port = free_port()
        self.rgw_port = free_port()
        self.endpoint = f"127.0.0.1:{self.rgw_port}"
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self._daemons: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> CephRgw:
        missing = [name for name in ("ceph-mon", "ceph-osd", "radosgw") if not shutil.which(name)]
        if missing:
            raise CephError(
                f"{', '.join(missing)} not installed: run 'make s3-servers' (apt-get install {' '.join(PACKAGES)})"
            )
        try:
            self._bootstrap()
        except BaseException as error:
            self.stop()
            if isinstance(error, CephError | subprocess.SubprocessError | OSError):
                raise CephError(f"Ceph did not come up: {error}\n{self.log_tail()}") from error
            raise
        return self

    def _bootstrap(self) -> None:
        fsid = str(uuid.uuid4())
        for folder in ("mon/ceph-a", "osd/ceph-0", "run", "log", "rgw"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        self.conf.write_text(self._config(fsid))
        mon_keyring, admin_keyring = self.root / "mon.keyring", self.root / "admin.keyring"
        self._run(
            "ceph-authtool", "--create-keyring", mon_keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"
        )
        self._run(
            "ceph-authtool", "--create-keyring", admin_keyring, "--gen-key", "-n", "client.admin",
            "--cap", "mon", "allow *", "--cap", "osd", "allow *", "--cap", "mgr", "allow *",
        )  # fmt: skip
        self._run("ceph-authtool", mon_keyring, "--import-keyring", admin_keyring)
        monmap = self.root / "monmap"
        self._run("monmaptool", "--create", "--addv", "a", f"[v2:127.0.0.1:{self.mon_port}]", "--fsid", fsid, monmap)
        self._run("ceph-mon", "-c", self.conf, "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", mon_keyring)
        self._spawn("mon", "ceph-mon", "-c", self.conf, "-f", "-i", "a")

        osd_uuid = str(uuid.uuid4())
        osd_secret = self._run("ceph-authtool", "--gen-print-key").strip()
        osd_json = self.root / "osd.json"
        osd_json.write_text(json.dumps({"cephx_secret": osd_secret}))
        osd_id = self._ceph("osd", "new", osd_uuid, "-i", osd_json).strip()
        osd_dir = self.root / "osd" / f"ceph-{osd_id}"
        osd_dir.mkdir(parents=True, exist_ok=True)
        (osd_dir / "keyring").write_text(f"[osd.{osd_id}]\n\tkey = {osd_secret}\n")
        self._run("ceph-osd", "-c", self.conf, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
        self._spawn("osd", "ceph-osd", "-c", self.conf, "-f", "-i", osd_id)

        rgw_keyring = self.root / "rgw.keyring"
        self._ceph("auth", "get-or-create", "client.rgw", "mon", "allow rw", "osd", "allow rwx", "-o", rgw_keyring)
        self._spawn("rgw", "radosgw", "-c", self.conf, "-f", "-n", "client.rgw")
        self._wait_for(lambda: port_answers("127.0.0.1", self.rgw_port), "radosgw to listen")
        self._run(
            "radosgw-admin", "-c", self.conf, "user", "create", "--uid", "qc-test", "--display-name", "QuickOn tests",
            "--access-key", self.access_key, "--secret-key", self.secret_key,
        )  # fmt: skip

    def _config(self, fsid: str) -> str:
        root = self.root
        return f"""[global]
fsid = {fsid}
mon host = [v2:127.0.0.1:{self.mon_port}]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
mon data avail warn = 1
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = {root}/admin.keyring
run dir = {root}/run
admin socket = {root}/run/$name.asok
log file = {root}/log/$name.log
log to stderr = false
err to stderr = true
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
osd data = {root}/osd/$cluster-$id
mon data = {root}/mon/$cluster-$id
rgw data = {root}/rgw
rgw frontends = beast endpoint=127.0.0.1:{self.rgw_port}
rgw dns name = 127.0.0.1

[mon]
keyring = {root}/mon/$cluster-$id/keyring

[osd]
keyring = {root}/osd/$cluster-$id/keyring

[client.rgw]
keyring = {root}/rgw.keyring
"""

    def _run(self, *command: str | Path, timeout_s: float = 60) -> str:
        result = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=timeout_s)
        if result.returncode != 0:
            raise CephError(f"{command[0]} {command[1:3]} failed ({result.returncode}): {result.stderr.strip()[-800:]}")
        return result.stdout

    def _ceph(self, *args: str | Path) -> str:
        return self._run("ceph", "-c", self.conf, "--connect-timeout", "30", *args)

    def _spawn(self, name: str, *command: str | Path) -> None:
        output = (self.root / "log" / f"{name}.out").open("wb")
        self._daemons[name] = subprocess.Popen(
            [str(part) for part in command], stdout=output, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
        )

    def _wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not condition():
            for name, process in self._daemons.items():
                if process.poll() is not None:
                    raise CephError(f"{name} exited ({process.returncode}) while waiting for {what}")
            if time.monotonic() > deadline:
                raise CephError(f"timed out after {START_TIMEOUT_S:.0f} s waiting for {what}")
            time.sleep(0.2)

    def log_tail(self, lines: int = 15) -> str:
        tails = []
        for log in sorted((self.root / "log").glob("*")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            if text:
                tails.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(tails)

    def stop(self) -> None:
        for name in ("rgw", "osd", "mon"):  # clients first, the monitor last
            process = self._daemons.pop(name, None)
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
