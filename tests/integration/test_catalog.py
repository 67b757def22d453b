"""The built-in chart repository, catalog/: every packaged version lints, renders and is described.

Everything here runs the real helm binary. Each chart version is rendered once for the module
(defaults, with an Ingress, and without persistence) by `helm template` in a thread pool; the
tests then read the rendered objects, the packaged values and schemas, and index.yaml.

jsonschema is not a dependency of the workspace, so the values schemas are checked
structurally against draft-07 here, the defaults are checked by a small validator, and helm
itself (whose lint and template validate values against values.schema.json) does the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from quickon_common.helm import helm_binary

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "catalog"
RELEASE = "demo"
NAMESPACE = "catalog-test"
STANDARD_LABELS = (
    "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
    "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by", "helm.sh/chart",
)  # fmt: skip
CHANGE_KINDS = {"added", "changed", "deprecated", "removed", "fixed", "security"}
CATEGORIES = {
    "ai-machine-learning", "database", "integration-delivery", "monitoring-logging", "networking", "security",
    "storage", "streaming-messaging", "skip-prediction",
}  # fmt: skip
WORKLOADS = ("Deployment", "StatefulSet")
SECRET_NAME = re.compile(r"(?i)(password|passwd|secret|token|apikey|privatekey)")
NOT_SECRETS = {"existingSecret", "secretName", "imagePullSecrets"}  # names of Secrets, not secret values


@dataclass(frozen=True)
class Version:
    """One chart version of index.yaml, with what its archive holds."""

    name: str
    version: str
    entry: dict[str, Any]
    values: dict[str, Any]
    values_text: str
    schema: dict[str, Any]

    @property
    def archive(self) -> Path:
        return CATALOG / f"{self.name}-{self.version}.tgz"

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self.entry.get("annotations") or {})

    def __str__(self) -> str:
        return f"{self.name}-{self.version}"


def helm(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm_binary(), *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def parallel(function: Callable[[Version], Any], versions: list[Version]) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip((str(v) for v in versions), pool.map(function, versions), strict=True))


@pytest.fixture(scope="module")
def helm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("helm")
    return {**os.environ, **{f"HELM_{d}_HOME": str(home / d.lower()) for d in ("CACHE", "CONFIG", "DATA")}}


@pytest.fixture(scope="module")
def index() -> dict[str, Any]:
    return yaml.safe_load((CATALOG / "index.yaml").read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((CATALOG / "versions.yaml").read_text())["apps"]  # type: ignore[no-any-return]


def read_member(archive: Path, name: str, member: str) -> str:
    with tarfile.open(archive) as tar:
        extracted = tar.extractfile(f"{name}/{member}")
        assert extracted, f"{archive.name} has no {member}"
        return extracted.read().decode()


@pytest.fixture(scope="module")
def versions(index: dict[str, Any]) -> list[Version]:
    found = []
    for name, entries in index["entries"].items():
        for entry in entries:
            archive = CATALOG / f"{name}-{entry['version']}.tgz"
            text = read_member(archive, name, "values.yaml")
            schema = json.loads(read_member(archive, name, "values.schema.json"))
            found.append(Version(name, entry["version"], entry, yaml.safe_load(text), text, schema))
    return found


def volumes(version: Version) -> list[str]:
    """Values paths of the chart's persistence blocks: the app's, and a bundled database's."""
    nested = [f"{k}.persistence" for k, v in version.values.items() if isinstance(v, dict) and "persistence" in v]
    return ["persistence", *nested]


VARIANTS: dict[str, Callable[[Version], list[str]]] = {
    "defaults": lambda v: [],
    "ingress": lambda v: ["--set", "ingress.enabled=true,ingress.host=x.example.com"],
    "no-persistence": lambda v: ["--set", ",".join(f"{p}.enabled=false" for p in volumes(v))],
}


@pytest.fixture(scope="module")
def rendered(versions: list[Version], helm_env: dict[str, str]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(version, variant) -> the objects `helm template` renders."""

    def render(job: tuple[Version, str]) -> list[dict[str, Any]]:
        version, variant = job
        args = ["template", RELEASE, str(version.archive), "--namespace", NAMESPACE, *VARIANTS[variant](version)]
        result = helm(*args, env=helm_env)
        assert result.returncode == 0, f"helm template {version} ({variant}) failed:\n{result.stderr}"
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    jobs = [(v, variant) for v in versions for variant in VARIANTS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return {(str(v), variant): objects for (v, variant), objects in zip(jobs, pool.map(render, jobs), strict=True)}


def workloads(objects: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (o for o in objects if o["kind"] in WORKLOADS)


def containers(workload: dict[str, Any], *, init: bool = True) -> list[dict[str, Any]]:
    pod = workload["spec"]["template"]["spec"]
    return [*pod["containers"], *(pod.get("initContainers", []) if init else [])]


def quantity(value: Any) -> float:
    number, suffix = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value)).groups()  # type: ignore[union-attr]
    scale = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}[suffix]
    return float(number) * scale


# ------------------------------------------------------------------------------- the repository


def test_index_lists_exactly_the_versions_of_versions_yaml(index: dict[str, Any], manifest: dict[str, Any]) -> None:
    listed = {(name, e["version"]) for name, entries in index["entries"].items() for e in entries}
    wanted = {(app, str(v["version"])) for app, spec in manifest.items() for v in spec["versions"]}
    assert listed == wanted
    assert len(index["entries"]) >= 8
    assert all(len(entries) >= 2 for entries in index["entries"].values())
    for app, spec in manifest.items():
        for item in spec["versions"]:
            (entry,) = [e for e in index["entries"][app] if e["version"] == item["version"]]
            assert entry["appVersion"] == item["appVersion"]
            assert entry["urls"] == [f"{app}-{item['version']}.tgz"]
            assert entry["created"] == item["created"], "created must come from versions.yaml"


def test_every_archive_matches_its_digest(index: dict[str, Any]) -> None:
    for entries in index["entries"].values():
        for entry in entries:
            archive = CATALOG / entry["urls"][0]
            assert hashlib.sha256(archive.read_bytes()).hexdigest() == entry["digest"], archive.name
    listed = {e["urls"][0] for entries in index["entries"].values() for e in entries}
    assert {p.name for p in CATALOG.glob("*.tgz")} == listed, "catalog/ holds archives index.yaml does not list"


def test_the_catalog_is_what_the_sources_build() -> None:
    result = subprocess.run(
        [sys.executable, str(CATALOG / "build.py"), "--check"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_every_version_passes_helm_lint_strict(versions: list[Version], helm_env: dict[str, str]) -> None:
    results = parallel(lambda v: helm("lint", "--strict", str(v.archive), env=helm_env), versions)
    failures = {name: r.stdout + r.stderr for name, r in results.items() if r.returncode != 0}
    assert not failures, "\n".join(f"{name}:\n{output}" for name, output in failures.items())


# ------------------------------------------------------------------------------- rendered objects


def test_every_object_carries_the_standard_labels(versions: list[Version], rendered: dict[Any, Any]) -> None:
    for version in versions:
        for variant in VARIANTS:
            for obj in rendered[(str(version), variant)]:
                labelled = [obj["metadata"]]
                if obj["kind"] in WORKLOADS:
                    labelled.append(obj["spec"]["template"]["metadata"])
                for metadata in labelled:
                    labels = metadata.get("labels", {})
                    where = f"{version} {obj['kind']}/{obj['metadata']['name']}"
                    assert all(labels.get(k) for k in STANDARD_LABELS), f"{where} lacks standard labels: {labels}"
                    assert labels["helm.sh/chart"] == f"{version.name}-{version.version}", where
                    assert labels["app.kubernetes.io/name"] == version.name, where
                    assert labels["app.kubernetes.io/instance"] == RELEASE, where
                    assert labels["app.kubernetes.io/managed-by"] == "Helm", where


def test_every_container_has_probes_and_resources(versions: list[Version], rendered: dict[Any, Any]) -> None:
    for version in versions:
        for workload in workloads(rendered[(str(version), "defaults")]):
            for container in containers(workload):
                where = f"{version} {workload['kind']}/{workload['metadata']['name']} container {container['name']}"
                requests = container.get("resources", {}).get("requests", {})
                limits = container.get("resources", {}).get("limits", {})
                assert requests.get("cpu") and requests.get("memory"), f"{where} has no resource requests"
                assert limits.get("memory"), f"{where} has no memory limit"
                assert quantity(requests["memory"]) <= quantity(limits["memory"]), where
            for container in containers(workload, init=False):
                where = f"{version} {workload['metadata']['name']} container {container['name']}"
                assert "readinessProbe" in container, f"{where} has no readiness probe"
                assert "livenessProbe" in container, f"{where} has no liveness probe"
                ports = {p["name"] for p in container.get("ports", [])}
                for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                    action = container.get(probe, {})
                    port = (action.get("httpGet") or action.get("tcpSocket") or {}).get("port")
                    assert port is None or port in ports, f"{where} {probe} checks port {port}, not one it opens"


def test_workloads_select_their_pods_and_services_reach_them(versions: list[Version], rendered: dict[Any, Any]) -> None:
    for version in versions:
        objects = rendered[(str(version), "defaults")]
        pods = [(w["spec"]["template"]["metadata"]["labels"], containers(w, init=False)) for w in workloads(objects)]
        for workload in workloads(objects):
            selector = workload["spec"]["selector"]["matchLabels"]
            labels = workload["spec"]["template"]["metadata"]["labels"]
            assert selector.items() <= labels.items(), f"{version} {workload['metadata']['name']} selects no pod"
            assert sum(selector.items() <= p.items() for p, _ in pods) == 1, f"{version}: selectors overlap"
        for service in (o for o in objects if o["kind"] == "Service"):
            selected = [c for labels, cs in pods if service["spec"]["selector"].items() <= labels.items() for c in cs]
            assert selected, f"{version} Service/{service['metadata']['name']} selects no pod"
            ports = {p["name"] for c in selected for p in c.get("ports", [])}
            for port in service["spec"]["ports"]:
                assert port["targetPort"] in ports, f"{version} Service/{service['metadata']['name']} {port}"


def test_every_reference_resolves(versions: list[Version], rendered: dict[Any, Any]) -> None:
    for version in versions:
        objects = rendered[(str(version), "defaults")]
        named = {(o["kind"], o["metadata"]["name"]): o for o in objects}
        for workload in workloads(objects):
            pod = workload["spec"]["template"]["spec"]
            where = f"{version} {workload['metadata']['name']}"
            assert ("ServiceAccount", pod["serviceAccountName"]) in named, where
            if workload["kind"] == "StatefulSet":
                assert ("Service", workload["spec"]["serviceName"]) in named, where
            for volume in pod.get("volumes", []):
                if "persistentVolumeClaim" in volume:
                    assert ("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]) in named, where
                if "configMap" in volume:
                    assert ("ConfigMap", volume["configMap"]["name"]) in named, where
            for container in containers(workload):
                mounts = {m["name"] for m in container.get("volumeMounts", [])}
                assert mounts <= {v["name"] for v in pod.get("volumes", [])}, f"{where} mounts a missing volume"
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        secret = named.get(("Secret", ref["name"]))
                        assert secret and ref["key"] in secret["data"], f"{where} reads missing secret key {ref}"


def test_a_volume_claim_exists_when_persistence_is_enabled(versions: list[Version], rendered: dict[Any, Any]) -> None:
    for version in versions:
        assert version.values["persistence"]["enabled"] is True, f"{version} keeps no data by default"
        claims = [o for o in rendered[(str(version), "defaults")] if o["kind"] == "PersistentVolumeClaim"]
        assert len(claims) == len(volumes(version)), f"{version}: {[c['metadata']['name'] for c in claims]}"
        for claim in claims:
            assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
            assert claim["spec"]["resources"]["requests"]["storage"]
        objects = rendered[(str(version), "no-persistence")]
        assert not [o for o in objects if o["kind"] == "PersistentVolumeClaim"], f"{version} without persistence"
        for workload in workloads(objects):
            pod_volumes = workload["spec"]["template"]["spec"].get("volumes", [])
            assert not [v for v in pod_volumes if "persistentVolumeClaim" in v], f"{version} without persistence"


def test_an_ingress_exists_only_when_enabled(versions: list[Version], rendered: dict[Any, Any]) -> None:
    for version in versions:
        assert not [o for o in rendered[(str(version), "defaults")] if o["kind"] == "Ingress"], str(version)
        objects = rendered[(str(version), "ingress")]
        ingresses = [o for o in objects if o["kind"] == "Ingress"]
        if "ingress" not in version.values:  # a database: nothing to publish over HTTP
            assert not ingresses, str(version)
            continue
        (ingress,) = ingresses
        (rule,) = ingress["spec"]["rules"]
        assert rule["host"] == "x.example.com"
        backend = rule["http"]["paths"][0]["backend"]["service"]
        (service,) = [o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == backend["name"]]
        assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}, str(version)


# ------------------------------------------------------------------------------- values and schemas

DRAFT_07_KEYWORDS = {
    "$schema", "$id", "$ref", "$comment", "title", "description", "default", "examples", "readOnly", "writeOnly",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "format", "items", "additionalItems", "maxItems", "minItems",
    "uniqueItems", "contains", "maxProperties", "minProperties", "required", "properties", "patternProperties",
    "additionalProperties", "dependencies", "propertyNames", "if", "then", "else", "allOf", "anyOf", "oneOf",
    "not", "definitions", "contentMediaType", "contentEncoding",
}  # fmt: skip
SIMPLE_TYPES = {"array", "boolean", "integer", "null", "number", "object", "string"}


def check_schema(node: Any, where: str) -> None:
    """Raise AssertionError where node is not a well-formed draft-07 schema."""
    assert isinstance(node, dict | bool), f"{where}: a schema is an object or a boolean"
    if isinstance(node, bool):
        return
    unknown = {k for k in node if k not in DRAFT_07_KEYWORDS and not k.startswith("x-")}
    assert not unknown, f"{where}: unknown keywords {unknown}"
    types = node.get("type", [])
    assert set([types] if isinstance(types, str) else types) <= SIMPLE_TYPES, f"{where}: type {types}"
    if "enum" in node:
        assert isinstance(node["enum"], list) and node["enum"], f"{where}: enum must be a non-empty list"
        assert len({json.dumps(v) for v in node["enum"]}) == len(node["enum"]), f"{where}: enum repeats"
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        assert isinstance(node.get(keyword, 0), int | float), f"{where}: {keyword}"
    for keyword in ("minLength", "maxLength", "minItems", "maxItems"):
        assert isinstance(node.get(keyword, 0), int) and node.get(keyword, 0) >= 0, f"{where}: {keyword}"
    if "pattern" in node:
        re.compile(node["pattern"])
    for keyword in ("description", "title", "format"):
        assert isinstance(node.get(keyword, ""), str), f"{where}: {keyword}"
    for keyword in ("writeOnly", "readOnly", "uniqueItems"):
        assert isinstance(node.get(keyword, False), bool), f"{where}: {keyword}"
    required = node.get("required", [])
    assert isinstance(required, list) and all(isinstance(r, str) for r in required), f"{where}: required"
    for name, child in node.get("properties", {}).items():
        check_schema(child, f"{where}.{name}")
    for keyword in ("items", "additionalProperties", "not", "if", "then", "else"):
        if keyword in node:
            check_schema(node[keyword], f"{where}/{keyword}")


def validate(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    """Errors of value against the subset of draft-07 the catalog's schemas use."""
    kinds = {
        "string": lambda v: isinstance(v, str), "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list), "null": lambda v: v is None,
    }  # fmt: skip
    types = schema.get("type")
    if types and not any(kinds[t](value) for t in ([types] if isinstance(types, str) else types)):
        return [f"{where}: {value!r} is not of type {types}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{where}: length of {value!r}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and not schema.get("minimum", value) <= value <= schema.get("maximum", value):
        errors.append(f"{where}: {value} is out of range")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: too few items")
        for i, item in enumerate(value):
            if isinstance(schema.get("items"), dict):
                errors += validate(item, schema["items"], f"{where}[{i}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{where}: {name} is required" for name in schema.get("required", []) if name not in value]
        for name, item in value.items():
            if name in properties:
                errors += validate(item, properties[name], f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: {name} is not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += validate(item, schema["additionalProperties"], f"{where}.{name}")
    return errors


def leaves(values: dict[str, Any], schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(dotted path, value, schema or None) of every value the chart defines, down to described leaves."""
    for name, value in values.items():
        child = schema.get("properties", {}).get(name)
        yield f"{path}{name}", value, child
        if isinstance(value, dict) and child and "properties" in child:
            yield from leaves(value, child, f"{path}{name}.")


def test_every_values_schema_is_draft_07(versions: list[Version]) -> None:
    for version in versions:
        schema = version.schema
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#", str(version)
        assert schema["type"] == "object" and schema.get("additionalProperties", True) is not False, str(version)
        check_schema(schema, str(version))


def test_default_values_validate_against_the_schema(versions: list[Version]) -> None:
    for version in versions:
        assert validate(version.values, version.schema, str(version)) == []


def test_helm_enforces_the_schema(versions: list[Version], helm_env: dict[str, str]) -> None:
    def render(version: Version) -> subprocess.CompletedProcess[str]:
        return helm("template", RELEASE, str(version.archive), "--set", "service.type=Bogus", env=helm_env)

    for name, result in parallel(render, versions).items():
        assert result.returncode != 0 and "schema" in result.stderr, f"{name} accepted service.type=Bogus"


def test_every_value_is_described_and_commented(versions: list[Version]) -> None:
    for version in versions:
        described = {path for path, _, schema in leaves(version.values, version.schema) if schema}
        for path, _, schema in leaves(version.values, version.schema):
            assert schema is not None, f"{version}: values.yaml {path} is not in values.schema.json"
            assert schema.get("description", "").strip(), f"{version}: {path} has no description"

        def schema_paths(node: dict[str, Any], prefix: str = "") -> Iterator[str]:
            for name, child in node.get("properties", {}).items():
                yield f"{prefix}{name}"
                yield from schema_paths(child, f"{prefix}{name}.")

        stale = set(schema_paths(version.schema)) - described
        assert not stale, f"{version}: the schema describes values the chart does not have: {stale}"
        uncommented = [path for path in commented_paths(version.values_text, missing=True) if path in described]
        assert not uncommented, f"{version}: values.yaml has no comment above {uncommented}"


def commented_paths(text: str, *, missing: bool) -> Iterator[str]:
    """Dotted paths of the values.yaml keys with (or, when missing, without) a comment line above."""
    stack: list[tuple[int, str]] = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"^( *)([A-Za-z0-9_.-]+):", line)
        if not match:
            continue
        indent = len(match[1])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match[2]))
        has_comment = number > 0 and lines[number - 1].strip().startswith("#")
        if has_comment != missing:
            yield ".".join(key for _, key in stack)


def test_secret_values_are_flagged(versions: list[Version]) -> None:
    for version in versions:
        flagged = 0
        for path, value, schema in leaves(version.values, version.schema):
            name = path.rsplit(".", 1)[-1]
            if SECRET_NAME.search(name) and name not in NOT_SECRETS:
                assert schema.get("x-quickon-secret") is True, f"{version}: {path} is not flagged x-quickon-secret"
            if schema and schema.get("x-quickon-secret"):
                flagged += 1
                assert schema.get("format") == "password" and schema.get("writeOnly") is True, f"{version}: {path}"
                assert schema.get("type") == "string" and value == "", f"{version}: {path} must default to empty"
        has_secret = "existingSecret" in version.values
        assert (flagged > 0) == has_secret, f"{version}: secrets in the schema and an existingSecret go together"


# ------------------------------------------------------------------------------- annotations


def parse_list(annotation: str, fields: set[str], where: str) -> list[dict[str, Any]]:
    items = yaml.safe_load(annotation)
    assert isinstance(items, list) and items, f"{where} is not a YAML list"
    for item in items:
        assert isinstance(item, dict) and fields <= set(item), f"{where}: {item} lacks {fields}"
    return items


def test_annotations_follow_artifact_hub(versions: list[Version], manifest: dict[str, Any]) -> None:
    for version in versions:
        notes = version.annotations
        where = str(version)
        assert all(isinstance(v, str) for v in notes.values()), f"{where}: annotation values are strings"
        changes = parse_list(notes["artifacthub.io/changes"], {"kind", "description"}, f"{where} changes")
        assert {c["kind"] for c in changes} <= CHANGE_KINDS, where
        parse_list(notes["artifacthub.io/images"], {"name", "image"}, f"{where} images")
        parse_list(notes["artifacthub.io/links"], {"name", "url"}, f"{where} links")
        assert notes["artifacthub.io/category"] in CATEGORIES, where
        assert re.fullmatch(r"[A-Za-z0-9.+ ()-]+", notes["artifacthub.io/license"]), where
        for flag in ("artifacthub.io/prerelease", "artifacthub.io/containsSecurityUpdates", "quickon.io/breaking"):
            assert notes[flag] in ("true", "false"), f"{where}: {flag}"
        assert notes["quickon.io/title"].strip(), where
        (item,) = [v for v in manifest[version.name]["versions"] if v["version"] == version.version]
        assert changes == [{"kind": c["kind"], "description": c["description"]} for c in item["changes"]], where
        assert notes["artifacthub.io/prerelease"] == str(item.get("prerelease", False)).lower(), where
        assert notes["quickon.io/breaking"] == str(item.get("breaking", False)).lower(), where
        security = str(item.get("containsSecurityUpdates", False)).lower()
        assert notes["artifacthub.io/containsSecurityUpdates"] == security, where


def test_the_catalog_covers_the_release_kinds_quickon_shows(versions: list[Version]) -> None:
    notes = [v.annotations for v in versions]
    assert sum(n["artifacthub.io/containsSecurityUpdates"] == "true" for n in notes) >= 2
    assert sum(n["quickon.io/breaking"] == "true" for n in notes) >= 1
    assert any(n["artifacthub.io/prerelease"] == "true" for n in notes)


def test_images_annotation_lists_the_rendered_images(versions: list[Version], rendered: dict[Any, Any]) -> None:
    for version in versions:
        listed = {i["image"] for i in yaml.safe_load(version.annotations["artifacthub.io/images"])}
        used = {c["image"] for w in workloads(rendered[(str(version), "defaults")]) for c in containers(w)}
        assert listed == used, str(version)


def test_minimum_resources_are_the_default_requests(versions: list[Version], rendered: dict[Any, Any]) -> None:
    for version in versions:
        cpu = memory = 0.0
        for workload in workloads(rendered[(str(version), "defaults")]):
            for resource in ("cpu", "memory"):
                each = [quantity(c["resources"]["requests"][resource]) for c in containers(workload, init=False)]
                first = [quantity(c["resources"]["requests"][resource]) for c in containers(workload)[len(each) :]]
                needed = max([sum(each), *first]) * workload["spec"].get("replicas", 1)
                cpu, memory = (cpu + needed, memory) if resource == "cpu" else (cpu, memory + needed)
        notes = version.annotations
        assert quantity(notes["quickon.io/min-cpu"]) == pytest.approx(cpu), str(version)
        assert quantity(notes["quickon.io/min-memory"]) == pytest.approx(memory), str(version)


def test_backup_annotation_names_a_rendered_container(versions: list[Version], rendered: dict[Any, Any]) -> None:
    with_backup = [v for v in versions if "quickon.io/backup" in v.annotations]
    assert {v.name for v in with_backup} >= {"wordpress", "nextcloud", "zentao", "postgresql"}
    for version in with_backup:
        backup = yaml.safe_load(version.annotations["quickon.io/backup"])
        assert backup["format"] == "sql", str(version)
        for command in ("command", "restore"):
            assert isinstance(backup[command], list) and all(isinstance(a, str) for a in backup[command]), str(version)
        pods = [
            w
            for w in workloads(rendered[(str(version), "defaults")])
            if w["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == backup["component"]
        ]
        assert len(pods) == 1, f"{version}: no single workload of component {backup['component']}"
        (container,) = [c for c in containers(pods[0], init=False) if c["name"] == backup["container"]]
        env = {e["name"] for e in container.get("env", [])}
        used = set(re.findall(r"\$([A-Z_]+)", " ".join(backup["command"] + backup["restore"])))
        assert used <= env, f"{version}: the backup command reads {used - env}, which the container lacks"
