"""Debian's nginx with ModSecurity and the OWASP Core Rule Set, run by a test on a free port of its own
(its own prefix, configuration, pid and logs in a temporary directory; never the system's service), in front
of a small local HTTP app that answers 200 to everything. What the firewall tests stand on."""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from quickon_common.natsserver import free_port

NGINX = "/usr/sbin/nginx"
MODSECURITY_MODULE = "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so"
# libnginx-mod-http-modsecurity's base configuration (the one ModSecurity recommends; DetectionOnly).
MODSECURITY_BASE = "/etc/nginx/modsecurity.conf"
# Debian's Core Rule Set, included file by file: libmodsecurity 3.0.9 refuses the IncludeOptional of the
# package's own owasp-crs.load.
CRS_FILES = (
    "/etc/modsecurity/crs/crs-setup.conf",
    "/etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf",
    "/usr/share/modsecurity-crs/rules/*.conf",
    "/etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf",
)
MISSING = "run `make nginx-waf` (apt-get install nginx libnginx-mod-http-modsecurity modsecurity-crs)"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def backend() -> Iterator[int]:
    """The app behind nginx: 200 "ok" to any GET, on a free port of 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def crs_include(directory: Path) -> str:
    """A file including Debian's Core Rule Set, the way the controller's nginx-modsecurity.conf includes its
    own: the path a snippet's ``Include`` names here."""
    path = directory / "crs.conf"
    path.write_text("".join(f"Include {name}\n" for name in CRS_FILES))
    return str(path)


@dataclass(frozen=True)
class Location:
    """A location of the server: its path prefix and the ModSecurity directives it runs (a service's snippet)."""

    path: str
    directives: str


def config_text(directory: Path, port: int, backend_port: int, locations: list[Location]) -> str:
    """nginx.conf as ingress-nginx lays ModSecurity out: the base configuration for the whole server (the
    controller's ConfigMap turning ModSecurity on), each location's snippet inside ``modsecurity_rules '...'``
    exactly as the controller's template writes an Ingress's modsecurity-snippet."""
    base = directory / "modsecurity-base.conf"
    base.write_text(
        f"Include {MODSECURITY_BASE}\nSecAuditLog {directory / 'modsec_audit.log'}\n"
        f"SecTmpDir {directory}\nSecDataDir {directory}\n"
    )
    # Running as root (a container), the workers would switch to nobody, who cannot write the test's logs.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    blocks = "".join(
        f"""
        location {location.path} {{
            modsecurity_rules '
{location.directives}';
            proxy_pass http://127.0.0.1:{backend_port};
        }}"""
        for location in locations
    )
    return f"""{user}load_module {MODSECURITY_MODULE};
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log notice;
events {{ worker_connections 64; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    modsecurity on;
    modsecurity_rules_file {base};
    server {{
        listen 127.0.0.1:{port};{blocks}
    }}
}}
"""


def check_config(directory: Path, text: str) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on a configuration: its exit status and what it said."""
    assert Path(NGINX).exists() and Path(MODSECURITY_MODULE).exists(), MISSING
    conf = directory / "nginx.conf"
    conf.write_text(text)
    return subprocess.run(
        [NGINX, "-t", "-p", f"{directory}/", "-e", str(directory / "error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def nginx(directory: Path, backend_port: int, locations: list[Location]) -> Iterator[str]:
    """nginx running with these locations in front of the backend; yields its base URL."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    checked = check_config(directory, config_text(directory, port, backend_port, locations))
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [NGINX, "-p", f"{directory}/", "-e", str(directory / "error.log"), "-c", str(directory / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # the Core Rule Set is parsed once per location before it listens
        while True:
            try:
                httpx.get(f"{url}/", timeout=5)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    said = process.stderr.read() if process.stderr else b""
                    raise AssertionError(f"nginx did not start: {said!r}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


AUDIT_ENTRY_START = re.compile(r"^---\w+---A--$", re.MULTILINE)
RULE_ID = re.compile(r'\[id "(\d+)"\]')


def audit_entries(directory: Path) -> list[str]:
    """The ModSecurity audit log's entries (serial format), one text each."""
    log = directory / "modsec_audit.log"
    if not log.exists():
        return []
    text = log.read_text(errors="replace")
    starts = [found.start() for found in AUDIT_ENTRY_START.finditer(text)]
    return [text[start:end] for start, end in zip(starts, [*starts[1:], len(text)], strict=True)]


def _entries_for(directory: Path, request_line: str) -> list[str]:
    return [
        entry for entry in audit_entries(directory) if any(line.startswith(request_line) for line in entry.splitlines())
    ]


def rules_logged(directory: Path, request_line: str) -> set[int]:
    """The rule ids the audit log names for the requests whose request line starts with ``request_line``.

    nginx writes the entry after it has answered: ask :func:`wait_logged` first for a later request (one
    worker logs in order), so that what is read here is complete."""
    return {int(rule) for entry in _entries_for(directory, request_line) for rule in RULE_ID.findall(entry)}


def wait_logged(directory: Path, request_line: str) -> set[int]:
    """The rule ids of a request the audit log will name, once its entry is written."""
    deadline = time.monotonic() + 20
    while not _entries_for(directory, request_line):
        assert time.monotonic() < deadline, f"the audit log never named {request_line!r}"
        time.sleep(0.05)
    return rules_logged(directory, request_line)
