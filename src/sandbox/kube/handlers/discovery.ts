/** Legacy discovery documents (`/api`, `/apis`, group-version resource lists) and `/version`. */
import { storageKey, type ResourceRegistry, type ResourceType } from '../registry.js';
import { createHash } from 'node:crypto';

export const KUBERNETES_VERSION = { major: '1', minor: '34', gitVersion: 'v1.34.0' };

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function versionDocument(): Record<string, string> {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: 'arcmesh-sandbox',
    gitTreeState: 'clean',
    buildDate: '2025-08-27T00:00:00Z',
    goVersion: 'go1.24.6',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export function coreVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDocument(registry: ResourceRegistry, group: string) {
  const versions = registry.groupVersions().find((entry) => entry.group === group)?.versions ?? [];
  const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: entries, preferredVersion: entries[0] };
}

export function apiGroupList(registry: ResourceRegistry): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry
      .groupVersions()
      .filter(({ group }) => group !== '')
      .map(({ group }) => groupDocument(registry, group)),
  };
}

export function apiGroup(registry: ResourceRegistry, group: string): Record<string, unknown> {
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(registry, group) };
}

/** A short stable hash of the storage key, as clients use `storageVersionHash` only for equality. */
const storageVersionHash = (type: ResourceType): string =>
  createHash('sha256')
    .update(`${storageKey(type)}/${type.storageVersion}`)
    .digest('base64')
    .slice(0, 11);

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> {
  const resources = registry.inGroupVersion(group, version).flatMap((type) => {
    const main = {
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: type.verbs ?? VERBS,
      ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
      ...(type.categories.length > 0 ? { categories: type.categories } : {}),
      storageVersionHash: storageVersionHash(type),
    };
    const subresources = [];
    if (type.subresources.status)
      subresources.push({
        name: `${type.plural}/status`,
        singularName: '',
        namespaced: type.namespaced,
        kind: type.kind,
        verbs: ['get', 'patch', 'update'],
      });
    if (type.subresources.scale)
      subresources.push({
        name: `${type.plural}/scale`,
        singularName: '',
        namespaced: type.namespaced,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      });
    return [main, ...subresources];
  });
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether the client asked for aggregated discovery (v2), which answers all of `/api` or `/apis` in one document. */
export function acceptsAggregatedDiscovery(accept: string | undefined): boolean {
  return accept !== undefined && /g=apidiscovery\.k8s\.io;\s*v=v2;\s*as=APIGroupDiscoveryList/.test(accept);
}

function resourceDiscovery(type: ResourceType) {
  const subresources = [];
  if (type.subresources.status)
    subresources.push({
      subresource: 'status',
      responseKind: { group: type.group, version: type.version, kind: type.kind },
      verbs: ['get', 'patch', 'update'],
    });
  if (type.subresources.scale)
    subresources.push({
      subresource: 'scale',
      responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      verbs: ['get', 'patch', 'update'],
    });
  return {
    resource: type.plural,
    responseKind: { group: type.group, version: type.version, kind: type.kind },
    scope: type.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: type.singular,
    verbs: type.verbs ?? VERBS,
    ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length > 0 ? { categories: type.categories } : {}),
    ...(subresources.length > 0 ? { subresources } : {}),
  };
}

/** The aggregated discovery document of the core group (`/api`) or of all named groups (`/apis`). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean): Record<string, unknown> {
  const items = registry
    .groupVersions()
    .filter(({ group }) => (group === '') === core)
    .map(({ group, versions }) => ({
      metadata: core ? {} : { name: group },
      versions: versions.map((version) => ({
        version,
        resources: registry.inGroupVersion(group, version).map(resourceDiscovery),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
