"""Where repositories live: a local directory or an HTTP(S) server (adapter edge: retries here).

Every HTTP read goes where quickon_market.egress allows: to the address checked for the host, with
redirects followed here one hop at a time, each hop checked again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlparse

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

if TYPE_CHECKING:  # egress raises this module's SourceError
    from .egress import Egress

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_REDIRECTS = 5


class SourceError(Exception):
    """A repository or chart could not be read; the message says what and where."""


def _transient(error: BaseException) -> bool:
    if isinstance(error, httpx.TransportError):
        return True
    return isinstance(error, httpx.HTTPStatusError) and error.response.status_code >= 500


@dataclass(frozen=True, slots=True)
class RepositorySource:
    """A repository's location: ``file:///dir``, ``/dir``, ``http(s)://host/path/``."""

    url: str

    @classmethod
    def parse(cls, url: str) -> RepositorySource:
        """Check a user's repository URL; :class:`SourceError` says what is wrong with it."""
        parsed = urlparse(url)
        if parsed.scheme in ("http", "https") and parsed.netloc:
            return cls(url if url.endswith("/") else url + "/")
        if parsed.scheme == "file" or (not parsed.scheme and url.startswith("/")):
            path = Path(unquote(parsed.path))
            if not path.is_absolute():
                raise SourceError(f"{url}: a local repository needs an absolute path")
            return cls(f"file://{path}")
        raise SourceError(f"{url}: use an http(s):// URL, a file:// URL or an absolute directory path")

    @property
    def local_dir(self) -> Path | None:
        return Path(unquote(urlparse(self.url).path)) if self.url.startswith("file://") else None

    def check(self, egress: Egress) -> None:
        """:class:`SourceError` if ``egress`` refuses this location outright (a local directory outside the
        allowed roots, a host written as a refused address); a host name is checked when it is read."""
        if self.local_dir is not None:
            egress.check_directory(self.local_dir)
        else:
            egress.check_host(urlparse(self.url).hostname or "")

    async def index(self, *, max_bytes: int, egress: Egress) -> bytes:
        """The repository's index.yaml."""
        return await self._read("index.yaml", max_bytes=max_bytes, egress=egress)

    async def chart(self, location: str, *, max_bytes: int, egress: Egress) -> bytes:
        """A packaged chart named by an index entry's URL (relative to the repository)."""
        return await self._read(location, max_bytes=max_bytes, egress=egress)

    async def _read(self, location: str, *, max_bytes: int, egress: Egress) -> bytes:
        target = urlparse(location)
        if target.scheme in ("http", "https"):
            return await _http_get(location, max_bytes=max_bytes, egress=egress)
        base = self.local_dir
        if base is None:
            return await _http_get(urljoin(self.url, location), max_bytes=max_bytes, egress=egress)
        path = (base / unquote(target.path if target.scheme == "file" else location)).resolve()
        if not path.is_relative_to(base.resolve()):
            raise SourceError(f"{location}: points outside the repository directory {base}")
        return await asyncio.to_thread(_read_file, path, max_bytes)


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(f"{path} is {size:,} bytes, over the limit of {max_bytes:,}")
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist") from None
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror}") from None


async def _http_get(url: str, *, max_bytes: int, egress: Egress) -> bytes:
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.5, max=4),
            retry=retry_if_exception(_transient),
            reraise=True,
        ):
            with attempt:
                return await _download(url, max_bytes, egress)
    except httpx.HTTPStatusError as error:
        raise SourceError(f"{url} answered HTTP {error.response.status_code}") from None
    except httpx.HTTPError as error:
        raise SourceError(f"{url} is unreachable: {type(error).__name__}: {error}") from None
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


async def _download(url: str, max_bytes: int, egress: Egress) -> bytes:
    """``url``'s body; redirects followed by hand, each hop's host checked and its checked address used."""
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            request = await _pinned(client, url, egress)
            response = await client.send(request, stream=True)
            try:
                if response.is_redirect:
                    url = _next_hop(url, response)
                    continue
                response.raise_for_status()
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise SourceError(f"{url} is over the limit of {max_bytes:,} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
            finally:
                await response.aclose()
    raise SourceError(f"{url}: more than {MAX_REDIRECTS} redirects; point the repository at where it ends")


async def _pinned(client: httpx.AsyncClient, url: str, egress: Egress) -> httpx.Request:
    """A GET of ``url`` sent to the address ``egress`` checked for its host (the Host header and the TLS
    server name stay the host's, so virtual hosts and certificates work as with the name)."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SourceError(f"{url}: only http(s) URLs are fetched")
    address = await egress.address(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    return client.build_request(
        "GET",
        parsed.copy_with(host=address),
        headers={"Host": parsed.netloc.decode("ascii")},
        extensions={"sni_hostname": parsed.host},
    )


def _next_hop(url: str, response: httpx.Response) -> str:
    location = str(response.headers.get("location", ""))
    target = urljoin(url, location)
    if not location or urlparse(target).scheme not in ("http", "https"):
        raise SourceError(f"{url} redirects to {location!r}; only http(s) redirects are followed")
    return target
