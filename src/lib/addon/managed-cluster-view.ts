/**
 * A managed cluster as az prints it (`az aks enable-addons`, `disable-addons`, `show`): every attribute of the
 * SDK model present, null when ARM left it out (`"aadProfile": null`, a disabled add-on's `"identity": null`),
 * under the names az's Python models give them (`diskEncryptionSetId`, `resourceUid`, `dnsServiceIp`).
 * `resourceGroup` and the datetimes are the output path's, as for every resource (../output/az-result.ts).
 */
import type { ManagedCluster } from '@azure/arm-containerservice';

/**
 * Members whose keys are data (add-on names, tags, labels, identity resource ids), not model attributes: their
 * keys stay as ARM sent them. These are the `Record<string, …>` members of the container service models.
 */
const MAP_MEMBERS = new Set([
  'addonProfiles',
  'annotations',
  'config',
  'delegatedResources',
  'identityProfile',
  'kubeDNSOverrides',
  'labels',
  'nodeLabels',
  'patchVersions',
  'podLabels',
  'tags',
  'userAssignedIdentities',
  'vnetDNSOverrides',
]);

/**
 * The name az prints for a model attribute: the Python SDK's snake_case of the wire name (autorest's rule, under
 * which `effectiveOutboundIPs` becomes `effective_outbound_i_ps`), camel-cased back by az's `todict`.
 */
export function pythonAttributeName(name: string): string {
  const snake = name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return snake.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

const isModel = (value: unknown): value is Record<string, unknown> =>
  Boolean(value) && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);

/**
 * The SDK's deserializers give a model every attribute it knows, undefined when ARM sent none; az's model prints
 * those as null.
 */
function azModel(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(azModel);
  if (!isModel(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, member]) => [
      pythonAttributeName(name),
      MAP_MEMBERS.has(name) ? azMap(member) : azModel(member),
    ]),
  );
}

function azMap(value: unknown): unknown {
  if (!isModel(value)) return azModel(value);
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, azModel(member)]));
}

export function managedClusterView(cluster: ManagedCluster): Record<string, unknown> {
  return azModel(cluster) as Record<string, unknown>;
}
