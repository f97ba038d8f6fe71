/**
 * `arcmesh uninstall` against the sandbox, through the CLI: the OSM extension installed by the sandbox's agent
 * (real helm), namespaces onboarded with `namespace add` and `metrics enable`, the seed's SMI policies, and what
 * OSM's controller creates at run time (its CA bundle Secret and a webhook configuration it owns by label; the
 * bundled control plane does not issue them yet, so the test creates them as OSM would). After the uninstall
 * nothing of the mesh may be left but what the user asked to keep.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UninstallResult } from '../../src/lib/uninstall/uninstall.js';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../src/sandbox/arm/contract.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { FIXTURES, startMeshCluster } from '../helpers/mesh-cluster.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { helmPath, kubectlPath } from '../helpers/tools.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

let world: TestSandbox;
let env: NodeJS.ProcessEnv;
let scratch: string;

beforeAll(async () => {
  world = await startTestSandbox({ kube: true });
  scratch = await mkdtemp(join(tmpdir(), 'arcmesh-uninstall-'));
  env = { ...world.env, ARCMESH_HELM: helmPath(), HOME: scratch };
});
afterAll(async () => {
  await world?.close();
  await rm(scratch, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { env, timeoutMs: 120_000 });
const clusterArgs = (cluster: string) => ['-c', cluster, '-g', SANDBOX_RESOURCE_GROUP, '-t', 'connectedClusters'];

/** `arcmesh uninstall --delete-crds` of extension osm, confirmed, with the backup going to `backupDir`. */
const uninstallDeletingCrds = (cluster: string, backupDir: string, ...flags: string[]) =>
  cli([
    'uninstall',
    ...clusterArgs(cluster),
    '-n',
    'osm',
    '--delete-crds',
    '--backup-dir',
    backupDir,
    '--yes',
    ...flags,
  ]);

async function kubectl(cluster: string, args: string[], input?: string): Promise<string> {
  const child = promisify(execFile)(kubectlPath(), [
    '--kubeconfig',
    world.kube!.kubeconfigPath,
    '--context',
    cluster,
    ...args,
  ]);
  if (input !== undefined) child.child.stdin!.end(input);
  return (await child).stdout;
}

function ok(result: CliResult): CliResult {
  if (result.code !== 0) throw new Error(`arcmesh exited ${result.code}: ${result.stderr}`);
  return result;
}

/** What OSM's controller writes at run time, beside what the chart renders. */
const RUNTIME_OBJECTS = `apiVersion: v1
kind: Secret
metadata: { name: osm-ca-bundle, namespace: arc-osm-system }
stringData: { ca.crt: not-a-real-ca }
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: arc-osm-webhook-runtime
  labels: { app.kubernetes.io/name: openservicemesh.io, app.kubernetes.io/instance: osm, app: osm-injector }
webhooks: []
`;

/** `extension create` (the stable train's defaults unless `flags` say more), then waits for the agent's helm install. */
async function createOsmExtension(cluster: string, flags: string[] = []): Promise<void> {
  ok(
    await cli([
      'extension',
      'create',
      ...clusterArgs(cluster),
      '-n',
      'osm',
      '--extension-type',
      'microsoft.openservicemesh',
      ...flags,
    ]),
  );
  await world.agent!.idle();
}

/** Seed 001's install, onboarding and policies on one sandbox cluster. */
async function installMeshWithPolicies(cluster: string): Promise<void> {
  await createOsmExtension(cluster, [
    '--release-train',
    'stable',
    '--version',
    '1.2.5-1',
    '--auto-upgrade-minor-version',
    'false',
    ...(cluster === SANDBOX_CLUSTERS.openshift
      ? ['--configuration-settings', 'osm.osm.enablePrivilegedInitContainer=true']
      : []),
  ]);
  for (const namespace of ['bookstore', 'bookbuyer', 'bookthief'])
    await kubectl(cluster, ['create', 'namespace', namespace]);
  const kube = ['--kube-context', cluster];
  ok(await cli(['namespace', 'add', 'bookstore', 'bookbuyer', 'bookthief', ...kube]));
  ok(await cli(['metrics', 'enable', '--namespace', 'bookstore,bookbuyer,bookthief', ...kube]));
  // `osm namespace remove` leaves the metrics annotation behind: the uninstall must still find it.
  ok(await cli(['namespace', 'remove', 'bookthief', ...kube]));
  await kubectl(cluster, ['apply', '-f', `${FIXTURES}seed/smi-policy.yaml`]);
  await kubectl(cluster, ['apply', '-f', '-'], RUNTIME_OBJECTS);
}

const meshWebhooks = (cluster: string) =>
  kubectl(cluster, ['get', 'mutatingwebhookconfigurations,validatingwebhookconfigurations', '-o', 'name']);
/** Every mesh label and annotation on any namespace, as `namespace/key`. */
async function meshKeysOnNamespaces(cluster: string): Promise<string[]> {
  const list = JSON.parse(await kubectl(cluster, ['get', 'namespaces', '-o', 'json'])) as {
    items: { metadata: { name: string; labels?: object; annotations?: object } }[];
  };
  return list.items.flatMap(({ metadata }) =>
    [...Object.keys(metadata.labels ?? {}), ...Object.keys(metadata.annotations ?? {})]
      .filter((key) => /^openservicemesh\.io\/(monitored-by|sidecar-injection|metrics)$/.test(key))
      .map((key) => `${metadata.name}/${key}`),
  );
}
const crds = (cluster: string) => kubectl(cluster, ['get', 'crds', '-o', 'name']);

describe('arcmesh uninstall --delete-crds', () => {
  const cluster = SANDBOX_CLUSTERS.arc;
  const backupDir = () => join(scratch, 'arc-backup');

  beforeAll(() => installMeshWithPolicies(cluster));

  it('refuses bad flags and a missing confirmation with exit 2 before any call to Azure', async () => {
    const before = world.sandbox.requestLog().length;
    const backupOnly = await cli(['uninstall', ...clusterArgs(cluster), '-n', 'osm', '--backup-dir', 'x', '--yes']);
    expect(backupOnly.code).toBe(2);
    expect(backupOnly.stderr).toBe(
      'ERROR: --backup-dir is only used with --delete-crds: without it the CRDs and their objects stay.\nAdd --delete-crds, or leave --backup-dir out.\n',
    );
    const unconfirmed = await cli(['uninstall', ...clusterArgs(cluster), '-n', 'osm']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('there is no terminal to ask on');
    const badType = await cli([
      'uninstall',
      '-c',
      cluster,
      '-g',
      SANDBOX_RESOURCE_GROUP,
      '-t',
      'nope',
      '-n',
      'osm',
      '-y',
    ]);
    expect(badType.code).toBe(2);
    expect(world.sandbox.requestLog().length).toBe(before);
  });

  it('refuses (exit 2, nothing deleted) a --backup-dir whose backup misses an object created after it', async () => {
    const stale = join(scratch, 'stale-backup');
    ok(await cli(['crds', 'backup', '--out', stale, '--kube-context', cluster]));
    const lateRoutes = `apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: { name: created-after-the-backup, namespace: bookstore }
spec: { matches: [{ name: everything, pathRegex: ".*", methods: ["*"] }] }
`;
    await kubectl(cluster, ['apply', '-f', '-'], lateRoutes);
    const crdsBefore = await crds(cluster);

    const refused = await uninstallDeletingCrds(cluster, stale);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      '1 object was created since it was taken (specs.smi-spec.io/httproutegroups/bookstore/created-after-the-backup.yaml). Nothing was deleted.',
    );
    expect(refused.stderr).toContain('Pass --backup-dir with a new or empty directory');
    expect(await crds(cluster)).toBe(crdsBefore);
    expect(await meshWebhooks(cluster)).toContain('osm-webhook-osm');
    expect(ok(await cli(['extension', 'list', ...clusterArgs(cluster)])).json<unknown[]>()).toHaveLength(1);
    await kubectl(cluster, ['delete', 'httproutegroup', 'created-after-the-backup', '-n', 'bookstore']);
  });

  it('leaves no webhook configuration, no mesh label or annotation, no CRD, and a backup crds restore accepts', async () => {
    expect(await meshWebhooks(cluster)).toContain('osm-webhook-osm');
    expect(await meshKeysOnNamespaces(cluster)).toHaveLength(7);

    const result = await uninstallDeletingCrds(cluster, backupDir(), '-o', 'json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const uninstalled = result.json<UninstallResult>();
    expect(uninstalled).toMatchObject({
      meshName: 'osm',
      namespace: 'arc-osm-system',
      uninstalled: true,
      removed: {
        webhookConfigurations: ['MutatingWebhookConfiguration/arc-osm-webhook-runtime'],
        namespaceLabels: [
          {
            namespace: 'bookbuyer',
            labels: ['openservicemesh.io/monitored-by'],
            annotations: ['openservicemesh.io/sidecar-injection', 'openservicemesh.io/metrics'],
          },
          {
            namespace: 'bookstore',
            labels: ['openservicemesh.io/monitored-by'],
            annotations: ['openservicemesh.io/sidecar-injection', 'openservicemesh.io/metrics'],
          },
          { namespace: 'bookthief', labels: [], annotations: ['openservicemesh.io/metrics'] },
        ],
        secrets: ['osm-ca-bundle'],
        namespace: false,
      },
      backup: {
        directory: backupDir(),
        objects: 3,
        counts: expect.objectContaining({
          'MeshConfig.config.openservicemesh.io': 1,
          'TrafficTarget.access.smi-spec.io': 1,
          'HTTPRouteGroup.specs.smi-spec.io': 1,
        }),
        reused: false,
      },
      kept: { crds: [], namespace: 'arc-osm-system' },
      leftovers: [],
    });
    expect(uninstalled.removed.crds).toHaveLength(10);

    expect(await meshWebhooks(cluster)).toBe('');
    expect(await meshKeysOnNamespaces(cluster)).toEqual([]);
    expect(await crds(cluster)).toBe('');
    expect(await kubectl(cluster, ['get', 'namespace', 'arc-osm-system', '-o', 'name'])).toBe(
      'namespace/arc-osm-system\n',
    );
    const extensions = ok(await cli(['extension', 'list', ...clusterArgs(cluster)])).json<unknown[]>();
    expect(extensions).toEqual([]);

    const restored = await cli(['crds', 'restore', '--from', backupDir(), '--kube-context', cluster]);
    expect(restored.stderr).toBe('');
    expect(restored.json()).toMatchObject({ created: 3, failed: 0, definitionsCreated: expect.any(Array) });
    expect(
      await kubectl(cluster, [
        'get',
        'traffictarget',
        'bookbuyer-access-bookstore-v1',
        '-n',
        'bookstore',
        '-o',
        'name',
      ]),
    ).toBe('traffictarget.access.smi-spec.io/bookbuyer-access-bookstore-v1\n');
  });

  it('says there is nothing to uninstall the second time, and exits 0', async () => {
    const again = await cli(['uninstall', ...clusterArgs(cluster), '-n', 'osm', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(
      `WARNING: No extension named 'osm' on connectedClusters/${cluster} in resource group '${SANDBOX_RESOURCE_GROUP}', and nothing of mesh [osm] is left in the cluster; nothing to uninstall.\n`,
    );
    expect(again.json<UninstallResult>()).toMatchObject({ uninstalled: false, leftovers: [] });
  });

  it('exits 3 when the cluster itself does not exist', async () => {
    const missing = await cli(['uninstall', ...clusterArgs('no-such-cluster'), '-n', 'osm', '--yes']);
    expect(missing.code).toBe(3);
  });
});

describe('arcmesh uninstall without --delete-crds', () => {
  const cluster = SANDBOX_CLUSTERS.openshift;
  beforeAll(() => installMeshWithPolicies(cluster));

  it('keeps the CRDs and their objects; --delete-namespace deletes the release namespace', async () => {
    const result = await cli(['uninstall', ...clusterArgs(cluster), '-n', 'osm', '--delete-namespace', '--yes']);
    expect(result.stderr).toBe('');
    const uninstalled = result.json<UninstallResult>();
    expect(uninstalled).toMatchObject({
      uninstalled: true,
      removed: { crds: [], namespace: true },
      backup: null,
      kept: { namespace: null },
      leftovers: [],
    });
    expect(uninstalled.kept.crds).toHaveLength(10);
    expect(await meshWebhooks(cluster)).toBe('');
    expect(await meshKeysOnNamespaces(cluster)).toEqual([]);
    expect(await kubectl(cluster, ['get', 'traffictargets,httproutegroups', '-n', 'bookstore', '-o', 'name'])).toBe(
      'traffictarget.access.smi-spec.io/bookbuyer-access-bookstore-v1\nhttproutegroup.specs.smi-spec.io/bookstore-service-routes\n',
    );
    expect(await kubectl(cluster, ['get', 'namespaces', '-o', 'name'])).not.toContain('arc-osm-system');
  });
});

describe('arcmesh uninstall after a partial failure', () => {
  const cluster = SANDBOX_CLUSTERS.arc;
  beforeAll(async () => {
    await world.agent!.idle();
    await createOsmExtension(cluster);
    ok(await cli(['namespace', 'add', 'bookstore', 'bookbuyer', '--kube-context', cluster]));
    await kubectl(cluster, ['apply', '-f', '-'], RUNTIME_OBJECTS);
  });

  it('exits 1 when Azure fails the delete, having changed nothing in the cluster; the re-run finishes', async () => {
    world.sandbox.injectFault({
      method: 'DELETE',
      path: 'extensions/osm',
      operationOutcome: 'Failed',
      errorCode: 'ExtensionDeleteFailed',
      times: 1,
    });
    const failed = await cli(['uninstall', ...clusterArgs(cluster), '-n', 'osm', '--yes']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('ExtensionDeleteFailed');
    expect(await meshKeysOnNamespaces(cluster)).toHaveLength(4);

    const rerun = await cli(['uninstall', ...clusterArgs(cluster), '-n', 'osm', '--yes']);
    expect(rerun.stderr).toBe('');
    expect(rerun.json<UninstallResult>()).toMatchObject({ uninstalled: true, leftovers: [] });
    expect(await meshKeysOnNamespaces(cluster)).toEqual([]);
    expect(await meshWebhooks(cluster)).toBe('');
  });

  it('finishes the clean-up when an earlier run stopped after the extension was deleted', async () => {
    await createOsmExtension(cluster);
    ok(await cli(['namespace', 'add', 'bookstore', '--kube-context', cluster]));
    await kubectl(cluster, ['apply', '-f', '-'], RUNTIME_OBJECTS);
    // The state a run killed right after the ARM delete leaves: extension and release gone, nothing cleaned.
    ok(await cli(['extension', 'delete', ...clusterArgs(cluster), '-n', 'osm', '--yes']));
    await world.agent!.idle();

    const rerun = await cli(['uninstall', ...clusterArgs(cluster), '-n', 'osm', '--yes']);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toBe(
      `WARNING: Extension 'osm' is already deleted from connectedClusters/${cluster} in resource group '${SANDBOX_RESOURCE_GROUP}'; removing what it left in the cluster.\n`,
    );
    expect(rerun.json<UninstallResult>()).toMatchObject({
      uninstalled: false,
      removed: {
        webhookConfigurations: ['MutatingWebhookConfiguration/arc-osm-webhook-runtime'],
        namespaceLabels: [
          {
            namespace: 'bookstore',
            labels: ['openservicemesh.io/monitored-by'],
            annotations: ['openservicemesh.io/sidecar-injection'],
          },
        ],
        secrets: ['osm-ca-bundle'],
      },
      leftovers: [],
    });
    expect(await meshKeysOnNamespaces(cluster)).toEqual([]);
    expect(await meshWebhooks(cluster)).toBe('');
  });
});

describe('mesh uninstall of a mesh it did not install', () => {
  it('refuses (exit 2) and changes nothing when the controller runs without a Helm release, as with the AKS add-on', async () => {
    const cluster = await startMeshCluster();
    try {
      await cluster.kubectlOk(['create', 'namespace', 'bookstore']);
      expect((await cluster.arcmesh(['namespace', 'add', 'bookstore'])).code).toBe(0);
      const refused = await runCli(['mesh', 'uninstall', '--yes', '--kubeconfig', cluster.kube.kubeconfig], {
        env: { ARCMESH_HELM: helmPath(), HOME: cluster.kube.stateDir, ARCMESH_SANDBOX: '' },
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        'ERROR: Mesh [osm] runs in namespace [arc-osm-system] (its osm-controller is there), but not from the release this command removes.\n' +
          'It is the AKS add-on (`arcmesh addon disable`) or an Arc extension (`arcmesh uninstall -c -g -t -n`); uninstall it that way.\n',
      );
      expect(
        await cluster.kubectlOk([
          'get',
          'namespace',
          'bookstore',
          '-o',
          'jsonpath={.metadata.labels.openservicemesh\\.io/monitored-by}',
        ]),
      ).toBe('osm');
    } finally {
      await cluster.close();
    }
  });
});
