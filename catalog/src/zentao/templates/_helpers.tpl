{{/*
Names and labels shared by every template of the zentao chart.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "zentao.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: the release name, followed by the chart name unless the release
name already contains it, or fullnameOverride. Cut to 63 characters, the longest DNS label.
*/}}
{{- define "zentao.fullname" -}}
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
{{- define "zentao.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels. They must never change during a release's life: a Deployment's or StatefulSet's
selector cannot be updated. Call with (dict "context" $ "component" "server").
*/}}
{{- define "zentao.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zentao.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
The standard labels of every object. Call with (dict "context" $ "component" "server"), adding
"version" for a component whose version is not the chart's appVersion (a bundled database).
*/}}
{{- define "zentao.labels" -}}
{{- $version := get . "version" | default .context.Chart.AppVersion | toString -}}
helm.sh/chart: {{ include "zentao.chart" .context }}
{{ include "zentao.selectorLabels" . }}
app.kubernetes.io/version: {{ regexReplaceAll "[^-A-Za-z0-9_.]" $version "_" | trunc 63 | trimAll "-_." | quote }}
app.kubernetes.io/part-of: {{ include "zentao.name" .context }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- end }}

{{/* repository:tag of an image; the tag defaults to appVersion. Call with (dict "context" $ "image" .Values.image). */}}
{{- define "zentao.image" -}}
{{- printf "%s:%s" .image.repository (.image.tag | default .context.Chart.AppVersion | toString) }}
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "zentao.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zentao.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The public URL of the app when the Ingress is enabled, else empty. */}}
{{- define "zentao.ingressUrl" -}}
{{- if .Values.ingress.enabled }}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host }}
{{- end }}
{{- end }}

{{/* The Secret holding the release's passwords and keys. */}}
{{- define "zentao.secretName" -}}
{{- default (include "zentao.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
A secret value that survives upgrades: the one given in values, else the one already stored in
the release's Secret, else a new random one. Call with
(dict "context" $ "key" "admin-password" "value" .Values.admin.password "length" 24).
*/}}
{{- define "zentao.secretValue" -}}
{{- $existing := lookup "v1" "Secret" .context.Release.Namespace (include "zentao.fullname" .context) | default dict }}
{{- $stored := dig "data" .key "" $existing | b64dec }}
{{- .value | default $stored | default (randAlphaNum (int .length)) }}
{{- end }}

{{/* Name of the objects of the bundled mariadb server. */}}
{{- define "zentao.mariadb.fullname" -}}
{{- printf "%s-mariadb" (include "zentao.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}
