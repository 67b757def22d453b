{{/* Names and labels (Helm's chart best practices: name, instance, component, part-of). */}}

{{- define "quickon.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "quickon.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "quickon.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "quickon.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "quickon.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "quickon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: quickon
{{- end -}}

{{/* Selector labels of one component: call with (dict "root" $ "component" "gateway"). */}}
{{- define "quickon.selector" -}}
app.kubernetes.io/name: {{ include "quickon.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "quickon.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Secret of the platform key, the audit signing key and the first admin's password. */}}
{{- define "quickon.keysSecret" -}}
{{- default (printf "%s-keys" (include "quickon.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "quickon.natsSeedsSecret" -}}
{{- default (printf "%s-nats-credentials" (include "quickon.fullname" .)) .Values.nats.credentials.existingSecret -}}
{{- end -}}

{{- define "quickon.natsAuthSecret" -}}
{{- printf "%s-nats-auth" (include "quickon.fullname" .) -}}
{{- end -}}

{{- define "quickon.natsInCluster" -}}
{{- if not .Values.nats.external.url -}}true{{- end -}}
{{- end -}}

{{- define "quickon.natsUrl" -}}
{{- if .Values.nats.external.url -}}
{{- .Values.nats.external.url -}}
{{- else -}}
{{- printf "nats://%s-nats:4222" (include "quickon.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* host:port of NATS' monitoring endpoint, which KEDA's nats-jetstream scaler reads. */}}
{{- define "quickon.natsMonitoring" -}}
{{- if .Values.nats.external.url -}}
{{- .Values.nats.external.monitoringEndpoint -}}
{{- else -}}
{{- printf "%s-nats.%s.svc:8222" (include "quickon.fullname" .) .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{- define "quickon.databaseSecret" -}}
{{- default (printf "%s-databases" (include "quickon.fullname" .)) .Values.postgresql.existingSecret -}}
{{- end -}}

{{- define "quickon.trialPostgresql" -}}
{{- printf "%s-postgresql" (include "quickon.fullname" .) -}}
{{- end -}}

{{- define "quickon.objectStoreSecret" -}}
{{- default (printf "%s-object-store" (include "quickon.fullname" .)) .Values.objectStore.existingSecret -}}
{{- end -}}

{{/* The restricted pod and container security contexts every workload of the chart runs with. */}}
{{- define "quickon.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "quickon.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
