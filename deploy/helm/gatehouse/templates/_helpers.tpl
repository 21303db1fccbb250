{{/* Chart name, truncated to the 63 characters a label allows. */}}
{{- define "gatehouse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, unless it does not contain the chart name. */}}
{{- define "gatehouse.fullname" -}}
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

{{- define "gatehouse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels; pass (dict "root" $ "component" "api"). */}}
{{- define "gatehouse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gatehouse.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/* Common labels; pass (dict "root" $ "component" "api"), component optional. */}}
{{- define "gatehouse.labels" -}}
helm.sh/chart: {{ include "gatehouse.chart" .root }}
{{ include "gatehouse.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: gatehouse
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "gatehouse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gatehouse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The migration hook runs before the release's own ServiceAccount exists, so it gets its own. */}}
{{- define "gatehouse.migrateServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- printf "%s-migrate" (include "gatehouse.serviceAccountName" .) | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- include "gatehouse.serviceAccountName" . }}
{{- end }}
{{- end }}

{{- define "gatehouse.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Non-secret configuration as a flat map of strings (ConfigMap data, migration Job env). */}}
{{- define "gatehouse.configData" -}}
PORT: {{ .Values.api.port | quote }}
{{- range $key, $value := .Values.config }}
{{- if ne (toString $value) "" }}
{{ $key }}: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- with .Values.aws.region }}
AWS_REGION: {{ . | quote }}
{{- end }}
{{- with .Values.aws.secretName }}
USER_SERVICE_SECRET_NAME: {{ . | quote }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every workload (the ServiceAccount is set by each). */}}
{{- define "gatehouse.podSpecCommon" -}}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Environment of the long-running containers: the ConfigMap, then the existing Secret. */}}
{{- define "gatehouse.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "gatehouse.fullname" . }}
{{- with .Values.existingSecret }}
  - secretRef:
      name: {{ . }}
{{- end }}
env:
  # One libuv thread per CPU: argon2 hashing runs there, and more threads than cores only
  # thrash. Read at process start, so it must come from the environment.
  - name: UV_THREADPOOL_SIZE
    valueFrom:
      resourceFieldRef:
        resource: limits.cpu
        divisor: "1"
{{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "gatehouse.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "gatehouse.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}
