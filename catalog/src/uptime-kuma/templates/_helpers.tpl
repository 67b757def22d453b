{{/*
Names and labels shared by every template of the uptime-kuma chart.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "uptime-kuma.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: the release name, followed by the chart name unless the release
name already contains it, or fullnameOverride. Cut to 63 characters, the longest DNS label.
*/}}
{{- define "uptime-kuma.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* name-version of the chart, for the helm.sh/chart label. */}}
{{- define "uptime-kuma.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels. They must never change during a release's life: a Deployment's or StatefulSet's
selector cannot be updated. Call with (dict "context" $ "component" "server").
*/}}
{{- define "uptime-kuma.selectorLabels" -}}
app.kubernetes.io/name: {{ include "uptime-kuma.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
The standard labels of every object. Call with (dict "context" $ "component" "server"), adding
"version" for a component whose version is not the chart's appVersion (a bundled database).
*/}}
{{- define "uptime-kuma.labels" -}}
{{- $version := get . "version" | default .context.Chart.AppVersion | toString -}}
helm.sh/chart: {{ include "uptime-kuma.chart" .context }}
{{ include "uptime-kuma.selectorLabels" . }}
app.kubernetes.io/version: {{ regexReplaceAll "[^-A-Za-z0-9_.]" $version "_" | trunc 63 | trimAll "-_." | quote }}
app.kubernetes.io/part-of: {{ include "uptime-kuma.name" .context }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- end }}

{{/* repository:tag of an image; the tag defaults to appVersion. Call with (dict "context" $ "image" .Values.image). */}}
{{- define "uptime-kuma.image" -}}
{{- printf "%s:%s" .image.repository (.image.tag | default .context.Chart.AppVersion | toString) }}
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "uptime-kuma.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "uptime-kuma.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The public URL of the app when the Ingress is enabled, else empty. */}}
{{- define "uptime-kuma.ingressUrl" -}}
{{- if .Values.ingress.enabled }}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host }}
{{- end }}
{{- end }}
