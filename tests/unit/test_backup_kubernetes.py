"""The kubernetes half of backups that needs no cluster: the volume copy Job and the chart's dump declaration."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
import yaml

from quickon_backup.adapters.kubejobs import (
    AnnotationInvalid,
    dump_exec,
    dump_pod_selector,
    dump_spec,
    job_name,
    volume_copy_job,
)

CATALOG = Path(__file__).resolve().parents[2] / "catalog"


def test_the_copy_job_mounts_the_claim_read_only_and_keeps_the_url_in_a_secret() -> None:
    url = "https://s3.example/bucket/backups/x.tar?X-Amz-Signature=abc"
    secret, job = volume_copy_job(
        namespace="team-a", release="cache", claim="data-cache-redis-0", backup_id="20261201t030000z-1a2b3c",
        put_url=url, scratch_size="8Gi", node="node-2",
    )  # fmt: skip
    assert (secret["kind"], secret["stringData"], secret["metadata"]["namespace"]) == ("Secret", {"url": url}, "team-a")
    spec = job["spec"]
    pod = spec["template"]["spec"]
    assert (job["kind"], spec["backoffLimit"], pod["restartPolicy"], pod["nodeName"]) == ("Job", 0, "Never", "node-2")
    (container,) = pod["containers"]
    assert url not in yaml.safe_dump(job)  # the URL is a credential for an hour: only in the Secret
    assert container["env"] == [
        {"name": "QC_PUT_URL", "valueFrom": {"secretKeyRef": {"name": job["metadata"]["name"], "key": "url"}}}
    ]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"] == {"claimName": "data-cache-redis-0", "readOnly": True}
    assert volumes["scratch"]["emptyDir"] == {"sizeLimit": "8Gi"}
    assert {"name": "data", "mountPath": "/data", "readOnly": True} in container["volumeMounts"]
    assert "curl --fail" in container["command"][-1] and "tar -C /data" in container["command"][-1]


def test_job_names_are_valid_and_distinct() -> None:
    long_claim = "a-very-long-claim-name-that-goes-on-and-on-and-on-forever-0"
    names = {job_name("cache", long_claim, b) for b in ("b1", "b2")}
    assert len(names) == 2
    assert all(len(n) <= 63 and n[-1].isalnum() for n in names)


def chart_annotations(archive: str) -> dict[str, str]:
    with tarfile.open(CATALOG / archive) as packaged:
        member = next(m for m in packaged.getmembers() if m.name.endswith("/Chart.yaml"))
        chart = yaml.safe_load(packaged.extractfile(member).read())  # type: ignore[union-attr]
    return dict(chart.get("annotations") or {})


def test_the_catalog_charts_declare_dumps_this_reads() -> None:
    spec = dump_spec(chart_annotations("postgresql-1.0.0.tgz"))
    assert spec is not None
    assert (spec.component, spec.container, spec.format) == ("database", "postgresql", "sql")
    assert "pg_dump" in " ".join(spec.command) and spec.restore is not None
    assert dump_exec(spec, pod="db-postgresql-0", namespace="ns")["command"] == spec.command
    assert dump_pod_selector(spec, release="db") == "app.kubernetes.io/instance=db,app.kubernetes.io/component=database"
    assert dump_spec(chart_annotations("redis-1.0.0.tgz")) is None  # volumes only


def test_a_broken_annotation_is_refused_with_the_reason() -> None:
    with pytest.raises(AnnotationInvalid, match=r"quickon\.io/backup"):
        dump_spec({"quickon.io/backup": "component: db\ncontainer: x\n"})  # no command
    with pytest.raises(AnnotationInvalid):
        dump_spec({"quickon.io/backup": "[unclosed"})
