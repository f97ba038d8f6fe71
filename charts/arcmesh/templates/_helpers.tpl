{{/*
The effective settings: OSM's own tree `osm`, then the older Arc tree `osm.OpenServiceMesh`, then the current Arc
tree `osm.osm` (the newer spelling wins when both name a setting). Nested maps merge key by key. Returned as
YAML; use it with `include "arcmesh.settings" . | fromYaml`.
*/}}
{{- define "arcmesh.settings" -}}
{{- $base := omit (deepCopy .Values.osm) "osm" "OpenServiceMesh" -}}
{{- $older := deepCopy (default (dict) .Values.osm.OpenServiceMesh) -}}
{{- $newer := deepCopy (default (dict) .Values.osm.osm) -}}
{{- mergeOverwrite $base $older $newer | toYaml -}}
{{- end -}}

{{/* The control plane namespace: osmNamespace if set, else the release namespace. */}}
{{- define "arcmesh.namespace" -}}
{{- $s := include "arcmesh.settings" . | fromYaml -}}
{{- default .Release.Namespace $s.osmNamespace -}}
{{- end -}}

{{- define "arcmesh.image" -}}
{{- $s := include "arcmesh.settings" . | fromYaml -}}
{{- printf "%s:%s" $s.image.repository (default .Chart.AppVersion $s.image.tag) -}}
{{- end -}}

{{/* Labels on every object the chart owns. */}}
{{- define "arcmesh.labels" -}}
app.kubernetes.io/name: openservicemesh.io
app.kubernetes.io/instance: {{ (include "arcmesh.settings" . | fromYaml).meshName }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
