/**
 * The `osm-init` container's traffic interception: OSM v1.2's nat-table rules (pkg/injector/iptables.go), fed by the
 * MeshConfig lists merged with the pod's exclusion/inclusion annotations (pkg/injector/exclusions.go). The script is
 * the container's contract with the pod network, so its text is reproduced rule for rule.
 */
import { isIPv4, isIPv6 } from 'node:net';
import {
  ENVOY_ADMIN_PORT,
  ENVOY_INBOUND_PORT,
  ENVOY_OUTBOUND_PORT,
  ENVOY_PROMETHEUS_PORT,
  ENVOY_UID,
  HEALTHCHECK_PORT,
  LIVENESS_PROBE_PORT,
  READINESS_PROBE_PORT,
  STARTUP_PROBE_PORT,
} from './constants.js';

export const OUTBOUND_PORT_EXCLUSION_ANNOTATION = 'openservicemesh.io/outbound-port-exclusion-list';
export const INBOUND_PORT_EXCLUSION_ANNOTATION = 'openservicemesh.io/inbound-port-exclusion-list';
export const OUTBOUND_IP_RANGE_EXCLUSION_ANNOTATION = 'openservicemesh.io/outbound-ip-range-exclusion-list';
export const OUTBOUND_IP_RANGE_INCLUSION_ANNOTATION = 'openservicemesh.io/outbound-ip-range-inclusion-list';

export type LocalProxyMode = 'Localhost' | 'PodIP';

/** MeshConfig spec.traffic's interception lists (all empty in the chart's preset). */
export interface TrafficInterceptionSettings {
  outboundIPRangeExclusionList: readonly string[];
  outboundIPRangeInclusionList: readonly string[];
  outboundPortExclusionList: readonly number[];
  inboundPortExclusionList: readonly number[];
  networkInterfaceExclusionList: readonly string[];
}

export interface InterceptionRules extends TrafficInterceptionSettings {
  localProxyMode: LocalProxyMode;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function splitList(value: string): string[] {
  return value.split(',').map((item) => item.trim());
}

/** Like Go's strconv.Atoi followed by OSM's `> 0` check: an optional sign, decimal digits, no upper bound. */
function parsePositiveInteger(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** Like Go's net.ParseCIDR: an IPv4 or IPv6 address, a slash, and a decimal prefix length within the family's bits. */
function isCidr(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  const address = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return false;
  const bits = isIPv4(address) ? 32 : isIPv6(address) && !address.includes('%') ? 128 : 0;
  return bits > 0 && Number(prefix) <= bits;
}

export function portListFromAnnotation(annotations: Record<string, string> | undefined, key: string): Parsed<number[]> {
  const raw = annotations?.[key];
  if (raw === undefined) return { ok: true, value: [] };
  const ports: number[] = [];
  for (const item of splitList(raw)) {
    const port = parsePositiveInteger(item);
    if (port === undefined)
      return { ok: false, message: `Invalid port value '${item}' specified for annotation '${key}'` };
    ports.push(port);
  }
  return { ok: true, value: ports };
}

export function ipRangeListFromAnnotation(
  annotations: Record<string, string> | undefined,
  key: string,
): Parsed<string[]> {
  const raw = annotations?.[key];
  if (raw === undefined) return { ok: true, value: [] };
  const ranges: string[] = [];
  for (const item of splitList(raw)) {
    if (!isCidr(item)) return { ok: false, message: `Invalid IP range '${item}' specified for annotation '${key}'` };
    ranges.push(item);
  }
  return { ok: true, value: ranges };
}

function mergeUnique<T>(first: readonly T[], second: readonly T[]): T[] {
  return [...new Set([...first, ...second])];
}

/**
 * The lists osm-init applies to this pod: ports are MeshConfig first then pod, IP ranges pod first then MeshConfig
 * (OSM's merge order), each deduplicated. Only pod annotations count; a bad value denies the pod.
 */
export function interceptionForPod(
  settings: TrafficInterceptionSettings,
  podAnnotations: Record<string, string> | undefined,
): Parsed<TrafficInterceptionSettings> {
  const outboundPorts = portListFromAnnotation(podAnnotations, OUTBOUND_PORT_EXCLUSION_ANNOTATION);
  if (!outboundPorts.ok) return outboundPorts;
  const inboundPorts = portListFromAnnotation(podAnnotations, INBOUND_PORT_EXCLUSION_ANNOTATION);
  if (!inboundPorts.ok) return inboundPorts;
  const excludedRanges = ipRangeListFromAnnotation(podAnnotations, OUTBOUND_IP_RANGE_EXCLUSION_ANNOTATION);
  if (!excludedRanges.ok) return excludedRanges;
  const includedRanges = ipRangeListFromAnnotation(podAnnotations, OUTBOUND_IP_RANGE_INCLUSION_ANNOTATION);
  if (!includedRanges.ok) return includedRanges;
  return {
    ok: true,
    value: {
      outboundPortExclusionList: mergeUnique(settings.outboundPortExclusionList, outboundPorts.value),
      inboundPortExclusionList: mergeUnique(settings.inboundPortExclusionList, inboundPorts.value),
      outboundIPRangeExclusionList: mergeUnique(excludedRanges.value, settings.outboundIPRangeExclusionList),
      outboundIPRangeInclusionList: mergeUnique(includedRanges.value, settings.outboundIPRangeInclusionList),
      networkInterfaceExclusionList: [...settings.networkInterfaceExclusionList],
    },
  };
}

function inboundRules(rules: InterceptionRules): string[] {
  const lines = [
    `-A OSM_PROXY_IN_REDIRECT -p tcp -j REDIRECT --to-port ${ENVOY_INBOUND_PORT}`,
    '-A PREROUTING -p tcp -j OSM_PROXY_INBOUND',
    // Prometheus scrapes and the probe listeners are served by Envoy (or osm-healthcheck) directly, even without probes.
    ...[ENVOY_PROMETHEUS_PORT, LIVENESS_PROBE_PORT, READINESS_PROBE_PORT, STARTUP_PROBE_PORT, HEALTHCHECK_PORT].map(
      (port) => `-A OSM_PROXY_INBOUND -p tcp --dport ${port} -j RETURN`,
    ),
    '-A OSM_PROXY_INBOUND -p tcp -j OSM_PROXY_IN_REDIRECT',
    // Inserted (-I) so they are evaluated before the catch-all redirect above.
    ...rules.networkInterfaceExclusionList.map((iface) => `-I OSM_PROXY_INBOUND -i ${iface} -j RETURN`),
  ];
  if (rules.inboundPortExclusionList.length > 0) {
    lines.push(
      `-I OSM_PROXY_INBOUND -p tcp --match multiport --dports ${rules.inboundPortExclusionList.join(',')} -j RETURN`,
    );
  }
  return lines;
}

function outboundRules(rules: InterceptionRules): string[] {
  const lines = [
    `-A OSM_PROXY_OUT_REDIRECT -p tcp -j REDIRECT --to-port ${ENVOY_OUTBOUND_PORT}`,
    // Unreachable after the terminating REDIRECT, kept because OSM emits it and the script is compared verbatim.
    `-A OSM_PROXY_OUT_REDIRECT -p tcp --dport ${ENVOY_ADMIN_PORT} -j ACCEPT`,
    '-A OUTPUT -p tcp -j OSM_PROXY_OUTBOUND',
    // Envoy calling its own pod through a Service: back through Envoy's inbound side (hairpin).
    `-A OSM_PROXY_OUTBOUND -o lo ! -d 127.0.0.1/32 -m owner --uid-owner ${ENVOY_UID} -j OSM_PROXY_IN_REDIRECT`,
    `-A OSM_PROXY_OUTBOUND -o lo -m owner ! --uid-owner ${ENVOY_UID} -j RETURN`,
    `-A OSM_PROXY_OUTBOUND -m owner --uid-owner ${ENVOY_UID} -j RETURN`,
    '-A OSM_PROXY_OUTBOUND -d 127.0.0.1/32 -j RETURN',
  ];
  if (rules.localProxyMode === 'PodIP') {
    lines.push(
      `-I OUTPUT -p tcp -o lo -d 127.0.0.1/32 -m owner --uid-owner ${ENVOY_UID} -j DNAT --to-destination $POD_IP`,
    );
  }
  lines.push(...rules.networkInterfaceExclusionList.map((iface) => `-A OSM_PROXY_OUTBOUND -o ${iface} -j RETURN`));
  lines.push(...rules.outboundIPRangeExclusionList.map((cidr) => `-A OSM_PROXY_OUTBOUND -d ${cidr} -j RETURN`));
  if (rules.outboundPortExclusionList.length > 0) {
    lines.push(
      `-A OSM_PROXY_OUTBOUND -p tcp --match multiport --dports ${rules.outboundPortExclusionList.join(',')} -j RETURN`,
    );
  }
  if (rules.outboundIPRangeInclusionList.length > 0) {
    lines.push(
      ...rules.outboundIPRangeInclusionList.map((cidr) => `-A OSM_PROXY_OUTBOUND -d ${cidr} -j OSM_PROXY_OUT_REDIRECT`),
    );
    lines.push('-A OSM_PROXY_OUTBOUND -j RETURN');
  } else {
    lines.push('-A OSM_PROXY_OUTBOUND -j OSM_PROXY_OUT_REDIRECT');
  }
  return lines;
}

/** The `sh -c` argument of osm-init: one `iptables-restore --noflush` heredoc, as OSM renders it. */
export function iptablesScript(rules: InterceptionRules): string {
  const body = [
    '# OSM sidecar interception rules',
    '*nat',
    ':OSM_PROXY_INBOUND - [0:0]',
    ':OSM_PROXY_IN_REDIRECT - [0:0]',
    ':OSM_PROXY_OUTBOUND - [0:0]',
    ':OSM_PROXY_OUT_REDIRECT - [0:0]',
    ...inboundRules(rules),
    ...outboundRules(rules),
    'COMMIT',
  ];
  return `iptables-restore --noflush <<EOF\n${body.join('\n')}\nEOF\n`;
}
