{{/* The environment of one service: call with (dict "root" $ "name" "deployer" "svc" $svc).
     Secrets arrive by secretKeyRef, never as plain values; each service gets only those it uses. */}}
{{- define "quickon.env" -}}
{{- $root := .root }}
{{- $name := .name }}
{{- $svc := .svc }}
{{- $upper := upper $name }}
{{- $v := $root.Values }}
- name: QC_HTTP_HOST
  value: "0.0.0.0"
# The replica's name (its pod's): the owner of the sagas it runs and of its service's lead.
- name: QC_INSTANCE
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: QC_{{ $upper }}_HTTP_PORT
  value: {{ $svc.port | quote }}
- name: QC_HEALTHZ_PORT
  value: {{ $svc.port | quote }}
- name: QC_NATS_URL
  value: {{ include "quickon.natsUrl" $root | quote }}
- name: QC_{{ $upper }}_NATS_NKEY_FILE
  value: /etc/quickon/nats/{{ $name }}.nk
- name: QC_STREAM_REPLICAS
  value: {{ $v.nats.streamReplicas | quote }}
- name: QC_PLATFORM_NAMESPACE
  value: {{ $root.Release.Namespace | quote }}
- name: QC_PLATFORM_RELEASE
  value: {{ include "quickon.fullname" $root | quote }}
- name: QC_PUBLIC_URL
  value: {{ $v.platform.publicUrl | quote }}
- name: QC_LOG_LEVEL
  value: {{ $v.platform.logLevel | quote }}
- name: QC_RUNTIME
  value: kubernetes
- name: QC_GATEWAY_INTERNAL_PORT
  value: {{ $v.services.gateway.internalPort | quote }}
{{- if $v.postgresql.server.host }}
{{- if or $v.postgresql.server.password $v.postgresql.server.passwordSecret }}
- name: QC_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "quickon.databaseSecret" $root) $v.postgresql.server.passwordSecret }}
      key: {{ $v.postgresql.server.passwordKey }}
{{- end }}
- name: QC_{{ $upper }}_DATABASE_URL
  {{- $s := $v.postgresql.server }}
  value: {{ printf "postgresql://%s%s@%s:%v/%s%s?sslmode=%s" $s.username (ternary ":$(QC_DATABASE_PASSWORD)" "" (or (not (empty $s.password)) (not (empty $s.passwordSecret)))) $s.host $s.port $s.databasePrefix $name $s.sslMode | quote }}
{{- else if or $v.postgresql.existingSecret $v.postgresql.urls $v.postgresql.trial.enabled }}
- name: QC_{{ $upper }}_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ ternary (include "quickon.trialPostgresql" $root) (include "quickon.databaseSecret" $root) $v.postgresql.trial.enabled }}
      key: {{ $name }}
{{- end }}
{{- if has $name (list "gateway" "deployer" "monitor") }}
- name: QC_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "quickon.keysSecret" $root }}
      key: platform-key
{{- end }}
{{- if eq $name "gateway" }}
- name: QC_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "quickon.keysSecret" $root }}
      key: admin-password
{{- end }}
{{- if eq $name "audit" }}
- name: QC_AUDIT_SIGNING_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "quickon.keysSecret" $root }}
      key: audit-signing-key
{{- end }}
{{- if eq $name "monitor" }}
{{- with $v.prometheus.url }}
- name: QC_MONITOR_PROMETHEUS_URL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if eq $name "deployer" }}
{{- with $v.deployer.baseDomain }}
- name: QC_BASE_DOMAIN
  value: {{ . | quote }}
{{- end }}
- name: QC_DEPLOYER_INGRESS_CLASS
  value: {{ $v.deployer.ingressClass | quote }}
{{- with $v.deployer.certIssuer }}
- name: QC_DEPLOYER_CERT_ISSUER
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if and $v.objectStore.bucket (has $name (list "backup" "audit")) }}
- name: QC_{{ $upper }}_STORE_URL
  value: {{ printf "s3://%s/%s" $v.objectStore.bucket $name | quote }}
{{- with $v.objectStore.endpoint }}
- name: QC_{{ $upper }}_S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: QC_{{ $upper }}_S3_SECURE
  value: {{ $v.objectStore.secure | quote }}
{{- with $v.objectStore.region }}
- name: QC_{{ $upper }}_S3_REGION
  value: {{ . | quote }}
{{- end }}
- name: QC_{{ $upper }}_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "quickon.objectStoreSecret" $root }}, key: access-key}
- name: QC_{{ $upper }}_S3_SECRET_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "quickon.objectStoreSecret" $root }}, key: secret-key}
- name: QC_{{ $upper }}_STORE_ENCRYPTION_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "quickon.objectStoreSecret" $root }}, key: encryption-key, optional: true}
{{- end }}
{{- range $key, $value := $v.platform.extraEnv }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- range $key, $value := $svc.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}
