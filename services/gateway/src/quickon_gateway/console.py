"""The web console (``web/``, built by Vite into ``web/dist``), served from the gateway's own origin.

Its hashed assets (``/assets/*``) are cached by browsers for a year and sent gzipped when the browser
accepts it (compressed once, kept in memory: a few hundred KB). An asset is read and compressed in a thread
the first time it is asked for: on the event loop the console's script alone held every other request for a
quarter of a second. Every other page a browser asks for that no route answers is the console's
``index.html`` (never cached, so a new build is seen at once): the console routes in the browser
(``/services/gitea``). API clients asking for a missing path still get the problem document, and a console
that was never built answers with what to run.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .guard import CSP
from .problems import http_problem, problem_response

# What the gateway's own paths start with: a miss there is the API's 404, never the console.
NOT_CONSOLE = ("/api/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/metrics")
IMMUTABLE = "public, max-age=31536000, immutable"
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
NOT_BUILT = "the console is not built here: run `make up` (it builds web/ with npm), or set QC_GATEWAY_CONSOLE_DIR"


def default_root() -> Path:
    """``web/dist`` of the checkout the gateway runs from (services/gateway/src/quickon_gateway/ → the root)."""
    return Path(__file__).resolve().parents[4] / "web" / "dist"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None: not worth it (small, or already compressed)
    media_type: str


class Console:
    """The built console under ``root``: its index page and its assets."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._assets: dict[str, Asset] = {}

    def index(self, request: Request) -> Response:
        page = self.root / "index.html"
        if not page.is_file():
            return problem_response(request, 503, NOT_BUILT)
        body = page.read_bytes()
        headers = {"Cache-Control": "no-cache", "Content-Security-Policy": page_policy(body)}
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    async def asset(self, name: str, accepts_gzip: bool) -> Response | None:
        asset = self._assets.get(name) or await asyncio.to_thread(self._load, name)
        if asset is None:
            return None
        headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
        if accepts_gzip and asset.gzipped is not None:
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    def _load(self, name: str) -> Asset | None:
        folder = (self.root / "assets").resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file():  # no way out of the folder (../, symlinks)
            return None
        body = path.read_bytes()
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        textual = media_type.startswith("text/") or media_type.endswith(("javascript", "json", "svg+xml"))
        compressible = textual and len(body) > 1024
        asset = Asset(body, gzip.compress(body, compresslevel=9, mtime=0) if compressible else None, media_type)
        self._assets[name] = asset  # hashed names: a new build brings new names, never new bytes under an old one
        return asset


def page_policy(page: bytes) -> str:
    """The content security policy of the index page: the gateway's own, plus the page's inline scripts
    allowed by their hashes (the one that asks for the first page's data early), and no other inline code."""
    digests = (base64.b64encode(hashlib.sha256(script).digest()).decode() for script in INLINE_SCRIPT.findall(page))
    hashes = " ".join(f"'sha256-{digest}'" for digest in digests)
    return CSP.replace("default-src 'self';", f"default-src 'self'; script-src 'self' {hashes};") if hashes else CSP


def wants_page(request: Request) -> bool:
    """A browser navigating to a page of the console (not a script, an image or the API)."""
    return (
        request.method in ("GET", "HEAD")
        and not request.url.path.startswith(NOT_CONSOLE)
        and "text/html" in request.headers.get("accept", "")
    )


def install(app: FastAPI, root: Path) -> None:
    """Serve the console at ``/`` and under every path no route answers, for browsers."""
    console = Console(root)

    @app.get("/assets/{name:path}", include_in_schema=False)
    async def asset(name: str, request: Request) -> Response:
        found = await console.asset(name, "gzip" in request.headers.get("accept-encoding", ""))
        if found is None:
            return problem_response(request, 404, f"the console has no asset {name!r}; reload the page")
        return found

    # A status handler runs before the class handler of problems.install: misses of browser pages become
    # the console, every other miss stays the API's problem document.
    @app.exception_handler(404)
    async def page_or_problem(request: Request, error: StarletteHTTPException) -> Response:
        return console.index(request) if wants_page(request) else http_problem(request, error)
