/**
 * The proof every emitted Envoy resource goes through in the tests: Envoy's schema (an encode → decode round trip
 * that must give the same object back, and the protos' validate.rules), and the consistency go-control-plane's
 * snapshot cache checks before it serves a snapshot.
 */
import type { EnvoyResources } from '../../src/controlplane/envoy/emit.js';
import type { ProtoObject, TypedProtoObject } from '../../src/controlplane/protos/envoy.js';
import { assertValidEnvoyResource } from '../../src/controlplane/protos/validate.js';

export function allResources(resources: EnvoyResources): TypedProtoObject[] {
  return [
    ...resources.listeners,
    ...resources.clusters,
    ...resources.routeConfigurations,
    ...resources.clusterLoadAssignments,
    ...resources.secrets,
  ];
}

/** Throws, naming the resource and every problem, unless each resource would reach Envoy as built. */
export function assertValidResources(resources: EnvoyResources): void {
  for (const resource of allResources(resources)) assertValidEnvoyResource(resource);
}

/**
 * What would leave Envoy waiting: an EDS cluster without its ClusterLoadAssignment, an RDS name a listener asks for
 * without its RouteConfiguration, an SDS secret a TLS context names that is not among the secrets.
 */
export function inconsistencies(resources: EnvoyResources): string[] {
  const problems: string[] = [];
  const assignments = new Set(resources.clusterLoadAssignments.map((assignment) => assignment.cluster_name));
  for (const cluster of resources.clusters) {
    if (cluster.type === 'EDS' && !assignments.has(cluster.name)) {
      problems.push(`EDS cluster ${String(cluster.name)} has no ClusterLoadAssignment`);
    }
  }
  const routes = new Set(resources.routeConfigurations.map((route) => route.name));
  for (const name of collect(resources.listeners, 'route_config_name')) {
    if (!routes.has(name)) problems.push(`RDS ${name} is referenced by a listener but has no RouteConfiguration`);
  }
  const secrets = new Set(resources.secrets.map((secret) => secret.name));
  const sdsNames = [
    ...collect([...resources.listeners, ...resources.clusters], 'tls_certificate_sds_secret_configs'),
    ...collect([...resources.listeners, ...resources.clusters], 'validation_context_sds_secret_config'),
  ];
  for (const name of sdsNames) {
    if (!secrets.has(name)) problems.push(`SDS secret ${name} is referenced by a TLS context but not emitted`);
  }
  return problems;
}

/** Every name under `key` anywhere in the resources: a string value, an SDS config's name, or a list of them. */
function collect(resources: readonly ProtoObject[], key: string): string[] {
  const found: string[] = [];
  const nameOf = (value: unknown) => {
    if (typeof value === 'string') found.push(value);
    else if (value && typeof value === 'object' && typeof (value as ProtoObject).name === 'string') {
      found.push((value as ProtoObject).name as string);
    }
  };
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value && typeof value === 'object') {
      for (const [field, child] of Object.entries(value)) {
        if (field === key) (Array.isArray(child) ? child : [child]).forEach(nameOf);
        else walk(child);
      }
    }
  };
  resources.forEach(walk);
  return found;
}

/** The one item of `items` called `name` (by `name`, or `cluster_name` for an assignment); throws if absent. */
export function named(items: unknown, name: string): ProtoObject {
  const list = (items as ProtoObject[] | undefined) ?? [];
  const found = list.find((item) => item.name === name || item.cluster_name === name);
  if (!found) throw new Error(`nothing named ${name} among ${JSON.stringify(list.map((item) => item.name))}`);
  return found;
}
