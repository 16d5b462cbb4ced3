{{- define "bangui.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "bangui.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "bangui.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "bangui.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "bangui.selector" -}}
app.kubernetes.io/name: {{ include "bangui.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "bangui.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "bangui.secretName" -}}
{{- include "bangui.fullname" . -}}-urls
{{- end -}}

{{/* The environment every bangui container gets. */}}
{{- define "bangui.env" -}}
- name: BANGUI_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.existingSecret | default (include "bangui.secretName" .) }}
      key: {{ if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}database-url{{ end }}
- name: BANGUI_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret | default (include "bangui.secretName" .) }}
      key: {{ if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}redis-url{{ end }}
- name: BANGUI_FAIL2BAN_SOCKET
  value: {{ .Values.fail2ban.socket | quote }}
- name: BANGUI_FAIL2BAN_CONFIG_DIR
  value: /etc/fail2ban
- name: BANGUI_FAIL2BAN_DB
  value: /var/lib/fail2ban/fail2ban.sqlite3
- name: BANGUI_FAIL2BAN_LOG_DIR
  value: /var/log
- name: BANGUI_TRUSTED_PROXIES
  value: {{ .Values.config.trustedProxies | quote }}
- name: BANGUI_LOG_FORMAT
  value: {{ .Values.config.logFormat | quote }}
{{- with .Values.config.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* fail2ban's host paths, as volumes and as mounts. */}}
{{- define "bangui.fail2banVolumes" -}}
- name: fail2ban-run
  hostPath: {path: {{ .Values.fail2ban.hostPaths.run | quote }}, type: DirectoryOrCreate}
- name: fail2ban-config
  hostPath: {path: {{ .Values.fail2ban.hostPaths.config | quote }}, type: DirectoryOrCreate}
- name: fail2ban-database
  hostPath: {path: {{ .Values.fail2ban.hostPaths.database | quote }}, type: DirectoryOrCreate}
- name: fail2ban-logs
  hostPath: {path: {{ .Values.fail2ban.hostPaths.logs | quote }}, type: Directory}
{{- end -}}

{{- define "bangui.fail2banMounts" -}}
- {name: fail2ban-run, mountPath: /var/run/fail2ban}
- {name: fail2ban-config, mountPath: /etc/fail2ban}
- {name: fail2ban-database, mountPath: /var/lib/fail2ban, readOnly: true}
- {name: fail2ban-logs, mountPath: /var/log, readOnly: true}
{{- end -}}

{{/* Where the pods run: fail2ban's node. */}}
{{- define "bangui.placement" -}}
{{- with (merge (dict) .Values.nodeSelector .Values.fail2ban.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (.Values.fail2ban.affinity | default .Values.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (concat .Values.tolerations .Values.fail2ban.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "bangui.podSecurityContext" -}}
{{- $ctx := deepCopy .Values.podSecurityContext -}}
{{- with .Values.fail2ban.supplementalGroups }}
{{- $_ := set $ctx "supplementalGroups" . -}}
{{- end }}
{{- toYaml $ctx -}}
{{- end -}}
