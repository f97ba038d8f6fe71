/**
 * Seed 001's monitoring steps against the Kubernetes sandbox: onboard the namespaces, `metrics enable` (the
 * namespace annotation and the meshed pods' scrape annotations), then the Azure Monitor ConfigMap
 * kube-system/container-azm-ms-osmconfig written, merged and read back in the agent's format.
 */
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPod, startMeshCluster, type MeshCluster } from '../helpers/mesh-cluster.js';

let cluster: MeshCluster;
const BOOK_NAMESPACES = ['bookstore', 'bookbuyer', 'bookthief', 'bookwarehouse'];

beforeAll(async () => {
  cluster = await startMeshCluster();
  for (const ns of [...BOOK_NAMESPACES, 'outside']) await cluster.kubectlOk(['create', 'namespace', ns]);
  await cluster.kubectlOk(['apply', '-f', '-'], appPod('bookstore', 'bookstore', 'bookstore-meshed', true));
  await cluster.kubectlOk(['apply', '-f', '-'], appPod('bookstore', 'bookstore', 'bookstore-plain', false));
  const added = await cluster.arcmesh(['namespace', 'add', ...BOOK_NAMESPACES]);
  expect(added.code).toBe(0);
});
afterAll(async () => {
  await cluster?.close();
});

const podAnnotations = async (name: string) =>
  (
    JSON.parse(await cluster.kubectlOk(['get', 'pod', name, '-n', 'bookstore', '-o', 'json'])) as {
      metadata: { annotations?: Record<string, string> };
    }
  ).metadata.annotations ?? {};

describe('metrics enable / disable', () => {
  it('annotates the namespaces and the meshed pods as osm does', async () => {
    const result = await cluster.arcmesh(['metrics', 'enable', '--namespace', 'bookstore, bookbuyer']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'Metrics successfully enabled in namespace [bookstore]\nMetrics successfully enabled in namespace [bookbuyer]\n',
    );
    expect(result.json()).toEqual([
      {
        namespace: 'bookstore',
        metrics: 'enabled',
        pods: ['bookstore-meshed'],
        message: 'Metrics successfully enabled in namespace [bookstore]',
      },
      {
        namespace: 'bookbuyer',
        metrics: 'enabled',
        pods: [],
        message: 'Metrics successfully enabled in namespace [bookbuyer]',
      },
    ]);
    const ns = JSON.parse(await cluster.kubectlOk(['get', 'namespace', 'bookstore', '-o', 'json'])) as {
      metadata: { annotations: Record<string, string> };
    };
    expect(ns.metadata.annotations['openservicemesh.io/metrics']).toBe('enabled');
    expect(await podAnnotations('bookstore-meshed')).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '15010',
      'prometheus.io/path': '/stats/prometheus',
    });
    expect(await podAnnotations('bookstore-plain')).not.toHaveProperty('prometheus.io/scrape');

    await cluster.arcmesh(['metrics', 'enable', '--namespace', 'bookthief', '--namespace', 'bookwarehouse']);
  });

  it("refuses a namespace outside the mesh with osm's message, and a missing one with exit 3, changing nothing", async () => {
    const outside = await cluster.arcmesh(['metrics', 'enable', '--namespace', 'bookstore,outside']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain(
      'Namespace [outside] does not belong to a mesh, missing annotation "openservicemesh.io/monitored-by"',
    );
    const missing = await cluster.arcmesh(['metrics', 'enable', '--namespace', 'ghost']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('Failed to retrieve namespace [ghost]: namespaces "ghost" not found');
  });

  it("disables: removes the namespace annotation and the pods' scrape annotations", async () => {
    const result = await cluster.arcmesh(['metrics', 'disable', '--namespace', 'bookstore']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Metrics successfully disabled in namespace [bookstore]\n');
    expect(Object.keys(await podAnnotations('bookstore-meshed')).filter((k) => k.startsWith('prometheus.io/'))).toEqual(
      [],
    );
    await cluster.arcmesh(['metrics', 'enable', '--namespace', 'bookstore']);
  });
});

interface MonitorView {
  schemaVersion: string;
  configVersion: string;
  changed: boolean;
  monitorNamespaces: { namespace: string; exists: boolean; mesh: string | null; metricsEnabled: boolean }[];
}

const configMapData = async () =>
  (
    JSON.parse(
      await cluster.kubectlOk(['get', 'configmap', 'container-azm-ms-osmconfig', '-n', 'kube-system', '-o', 'json']),
    ) as { data: Record<string, string> }
  ).data;

describe('monitor configure / show', () => {
  it('says there is no configuration before the first configure', async () => {
    const result = await cluster.arcmesh(['monitor', 'show']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('arcmesh monitor configure --namespaces');
  });

  it("writes the agent's ConfigMap, then merges more namespaces and bumps config-version", async () => {
    const first = await cluster.arcmesh(['monitor', 'configure', '--namespaces', 'bookstore,bookbuyer']);
    expect(first.code).toBe(0);
    expect(first.json<MonitorView>()).toMatchObject({ schemaVersion: 'v1', configVersion: 'ver1', changed: true });
    const data = await configMapData();
    expect(data['schema-version']).toBe('v1');
    expect(data['config-version']).toBe('ver1');
    expect(data['osm-metric-collection-configuration']).toBe(
      [
        '# OSM metric collection settings',
        '[osm_metric_collection_configuration.settings]',
        '    # Namespaces to monitor',
        '    # monitor_namespaces = ["namespace1", "namespace2"]',
        '    monitor_namespaces = ["bookstore", "bookbuyer"]',
      ].join('\n'),
    );

    const second = await cluster.arcmesh(['monitor', 'configure', '--namespaces', 'bookbuyer,bookthief,bookwarehouse']);
    expect(second.json<MonitorView>().configVersion).toBe('ver2');
    const toml = parseToml((await configMapData())['osm-metric-collection-configuration']!) as {
      osm_metric_collection_configuration: { settings: { monitor_namespaces: string[] } };
    };
    expect(toml.osm_metric_collection_configuration.settings.monitor_namespaces).toEqual(BOOK_NAMESPACES);

    const same = await cluster.arcmesh(['monitor', 'configure', '--namespaces', 'bookstore']);
    expect(same.json<MonitorView>()).toMatchObject({ configVersion: 'ver2', changed: false });
    expect(same.stderr).toContain('nothing was changed');

    const shown = await cluster.arcmesh(['monitor', 'show']);
    expect(shown.json<MonitorView>().monitorNamespaces).toEqual(
      BOOK_NAMESPACES.map((namespace) => ({ namespace, exists: true, mesh: 'osm', metricsEnabled: true })),
    );
    const table = await cluster.arcmesh(['monitor', 'show', '-o', 'table']);
    expect(table.stdout).toMatch(/bookwarehouse\s+True\s+osm\s+enabled\s+ver2/);
  });

  it('refuses namespaces outside the mesh unless --force, and warns about namespaces without metrics', async () => {
    const refused = await cluster.arcmesh(['monitor', 'configure', '--namespaces', 'outside']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Namespace [outside] does not belong to a mesh');
    const missing = await cluster.arcmesh(['monitor', 'configure', '--namespaces', 'later']);
    expect(missing.code).toBe(3);
    expect((await configMapData())['config-version']).toBe('ver2');

    const forced = await cluster.arcmesh(['monitor', 'configure', '--namespaces', 'outside,later', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('arcmesh metrics enable --namespace outside');
    expect(forced.json<MonitorView>().configVersion).toBe('ver3');
  });

  it('keeps an applied ConfigMap in the docs layout, its comments and other keys', async () => {
    await cluster.kubectlOk(['delete', 'configmap', 'container-azm-ms-osmconfig', '-n', 'kube-system']);
    await cluster.kubectlOk(
      ['apply', '-f', '-'],
      `kind: ConfigMap
apiVersion: v1
data:
  schema-version:
    #string.used by agent to parse OSM config. supported versions are {v1}.
    v1
  config-version:
    #string.used by OSM addon team to keep track of this config file's version
    ver1
  osm-metric-collection-configuration: |-
    [osm_metric_collection_configuration]
      [osm_metric_collection_configuration.settings]
          # keep this comment
          monitor_namespaces = ["myappnamespace"]
metadata:
  name: container-azm-ms-osmconfig
  namespace: kube-system
`,
    );
    const result = await cluster.arcmesh(['monitor', 'configure', '--namespaces', 'bookstore']);
    expect(result.code).toBe(0);
    const data = await configMapData();
    expect(data['config-version']).toBe('ver2');
    expect(data['osm-metric-collection-configuration']).toBe(
      [
        '[osm_metric_collection_configuration]',
        '  [osm_metric_collection_configuration.settings]',
        '      # keep this comment',
        '      monitor_namespaces = ["myappnamespace", "bookstore"]',
      ].join('\n'),
    );
  });
});
