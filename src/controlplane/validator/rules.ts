/**
 * What the validating webhook admits: the checks OSM v1.2's pkg/validator makes (IngressBackend, Egress,
 * UpstreamTrafficSetting, TrafficTarget), with its messages, then the catalog's own reading of the object
 * (normalizeObject), so that nothing admitted is refused by the catalog afterwards. Checks that need other objects
 * are OSM's two conflict checks only (an IngressBackend's backend, an UpstreamTrafficSetting's host, already held by
 * another); a TrafficTarget naming a route not created yet is admitted, as OSM admits it, because `kubectl apply`
 * of a directory creates objects in any order.
 *
 * Where OSM's code and its intent differ, the intent is taken when it is safe: OSM v1.2 looks conflicting
 * IngressBackends up without the namespace and so never finds one, and dereferences a nil service when one
 * UpstreamTrafficSetting is checked against another of a different host (its handler panics, the API call fails).
 * Its HTTPS rule is kept as written: it asks for an AuthenticatedPrincipal source when the client certificate is
 * NOT validated, though its message says the opposite; the stricter reading would refuse manifests OSM admits.
 *
 * Kinds OSM has no validator for (HTTPRouteGroup, TrafficSplit, MeshRootCertificate, …), which the chart's webhook
 * rules send here too, are admitted when the catalog reads them well; OSM's "unknown gvk" refusal is not kept,
 * because OSM's own webhook never sends them.
 */
import { normalizeObject, isCidr, MESH_CONFIG_NAME } from '../catalog/normalize.js';
import { objectKey, type MeshSnapshot } from '../catalog/model.js';
import { envoyProtos } from '../protos/envoy.js';

export type Verdict = { allowed: true } | { allowed: false; message: string };

export interface ValidationContext {
  /** What the catalog holds now: OSM's conflict checks look into it. */
  snapshot: Pick<MeshSnapshot, 'ingressBackends' | 'upstreamTrafficSettings' | 'osmNamespace'>;
  trustDomain: string;
}

export interface ReviewedObject {
  /** request.kind: which validator runs. */
  group: string;
  version: string;
  kind: string;
  /** request.object, the object as it would be stored. */
  object: unknown;
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
/** Go's json into a string field reads a missing value as "". */
const asString = (value: unknown): string => (typeof value === 'string' ? value : '');
const asNumber = (value: unknown): number => (typeof value === 'number' ? value : 0);

const POLICY_GROUP_VERSION = 'policy.openservicemesh.io/v1alpha1';
const SMI_SPECS_GROUP_VERSION = 'specs.smi-spec.io/v1alpha4';

const deny = (message: string): Verdict => ({ allowed: false, message });
const ALLOW: Verdict = { allowed: true };

// --- OSM's validators: each returns the first problem, as OSM's return on the first error ---

function ingressBackendProblem(object: Json, context: ValidationContext): string | undefined {
  const metadata = asObject(object.metadata);
  const namespace = asString(metadata.namespace);
  const name = asString(metadata.name);
  const spec = asObject(object.spec);
  const sources = asArray(spec.sources).map(asObject);
  const seen = new Set<string>();
  const conflicting = new Set<string>();
  let conflicts = '';
  const others = [...context.snapshot.ingressBackends.values()]
    .filter((other) => other.namespace === namespace && other.name !== name)
    .sort((a, b) => a.name.localeCompare(b.name));
  const backends = asArray(spec.backends).map(asObject);
  for (const backend of backends) {
    const backendName = asString(backend.name);
    const port = asObject(backend.port);
    const portNumber = asNumber(port.number);
    const id = `${backendName}\u0000${portNumber}`;
    if (seen.has(id)) return `Duplicate backends detected with service name: ${backendName} and port: ${portNumber}`;
    seen.add(id);

    const holder = others.find((other) =>
      other.backends.some((held) => held.name === backendName && held.port.number === portNumber),
    );
    if (holder) {
      // As OSM: a backend of an IngressBackend already reported on is not checked further.
      if (conflicting.has(holder.name)) continue;
      conflicting.add(holder.name);
      conflicts += `[+] IngressBackend ${namespace}/${name} conflicts with ${namespace}/${holder.name}:\n`;
      for (const shared of backends) {
        const sharedName = asString(shared.name);
        const sharedPort = asNumber(asObject(shared.port).number);
        if (holder.backends.some((held) => held.name === sharedName && held.port.number === sharedPort))
          conflicts += `Backend ${sharedName} specified in ${name} and ${holder.name} conflicts\n`;
      }
      conflicts += '\n';
    }

    const protocol = asString(port.protocol);
    switch (protocol.toLowerCase()) {
      case 'http':
        break;
      case 'https': {
        const authenticated = sources.some((source) => source.kind === 'AuthenticatedPrincipal');
        if (asObject(backend.tls).skipClientCertValidation === true && !authenticated)
          return "HTTPS ingress with client certificate validation enabled must specify at least one 'AuthenticatedPrincipal` source";
        break;
      }
      default:
        return `Expected 'port.protocol' to be 'http' or 'https', got: ${protocol}`;
    }
  }
  if (conflicts !== '') return `duplicate backends detected\n${conflicts}`;

  for (const source of sources) {
    const kind = asString(source.kind);
    const sourceName = asString(source.name);
    switch (kind) {
      case 'Service':
        if (sourceName === '') return "'source.name' not specified for source kind Service";
        if (asString(source.namespace) === '') return "'source.namespace' not specified for source kind Service";
        break;
      case 'AuthenticatedPrincipal':
        if (sourceName === '') return "'source.name' not specified for source kind AuthenticatedPrincipal";
        break;
      case 'IPRange':
        if (!isCidr(sourceName))
          return `Invalid 'source.name' value specified for IPRange. Expected CIDR notation 'a.b.c.d/x', got '${sourceName}'`;
        break;
      default:
        return "Invalid 'source.kind' value specified. Must be one of: Service, AuthenticatedPrincipal, IPRange";
    }
  }
  return undefined;
}

function egressProblem(object: Json): string | undefined {
  let upstreamTrafficSettings = 0;
  for (const match of asArray(asObject(object.spec).matches).map(asObject)) {
    const apiGroup = asString(match.apiGroup);
    const kind = asString(match.kind);
    const name = asString(match.name);
    if (apiGroup === SMI_SPECS_GROUP_VERSION) {
      if (kind !== 'HTTPRouteGroup')
        return `Expected 'matches.kind' for match '${name}' to be 'HTTPRouteGroup', got: ${kind}`;
    } else if (apiGroup === POLICY_GROUP_VERSION) {
      if (kind !== 'UpstreamTrafficSetting')
        return `Expected 'matches.kind' for match '${name}' to be 'UpstreamTrafficSetting', got: ${kind}`;
      upstreamTrafficSettings++;
    } else {
      return `Expected 'matches.apiGroup' to be one of [${SMI_SPECS_GROUP_VERSION} ${POLICY_GROUP_VERSION}], got: ${apiGroup}`;
    }
  }
  if (upstreamTrafficSettings > 1) return 'Cannot have more than 1 UpstreamTrafficSetting match';
  return undefined;
}

let envoyStatusCodes: ReadonlySet<number> | undefined;
/** Envoy's envoy.type.v3.StatusCode values, 0 (`Empty`, what an absent code reads as) included. */
function isEnvoyStatusCode(code: number): boolean {
  envoyStatusCodes ??= new Set(Object.values(envoyProtos().lookupEnum('envoy.type.v3.StatusCode').values));
  return envoyStatusCodes.has(code);
}

const statusCodeProblem = (code: number) =>
  `Invalid responseStatusCode ${code}. See https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/v3/http_status.proto#enum-type-v3-statuscode for allowed values`;

function upstreamTrafficSettingProblem(object: Json, context: ValidationContext): string | undefined {
  const metadata = asObject(object.metadata);
  const namespace = asString(metadata.namespace);
  const name = asString(metadata.name);
  const spec = asObject(object.spec);
  const host = asString(spec.host);
  // Go's %q of the value, as field.Invalid prints it.
  if (host.split('.').length < 2)
    return `spec.host: Invalid value: ${JSON.stringify(host)}: invalid FQDN specified as host`;
  const holder = [...context.snapshot.upstreamTrafficSettings.values()].find(
    (other) => other.host === host && objectKey(other.namespace, other.name) !== objectKey(namespace, name),
  );
  if (holder)
    return `UpstreamTrafficSetting ${namespace}/${name} conflicts with ${holder.namespace}/${holder.name} since they have the same host ${host}`;
  const http = asObject(asObject(asObject(spec.rateLimit).local).http);
  if (Object.keys(http).length > 0 && !isEnvoyStatusCode(asNumber(http.responseStatusCode)))
    return statusCodeProblem(asNumber(http.responseStatusCode));
  for (const route of asArray(spec.httpRoutes).map(asObject)) {
    const local = asObject(asObject(route.rateLimit).local);
    if (Object.keys(local).length > 0 && !isEnvoyStatusCode(asNumber(local.responseStatusCode)))
      return statusCodeProblem(asNumber(local.responseStatusCode));
  }
  return undefined;
}

function trafficTargetProblem(object: Json): string | undefined {
  const namespace = asString(asObject(object.metadata).namespace);
  const destination = asString(asObject(asObject(object.spec).destination).namespace);
  if (destination !== namespace)
    return `The traffic target namespace (${namespace}) must match spec.Destination.Namespace (${destination})`;
  return undefined;
}

const OSM_VALIDATORS: Readonly<Record<string, (object: Json, context: ValidationContext) => string | undefined>> = {
  'policy.openservicemesh.io/v1alpha1/IngressBackend': ingressBackendProblem,
  'policy.openservicemesh.io/v1alpha1/Egress': egressProblem,
  'policy.openservicemesh.io/v1alpha1/UpstreamTrafficSetting': upstreamTrafficSettingProblem,
  'access.smi-spec.io/v1alpha3/TrafficTarget': trafficTargetProblem,
};

/** Whether the webhook admits `reviewed`, and if not, why, in the words OSM or the catalog would use. */
export function validateObject(reviewed: ReviewedObject, context: ValidationContext): Verdict {
  const object = asObject(reviewed.object);
  const osmProblem = OSM_VALIDATORS[`${reviewed.group}/${reviewed.version}/${reviewed.kind}`]?.(object, context);
  if (osmProblem !== undefined) return deny(osmProblem);

  // Another MeshConfig than the mesh's is not read by the catalog, so it has nothing to say about it.
  const metadata = asObject(object.metadata);
  if (
    reviewed.kind === 'MeshConfig' &&
    objectKey(asString(metadata.namespace), asString(metadata.name)) !==
      objectKey(context.snapshot.osmNamespace, MESH_CONFIG_NAME)
  )
    return ALLOW;
  const normalized = normalizeObject(object, { trustDomain: context.trustDomain });
  if (normalized.kind !== 'Ignored' && normalized.rejection) return deny(normalized.rejection.reason);
  return ALLOW;
}
