"""Where repositories live: a local directory or an HTTP(S) server (adapter edge: retries here)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


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

    async def index(self, *, max_bytes: int) -> bytes:
        """The repository's index.yaml."""
        return await self._read("index.yaml", max_bytes=max_bytes)

    async def chart(self, location: str, *, max_bytes: int) -> bytes:
        """A packaged chart named by an index entry's URL (relative to the repository)."""
        return await self._read(location, max_bytes=max_bytes)

    async def _read(self, location: str, *, max_bytes: int) -> bytes:
        target = urlparse(location)
        if target.scheme in ("http", "https"):
            return await _http_get(location, max_bytes=max_bytes)
        base = self.local_dir
        if base is None:
            return await _http_get(urljoin(self.url, location), max_bytes=max_bytes)
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


async def _http_get(url: str, *, max_bytes: int) -> bytes:
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.5, max=4),
            retry=retry_if_exception(_transient),
            reraise=True,
        ):
            with attempt:
                return await _download(url, max_bytes)
    except httpx.HTTPStatusError as error:
        raise SourceError(f"{url} answered HTTP {error.response.status_code}") from None
    except httpx.HTTPError as error:
        raise SourceError(f"{url} is unreachable: {type(error).__name__}: {error}") from None
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


async def _download(url: str, max_bytes: int) -> bytes:
    async with (
        httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as client,
        client.stream("GET", url) as response,
    ):
        response.raise_for_status()
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise SourceError(f"{url} is over the limit of {max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
