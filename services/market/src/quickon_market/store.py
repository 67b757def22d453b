"""Packaged charts on demand: fetched from their repository, checked against the index digest,
cached on disk by digest, and read (values, schema, readme) only when somebody asks."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from pathlib import Path

from quickon_common.files import write_atomically

from .catalog import VersionView
from .charts import ChartError, ChartFiles, read_chart
from .egress import Egress
from .settings import MarketSettings
from .sources import RepositorySource

MEMORY_ENTRIES = 64


class ChartStore:
    """The chart files of catalog versions, verified and cached."""

    def __init__(self, cache_dir: Path, settings: MarketSettings) -> None:
        self.cache_dir = cache_dir
        self.settings = settings
        self.egress = Egress.of(settings)
        self._memory: OrderedDict[str, ChartFiles] = OrderedDict()

    async def package(self, version: VersionView, repository_url: str) -> bytes:
        """The .tgz of ``version``; :class:`ChartError` if its digest is not the index's."""
        cached = self.cache_dir / f"{version.digest}.tgz"
        if cached.exists():
            return await asyncio.to_thread(cached.read_bytes)
        source = RepositorySource.parse(repository_url)
        data = await source.chart(version.urls[0], max_bytes=self.settings.max_chart_bytes, egress=self.egress)
        actual = hashlib.sha256(data).hexdigest()
        if actual != version.digest:
            raise ChartError(
                f"{version.app} {version.version}: the file's sha256 is {actual}, the index says {version.digest}; "
                "the repository changed under us or was tampered with"
            )
        await asyncio.to_thread(write_atomically, cached, data)
        return data

    async def files(self, version: VersionView, repository_url: str) -> ChartFiles:
        """Values, schema and readme of ``version``."""
        if version.digest in self._memory:
            self._memory.move_to_end(version.digest)
            return self._memory[version.digest]
        data = await self.package(version, repository_url)
        files = await asyncio.to_thread(
            read_chart, data, max_files=self.settings.max_chart_files, max_unpacked=self.settings.max_unpacked_bytes
        )
        self._memory[version.digest] = files
        if len(self._memory) > MEMORY_ENTRIES:
            self._memory.popitem(last=False)
        return files
