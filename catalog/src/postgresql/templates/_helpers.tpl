{{/*
Names and labels shared by every template of the postgresql chart.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "postgresql.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: the release name, followed by the chart name unless the release
name already contains it, or fullnameOverride. Cut to 63 characters, the longest DNS label.
*/}}
{{- define "postgresql.fullname" -}}
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
{{- define "postgresql.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels. They must never change during a release's life: a Deployment's or StatefulSet's
selector cannot be updated. Call with (dict "context" $ "component" "server").
*/}}
{{- define "postgresql.selectorLabels" -}}
app.kubernetes.io/name: {{ include "postgresql.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
The standard labels of every object. Call with (dict "context" $ "component" "server"), adding
"version" for a component whose version is not the chart's appVersion (a bundled database).
*/}}
{{- define "postgresql.labels" -}}
{{- $version := get . "version" | default .context.Chart.AppVersion | toString -}}
helm.sh/chart: {{ include "postgresql.chart" .context }}
{{ include "postgresql.selectorLabels" . }}
app.kubernetes.io/version: {{ regexReplaceAll "[^-A-Za-z0-9_.]" $version "_" | trunc 63 | trimAll "-_." | quote }}
app.kubernetes.io/part-of: {{ include "postgresql.name" .context }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- end }}

{{/* repository:tag of an image; the tag defaults to appVersion. Call with (dict "context" $ "image" .Values.image). */}}
{{- define "postgresql.image" -}}
{{- printf "%s:%s" .image.repository (.image.tag | default .context.Chart.AppVersion | toString) }}
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "postgresql.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "postgresql.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the release's passwords and keys. */}}
{{- define "postgresql.secretName" -}}
{{- default (include "postgresql.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
A secret value that survives upgrades: the one given in values, else the one already stored in
the release's Secret, else a new random one. Call with
(dict "context" $ "key" "admin-password" "value" .Values.admin.password "length" 24).
*/}}
{{- define "postgresql.secretValue" -}}
{{- $existing := lookup "v1" "Secret" .context.Release.Namespace (include "postgresql.fullname" .context) | default dict }}
{{- $stored := dig "data" .key "" $existing | b64dec }}
{{- .value | default $stored | default (randAlphaNum (int .length)) }}
{{- end }}
