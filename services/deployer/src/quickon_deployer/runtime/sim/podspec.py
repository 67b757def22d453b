"""What the simulation reads from a pod template: containers with the readiness delays their
probes imply, summed resource requests, volumes and mounts, node selector, injected failure.

Reading a template is also how manifests are validated, so every problem is a
:class:`SpecError` naming the field's path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .failures import FAIL_ANNOTATION, RUN_SECONDS_ANNOTATION, Failure, parse_failure
from .names import is_dns_label
from .quantities import QuantityError, cpu_millis, memory_bytes

METRICS_ANNOTATION = "quickon.io/metrics"
"""Pod template annotation: where the application serves its own metrics, ``port/path`` (``9121/metrics``)."""

# Kubernetes' probe defaults (core/v1 Probe).
PROBE_INITIAL_DELAY_S = 0.0
PROBE_PERIOD_S = 10.0
PROBE_SUCCESS_THRESHOLD = 1
DEFAULT_GRACE_S = 30.0  # the API server's default terminationGracePeriodSeconds


class SpecError(ValueError):
    """A pod template field that Kubernetes would refuse."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class Requests:
    """Resource requests: CPU in millicores, memory in bytes."""

    cpu_m: int = 0
    memory: int = 0

    def __add__(self, other: Requests) -> Requests:
        return Requests(self.cpu_m + other.cpu_m, self.memory + other.memory)

    def at_least(self, other: Requests) -> Requests:
        return Requests(max(self.cpu_m, other.cpu_m), max(self.memory, other.memory))


@dataclass(frozen=True)
class ContainerSpec:
    """One container; delays are in unscaled seconds."""

    name: str
    image: str
    requests: Requests
    ready_after_start_s: float  # the first moment a kubelet could mark it ready, counted from its start
    ready_recheck_s: float  # how long a readiness probe needs to pass again once the fault is gone
    limits: Requests = Requests()  # 0: no limit (what the exporter reports; the scheduler reads requests)


@dataclass(frozen=True)
class VolumeSpec:
    """A pod volume backed by a directory; other volume kinds (configMap, secret, ...) are not kept."""

    name: str
    claim: str | None = None
    empty_dir: bool = False


@dataclass(frozen=True)
class MountSpec:
    container: str
    volume: str
    mount_path: str
    sub_path: str = ""
    read_only: bool = False


@dataclass(frozen=True)
class PodSpec:
    """The parts of a pod template the simulation acts on."""

    labels: dict[str, str] = field(default_factory=dict)
    init_containers: list[ContainerSpec] = field(default_factory=list)
    containers: list[ContainerSpec] = field(default_factory=list)
    requests: Requests = Requests()
    node_selector: dict[str, str] = field(default_factory=dict)
    volumes: list[VolumeSpec] = field(default_factory=list)
    mounts: list[MountSpec] = field(default_factory=list)
    failure: Failure | None = None
    run_s: float | None = None  # a Job's container completes after this long; None: runs until stopped
    grace_s: float = DEFAULT_GRACE_S  # terminationGracePeriodSeconds: the longest a deleted pod terminates
    metrics: str | None = None  # the quickon.io/metrics annotation: "port/path" of the app's own metrics

    def container(self, name: str) -> ContainerSpec:
        return next(c for c in [*self.init_containers, *self.containers] if c.name == name)


def read_pod_template(
    template: Mapping[str, Any],
    *,
    path: str,
    claim_volumes: Mapping[str, str] | None = None,
    job_run_s: float | None = None,
) -> PodSpec:
    """The :class:`PodSpec` of ``template`` (found at ``path`` in its object).

    ``claim_volumes`` maps a StatefulSet's claim template names to the claims of one pod;
    ``job_run_s`` is given for a Job's pods (the run-seconds annotation overrides it).
    """
    metadata = _mapping(template.get("metadata"), f"{path}.metadata")
    spec = _mapping(template.get("spec"), f"{path}.spec")
    annotations = _mapping(metadata.get("annotations"), f"{path}.metadata.annotations")
    volumes = _volumes(spec.get("volumes"), path=f"{path}.spec.volumes", claim_volumes=claim_volumes or {})
    raw_containers = spec.get("containers")
    if not isinstance(raw_containers, list) or not raw_containers:
        raise SpecError(f"{path}.spec.containers", "at least one container is required")
    init_containers, init_mounts = _containers(spec.get("initContainers") or [], f"{path}.spec.initContainers", volumes)
    containers, mounts = _containers(raw_containers, f"{path}.spec.containers", volumes)
    names = [c.name for c in [*init_containers, *containers]]
    if len(names) != len(set(names)):
        raise SpecError(f"{path}.spec", "container names must be unique")
    regular = sum((c.requests for c in containers), Requests())
    # Init containers run one at a time before the others, so a pod needs the larger of the two.
    requests = regular
    for init in init_containers:
        requests = requests.at_least(init.requests)
    return PodSpec(
        labels={str(k): str(v) for k, v in _mapping(metadata.get("labels"), f"{path}.metadata.labels").items()},
        init_containers=init_containers,
        containers=containers,
        requests=requests,
        node_selector={
            str(k): str(v) for k, v in _mapping(spec.get("nodeSelector"), f"{path}.spec.nodeSelector").items()
        },
        volumes=list(volumes.values()),
        mounts=[*init_mounts, *mounts],
        failure=_failure(annotations, path),
        run_s=_run_seconds(annotations, path, job_run_s),
        grace_s=_seconds(
            spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_S), f"{path}.spec.terminationGracePeriodSeconds"
        ),
        metrics=str(annotations[METRICS_ANNOTATION]) if METRICS_ANNOTATION in annotations else None,
    )


def _failure(annotations: Mapping[str, Any], path: str) -> Failure | None:
    if FAIL_ANNOTATION not in annotations:
        return None
    try:
        return parse_failure(annotations[FAIL_ANNOTATION])
    except ValueError as error:
        raise SpecError(f"{path}.metadata.annotations[{FAIL_ANNOTATION}]", str(error)) from None


def _run_seconds(annotations: Mapping[str, Any], path: str, job_run_s: float | None) -> float | None:
    if job_run_s is None or RUN_SECONDS_ANNOTATION not in annotations:
        return job_run_s
    return _seconds(annotations[RUN_SECONDS_ANNOTATION], f"{path}.metadata.annotations[{RUN_SECONDS_ANNOTATION}]")


def _volumes(raw: Any, *, path: str, claim_volumes: Mapping[str, str]) -> dict[str, VolumeSpec]:
    volumes = {name: VolumeSpec(name, claim=claim) for name, claim in claim_volumes.items()}
    for index, item in enumerate(raw or []):
        entry = _mapping(item, f"{path}[{index}]")
        name = entry.get("name")
        if not isinstance(name, str) or not is_dns_label(name):
            raise SpecError(f"{path}[{index}].name", f"{name!r} is not a valid volume name")
        if "persistentVolumeClaim" in entry:
            claim = _mapping(entry["persistentVolumeClaim"], f"{path}[{index}].persistentVolumeClaim").get("claimName")
            if not isinstance(claim, str) or not claim:
                raise SpecError(f"{path}[{index}].persistentVolumeClaim.claimName", "is required")
            volumes[name] = VolumeSpec(name, claim=claim)
        else:
            volumes[name] = VolumeSpec(name, empty_dir="emptyDir" in entry)
    return volumes


def _containers(raw: Any, path: str, volumes: Mapping[str, VolumeSpec]) -> tuple[list[ContainerSpec], list[MountSpec]]:
    if not isinstance(raw, list):
        raise SpecError(path, "must be a list")
    containers: list[ContainerSpec] = []
    mounts: list[MountSpec] = []
    for index, item in enumerate(raw):
        where = f"{path}[{index}]"
        entry = _mapping(item, where)
        name, image = entry.get("name"), entry.get("image")
        if not isinstance(name, str) or not is_dns_label(name):
            raise SpecError(f"{where}.name", f"{name!r} is not a valid container name (a DNS-1123 label)")
        if not isinstance(image, str) or not image.strip():
            raise SpecError(f"{where}.image", "is required")
        startup = _probe(entry.get("startupProbe"), f"{where}.startupProbe")
        readiness = _probe(entry.get("readinessProbe"), f"{where}.readinessProbe")
        # A startup probe passes once; readiness then needs successThreshold passes in a row.
        ready_after = (startup.initial + startup.period if startup else 0.0) + (
            readiness.initial + readiness.period * readiness.successes if readiness else 0.0
        )
        recheck = readiness.period * readiness.successes if readiness else 0.0
        requests, limits = _resources(entry.get("resources"), where)
        containers.append(ContainerSpec(name, image, requests, ready_after, recheck, limits))
        mounts.extend(_mounts(entry.get("volumeMounts"), where, name, volumes))
    return containers, mounts


@dataclass(frozen=True)
class _Probe:
    initial: float
    period: float
    successes: int


def _probe(raw: Any, path: str) -> _Probe | None:
    """A probe's timing with Kubernetes' defaults, or None when the container has no such probe."""
    if raw is None:
        return None
    probe = _mapping(raw, path)
    initial = _seconds(probe.get("initialDelaySeconds", PROBE_INITIAL_DELAY_S), f"{path}.initialDelaySeconds")
    period = _seconds(probe.get("periodSeconds", PROBE_PERIOD_S), f"{path}.periodSeconds")
    successes = probe.get("successThreshold", PROBE_SUCCESS_THRESHOLD)
    if isinstance(successes, bool) or not isinstance(successes, int) or successes < 1:
        raise SpecError(f"{path}.successThreshold", f"{successes!r} is not a positive integer")
    return _Probe(initial, period, successes)


def _resources(raw: Any, path: str) -> tuple[Requests, Requests]:
    """The container's requests and limits."""
    resources = _mapping(raw, f"{path}.resources")
    limits = _mapping(resources.get("limits"), f"{path}.resources.limits")
    requests = {
        **limits,
        **_mapping(resources.get("requests"), f"{path}.resources.requests"),
    }  # a limit alone is also the request
    return _quantities(requests, path), _quantities(limits, path)


def _quantities(found: Mapping[str, Any], path: str) -> Requests:
    try:
        cpu = cpu_millis(found["cpu"]) if "cpu" in found else 0
        memory = memory_bytes(found["memory"]) if "memory" in found else 0
    except QuantityError as error:
        raise SpecError(f"{path}.resources", str(error)) from None
    return Requests(cpu, memory)


def _mounts(raw: Any, path: str, container: str, volumes: Mapping[str, VolumeSpec]) -> list[MountSpec]:
    mounts: list[MountSpec] = []
    for index, item in enumerate(raw or []):
        entry = _mapping(item, f"{path}.volumeMounts[{index}]")
        volume, mount_path = entry.get("name"), entry.get("mountPath")
        if volume not in volumes:
            raise SpecError(f"{path}.volumeMounts[{index}].name", f"volume {volume!r} is not defined in the pod")
        if not isinstance(mount_path, str) or not mount_path.startswith("/"):
            raise SpecError(f"{path}.volumeMounts[{index}].mountPath", f"{mount_path!r} is not an absolute path")
        sub_path = str(entry.get("subPath") or "")
        if sub_path.startswith("/") or ".." in sub_path.split("/"):
            raise SpecError(
                f"{path}.volumeMounts[{index}].subPath", f"{sub_path!r} must be a relative path inside the volume"
            )
        mounts.append(MountSpec(container, str(volume), mount_path, sub_path, bool(entry.get("readOnly", False))))
    return mounts


def _seconds(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SpecError(path, f"{value!r} is not a non-negative number of seconds")
    return float(value)


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(path, "must be a mapping")
    return value
