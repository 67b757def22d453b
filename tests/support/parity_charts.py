"""Charts reproducing each class of public chart the sim once got wrong (issue 17), written and packaged
with the real helm at test time, without network: a library-chart dependency, CRDs in ``crds/`` and in
templates with an enum holding a bare ``=``, hooks with weights and delete policies, ``lookup``, explicit
nulls, a values file over 200 KB."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from quickon_common.helm import helm_binary

BIG_VALUES_ENTRIES = 3000  # about 240 KB of values.yaml
GROUP = "parity.quickon.test"

# A Deployment every chart has, so that readiness means something; .Values.version changes its pods.
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
    helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/instance: {{ .Release.Name }}
    spec:
      containers:
        - name: app
          image: busybox:1.36
          command: [sleep, "86400"]
          env:
            - name: VERSION
              value: {{ .Values.version | quote }}
"""


def _crd(kind: str) -> str:
    """A CRD whose schema has an enum holding a bare ``=`` (PyYAML reads it as tag:yaml.org,2002:value)."""
    plural = f"{kind.lower()}s"
    return f"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{GROUP}
spec:
  group: {GROUP}
  scope: Namespaced
  names:
    kind: {kind}
    plural: {plural}
    singular: {kind.lower()}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                operator:
                  type: string
                  enum:
                    - =
                    - "!="
                    - In
"""


def _custom(kind: str, suffix: str) -> str:
    return f"""apiVersion: {GROUP}/v1
kind: {kind}
metadata:
  name: {{{{ .Release.Name }}}}-{suffix}
spec:
  operator: =
"""


def _job(name: str, hooks: str, *, weight: int, policy: str | None, can_fail: bool = False) -> str:
    """A hook Job; with ``can_fail``, ``.Values.failHook`` makes it fail on a cluster (exit 1, no retry) and on
    the sim (its failure annotation)."""
    policy_line = f'    "helm.sh/hook-delete-policy": {policy}\n' if policy else ""
    fails = "{{ if .Values.failHook }}1{{ else }}0{{ end }}" if can_fail else "0"
    annotation = '{{ if .Values.failHook }}{"sim.quickon.io/fail": "crash-loop"}{{ else }}{}{{ end }}'
    return f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {{{{ .Release.Name }}}}-{name}
  annotations:
    "helm.sh/hook": {hooks}
    "helm.sh/hook-weight": "{weight}"
{policy_line}spec:
  backoffLimit: 0
  template:
    metadata:
      annotations: {annotation if can_fail else "{}"}
    spec:
      restartPolicy: Never
      containers:
        - name: {name}
          image: busybox:1.36
          command: [sh, -c, "exit {fails}"]
"""


def _config_map(name: str, annotations: str = "") -> str:
    indented = "".join(f"    {line}\n" for line in annotations.splitlines())
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ .Release.Name }}}}-{name}
  annotations:
{indented or "    {}"}
data:
  version: {{{{ .Values.version | quote }}}}
"""


def _files(name: str, values: str, templates: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        "Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n{extra.pop('chart', '')}",
        "values.yaml": f'version: "1"\n{values}',
        **{f"templates/{file}": text for file, text in templates.items()},
        **extra,
    }


CHARTS: dict[str, dict[str, str]] = {
    "common": {
        "Chart.yaml": "apiVersion: v2\nname: common\nversion: 0.1.0\ntype: library\n",
        "templates/_helpers.tpl": (
            '{{- define "common.configmap" -}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n'
            "  name: {{ .Release.Name }}-common\n  labels:\n    app.kubernetes.io/instance: {{ .Release.Name }}\n"
            "data:\n  version: {{ .Values.version | quote }}\n{{- end -}}\n"
        ),
    },
    "library": _files(
        "library",
        "",
        {"deployment.yaml": DEPLOYMENT, "configmap.yaml": '{{ include "common.configmap" . }}\n'},
        chart="dependencies:\n  - name: common\n    version: 0.1.0\n    repository: file://../common\n",
    ),
    "crds": _files(
        "crds",
        "gadget: false\n",
        {
            "deployment.yaml": DEPLOYMENT,
            "gadget-crd.yaml": _crd("Gadget"),
            "widget.yaml": _custom("Widget", "widget"),
            # The templates' own CRD serves its kind from the next upgrade on: helm maps every object of an
            # apply to its API before creating any.
            "gadget.yaml": "{{- if .Values.gadget }}\n" + _custom("Gadget", "gadget") + "{{- end }}\n",
            "kept.yaml": _config_map("kept", '"helm.sh/resource-policy": keep'),
        },
        **{"crds/widgets.yaml": _crd("Widget")},
    ),
    "hooks": _files(
        "hooks",
        "failHook: false\n",
        {
            "deployment.yaml": DEPLOYMENT,
            "migrate.yaml": _job(
                "migrate",
                "pre-install,pre-upgrade",
                weight=5,
                policy="before-hook-creation,hook-succeeded,hook-failed",
                can_fail=True,
            ),
            "schema.yaml": _config_map("schema", '"helm.sh/hook": pre-install\n"helm.sh/hook-weight": "-5"'),
            "announce.yaml": _job("announce", "post-install,post-upgrade,post-rollback", weight=0, policy=None),
            "farewell.yaml": _job("farewell", "pre-delete", weight=0, policy="hook-succeeded"),
            "smoke.yaml": _job("smoke", "test", weight=0, policy=None),
            "kept.yaml": _config_map("kept", '"helm.sh/resource-policy": keep'),
        },
    ),
    "lookup": _files(
        "lookup",
        "",
        {
            "deployment.yaml": DEPLOYMENT,
            # The pattern of most public charts: keep the password a previous install generated.
            "secret.yaml": (
                '{{- $found := lookup "v1" "Secret" .Release.Namespace (printf "%s-auth" .Release.Name) }}\n'
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-auth\ndata:\n"
                '  password: {{ if $found }}{{ index $found.data "password" }}'
                "{{ else }}{{ randAlphaNum 16 | b64enc }}{{ end }}\n"
            ),
        },
    ),
    "nulls": _files(
        "nulls",
        "replicas: null\nprobe:\n  initialDelaySeconds: null\n  periodSeconds: 1\nresources: null\n",
        {
            "deployment.yaml": DEPLOYMENT.replace(
                "spec:\n  selector:", "spec:\n  replicas: {{ .Values.replicas | toJson }}\n  selector:"
            ).replace(
                "          env:\n",
                "          resources: {{ .Values.resources | toJson }}\n"
                "          readinessProbe:\n"
                '            exec: {command: ["true"]}\n'
                "            initialDelaySeconds: {{ .Values.probe.initialDelaySeconds | toJson }}\n"
                "            periodSeconds: {{ .Values.probe.periodSeconds | toJson }}\n"
                "            timeoutSeconds: null\n"
                "          env:\n",
            )
        },
    ),
    "big-values": _files(
        "big-values",
        "catalog:\n"
        + "".join(
            f"  entry{index:05d}: {{name: entry-{index}, weight: {index}, note: the padding of a big values file}}\n"
            for index in range(BIG_VALUES_ENTRIES)
        ),
        {
            "deployment.yaml": DEPLOYMENT,
            "configmap.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-catalog\ndata:\n"
                "  entries: {{ len .Values.catalog | quote }}\n  last: {{ .Values.catalog.entry02999.name }}\n"
            ),
        },
    ),
}
CLASSES = ["library", "crds", "hooks", "lookup", "nulls", "big-values"]


def helm(*args: str, home: Path) -> str:
    """Run the real helm with its homes under ``home`` (no repository configured, no network)."""
    env = {**os.environ, **{f"HELM_{d}_HOME": str(home / d.lower()) for d in ("CACHE", "CONFIG", "DATA")}}
    result = subprocess.run([helm_binary(), *args], capture_output=True, text=True, env=env, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"helm {' '.join(args)}: {result.stderr}")
    return result.stdout


def build_charts(directory: Path) -> dict[str, Path]:
    """Every chart of :data:`CLASSES` packaged (``helm dependency build``, then ``helm package``)."""
    for chart, files in CHARTS.items():
        for name, text in files.items():
            path = directory / "src" / chart / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    packaged = {}
    for chart in CLASSES:
        source = directory / "src" / chart
        if "dependencies:" in CHARTS[chart]["Chart.yaml"]:
            helm("dependency", "build", str(source), home=directory / "helm")
        helm("package", str(source), "--destination", str(directory / "packages"), home=directory / "helm")
        packaged[chart] = directory / "packages" / f"{chart}-0.1.0.tgz"
    return packaged
