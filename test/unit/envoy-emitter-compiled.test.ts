import { describe, expect, it } from 'vitest';
import { snapshotFromObjects } from '../../src/controlplane/catalog/catalog.js';
import { emitEnvoyResources, type EnvoyResources } from '../../src/controlplane/envoy/emit.js';
import { compileProxyPolicy } from '../../src/controlplane/policy/compile.js';
import type { ProtoObject } from '../../src/controlplane/protos/envoy.js';
import { certificates } from '../fixtures/controlplane/policies.js';
import {
  type KubeObject,
  type ScenarioMesh,
  SEED000_MESH,
  seed000Bookstore,
  SEED003_MESH,
  seed003Canary,
  SEED004_MESH,
  seed004Ingress,
  SEED_PROXIES,
} from '../fixtures/controlplane/scenarios.js';
import { assertValidResources, inconsistencies, named } from '../helpers/envoy-proof.js';

type ProxyName = keyof typeof SEED_PROXIES;

const scenarios: [string, () => KubeObject[], ScenarioMesh, ProxyName[]][] = [
  ['seed 000 (SMI)', seed000Bookstore, SEED000_MESH, ['bookbuyer', 'bookstore', 'bookthief']],
  ['seed 003 canary (SMI)', () => seed003Canary(), SEED003_MESH, ['canaryFrontend', 'canaryApiV1', 'canaryApiV2']],
  [
    'seed 003 canary (permissive)',
    () => seed003Canary({ permissive: true }),
    SEED003_MESH,
    ['canaryFrontend', 'canaryApiV1', 'canaryApiV2'],
  ],
  ['seed 004 (permissive, IngressBackend, Egress)', seed004Ingress, SEED004_MESH, ['helloworld', 'helloworld2']],
];

/** Scenario objects → catalog snapshot → policy compiler → emitter, for one proxy. */
function emitFor(objects: () => KubeObject[], mesh: ScenarioMesh, proxy: ProxyName): EnvoyResources {
  const policy = compileProxyPolicy(snapshotFromObjects(objects(), mesh), SEED_PROXIES[proxy]);
  return emitEnvoyResources(policy, certificates);
}

const chainNames = (listener: ProtoObject) => ((listener.filter_chains as ProtoObject[]) ?? []).map((c) => c.name);

describe('scenario → compile → emit: every resource passes Envoy’s schema and the set is consistent', () => {
  const cases = scenarios.flatMap(([scenario, objects, mesh, proxies]) =>
    proxies.map((proxy) => [`${scenario}: ${proxy}`, objects, mesh, proxy] as const),
  );
  it.each(cases)('%s', (_name, objects, mesh, proxy) => {
    const resources = emitFor(objects, mesh, proxy);
    assertValidResources(resources);
    expect(inconsistencies(resources)).toEqual([]);
  });
});

describe('scenario → compile → emit: what the seeds show', () => {
  it('seed 000: bookbuyer reaches bookstore:14001; bookthief, without a TrafficTarget, gets no chain for it', () => {
    const bookbuyer = emitFor(seed000Bookstore, SEED000_MESH, 'bookbuyer');
    expect(chainNames(named(bookbuyer.listeners, 'outbound-listener'))).toContain(
      'outbound_bookstore/bookstore_14001_http',
    );
    expect(bookbuyer.clusters.map((cluster) => cluster.name)).toContain('bookstore/bookstore|14001');
    const bookthief = emitFor(seed000Bookstore, SEED000_MESH, 'bookthief');
    expect(bookthief.listeners.flatMap(chainNames)).not.toContain('outbound_bookstore/bookstore_14001_http');
  });

  it('seed 000: bookstore’s inbound chain has l4_rbac for the TrafficTarget and routes only bookbuyer may use', () => {
    const bookstore = emitFor(seed000Bookstore, SEED000_MESH, 'bookstore');
    const chain = named(
      named(bookstore.listeners, 'inbound-listener').filter_chains,
      'inbound_bookstore/bookstore_14001_http',
    );
    const rbac = named(chain.filters, 'l4_rbac').typed_config as { rules: { policies: Record<string, unknown> } };
    expect(Object.keys(rbac.rules.policies)).toEqual(['bookstore/bookbuyer-access-bookstore-v1']);
    const [vhost] = named(bookstore.routeConfigurations, 'rds-inbound.14001').virtual_hosts as ProtoObject[];
    const principals = (vhost?.routes as ProtoObject[]).map((route) =>
      JSON.stringify((route.typed_per_filter_config as ProtoObject)['envoy.filters.http.rbac']),
    );
    expect(principals.length).toBeGreaterThan(0);
    for (const principal of principals) expect(principal).toContain('"exact":"bookbuyer.bookbuyer.cluster.local"');
  });

  it('seed 003 (permissive): frontend’s route for the root api splits 90/10 over api-v1 and api-v2', () => {
    const frontend = emitFor(() => seed003Canary({ permissive: true }), SEED003_MESH, 'canaryFrontend');
    const root = named(
      named(frontend.routeConfigurations, 'rds-outbound.80').virtual_hosts,
      'outbound_virtual-host|api.osm-canary-deployment-sample-app.svc.cluster.local',
    );
    const [route] = root.routes as ProtoObject[];
    const weighted = (route?.route as ProtoObject).weighted_clusters as {
      clusters: { name: string; weight: { value: number } }[];
    };
    expect(weighted.clusters.map(({ name, weight }) => [name.split('/')[1], weight.value])).toEqual([
      ['api-v1|80', 90],
      ['api-v2|80', 10],
    ]);
  });

  it('seed 004: aks-helloworld takes NGINX over https with a client certificate, on rds-ingress', () => {
    const helloworld = emitFor(seed004Ingress, SEED004_MESH, 'helloworld');
    const inbound = named(helloworld.listeners, 'inbound-listener');
    const ingress = named(inbound.filter_chains, 'ingress_sample1/aks-helloworld-svc_80_https');
    expect(ingress.filter_chain_match).toMatchObject({ destination_port: { value: 80 }, transport_protocol: 'tls' });
    expect((ingress.transport_socket as { typed_config: ProtoObject }).typed_config.require_client_certificate).toEqual(
      {
        value: true,
      },
    );
    expect(JSON.stringify(named(helloworld.routeConfigurations, 'rds-ingress'))).toContain(
      '"exact":"nginx.app-routing-system.cluster.local"',
    );
  });

  it('seed 004: sample2’s Egress policies become egress chains and clusters', () => {
    const helloworld2 = emitFor(seed004Ingress, SEED004_MESH, 'helloworld2');
    const outbound = named(helloworld2.listeners, 'outbound-listener');
    expect(chainNames(outbound)).toEqual(
      expect.arrayContaining(['egress-http.80', 'egress-https.443', 'egress-tcp.3306']),
    );
    expect(helloworld2.clusters.map((cluster) => cluster.name)).toEqual(
      expect.arrayContaining(['httpbin.org:80', '443', '3306']),
    );
    expect(helloworld2.routeConfigurations.map((config) => config.name)).toContain('rds-egress.80');
  });
});
