/**
 * What a proxy's policy was computed from, as tokens: compiling records each token it reads, and each catalog
 * change names the tokens it touches, so the engine recompiles exactly the proxies that read something changed.
 */
import type { ChangedObject } from '../catalog/catalog.js';
import { objectKey, type Identity } from '../catalog/model.js';
import { identityKey, type MeshIndex } from './index.js';

export interface Dependencies {
  add(token: string): void;
}

/** For a compile nobody will invalidate (compileProxyPolicy), or reads an aggregate token already covers. */
export const UNTRACKED: Dependencies = { add: () => undefined };

export const token = {
  settings: 'settings',
  pod: (podKey: string) => `pod:${podKey}`,
  servicesIn: (namespace: string) => `services:${namespace}`,
  endpoints: (serviceKey: string) => `endpoints:${serviceKey}`,
  podsOf: (identity: Identity) => `identity-pods:${identityKey(identity)}`,
  identitiesBehind: (serviceKey: string) => `service-pods:${serviceKey}`,
  targetsFrom: (identity: Identity) => `targets-from:${identityKey(identity)}`,
  targetsTo: (identity: Identity) => `targets-to:${identityKey(identity)}`,
  httpRouteGroup: (key: string) => `httproutegroup:${key}`,
  tcpRoute: (key: string) => `tcproute:${key}`,
  splitRoot: (serviceKey: string) => `split-root:${serviceKey}`,
  splitBackend: (serviceKey: string) => `split-backend:${serviceKey}`,
  upstreamSettingFor: (namespace: string, host: string) => `uts-host:${namespace}|${host}`,
  upstreamSetting: (key: string) => `uts:${key}`,
  retriesFrom: (identity: Identity) => `retries-from:${identityKey(identity)}`,
  egressesFrom: (identity: Identity) => `egresses-from:${identityKey(identity)}`,
  ingressBackendsIn: (namespace: string) => `ingress:${namespace}`,
  /** Permissive mode reads every service, endpoint, split, setting and pod: one token each instead of thousands. */
  allServices: 'services:*',
  allEndpoints: 'endpoints:*',
  allSplits: 'split:*',
  allUpstreamSettings: 'uts:*',
  allPods: 'pods:*',
};

const identityOf = (pod: { namespace: string; serviceAccount: string }): Identity => ({
  namespace: pod.namespace,
  serviceAccount: pod.serviceAccount,
});

/** The tokens a change touches; `index` must already reflect the change. */
export function tokensOfChange(change: ChangedObject, index: MeshIndex): string[] {
  const tokens: string[] = [];
  switch (change.kind) {
    case 'MeshConfig':
      return [token.settings];
    case 'Pod':
      tokens.push(token.pod(change.key), token.allPods);
      for (const pod of [change.before, change.after]) {
        if (!pod) continue;
        tokens.push(token.podsOf(identityOf(pod)));
        for (const service of index.servicesSelecting(pod.namespace, pod.labels))
          tokens.push(token.identitiesBehind(objectKey(service.namespace, service.name)));
      }
      return tokens;
    case 'Service': {
      const service = change.after ?? change.before!;
      return [token.servicesIn(service.namespace), token.identitiesBehind(change.key), token.allServices];
    }
    case 'Endpoints':
      return [token.endpoints(change.key), token.allEndpoints];
    case 'TrafficTarget':
      for (const target of [change.before, change.after]) {
        if (!target) continue;
        tokens.push(token.targetsTo(target.destination));
        for (const source of target.sources) tokens.push(token.targetsFrom(source));
      }
      return tokens;
    case 'HTTPRouteGroup':
      return [token.httpRouteGroup(change.key)];
    case 'TCPRoute':
      return [token.tcpRoute(change.key)];
    case 'TrafficSplit':
      tokens.push(token.allSplits);
      for (const split of [change.before, change.after]) {
        if (!split) continue;
        tokens.push(token.splitRoot(objectKey(split.namespace, split.rootService)));
        for (const backend of split.backends)
          tokens.push(token.splitBackend(objectKey(split.namespace, backend.service)));
      }
      return tokens;
    case 'UpstreamTrafficSetting':
      tokens.push(token.upstreamSetting(change.key), token.allUpstreamSettings);
      for (const setting of [change.before, change.after])
        if (setting) tokens.push(token.upstreamSettingFor(setting.namespace, setting.host));
      return tokens;
    case 'Retry':
      for (const retry of [change.before, change.after]) if (retry) tokens.push(token.retriesFrom(retry.source));
      return tokens;
    case 'Egress':
      for (const egress of [change.before, change.after])
        for (const source of egress?.sources ?? []) tokens.push(token.egressesFrom(source));
      return tokens;
    case 'IngressBackend':
      return [token.ingressBackendsIn((change.after ?? change.before!).namespace)];
    case 'Namespace':
    case 'ServiceAccount':
    case 'Rejection':
      // Policy reads none of these: a namespace's objects come and go as their own changes.
      return tokens;
  }
}
