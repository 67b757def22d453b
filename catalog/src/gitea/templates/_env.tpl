{{/*
Environment of the Gitea containers. The image's entrypoint writes app.ini from it: every
GITEA__section__KEY variable sets KEY in [section]. app.ini lives on the data volume, so what
Gitea generates itself (INTERNAL_TOKEN, JWT secrets) is kept across restarts.
*/}}
{{- define "gitea.env" -}}
{{- $host := .Values.ingress.enabled | ternary .Values.ingress.host (include "gitea.fullname" .) -}}
- name: GITEA_APP_INI
  value: /var/lib/gitea/conf/app.ini
- name: GITEA__DEFAULT__APP_NAME
  value: {{ .Values.gitea.appName | quote }}
- name: GITEA__security__INSTALL_LOCK
  value: "true"
- name: GITEA__security__SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "gitea.secretName" . }}
      key: secret-key
- name: GITEA__server__DOMAIN
  value: {{ $host | quote }}
- name: GITEA__server__SSH_DOMAIN
  value: {{ $host | quote }}
{{- with .Values.gitea.rootUrl | default (include "gitea.ingressUrl" .) }}
- name: GITEA__server__ROOT_URL
  value: {{ trimSuffix "/" . | printf "%s/" | quote }}
{{- end }}
- name: GITEA__server__HTTP_PORT
  value: "3000"
- name: GITEA__server__START_SSH_SERVER
  value: "true"
- name: GITEA__server__SSH_LISTEN_PORT
  value: "2222"
- name: GITEA__server__SSH_PORT
  value: {{ .Values.service.sshPort | quote }}
- name: GITEA__database__DB_TYPE
  value: {{ .Values.database.type | quote }}
{{- if eq .Values.database.type "sqlite3" }}
- name: GITEA__database__PATH
  value: /var/lib/gitea/data/gitea.db
{{- else }}
- name: GITEA__database__HOST
  value: {{ required "database.host is required when database.type is not sqlite3" .Values.database.host | quote }}
- name: GITEA__database__NAME
  value: {{ .Values.database.name | quote }}
- name: GITEA__database__USER
  value: {{ .Values.database.user | quote }}
- name: GITEA__database__PASSWD
  valueFrom:
    secretKeyRef:
      name: {{ include "gitea.secretName" . }}
      key: database-password
{{- if eq .Values.database.type "postgres" }}
- name: GITEA__database__SSL_MODE
  value: {{ .Values.database.sslMode | quote }}
{{- end }}
{{- end }}
- name: GITEA__service__DISABLE_REGISTRATION
  value: {{ .Values.gitea.disableRegistration | quote }}
- name: GITEA__service__REQUIRE_SIGNIN_VIEW
  value: {{ .Values.gitea.requireSignInView | quote }}
{{- if hasKey .Values "metrics" }}
- name: GITEA__metrics__ENABLED
  value: {{ .Values.metrics.enabled | quote }}
{{- if .Values.metrics.enabled }}
- name: GITEA__metrics__TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "gitea.secretName" . }}
      key: metrics-token
{{- end }}
{{- end }}
{{- end }}
