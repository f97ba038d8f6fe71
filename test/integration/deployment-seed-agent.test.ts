/**
 * Seed 001's whole ARM template path with the cluster side running: the template as the seed prints it,
 * deployed with `deployment group create`, ends with the extension Installed by the sandbox's agent, as the
 * seed's `az k8s-extension show` output shows it (installState is in the 2020-07-01-preview shape).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { armRequest } from '../../src/azure/clients.js';
import { runCli } from '../helpers/cli.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { helmPath } from '../helpers/tools.js';

const PROBE_CHART = join(import.meta.dirname, '..', 'fixtures', 'charts', 'agent-probe');
const SEED_TEMPLATE = fileURLToPath(new URL('../fixtures/seed/osm-extension-template.json', import.meta.url));
const EXTENSION =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/arcmesh-sandbox/providers/Microsoft.Kubernetes/connectedClusters/arc-cluster/providers/Microsoft.KubernetesConfiguration/extensions/osm';

let world: TestSandbox;
beforeAll(async () => {
  process.env.ARCMESH_HELM = helmPath();
  // The agent's probe chart stands in for the control plane's chart, which this test is not about.
  world = await startTestSandbox({ kube: true, chartFor: () => PROBE_CHART });
});
afterAll(() => world?.close());

test("seed 001: az deployment group create with the seed's template, then the extension shows Installed", async () => {
  const deployed = await runCli(
    [
      'deployment',
      'group',
      'create',
      '--name',
      'osm-seed',
      '--resource-group',
      'arcmesh-sandbox',
      '--template-file',
      SEED_TEMPLATE,
      '--parameters',
      'ConnectedClusterName=arc-cluster',
    ],
    { env: world.env },
  );
  expect(deployed.stderr).toBe('');
  expect(deployed.code).toBe(0);
  await world.agent!.idle();

  const shown = await armRequest<{ name: string; type: string; properties: Record<string, unknown> }>(
    await world.target(),
    {
      method: 'GET',
      path: EXTENSION,
      apiVersion: '2020-07-01-preview',
    },
  );
  expect(shown.body).toMatchObject({
    id: EXTENSION,
    name: 'osm',
    type: 'Microsoft.KubernetesConfiguration/extensions',
  });
  expect(shown.body.properties).toMatchObject({
    autoUpgradeMinorVersion: false,
    configurationSettings: {},
    extensionType: 'Microsoft.openservicemesh',
    installState: 'Installed',
    releaseTrain: 'Pilot',
    scope: { cluster: { releaseNamespace: 'arc-osm-system' } },
    statuses: [],
    version: '0.8.4',
  });
  expect(shown.body.properties.lastStatusTime).toEqual(expect.any(String));
});
