/**
 * Maps a request path onto what it addresses: a discovery document or a resource (type, namespace, name,
 * subresource), following the apiserver's URL layout including the legacy `/watch/` prefix.
 */
import { pageNotFound } from './api-errors.js';
import type { ResourceRegistry, ResourceType } from './registry.js';

export interface ResourceRoute {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPrefix: boolean;
}

export type Route =
  { kind: 'groupVersionDiscovery'; group: string; version: string } | { kind: 'resource'; route: ResourceRoute };

export function routeResourcePath(segments: string[], registry: ResourceRegistry, path: string): Route | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 2) {
    [group, version, rest] = ['', segments[1]!, segments.slice(2)];
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
  } else return undefined;
  if (registry.inGroupVersion(group, version).length === 0) throw pageNotFound(path);
  if (rest.length === 0) return { kind: 'groupVersionDiscovery', group, version };

  const watchPrefix = rest[0] === 'watch';
  if (watchPrefix) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const namespaced = registry.lookup(group, version, rest[2]!);
    if (namespaced?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const [plural, name, subresource, ...extra] = rest;
  const type = plural === undefined ? undefined : registry.lookup(group, version, plural);
  if (!type || extra.length > 0) throw pageNotFound(path);
  if (subresource !== undefined && !isServedSubresource(type, subresource)) throw pageNotFound(path);
  return {
    kind: 'resource',
    route: {
      type,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(subresource !== undefined ? { subresource } : {}),
      watchPrefix,
    },
  };
}

function isServedSubresource(type: ResourceType, subresource: string): boolean {
  if (subresource === 'status') return type.subresources.status;
  if (subresource === 'scale') return type.subresources.scale !== undefined;
  // The namespace controller's finalize call; the namespace lifecycle itself runs in-process.
  if (subresource === 'finalize') return type.group === '' && type.plural === 'namespaces';
  // TokenRequest (`kubectl create token`), served by auth/token-request.ts.
  if (subresource === 'token') return type.group === '' && type.plural === 'serviceaccounts';
  // The kubelet's streams the apiserver proxies: handlers/log.ts and handlers/portforward.ts.
  if (subresource === 'log' || subresource === 'portforward') return type.group === '' && type.plural === 'pods';
  return false;
}
