{{/* Name of a release's object: <release>-busbar-<component> (cut to 63). */}}
{{- define "busbar.fullname" -}}
{{- printf "%s-busbar-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Common labels; .component names the part. */}}
{{- define "busbar.labels" -}}
app.kubernetes.io/name: busbar
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .component }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "busbar.selector" -}}
app.kubernetes.io/name: busbar
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "busbar.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* A service's configuration: files/config/<configFile> with `config` merged over it, as YAML. */}}
{{- define "busbar.config" -}}
{{- $file := .root.Files.Get (printf "files/config/%s" .spec.configFile) -}}
{{- if not $file -}}
{{- fail (printf "%s: configFile %s is not in the chart's files/config" .component .spec.configFile) -}}
{{- end -}}
{{- $base := fromYaml $file -}}
{{- $over := deepCopy (.spec.config | default dict) -}}
{{- /* an instance that lists its own devices inline does not also read the shared device file */ -}}
{{- if hasKey $over "devices" -}}{{- $_ := unset $base "devicesFile" -}}{{- end -}}
{{- toYaml (mustMergeOverwrite $base $over) -}}
{{- end -}}

{{/* Environment every Busbar container gets: site addresses as BUSBAR_<PATH> overrides. */}}
{{- define "busbar.env" -}}
- name: BUSBAR_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: BUSBAR_KAFKA__BROKERS
  value: {{ join "," .Values.kafka.brokers | quote }}
{{- range $role, $name := .Values.topics.names }}
- name: {{ printf "BUSBAR_TOPICS__%s" ($role | snakecase | upper) }}
  value: {{ $name | quote }}
{{- end }}
{{- end -}}

{{/* Name of the Secret holding the InfluxDB token. */}}
{{- define "busbar.influxSecret" -}}
{{- .Values.influx.existingSecret | default (include "busbar.fullname" (dict "root" . "component" "influx")) -}}
{{- end -}}

{{/* The probes of a container whose ops server listens on port "ops". */}}
{{- define "busbar.probes" -}}
livenessProbe:
  httpGet: { path: {{ .Values.probes.livenessPath }}, port: ops }
  initialDelaySeconds: {{ .Values.probes.initialDelaySeconds }}
  periodSeconds: {{ .Values.probes.periodSeconds }}
  failureThreshold: {{ .Values.probes.failureThreshold }}
readinessProbe:
  httpGet: { path: {{ .Values.probes.readinessPath }}, port: ops }
  periodSeconds: {{ .Values.probes.periodSeconds }}
  failureThreshold: 2
{{- end -}}

{{/* The /etc/busbar volume of a pod: its service's ConfigMap, and the maps ConfigMap with the register maps under maps/ and the device files (one per protocol, read by collector and commander) under devices/ (one projected volume). */}}
{{- define "busbar.configVolume" -}}
- name: config
  projected:
    sources:
      - configMap: { name: {{ .name }} }
      - configMap:
          name: {{ include "busbar.fullname" (dict "root" .root "component" "maps") }}
          items:
            {{- range $path, $_ := .root.Files.Glob "files/config/maps/*" }}
            - { key: {{ base $path }}, path: {{ printf "maps/%s" (base $path) }} }
            {{- end }}
            {{- range $path, $_ := .root.Files.Glob "files/config/devices/*" }}
            - { key: {{ printf "devices.%s" (base $path) }}, path: {{ printf "devices/%s" (base $path) }} }
            {{- end }}
{{- end -}}
