/**
 * The sandbox's extension agent against careless and hostile input, with the real helm: setting keys that name
 * prototypes stay data (in the agent's process and the caller's), a protected value quoted by helm's error reaches
 * neither ARM nor the log, and a change accepted while no agent listened is installed when the sandbox starts again.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armRequest } from '../../src/azure/clients.js';
import { SANDBOX_CLUSTERS } from '../../src/sandbox/arm/contract.js';
import { STATE_FILE } from '../../src/sandbox/arm/store.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { helmPath, kubectlPath } from '../helpers/tools.js';

const PROBE_CHART = join(import.meta.dirname, '..', 'fixtures', 'charts', 'agent-probe');
const EXTENSIONS = (cluster: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/arcmesh-sandbox/providers/Microsoft.Kubernetes/connectedClusters/${cluster}/providers/Microsoft.KubernetesConfiguration/extensions`;
const SECRET = 'sEcReT-value-4711';

let scratch: string;
let schemaChart: string;
beforeAll(async () => {
  process.env.ARCMESH_HELM = helmPath();
  scratch = await mkdtemp(join(tmpdir(), 'arcmesh-hardening-agent-'));
  // The probe chart with a schema that refuses the protected value: helm's error then quotes it.
  schemaChart = join(scratch, 'schema-chart');
  await mkdir(join(schemaChart, 'templates'), { recursive: true });
  await writeFile(join(schemaChart, 'Chart.yaml'), 'apiVersion: v2\nname: probe\nversion: 1.0.0\n');
  await writeFile(
    join(schemaChart, 'templates', 'values.yaml'),
    await readFile(join(PROBE_CHART, 'templates', 'values.yaml'), 'utf8'),
  );
  await writeFile(
    join(schemaChart, 'values.schema.json'),
    JSON.stringify({
      type: 'object',
      properties: {
        osm: {
          type: 'object',
          properties: {
            osm: {
              type: 'object',
              properties: { configResyncInterval: { type: 'string', pattern: '^[0-9]+(s|m|h)$' } },
            },
          },
        },
      },
    }),
  );
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function kubectl(world: TestSandbox, cluster: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(kubectlPath(), [
    '--kubeconfig',
    world.kube!.kubeconfigPath,
    '--context',
    cluster,
    ...args,
  ]);
  return stdout;
}

async function putExtension(world: TestSandbox, cluster: string, properties: Record<string, unknown>) {
  return armRequest<Record<string, unknown>>(await world.target(), {
    method: 'PUT',
    path: `${EXTENSIONS(cluster)}/osm`,
    apiVersion: '2023-05-01',
    body: { properties: { extensionType: 'microsoft.openservicemesh', autoUpgradeMinorVersion: false, ...properties } },
  });
}

/** The extension in the 2021-09-01 shape, which shows installState. */
async function getExtension(world: TestSandbox, cluster: string) {
  const response = await armRequest<{ properties: Record<string, unknown> }>(await world.target(), {
    method: 'GET',
    path: `${EXTENSIONS(cluster)}/osm`,
    apiVersion: '2021-09-01',
  });
  return response.body.properties;
}

describe('setting keys that name prototypes', () => {
  let world: TestSandbox;
  beforeAll(async () => {
    world = await startTestSandbox({ kube: true, chartFor: () => PROBE_CHART });
  });
  afterAll(() => world.close());

  it('stay data: the chart receives them as keys and no prototype of this process changes', async () => {
    const before = Object.getOwnPropertyNames(Object.prototype);
    await putExtension(world, SANDBOX_CLUSTERS.arc, {
      configurationSettings: {
        '__proto__.apiGroups': 'x',
        'constructor.prototype.polluted': 'y',
        'osm.prototype': 'z',
      },
    });
    await world.agent!.idle();
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(before);
    expect(({} as Record<string, unknown>).apiGroups).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await getExtension(world, SANDBOX_CLUSTERS.arc)).toMatchObject({ installState: 'Installed' });
    const values = JSON.parse(
      await kubectl(
        world,
        SANDBOX_CLUSTERS.arc,
        'get',
        'configmap',
        'osm-values',
        '-n',
        'arc-osm-system',
        '-o',
        'jsonpath={.data.values\\.json}',
      ),
    ) as Record<string, unknown>;
    expect(Object.entries(values)).toEqual(
      expect.arrayContaining([
        ['__proto__', { apiGroups: 'x' }],
        ['constructor', { prototype: { polluted: 'y' } }],
        ['osm', { prototype: 'z' }],
      ]),
    );
  });
});

describe('a protected value in helm’s error', () => {
  let world: TestSandbox;
  const logLines: string[] = [];
  beforeAll(async () => {
    world = await startTestSandbox({ kube: true, chartFor: () => schemaChart, log: (line) => logLines.push(line) });
  });
  afterAll(() => world.close());

  it('is stripped from errorInfo, statuses, the state file and the log, which still say what failed', async () => {
    await putExtension(world, SANDBOX_CLUSTERS.openshift, {
      configurationProtectedSettings: { 'osm.osm.configResyncInterval': SECRET },
    });
    await world.agent!.idle();
    const properties = await getExtension(world, SANDBOX_CLUSTERS.openshift);
    expect(properties.installState).toBe('Failed');
    const errorInfo = properties.errorInfo as { message: string };
    const statuses = properties.statuses as Array<{ message: string }>;
    expect(errorInfo.message).toMatch(/configResyncInterval|schema/);
    expect(errorInfo.message).toContain('[REDACTED]');
    for (const text of [errorInfo.message, ...statuses.map((status) => status.message), ...logLines])
      expect(text).not.toContain(SECRET);
    expect(await readFile(join(world.stateDir, STATE_FILE), 'utf8')).not.toContain(SECRET);
  });
});

describe('an extension accepted while no agent listened', () => {
  it('is installed when the sandbox starts again, and shows Installed', async () => {
    const stateDir = join(scratch, 'restart');
    const first = await startTestSandbox({
      kube: true,
      stateDir,
      chartFor: () => PROBE_CHART,
      operationDurationMs: 500,
    });
    await putExtension(first, SANDBOX_CLUSTERS.arc, { configurationSettings: { 'osm.marker': 'after-restart' } });
    // Stopped before the create ends, as a killed sandbox is: nobody hears of its success.
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const second = await startTestSandbox({ kube: true, stateDir, chartFor: () => PROBE_CHART });
    try {
      await second.agent!.idle();
      expect(await getExtension(second, SANDBOX_CLUSTERS.arc)).toMatchObject({
        provisioningState: 'Succeeded',
        installState: 'Installed',
      });
      const values = await kubectl(
        second,
        SANDBOX_CLUSTERS.arc,
        'get',
        'configmap',
        'osm-values',
        '-n',
        'arc-osm-system',
        '-o',
        'jsonpath={.data.values\\.json}',
      );
      expect(JSON.parse(values)).toEqual({ osm: { marker: 'after-restart' } });
    } finally {
      await second.close();
    }
    // Reconciling again changes nothing: the release helm has is the one the extension asks for.
    const third = await startTestSandbox({ kube: true, stateDir, chartFor: () => PROBE_CHART });
    try {
      await third.agent!.idle();
      const { stdout } = await promisify(execFile)(helmPath(), [
        'history',
        'osm',
        '-n',
        'arc-osm-system',
        '-o',
        'json',
        '--kubeconfig',
        third.kube!.kubeconfigPath,
        '--kube-context',
        SANDBOX_CLUSTERS.arc,
      ]);
      expect((JSON.parse(stdout) as unknown[]).length).toBe(1);
    } finally {
      await third.close();
    }
  });
});
