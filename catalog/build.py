"""Build QuickOn's built-in chart repository from catalog/src and catalog/versions.yaml.

For every app and version listed in versions.yaml: copy the chart source, stamp the version
(Chart.yaml version, appVersion and annotations; the image tags and the version's own defaults
in values.yaml and values.schema.json), package it with ``helm package``, make the archive
byte-for-byte reproducible, and check it with ``helm lint --strict``. Then ``helm repo index``
lists them all in catalog/index.yaml, with each version's ``created`` time from versions.yaml.

Nothing is replaced in catalog/ unless every version builds and lints. ``--check`` builds into
a temporary directory and fails when catalog/ differs from what the sources give.

    uv run python catalog/build.py [--check] [--out DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from quickon_common.helm import helm_binary

CATALOG = Path(__file__).resolve().parent
SOURCES = CATALOG / "src"
VERSIONS = CATALOG / "versions.yaml"

CHANGE_KINDS = ("added", "changed", "deprecated", "removed", "fixed", "security")
CATEGORIES = (
    "ai-machine-learning", "database", "integration-delivery", "monitoring-logging", "networking",
    "security", "storage", "streaming-messaging", "skip-prediction",
)  # fmt: skip
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?: (?P<value>.*))?$")
HELM_TIMEOUT_S = 120


class BuildError(Exception):
    """The catalog cannot be built; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    description: str


@dataclass(frozen=True, slots=True)
class Release:
    """One chart version to publish, as versions.yaml describes it."""

    app: str
    version: str
    app_version: str
    created: datetime
    image_paths: dict[str, str]
    tags: dict[str, str]
    changes: tuple[Change, ...]
    contains_security_updates: bool
    prerelease: bool
    breaking: bool
    values: dict[str, Any]
    without_values: tuple[str, ...]
    license: str | None

    @property
    def archive(self) -> str:
        return f"{self.app}-{self.version}.tgz"


# ---------------------------------------------------------------------------- versions.yaml


def load_releases(path: Path = VERSIONS) -> list[Release]:
    """Every release of versions.yaml, checked; :class:`BuildError` names the first problem."""
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise BuildError(f"versions.yaml is not valid YAML: {error}") from None
    apps = _mapping(document, "versions.yaml").get("apps")
    releases: list[Release] = []
    for app, spec in _mapping(apps, "apps").items():
        where = f"apps.{app}"
        if not (SOURCES / str(app) / "Chart.yaml").is_file():
            raise BuildError(f"{where}: there is no chart source catalog/src/{app}/")
        spec = _mapping(spec, where)
        image_paths = {
            str(k): _string(v, f"{where}.images.{k}")
            for k, v in _mapping(spec.get("images"), f"{where}.images").items()
        }
        versions = spec.get("versions")
        if not isinstance(versions, list) or not versions:
            raise BuildError(f"{where}.versions must be a non-empty list")
        seen: set[str] = set()
        for index, item in enumerate(versions):
            release = _release(
                str(app), image_paths, _mapping(item, f"{where}.versions[{index}]"), f"{where}.versions[{index}]"
            )
            if release.version in seen:
                raise BuildError(f"{where}: version {release.version} is listed twice")
            seen.add(release.version)
            releases.append(release)
    return releases


def _release(app: str, image_paths: dict[str, str], item: dict[str, Any], where: str) -> Release:
    known = {
        "version", "appVersion", "created", "images", "changes", "containsSecurityUpdates", "prerelease",
        "breaking", "values", "withoutValues", "license",
    }  # fmt: skip
    unknown = set(item) - known
    if unknown:
        raise BuildError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    version = _string(item.get("version"), f"{where}.version")
    if not SEMVER.match(version):
        raise BuildError(f"{where}.version {version!r} is not a semantic version")
    tags = {
        str(k): _string(v, f"{where}.images.{k}") for k, v in _mapping(item.get("images"), f"{where}.images").items()
    }
    if set(tags) != set(image_paths):
        raise BuildError(f"{where}.images must give a tag for exactly {sorted(image_paths)}")
    changes = []
    for index, change in enumerate(item.get("changes") or []):
        change = _mapping(change, f"{where}.changes[{index}]")
        kind = _string(change.get("kind"), f"{where}.changes[{index}].kind")
        if kind not in CHANGE_KINDS:
            raise BuildError(f"{where}.changes[{index}].kind {kind!r} is not one of {', '.join(CHANGE_KINDS)}")
        changes.append(Change(kind, _string(change.get("description"), f"{where}.changes[{index}].description")))
    if not changes:
        raise BuildError(f"{where}.changes must list at least one change")
    flags = {name: item.get(name, False) for name in ("containsSecurityUpdates", "prerelease", "breaking")}
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise BuildError(f"{where}.{name} must be true or false")
    if flags["containsSecurityUpdates"] != any(c.kind == "security" for c in changes):
        raise BuildError(f"{where}: containsSecurityUpdates must be true exactly when a change is of kind security")
    if flags["prerelease"] != ("-" in version.split("+")[0]):
        raise BuildError(f"{where}: prerelease must be true exactly when the version has a pre-release part")
    created = item.get("created")
    try:
        created_at = created if isinstance(created, datetime) else datetime.fromisoformat(str(created))
    except ValueError:
        raise BuildError(f"{where}.created {created!r} is not an ISO 8601 time") from None
    if created_at.tzinfo is None:
        raise BuildError(f"{where}.created {created!r} needs a time zone, for example 2024-10-09T08:00:00Z")
    values = _mapping(item.get("values") or {}, f"{where}.values")
    without = item.get("withoutValues") or []
    if not isinstance(without, list) or not all(isinstance(p, str) for p in without):
        raise BuildError(f"{where}.withoutValues must be a list of dotted paths")
    license_ = item.get("license")
    if license_ is not None:
        license_ = _string(license_, f"{where}.license")
    return Release(
        app=app,
        version=version,
        app_version=_string(item.get("appVersion"), f"{where}.appVersion"),
        created=created_at.astimezone(UTC),
        image_paths=image_paths,
        tags=tags,
        changes=tuple(changes),
        contains_security_updates=flags["containsSecurityUpdates"],
        prerelease=flags["prerelease"],
        breaking=flags["breaking"],
        values={str(k): v for k, v in values.items()},
        without_values=tuple(without),
        license=license_,
    )


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BuildError(f"{where} must be a mapping")
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise BuildError(f'{where} must be a non-empty string (quote numbers such as "18.12")')
    return value


# ---------------------------------------------------------------------------- values.yaml edits


def _find(lines: list[str], path: str) -> tuple[int, int]:
    """(first, end) line indexes of the key at the dotted path and of the block below it."""
    stack: list[tuple[int, str]] = []
    keys = path.split(".")
    for index, line in enumerate(lines):
        match = KEY_LINE.match(line)
        if not match:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        if [key for _, key in stack] == keys:
            end = index + 1
            while end < len(lines):
                rest = lines[end]
                if rest.strip() and len(rest) - len(rest.lstrip(" ")) <= indent:
                    break
                end += 1
            while end > index + 1 and not lines[end - 1].strip():
                end -= 1
            return index, end
    raise BuildError(f"values.yaml has no value {path}")


def set_default(text: str, path: str, value: Any) -> str:
    """values.yaml text with the scalar or flow value at path replaced; comments are kept."""
    lines = text.split("\n")
    first, end = _find(lines, path)
    if end != first + 1:
        raise BuildError(f"values.yaml {path} is a block; only single-line values can be set")
    match = KEY_LINE.match(lines[first])
    assert match
    lines[first] = f"{match['indent']}{match['key']}: {json.dumps(value, ensure_ascii=False)}"
    return "\n".join(lines)


def remove_value(text: str, path: str) -> str:
    """values.yaml text without the value at path, its block and the comment above it."""
    lines = text.split("\n")
    first, end = _find(lines, path)
    indent = len(lines[first]) - len(lines[first].lstrip(" "))
    while first > 0 and lines[first - 1].startswith(" " * indent + "#"):
        first -= 1
    if first > 0 and not lines[first - 1].strip() and end < len(lines) and not lines[end].strip():
        end += 1  # the blank line that separated the block from the next one
    return "\n".join(lines[:first] + lines[end:])


def _walk(tree: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    *parents, leaf = path.split(".")
    for key in parents:
        tree = tree[key]
    return tree, leaf


def stamp_values(chart: Path, release: Release) -> dict[str, Any]:
    """Write the version's defaults into chart/values.yaml and chart/values.schema.json."""
    values_file, schema_file = chart / "values.yaml", chart / "values.schema.json"
    text = values_file.read_text()
    expected: dict[str, Any] = yaml.safe_load(text)
    changes = {f"{release.image_paths[name]}.tag": tag for name, tag in release.tags.items()}
    changes.update(release.values)
    for path, value in changes.items():
        text = set_default(text, path, value)
        parent, key = _walk(expected, path)
        parent[key] = value
    schema = json.loads(schema_file.read_text())
    for path in release.without_values:
        text = remove_value(text, path)
        parent, key = _walk(expected, path)
        del parent[key]
        _remove_from_schema(schema, path)
    if yaml.safe_load(text) != expected:
        raise BuildError(f"{release.app} {release.version}: editing values.yaml went wrong; check its layout")
    values_file.write_text(text)
    schema_file.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    return expected


def _remove_from_schema(schema: dict[str, Any], path: str) -> None:
    *parents, leaf = path.split(".")
    node = schema
    for key in parents:
        node = node["properties"][key]
    if leaf not in node.get("properties", {}):
        raise BuildError(f"values.schema.json does not describe {path}")
    del node["properties"][leaf]
    if leaf in node.get("required", []):
        node["required"].remove(leaf)


# ---------------------------------------------------------------------------- Chart.yaml


class _ChartDumper(yaml.SafeDumper):
    """Writes multi-line strings (the list-valued annotations) as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ChartDumper.add_representer(str, _represent_str)


def yaml_list(items: list[dict[str, str]]) -> str:
    """A list as the YAML text Artifact Hub expects in a list-valued annotation."""
    return yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=10_000)


def version_annotations(
    release: Release, source: dict[str, str], values: dict[str, Any], minimum: tuple[str, str]
) -> dict[str, str]:
    """The Chart.yaml annotations of one version: the source's, plus those of the version."""
    images = []
    for name, path in release.image_paths.items():
        image, _ = _walk(values, f"{path}.tag")
        images.append({"name": name, "image": f"{image['repository']}:{release.tags[name]}"})
    stamped = dict(source)
    stamped.update(
        {
            "artifacthub.io/changes": yaml_list(
                [{"kind": c.kind, "description": c.description} for c in release.changes]
            ),
            "artifacthub.io/images": yaml_list(images),
            "artifacthub.io/prerelease": str(release.prerelease).lower(),
            "artifacthub.io/containsSecurityUpdates": str(release.contains_security_updates).lower(),
            "quickon.io/breaking": str(release.breaking).lower(),
            "quickon.io/min-cpu": minimum[0],
            "quickon.io/min-memory": minimum[1],
        }
    )
    if release.license:
        stamped["artifacthub.io/license"] = release.license
    return stamped


def check_source_annotations(app: str, source: dict[str, Any]) -> None:
    """The per-app annotations a chart source must carry, in Artifact Hub's formats."""
    where = f"catalog/src/{app}/Chart.yaml annotations"
    for key in ("quickon.io/title", "artifacthub.io/category", "artifacthub.io/license", "artifacthub.io/links"):
        if not isinstance(source.get(key), str) or not source[key].strip():
            raise BuildError(f"{where}: {key} is missing")
    if source["artifacthub.io/category"] not in CATEGORIES:
        raise BuildError(f"{where}: artifacthub.io/category must be one of {', '.join(CATEGORIES)}")
    links = yaml.safe_load(source["artifacthub.io/links"])
    if not isinstance(links, list) or not all(isinstance(i, dict) and {"name", "url"} <= set(i) for i in links):
        raise BuildError(f"{where}: artifacthub.io/links must be a YAML list of {{name, url}}")
    if "quickon.io/backup" in source:
        backup = yaml.safe_load(source["quickon.io/backup"])
        fields = {"component", "container", "command", "format"}
        if not isinstance(backup, dict) or not fields <= set(backup):
            raise BuildError(f"{where}: quickon.io/backup must be YAML with {', '.join(sorted(fields))}")
        for key in ("command", "restore"):
            if key in backup and not (isinstance(backup[key], list) and all(isinstance(a, str) for a in backup[key])):
                raise BuildError(f"{where}: quickon.io/backup {key} must be a list of strings")


def write_chart_yaml(chart: Path, release: Release, stamped: dict[str, str] | None) -> dict[str, Any]:
    """Write chart/Chart.yaml for the release; returns the source's annotations."""
    metadata = yaml.safe_load((SOURCES / release.app / "Chart.yaml").read_text())
    if metadata.get("name") != release.app:
        raise BuildError(f"catalog/src/{release.app}/Chart.yaml: name must be {release.app}")
    source = dict(metadata.get("annotations") or {})
    metadata["version"] = release.version
    metadata["appVersion"] = release.app_version
    metadata["annotations"] = stamped if stamped is not None else source
    text = yaml.dump(metadata, Dumper=_ChartDumper, sort_keys=False, allow_unicode=True, width=10_000)
    (chart / "Chart.yaml").write_text(text)
    return source


# ---------------------------------------------------------------------------- resources


_SUFFIXES = {
    "": Fraction(1), "m": Fraction(1, 1000), "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9),
    "T": Fraction(10**12), "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30), "Ti": Fraction(2**40),
}  # fmt: skip


def quantity(value: Any) -> Fraction:
    """A Kubernetes resource quantity ("250m", "1", "512Mi") as a number."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)", str(value))
    if not match or match[2] not in _SUFFIXES:
        raise BuildError(f"{value!r} is not a resource quantity this build understands")
    return Fraction(match[1]) * _SUFFIXES[match[2]]


def _requests(containers: list[dict[str, Any]], name: str) -> list[Fraction]:
    return [quantity(c.get("resources", {}).get("requests", {}).get(name, 0)) for c in containers]


def minimum_resources(manifests: str) -> tuple[str, str]:
    """CPU and memory a default install asks the scheduler for: every pod's requests, summed.

    A pod requests the larger of its containers' sum and its largest init container (they run one
    at a time, before the containers).
    """
    cpu, memory = Fraction(0), Fraction(0)
    for document in yaml.safe_load_all(manifests):
        if not isinstance(document, dict) or document.get("kind") not in ("Deployment", "StatefulSet"):
            continue
        spec = document["spec"]
        pod = spec["template"]["spec"]
        replicas = spec.get("replicas", 1)
        for name in ("cpu", "memory"):
            in_turn = _requests(pod.get("initContainers", []), name)
            needed = max([sum(_requests(pod["containers"], name), Fraction(0)), *in_turn])
            if name == "cpu":
                cpu += needed * replicas
            else:
                memory += needed * replicas
    millicores = cpu * 1000
    if millicores.denominator != 1:
        raise BuildError(f"CPU requests add up to {float(cpu)} cores, not a whole number of millicores")
    cpu_text = f"{millicores.numerator // 1000}" if millicores.numerator % 1000 == 0 else f"{millicores.numerator}m"
    for suffix in ("Gi", "Mi", "Ki"):
        amount = memory / _SUFFIXES[suffix]
        if amount.denominator == 1:
            return cpu_text, f"{amount.numerator}{suffix}"
    return cpu_text, str(int(memory))


# ---------------------------------------------------------------------------- helm


def helm(*args: str, env: dict[str, str], cwd: Path | None = None) -> str:
    """Run helm; its stdout, or :class:`BuildError` with everything helm said."""
    command = [helm_binary(), *args]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=cwd, timeout=HELM_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise BuildError(f"helm {' '.join(args)} did not finish in {HELM_TIMEOUT_S}s") from None
    if result.returncode != 0:
        output = "\n".join(part.strip() for part in (result.stdout, result.stderr) if part.strip())
        raise BuildError(f"helm {' '.join(args)} failed (exit {result.returncode}):\n{output}")
    return result.stdout


def helm_env(home: Path) -> dict[str, str]:
    """helm's environment, with its cache, config and data directories kept out of $HOME."""
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def reproducible(archive: Path, created: datetime) -> None:
    """Rewrite a chart archive with fixed times and owners, so a rebuild gives the same bytes."""
    stamp = int(created.timestamp())
    out = io.BytesIO()
    with (
        tarfile.open(archive, "r:gz") as source,
        tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as target,
    ):
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            member.mtime, member.uid, member.gid, member.uname, member.gname = stamp, 0, 0, "", ""
            member.pax_headers = {}
            target.addfile(member, data)
    with (
        archive.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=stamp, compresslevel=9) as zipped,
    ):
        zipped.write(out.getvalue())


def build_release(release: Release, work: Path, out: Path) -> str:
    """Package, normalise and lint one version into out/; a line saying what was built."""
    env = helm_env(work / "helm")
    chart = work / "charts" / f"{release.app}-{release.version}" / release.app
    shutil.copytree(SOURCES / release.app, chart)
    values = stamp_values(chart, release)
    source = write_chart_yaml(chart, release, None)
    check_source_annotations(release.app, source)
    minimum = minimum_resources(helm("template", "quickon", str(chart), env=env))
    write_chart_yaml(chart, release, version_annotations(release, source, values, minimum))
    packaged = work / "packages" / release.archive
    helm("package", str(chart), "--destination", str(packaged.parent), env=env)
    reproducible(packaged, release.created)
    helm("lint", "--strict", str(packaged), env=env)
    shutil.copyfile(packaged, out / release.archive)
    return f"{release.archive}: {release.app_version}, requests {minimum[0]} CPU / {minimum[1]}"


def index(out: Path, releases: list[Release], work: Path) -> None:
    """helm repo index out/, then each entry's created time from versions.yaml."""
    helm("repo", "index", str(out), env=helm_env(work / "helm"))
    created = {(r.app, r.version): r.created for r in releases}
    path = out / "index.yaml"
    path.write_text(stamp_index(path.read_text(), created))
    listed = yaml.safe_load(path.read_text())["entries"]
    got = {(name, e["version"]): _parse_time(e["created"]) for name, items in listed.items() for e in items}
    if got != created:
        raise BuildError("index.yaml does not list exactly the versions of versions.yaml with their created times")


def stamp_index(text: str, created: dict[tuple[str, str], datetime]) -> str:
    """helm's index.yaml text with every entry's created, and generated, from versions.yaml.

    Edited as text so that the rest stays exactly as helm wrote it. Under entries, helm writes
    each chart name at indent 2, each version as a list item at indent 2 ("  - "), and the
    fields of a version at indent 4.
    """
    lines = text.split("\n")
    blocks: list[tuple[str, list[int]]] = []
    section, name = "", ""
    for number, line in enumerate(lines):
        if line and not line.startswith(" "):
            section = line.split(":", 1)[0]
        elif section != "entries":
            continue
        elif match := re.fullmatch(r"  (\S+):", line):
            name = match[1]
        elif line.startswith("  - "):
            blocks.append((name, [number]))
        elif blocks:
            blocks[-1][1].append(number)
    for name, numbers in blocks:
        fields = {lines[n][4:].split(":", 1)[0]: n for n in numbers if len(lines[n]) > 4 and lines[n][4] != " "}
        version = lines[fields["version"]].split(":", 1)[1].strip().strip('"')
        if (name, version) not in created:
            raise BuildError(f"index.yaml lists {name} {version}, which versions.yaml does not")
        lines[fields["created"]] = f'    created: "{_rfc3339(created[(name, version)])}"'
    newest = _rfc3339(max(created.values()))
    return "\n".join(f'generated: "{newest}"' if line.startswith("generated:") else line for line in lines)


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(out: Path, *, jobs: int) -> list[str]:
    """Build every release into out/ (the archives and index.yaml); what was built."""
    releases = load_releases()
    with tempfile.TemporaryDirectory(prefix="quickon-catalog-") as temporary:
        work = Path(temporary)
        staging = work / "repository"
        staging.mkdir()
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(build_release, release, work, staging) for release in releases]
            report = [future.result() for future in futures]
        index(staging, releases, work)
        out.mkdir(parents=True, exist_ok=True)
        for stale in out.glob("*.tgz"):
            stale.unlink()
        for built in sorted(staging.iterdir()):
            shutil.copyfile(built, out / built.name)
    return report


def differences(expected: Path, actual: Path) -> list[str]:
    """Files of the built repository that catalog/ lacks or holds with other contents."""
    names = {p.name for p in expected.iterdir()} | {p.name for p in actual.glob("*.tgz")} | {"index.yaml"}
    return sorted(
        name for name in names if not (expected / name).is_file() or not (actual / name).is_file()
        or (expected / name).read_bytes() != (actual / name).read_bytes()
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=CATALOG, help="where the archives and index.yaml go (catalog/)")
    parser.add_argument("--check", action="store_true", help="build elsewhere and fail if catalog/ is not up to date")
    parser.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1), help="versions built at once")
    args = parser.parse_args(argv)
    try:
        if args.check:
            with tempfile.TemporaryDirectory(prefix="quickon-catalog-check-") as temporary:
                build(Path(temporary), jobs=args.jobs)
                stale = differences(Path(temporary), args.out)
            if stale:
                print(
                    f"catalog/ is not up to date ({', '.join(stale)}); run: uv run python catalog/build.py",
                    file=sys.stderr,
                )
                return 1
            print("catalog/ is up to date")
            return 0
        for line in build(args.out, jobs=args.jobs):
            print(line)
        print(f"wrote {args.out / 'index.yaml'}")
        return 0
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
