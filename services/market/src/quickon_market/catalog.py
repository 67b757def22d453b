"""The catalog as the market answers it: an in-memory read model of every repository's charts.

Rebuilt per repository from the database after each change, so search never touches the
database and answers in microseconds to milliseconds, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import chart_annotations, semver
from .categories import category_of


class NotFound(LookupError):
    """No such app or version; the message says which and what there is instead."""


class Ambiguous(LookupError):
    """An app name several repositories serve: the caller must say which (``repository/name``)."""

    def __init__(self, name: str, choices: list[str]) -> None:
        self.choices = choices
        super().__init__(f"{name!r} is in several repositories ({', '.join(choices)}); name one, as in {choices[0]}")


@dataclass(frozen=True, slots=True)
class VersionView:
    repository: str
    app: str
    version: str
    app_version: str | None
    created: datetime | None
    digest: str
    urls: tuple[str, ...]
    deprecated: bool
    meta: dict[str, Any]

    @property
    def annotations(self) -> dict[str, str]:
        value = self.meta.get("annotations")
        return value if isinstance(value, dict) else {}

    @property
    def prerelease(self) -> bool:
        return semver.is_prerelease(self.version) or self.annotations.get("artifacthub.io/prerelease") == "true"

    def summary(self) -> dict[str, Any]:
        """The version as listed under its app."""
        info = chart_annotations.details(self.annotations)
        return {
            "version": self.version,
            "app_version": self.app_version,
            "created": self.created.isoformat() if self.created else None,
            "digest": self.digest,
            "deprecated": self.deprecated,
            "prerelease": self.prerelease,
            "contains_security_updates": info["contains_security_updates"],
            "breaking": info["breaking"],
            "changes": info["changes"],
        }


@dataclass(slots=True)
class AppView:
    repository: str
    name: str
    versions: list[VersionView]  # newest first
    latest: VersionView = field(init=False)
    title: str = field(init=False)
    category: str | None = field(init=False)
    category_inferred: bool = field(init=False)
    keywords: tuple[str, ...] = field(init=False)
    haystack: str = field(init=False)

    def __post_init__(self) -> None:
        stable = [v for v in self.versions if not v.prerelease and not v.deprecated]
        self.latest = stable[0] if stable else self.versions[0]
        meta, notes = self.latest.meta, self.latest.annotations
        self.title = notes.get("quickon.io/title") or self.name
        self.keywords = tuple(str(k).lower() for k in meta.get("keywords") or [])
        description = str(meta.get("description") or "")
        self.category, self.category_inferred = category_of(
            notes.get("artifacthub.io/category"), name=self.name, keywords=self.keywords, description=description
        )
        self.haystack = " ".join([self.name, self.title.lower(), " ".join(self.keywords), description.lower()])

    @property
    def id(self) -> str:
        return f"{self.repository}/{self.name}"

    def summary(self) -> dict[str, Any]:
        """The app as listed in search results."""
        meta = self.latest.meta
        return {
            "id": self.id,
            "repository": self.repository,
            "name": self.name,
            "title": self.title,
            "description": meta.get("description"),
            "icon": meta.get("icon"),
            "category": self.category,
            "category_inferred": self.category_inferred,
            "keywords": list(self.keywords),
            "latest_version": self.latest.version,
            "app_version": self.latest.app_version,
            "deprecated": self.latest.deprecated,
            "versions": len(self.versions),
        }

    def detail(self) -> dict[str, Any]:
        """The app with its metadata and every version, newest first."""
        meta = self.latest.meta
        info = chart_annotations.details(self.latest.annotations)
        return {
            **self.summary(),
            "home": meta.get("home"),
            "sources": meta.get("sources") or [],
            "maintainers": meta.get("maintainers") or [],
            "license": info["license"],
            "links": info["links"],
            "images": info["images"],
            "min_resources": info["min_resources"],
            "dependencies": meta.get("dependencies") or [],
            "version_list": [v.summary() for v in self.versions],
        }


class Catalog:
    """Every app of every repository, by repository and name."""

    def __init__(self) -> None:
        self._apps: dict[str, dict[str, AppView]] = {}
        self.generations: dict[str, int] = {}
        # False until every repository has been read once (from the database or its source): till
        # then an app not found may only not be loaded yet, and must not be answered as absent.
        self.loaded = False

    def replace_repository(self, repository: str, generation: int, versions: list[VersionView]) -> None:
        """Swap in a repository's versions as a whole (readers never see half of a sync)."""
        grouped: dict[str, list[VersionView]] = {}
        for version in versions:
            grouped.setdefault(version.app, []).append(version)
        self._apps[repository] = {
            name: AppView(repository, name, sorted(items, key=lambda v: semver.version_key(v.version), reverse=True))
            for name, items in grouped.items()
        }
        self.generations[repository] = generation

    def drop_repository(self, repository: str) -> None:
        self._apps.pop(repository, None)
        self.generations.pop(repository, None)

    def all_apps(self) -> list[AppView]:
        return [app for apps in self._apps.values() for app in apps.values()]

    def search(
        self,
        *,
        text: str = "",
        category: str | None = None,
        keyword: str | None = None,
        repository: str | None = None,
        include_deprecated: bool = False,
    ) -> list[AppView]:
        """Apps matching every word of ``text`` and the filters, best match first."""
        words = text.lower().split()
        keyword = keyword.lower() if keyword else None
        scored: list[tuple[int, str, AppView]] = []
        for repo, apps in self._apps.items():
            if repository and repo != repository:
                continue
            for app in apps.values():
                if category and app.category != category:
                    continue
                if keyword and keyword not in app.keywords:
                    continue
                if app.latest.deprecated and not include_deprecated:
                    continue
                score = _score(app, words)
                if score:
                    scored.append((-score, app.name, app))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [app for _, _, app in scored]

    def categories(self) -> dict[str, int]:
        """How many apps each category holds."""
        counts: dict[str, int] = {}
        for app in self.all_apps():
            if app.category:
                counts[app.category] = counts.get(app.category, 0) + 1
        return dict(sorted(counts.items()))

    def app(self, name: str, repository: str | None = None) -> AppView:
        """One app by name (``repo/name`` or a name unique across repositories)."""
        if "/" in name and repository is None:
            repository, name = name.split("/", 1)
        if repository:
            found = self._apps.get(repository, {}).get(name)
            if found is None:
                raise NotFound(f"no app {name!r} in repository {repository!r}")
            return found
        matches = [apps[name] for apps in self._apps.values() if name in apps]
        if not matches:
            raise NotFound(f"no app {name!r} in the catalog; search with 'qc apps {name}'")
        if len(matches) > 1:  # no repository is preferred: picking one silently installs what was not meant
            raise Ambiguous(name, sorted(m.id for m in matches))
        return matches[0]

    def install_name(self, app: AppView) -> str:
        """The shortest name that installs ``app``: its own name while no other repository serves one."""
        others = sum(1 for apps in self._apps.values() if app.name in apps)
        return app.name if others == 1 else app.id

    def version(self, app: AppView, version: str | None = None) -> VersionView:
        """One version of ``app``; its latest stable one when ``version`` is None."""
        if version is None:
            return app.latest
        for candidate in app.versions:
            if candidate.version == version or candidate.version == version.removeprefix("v"):
                return candidate
        known = ", ".join(v.version for v in app.versions[:10])
        raise NotFound(f"{app.id} has no version {version!r}; it has {known}")

    def upgrades(self, app: AppView, current: str, *, include_prerelease: bool = False) -> dict[str, Any]:
        """Versions newer than ``current``, oldest first, with what changed in each."""
        self.version(app, current)
        current_key = semver.version_key(current)
        allow_pre = include_prerelease or semver.is_prerelease(current)
        newer = [
            v
            for v in reversed(app.versions)
            if semver.version_key(v.version) > current_key and (allow_pre or not v.prerelease) and not v.deprecated
        ]
        summaries = [v.summary() for v in newer]
        majors = {semver.major(v.version) for v in newer}
        return {
            "app": app.id,
            "current": current,
            "latest": newer[-1].version if newer else current,
            "newer": summaries,
            "contains_security_updates": any(s["contains_security_updates"] for s in summaries),
            "breaking": any(s["breaking"] for s in summaries) or any(m > semver.major(current) for m in majors),
        }


def _score(app: AppView, words: list[str]) -> int:
    if not words:
        return 1
    total = 0
    for word in words:
        if word not in app.haystack:
            return 0
        if app.name == word:
            total += 100
        elif app.name.startswith(word):
            total += 50
        elif word in app.name:
            total += 30
        elif word in app.title.lower():
            total += 20
        elif word in app.keywords:
            total += 15
        else:
            total += 5
    return total
