"""Rendered manifests checked as the API server would check them, every one before any is applied."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .kinds import API_VERSION, KIND, SUBDOMAIN, Kind, ObjectKey, kind_info
from .names import DNS_LABEL_RULE, is_dns_label
from .podspec import SpecError, read_pod_template
from .quantities import QuantityError, memory_bytes
from .selectors import describe, matches, selector_problem

HOOK_ANNOTATION = "helm.sh/hook"
HOOK_WEIGHT_ANNOTATION = "helm.sh/hook-weight"
HOOK_DELETE_POLICY_ANNOTATION = "helm.sh/hook-delete-policy"
BEFORE_HOOK_CREATION = "before-hook-creation"  # also helm's policy for a hook that names none
CRDS_DIR_ANNOTATION = "quickon.io/helm-crds-dir"
"""Marks a CRD from a chart's ``crds/`` directory (``render`` adds it): applied before everything else, only
when missing, never upgraded nor deleted, as helm does."""
TEST_HOOKS = {"test", "test-success"}
CRD = "CustomResourceDefinition"
# The custom kinds the cluster serves, by (group, kind): asked only when a manifest has a kind not built in.
InstalledKinds = Callable[[], Mapping[tuple[str, str], Kind]]
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
STRATEGIES = {"Deployment": {"RollingUpdate", "Recreate"}, "StatefulSet": {"RollingUpdate", "OnDelete"}}
STRATEGIES["DaemonSet"] = STRATEGIES["StatefulSet"]


class ManifestError(ValueError):
    """Manifests the cluster refuses; ``problems`` names each object and what is wrong with it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Manifest:
    """One valid object to apply, with its namespace filled in as the API server stores it."""

    key: ObjectKey
    api_version: str
    body: dict[str, Any]
    hook_phases: frozenset[str] = frozenset()  # pre-install, post-upgrade...: empty for a release object
    hook_weight: int = 0
    hook_delete_policies: frozenset[str] = field(default=frozenset({BEFORE_HOOK_CREATION}))

    @property
    def from_crds_dir(self) -> bool:
        return _annotations(self.body).get(CRDS_DIR_ANNOTATION) == "true"


def crd_kind(body: Mapping[str, Any]) -> tuple[tuple[str, str], Kind] | None:
    """The kind a CustomResourceDefinition makes the API server serve, keyed by (group, kind)."""
    spec = body.get("spec")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("names"), Mapping):
        return None
    group, kind = spec.get("group"), spec["names"].get("kind")
    versions = [v.get("name") for v in spec.get("versions") or [] if isinstance(v, Mapping) and v.get("served", True)]
    if not isinstance(group, str) or not isinstance(kind, str):
        return None
    served = frozenset(str(version) for version in versions)
    return (group, kind), Kind(group, served, spec.get("scope") == "Cluster", SUBDOMAIN)


class _Problem(Exception):
    pass


def read_manifests(
    documents: Iterable[Any], *, namespace: str, installed_kinds: InstalledKinds = dict
) -> tuple[list[Manifest], list[str]]:
    """The objects to apply from ``helm template`` documents, and the test hooks left out (``helm install``
    does not run them); :class:`ManifestError` listing every problem if any object is invalid.

    A custom resource needs its CRD served already, or among the ``crds/`` CRDs helm applies first: one
    in the templates comes too late, as helm maps every object to its API before creating any."""
    if not is_dns_label(namespace):
        raise ManifestError([f"namespace {namespace!r} is not a valid name: {DNS_LABEL_RULE}"])
    documents = [document for document in documents if document is not None]  # templates that render nothing
    custom: dict[tuple[str, str], Kind] | None = None

    def served(group: str, kind: str) -> Kind | None:
        nonlocal custom
        if custom is None:
            custom = dict(installed_kinds())
            for document in documents:
                crds_dir = isinstance(document, Mapping) and _annotations(document).get(CRDS_DIR_ANNOTATION) == "true"
                found = crd_kind(document) if crds_dir and document.get("kind") == CRD else None
                if found is not None:
                    custom[found[0]] = found[1]
        return custom.get((group, kind))

    manifests: list[Manifest] = []
    skipped: list[str] = []
    problems: list[str] = []
    seen: set[ObjectKey] = set()
    for index, document in enumerate(documents, start=1):
        try:
            manifest = _read(document, index=index, namespace=namespace, served=served)
        except _Problem as problem:
            problems.append(str(problem))
            continue
        if _is_test_hook(manifest):
            skipped.append(manifest.key.display)
        elif manifest.key in seen:
            problems.append(f"{manifest.key.display}: appears twice in the manifests")
        else:
            seen.add(manifest.key)
            manifests.append(manifest)
    if problems:
        raise ManifestError(problems)
    return manifests, skipped


def _read(document: Any, *, index: int, namespace: str, served: Callable[[str, str], Kind | None]) -> Manifest:
    if not isinstance(document, Mapping):
        raise _Problem(f"document {index}: is not a mapping")
    kind, api_version = document.get("kind"), document.get("apiVersion")
    metadata = document.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    name = metadata.get("name")
    label = f"{kind}/{name}" if isinstance(kind, str) and isinstance(name, str) else f"document {index}"
    if not isinstance(kind, str) or not KIND.match(kind):
        raise _Problem(f"{label}: kind is missing or not a kind name (such as Deployment)")
    if not isinstance(name, str) or not name:
        raise _Problem(f"{kind} in {label}: metadata.name is required")
    version_match = API_VERSION.match(api_version) if isinstance(api_version, str) else None
    if version_match is None:
        raise _Problem(f"{label}: apiVersion {api_version!r} is not of the form 'v1' or 'group/v1'")
    group = version_match["group"] or ""
    info = kind_info(kind)
    if info is None or info.group != group:
        info = served(group, kind)
    if info is None or version_match["version"] not in info.versions:
        raise _Problem(
            f"{label}: no matches for kind {kind!r} in version {api_version!r} (ensure CRDs are installed first)"
        )
    if not info.name_rule.check(name):
        raise _Problem(f"{label}: metadata.name {name!r} is not valid: must be {info.name_rule.description}")
    object_namespace = "" if info.cluster_scoped else str(metadata.get("namespace") or namespace)
    if object_namespace and not is_dns_label(object_namespace):
        raise _Problem(f"{label}: metadata.namespace {object_namespace!r} is not valid: {DNS_LABEL_RULE}")
    # The API server keeps JSON: YAML's dates and non-string keys become strings, as they would there, and
    # an explicit null is a field left unset, which defaulting then fills (``replicas: null`` is 1 replica).
    body: dict[str, Any] = json.loads(json.dumps(document, default=str), object_pairs_hook=_without_nulls)
    if object_namespace:
        body["metadata"]["namespace"] = object_namespace
    try:
        _check_spec(kind, body)
    except (SpecError, _Problem) as error:
        raise _Problem(f"{label}: {error}") from None
    key = ObjectKey(group, kind, object_namespace, name)
    annotations = _annotations(body)
    phases = hook_phases(body)
    if not phases:
        return Manifest(key, str(api_version), body)
    policies = _listed(annotations.get(HOOK_DELETE_POLICY_ANNOTATION)) or frozenset({BEFORE_HOOK_CREATION})
    return Manifest(key, str(api_version), body, phases, _weight(annotations), policies)


def hook_phases(document: Any) -> frozenset[str]:
    """The hooks (``pre-install``, ``post-delete``...) a rendered document is; empty for a release object."""
    return _listed(_annotations(document).get(HOOK_ANNOTATION)) if isinstance(document, Mapping) else frozenset()


def _listed(annotation: Any) -> frozenset[str]:
    """The comma-separated words of an annotation."""
    return frozenset(word.strip() for word in str(annotation or "").split(",") if word.strip())


def _without_nulls(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value for key, value in pairs if value is not None}


def _weight(annotations: Mapping[str, Any]) -> int:
    """helm's hook weight: an integer in a string; anything else counts as 0, as helm's parse leaves it."""
    try:
        return int(str(annotations.get(HOOK_WEIGHT_ANNOTATION, "0")).strip())
    except ValueError:
        return 0


def _annotations(body: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = body.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def _check_spec(kind: str, body: Mapping[str, Any]) -> None:
    spec = body.get("spec")
    if kind in WORKLOADS or kind in {"Job", "CronJob", "Pod", "PersistentVolumeClaim"}:
        if not isinstance(spec, Mapping):
            raise _Problem("spec is required")
    else:
        return
    if kind in WORKLOADS:
        _check_workload(kind, spec)
    elif kind == "Job":
        _check_job(spec, "spec.template")
    elif kind == "CronJob":
        job_template = spec.get("jobTemplate")
        if not isinstance(job_template, Mapping) or not isinstance(job_template.get("spec"), Mapping):
            raise _Problem("spec.jobTemplate.spec is required")
        _check_job(job_template["spec"], "spec.jobTemplate.spec.template")
    elif kind == "Pod":
        read_pod_template({"metadata": body.get("metadata"), "spec": spec}, path="pod")
    else:
        _storage_request(spec, "spec")


def _check_workload(kind: str, spec: Mapping[str, Any]) -> None:
    problem = selector_problem(spec.get("selector"))
    if problem:
        raise _Problem(problem)
    template = spec.get("template")
    if not isinstance(template, Mapping):
        raise _Problem("spec.template is required")
    claims: dict[str, str] = {}
    if kind == "StatefulSet":
        claims = {claim: claim for claim in _claim_templates(spec)}
    read_pod_template(template, path="spec.template", claim_volumes=claims)
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not matches(spec["selector"], {str(k): str(v) for k, v in labels.items()}):
        raise _Problem(
            f"spec.selector ({describe(spec['selector'])}) does not match spec.template.metadata.labels "
            f"({','.join(f'{k}={v}' for k, v in labels.items()) or 'none'})"
        )
    replicas = spec.get("replicas", 1)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise _Problem(f"spec.replicas {replicas!r} is not a non-negative integer")
    _check_strategy(kind, spec)


def _check_strategy(kind: str, spec: Mapping[str, Any]) -> None:
    field = "strategy" if kind == "Deployment" else "updateStrategy"
    strategy = spec.get(field) or {}
    if kind not in STRATEGIES or not isinstance(strategy, Mapping):
        return
    kind_of_update = strategy.get("type", "RollingUpdate")
    if kind_of_update not in STRATEGIES[kind]:
        raise _Problem(f"spec.{field}.type {kind_of_update!r} is not one of {sorted(STRATEGIES[kind])}")
    rolling = strategy.get("rollingUpdate")
    if rolling and kind_of_update != "RollingUpdate":
        raise _Problem(f"spec.{field}.rollingUpdate may not be given when the type is {kind_of_update!r}")
    for key, value in (rolling or {}).items():
        if key in {"maxSurge", "maxUnavailable"} and not _int_or_percent(value):
            raise _Problem(f"spec.{field}.rollingUpdate.{key} {value!r} is not an integer or a percentage")


def _check_job(spec: Mapping[str, Any], path: str) -> None:
    template = spec.get("template")
    if not isinstance(template, Mapping):
        raise _Problem(f"{path} is required")
    read_pod_template(template, path=path, job_run_s=0.0)
    policy = (template.get("spec") or {}).get("restartPolicy")
    if policy not in {"OnFailure", "Never"}:
        raise _Problem(f"{path}.spec.restartPolicy must be OnFailure or Never (is {policy!r})")


def _claim_templates(spec: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for index, claim in enumerate(spec.get("volumeClaimTemplates") or []):
        path = f"spec.volumeClaimTemplates[{index}]"
        name = (claim.get("metadata") or {}).get("name") if isinstance(claim, Mapping) else None
        if not isinstance(name, str) or not is_dns_label(name):
            raise _Problem(f"{path}.metadata.name {name!r} is not valid: {DNS_LABEL_RULE}")
        _storage_request(claim.get("spec"), f"{path}.spec")
        names.append(name)
    return names


def _storage_request(spec: Any, path: str) -> int:
    requests = ((spec or {}).get("resources") or {}).get("requests") or {} if isinstance(spec, Mapping) else {}
    if "storage" not in requests:
        raise _Problem(f"{path}.resources.requests.storage is required")
    try:
        return memory_bytes(requests["storage"])
    except QuantityError as error:
        raise _Problem(f"{path}.resources.requests.storage: {error}") from None


def _int_or_percent(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value >= 0
    return isinstance(value, str) and value.endswith("%") and value[:-1].isdigit()


def _is_test_hook(manifest: Manifest) -> bool:
    return bool(TEST_HOOKS & manifest.hook_phases)
