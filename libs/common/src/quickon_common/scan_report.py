"""Pure parts of a security scan (the market's of a chart, the deployer's of a service): rendered manifests
split one object per file, the images they name, and Trivy's JSON turned into one report (counts by
severity, findings, images)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")
DOCUMENT_START = re.compile(r"(?m)^---[ \t]*$")
UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
MANIFESTS = "manifests"  # where the rendered objects are written in the scan's directory
CHART = "chart"  # where the chart's own files are
POD_SPEC_PATHS = (("spec",), ("spec", "template", "spec"), ("spec", "jobTemplate", "spec", "template", "spec"))


@dataclass(frozen=True, slots=True)
class RenderedObject:
    """One document of ``helm template``'s output, as Trivy will read it from its own file."""

    file: str
    kind: str
    name: str
    text: str
    body: dict[str, Any]


def split_manifests(stream: str) -> list[RenderedObject]:
    """The objects of a rendered stream, each with a file name that says what it is (Trivy names the file
    of a finding, so the object is known without mapping line numbers back)."""
    objects: list[RenderedObject] = []
    for text in DOCUMENT_START.split(stream):
        try:
            body = yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            continue  # helm rendered it, so it is YAML; a document that is not is nothing to deploy either
        if not isinstance(body, dict) or not body.get("kind"):
            continue
        metadata = body.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        kind, name = str(body["kind"]), str(metadata.get("name") or "unnamed")
        file = f"{len(objects):03d}-{UNSAFE.sub('_', kind)}-{UNSAFE.sub('_', name)}.yaml"[:200]
        objects.append(RenderedObject(file=file, kind=kind, name=name, text=text.strip() + "\n", body=body))
    return objects


def objects_of(bodies: list[dict[str, Any]]) -> list[RenderedObject]:
    """Objects already parsed (a revision's stored manifests) as :func:`split_manifests` gives them."""
    stream = "".join(f"---\n{yaml.safe_dump(body, sort_keys=False)}" for body in bodies)
    return split_manifests(stream)


def images_of(objects: list[RenderedObject]) -> list[dict[str, str | None]]:
    """Every container image the objects run (init containers too), once each, as repository, tag, digest."""
    seen: dict[str, dict[str, str | None]] = {}
    for obj in objects:
        for path in POD_SPEC_PATHS:
            spec: Any = obj.body
            for key in path:
                spec = spec.get(key) if isinstance(spec, dict) else None
            if not isinstance(spec, dict):
                continue
            for group in ("initContainers", "containers", "ephemeralContainers"):
                for container in spec.get(group) or []:
                    image = container.get("image") if isinstance(container, dict) else None
                    if isinstance(image, str) and image and image not in seen:
                        seen[image] = parse_image(image)
    return list(seen.values())


def parse_image(image: str) -> dict[str, str | None]:
    """``registry/repo:tag@sha256:…`` in its parts; a registry's port is not a tag."""
    rest, _, digest = image.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    tag = rest[colon + 1 :] if colon > slash else None
    repository = rest[:colon] if colon > slash else rest
    return {"image": image, "repository": repository, "tag": tag, "digest": digest or None}


def report(trivy_json: dict[str, Any], *, objects: list[RenderedObject]) -> dict[str, Any]:
    """The findings of one ``trivy fs --scanners misconfig,secret`` run over the scan's directory.

    Misconfigurations count only on the rendered objects (the raw templates are not manifests); secrets
    only in the chart's files (a rendered secret came from one of them, already reported there)."""
    by_file = {f"{MANIFESTS}/{obj.file}": obj for obj in objects}
    findings: list[dict[str, Any]] = []
    for result in trivy_json.get("Results") or []:
        target = str(result.get("Target", ""))
        obj = by_file.get(target)
        if obj is not None:
            for item in result.get("Misconfigurations") or []:
                if item.get("Status", "FAIL") != "FAIL":
                    continue
                findings.append({
                    "kind": "misconfig", "id": item.get("ID") or item.get("AVDID") or "?",
                    "title": item.get("Title") or "", "severity": _severity(item.get("Severity")),
                    "object_kind": obj.kind, "object_name": obj.name, "message": item.get("Message"),
                    "resolution": item.get("Resolution"), "url": item.get("PrimaryURL"),
                })  # fmt: skip
        elif target.startswith(f"{CHART}/"):
            for item in result.get("Secrets") or []:
                findings.append({
                    "kind": "secret", "id": item.get("RuleID") or "?", "title": item.get("Title") or "",
                    "severity": _severity(item.get("Severity")), "file": target.removeprefix(f"{CHART}/"),
                    "line": item.get("StartLine"),
                    "resolution": "remove it from the chart and rotate it; take it from a value the user gives",
                })  # fmt: skip
    findings.sort(
        key=lambda f: (SEVERITIES.index(f["severity"]), f["id"], f.get("object_name") or "", f.get("file") or "")
    )
    counts = {severity: 0 for severity in SEVERITIES}
    for finding in findings:
        counts[finding["severity"]] += 1
    version = (trivy_json.get("Trivy") or {}).get("Version")
    return {"scanner": f"trivy {version}" if version else "trivy", "counts": counts, "findings": findings,
            "images": images_of(objects)}  # fmt: skip


def of_severities(report: dict[str, Any], severities: Iterable[str]) -> list[dict[str, Any]]:
    """The report's findings whose severity is one of ``severities`` (a scan policy's blocking or warning ones)."""
    wanted = set(severities)
    return [f for f in report.get("findings") or [] if f.get("severity") in wanted]


def new_findings(before: dict[str, Any], after: dict[str, Any], severities: Iterable[str]) -> list[dict[str, Any]]:
    """The findings of ``after`` at ``severities`` that ``before`` did not have (the same check on the same object
    or file counts as the same finding, whatever its message)."""

    def key(finding: dict[str, Any]) -> tuple[Any, ...]:
        return finding.get("id"), finding.get("object_kind"), finding.get("object_name"), finding.get("file")

    known = {key(f) for f in before.get("findings") or []}
    return [f for f in of_severities(after, severities) if key(f) not in known]


def described(findings: list[dict[str, Any]], *, most: int = 5) -> str:
    """``KSV-0017 Privileged (HIGH) in Deployment/web; …``: each finding's check, severity and object (or file),
    the first ``most`` of them and how many more."""
    said = []
    for f in findings[:most]:
        where = f"{f.get('object_kind')}/{f.get('object_name')}" if f.get("object_kind") else f.get("file") or "?"
        said.append(" ".join(str(part) for part in (f.get("id"), f.get("title"), f"({f.get('severity')})") if part)
                    + f" in {where}")  # fmt: skip
    more = len(findings) - most
    return "; ".join(said) + (f"; and {more} more" if more > 0 else "")


def _severity(value: Any) -> str:
    return value if value in SEVERITIES else "UNKNOWN"
