{{- define "vpcwire.fullname" -}}
{{- .Values.fullnameOverride | default "vpcwire" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "vpcwire.selectorLabels" -}}
app.kubernetes.io/name: vpcwire
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "vpcwire.labels" -}}
{{ include "vpcwire.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "vpcwire.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "vpcwire.fullname" .) -}}
{{- else -}}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "vpcwire.image" -}}
{{- .Values.image.override | default (printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion)) -}}
{{- end -}}

{{/* ipamd's own parsing (ipamd/env-parse.ts bool): trimmed, case-insensitive "true". */}}
{{- define "vpcwire.annotatePodIp" -}}
{{- if eq (lower (trim (toString (index .Values.env "ANNOTATE_POD_IP" | default "")))) "true" -}}true{{- end -}}
{{- end -}}

{{/* Where ipamd's sockets live on the node and in the pod (contract/paths.ts DEFAULT_GRPC_SOCKET's directory). */}}
{{- define "vpcwire.socketDir" -}}/run/vpcwire{{- end -}}

{{/* ipamd's DISABLE_METRICS as ipamd parses it (trimmed, case-insensitive "true"): "true" or empty. */}}
{{- define "vpcwire.metricsDisabled" -}}
{{- if eq (lower (trim (toString (index .Values.env "DISABLE_METRICS" | default "")))) "true" -}}true{{- end -}}
{{- end -}}

{{/* ipamd's metrics port: the port of env.VPCWIRE_METRICS_BIND_ADDRESS (host:port or :port), upstream's 61678 without it. */}}
{{- define "vpcwire.metricsPort" -}}
{{- last (splitList ":" (index .Values.env "VPCWIRE_METRICS_BIND_ADDRESS" | default ":61678")) | int -}}
{{- end -}}

{{/*
A duration as `vpcwire metrics-helper` parses it (metrics-helper/settings.ts parseDuration: "30s",
"2m", "500ms" or plain seconds), in ms; the schema's pattern has already refused anything else.
*/}}
{{- define "vpcwire.durationMs" -}}
{{- $d := toString . | trim -}}
{{- if hasSuffix "ms" $d -}}{{- trimSuffix "ms" $d | float64 -}}
{{- else if hasSuffix "m" $d -}}{{- mulf (trimSuffix "m" $d | float64) 60000 -}}
{{- else -}}{{- mulf (trimSuffix "s" $d | float64) 1000 -}}
{{- end -}}
{{- end -}}
