"""Backups on the ``kubernetes`` runtime, the pure half: the short-lived Job that copies one volume to a
presigned URL (no store credentials enter the cluster), and the dump a chart declares in its
``quickon.io/backup`` annotation, run in the app's pod through the exec API.

Only the objects and commands are built here (and unit-tested); creating the Job, waiting for it and
calling exec need a cluster, which the tests do not have, and are not wired into the backup saga yet.
A presigned PUT takes one request with a known length, so the Job first writes the tar to a scratch
``emptyDir`` (sized like the claim) and then uploads it: S3 caps such a PUT at 5 GiB.
"""

from __future__ import annotations

import hashlib
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ANNOTATION = "quickon.io/backup"
COPY_IMAGE = "curlimages/curl:8.10.1"  # curl and busybox tar, nothing else
COPY_SCRIPT = (
    "set -eu; tar -C /data -cf /scratch/volume.tar . && "
    'curl --fail --silent --show-error --retry 3 -X PUT -T /scratch/volume.tar "$QC_PUT_URL"'
)


class DumpSpec(BaseModel):
    """How to take (and load back) a consistent dump of an app's database, from its chart's annotation."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    component: str = Field(min_length=1, description="the app.kubernetes.io/component of the pod to run it in")
    container: str = Field(min_length=1)
    command: list[str] = Field(min_length=1, description="writes the dump to stdout")
    restore: list[str] | None = Field(default=None, description="reads a dump from stdin")
    format: str = "sql"


class AnnotationInvalid(ValueError):
    """The chart's ``quickon.io/backup`` annotation cannot be used; the message says why."""


def dump_spec(annotations: dict[str, str]) -> DumpSpec | None:
    """The chart's dump declaration, None when it has none."""
    text = annotations.get(ANNOTATION)
    if not text:
        return None
    try:
        return DumpSpec.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as error:
        raise AnnotationInvalid(f"the chart's {ANNOTATION} annotation is not usable: {error}") from None


def job_name(release: str, claim: str, backup_id: str) -> str:
    """A Job name within 63 characters, unique per backup and claim."""
    digest = hashlib.sha256(f"{release}/{claim}/{backup_id}".encode()).hexdigest()[:10]
    return f"qc-backup-{claim[:40].rstrip('-')}-{digest}"


def volume_copy_job(
    *,
    namespace: str,
    release: str,
    claim: str,
    backup_id: str,
    put_url: str,
    scratch_size: str,
    node: str | None = None,
    deadline_s: int = 3600,
) -> list[dict[str, Any]]:
    """A Secret holding the presigned URL and a Job that tars the claim (mounted read-only) and PUTs it
    there; on ``node`` when given (a ReadWriteOnce volume is reachable only where it is attached)."""
    name = job_name(release, claim, backup_id)
    labels = {
        "app.kubernetes.io/managed-by": "quickon", "app.kubernetes.io/instance": release,
        "app.kubernetes.io/component": "backup", "backup.quickon.io/id": backup_id[:63],
    }  # fmt: skip
    secret = {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "stringData": {"url": put_url},
    }  # fmt: skip
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [{
            "name": "copy", "image": COPY_IMAGE, "command": ["sh", "-c", COPY_SCRIPT],
            "env": [{"name": "QC_PUT_URL", "valueFrom": {"secretKeyRef": {"name": name, "key": "url"}}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True},
                             {"name": "scratch", "mountPath": "/scratch"}],
            "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
        }],
        "volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}},
            {"name": "scratch", "emptyDir": {"sizeLimit": scratch_size}},
        ],
    }  # fmt: skip
    if node is not None:
        pod["nodeName"] = node
    job = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0, "activeDeadlineSeconds": deadline_s, "ttlSecondsAfterFinished": 600,
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    }  # fmt: skip
    return [secret, job]


def dump_exec(spec: DumpSpec, *, pod: str, namespace: str) -> dict[str, Any]:
    """The arguments of ``CoreV1Api.connect_get_namespaced_pod_exec`` that stream the dump on stdout."""
    return {
        "name": pod, "namespace": namespace, "container": spec.container, "command": spec.command,
        "stdout": True, "stderr": True, "stdin": False, "tty": False,
    }  # fmt: skip


def dump_pod_selector(spec: DumpSpec, *, release: str) -> str:
    """The label selector of the pod a dump runs in."""
    return f"app.kubernetes.io/instance={release},app.kubernetes.io/component={spec.component}"
