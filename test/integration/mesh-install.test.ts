/**
 * `arcmesh mesh install|status|uninstall` as a user runs them (the built CLI, the real helm) against the
 * Kubernetes sandbox: refusals before anything reaches the cluster, install and readiness, the seed's MeshConfig
 * checks, an idempotent second install, settings kept across uninstall, and what happens to a missing mesh.
 */
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UninstallResult } from '../../src/lib/uninstall/uninstall.js';
import { runCli } from '../helpers/cli.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { helmPath } from '../helpers/tools.js';

let kube: TestKube;
let env: NodeJS.ProcessEnv;
const cli = (args: string[]) => runCli([...args, '--kubeconfig', kube.kubeconfig], { env, timeoutMs: 120_000 });

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['direct-cluster'] });
  env = { ARCMESH_HELM: helmPath(), HOME: kube.stateDir, ARCMESH_SANDBOX: '' };
});

afterAll(async () => {
  await kube?.close();
});

interface StatusJson {
  meshName: string;
  namespace: string;
  ready: boolean;
  changed?: boolean;
  release: { status: string; revision: number; chartVersion: string };
  components: { name: string; ready: string; healthy: boolean }[];
}

describe('mesh install', () => {
  it('refuses bad values before touching the cluster', async () => {
    const wrongType = await cli(['mesh', 'install', '--set', 'osm.enablePermissiveTrafficPolicy=maybe']);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toBe(
      "ERROR: The chart refuses these values: values don't meet the specifications of the schema(s) in the following chart(s):\narcmesh:\n- at '/osm/enablePermissiveTrafficPolicy': got string, want boolean\n" +
        "Fix the --set values (names and types are in the chart's values.yaml and values.schema.json).\n",
    );
    const badName = await cli(['mesh', 'install', '--mesh-name', 'my_osm_']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/^ERROR: Invalid mesh name "my_osm_": a mesh name must be a valid label value\.\n/);
    expect((await kube.kubectl(['get', 'namespaces', '-o', 'name'])).stdout).not.toContain('namespace/osm-system');
  });

  it('installs the control plane as seed 004 does and waits until it is ready', async () => {
    const result = await cli([
      'mesh',
      'install',
      '--mesh-name',
      'osm',
      '--osm-namespace',
      'osm-system',
      '--set=osm.enablePermissiveTrafficPolicy=true',
      '--timeout',
      '2m',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.json<StatusJson>()).toEqual({
      meshName: 'osm',
      namespace: 'osm-system',
      changed: true,
      ready: true,
      release: expect.objectContaining({ status: 'deployed', revision: 1, chartVersion: '1.2.5', appVersion: '1.2.5' }),
      components: [
        { name: 'osm-controller', ready: '1/1', healthy: true },
        { name: 'osm-injector', ready: '1/1', healthy: true },
      ],
    });
    const permissive = await kube.kubectl([
      'get',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'osm-system',
      '-o',
      'jsonpath={.spec.traffic.enablePermissiveTrafficPolicyMode}',
    ]);
    expect(permissive.stdout).toBe('true');
  });

  it('still admits pods in a meshed namespace while nothing answers the injector webhook (failurePolicy Ignore)', async () => {
    await kube.kubectl(['create', 'namespace', 'bookstore']);
    await kube.kubectl(['label', 'namespace', 'bookstore', 'openservicemesh.io/monitored-by=osm']);
    const created = await kube.kubectl([
      'run',
      'bookstore',
      '-n',
      'bookstore',
      '--image=openservicemesh/bookstore:v0.8.0',
    ]);
    expect(created.stdout).toBe('pod/bookstore created\n');
    expect(created.code).toBe(0);
    const webhook = await kube.kubectl([
      'get',
      'mutatingwebhookconfiguration',
      'osm-webhook-osm',
      '-o',
      'jsonpath={.webhooks[0].failurePolicy}',
    ]);
    expect(webhook.stdout).toBe('Ignore');
  });

  it('gives the controller’s ServiceAccount least privilege, as RBAC in the API enforces it', async () => {
    const token = (await kube.kubectl(['create', 'token', 'osm-controller', '-n', 'osm-system'])).stdout.trim();
    expect(token).not.toBe('');
    const canI = async (...args: string[]) =>
      (await kube.kubectl(['--token', token, 'auth', 'can-i', ...args])).stdout.trim();
    expect(await canI('watch', 'traffictargets.access.smi-spec.io', '-A')).toBe('yes');
    expect(await canI('list', 'meshconfigs.config.openservicemesh.io', '-A')).toBe('yes');
    expect(await canI('create', 'secrets', '-n', 'osm-system')).toBe('yes');
    expect(await canI('create', 'secrets', '-n', 'default')).toBe('no');
    expect(await canI('patch', 'meshconfigs.config.openservicemesh.io', '-n', 'osm-system')).toBe('no');
    expect(await canI('update', 'validatingwebhookconfigurations/osm-validator-mesh-osm')).toBe('yes');
    expect(await canI('update', 'validatingwebhookconfigurations/someone-elses')).toBe('no');
  });

  it('leaves the MeshConfig to the API’s validation, as seed 001 shows', async () => {
    const refused = await kube.kubectl([
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'osm-system',
      '-p',
      '{"spec":{"traffic":{"enableEgress":"no"}}}',
      '--type=merge',
    ]);
    expect(refused.stderr).toBe(
      'The MeshConfig "osm-mesh-config" is invalid: spec.traffic.enableEgress: Invalid value: "string": spec.traffic.enableEgress in body must be of type boolean: "string"\n',
    );
    const patched = await kube.kubectl([
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'osm-system',
      '-p',
      '{"spec":{"traffic":{"enablePermissiveTrafficPolicyMode":false}}}',
      '--type=merge',
    ]);
    expect(patched.stdout).toBe('meshconfig.config.openservicemesh.io/osm-mesh-config patched\n');
  });

  it('is a no-op the second time, and says so', async () => {
    const again = await cli(['mesh', 'install']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(
      'WARNING: Mesh [osm] is already installed in namespace [osm-system] (revision 1); nothing was changed. Change its settings with `arcmesh meshconfig set`.\n',
    );
    expect(again.json<StatusJson>()).toMatchObject({ changed: false, release: { revision: 1 } });
  });

  it('refuses a second mesh while --enforce-single-mesh holds', async () => {
    const second = await cli(['mesh', 'install', '--mesh-name', 'other', '--osm-namespace', 'other-system']);
    expect(second.code).toBe(2);
    expect(second.stderr).toBe(
      'ERROR: Mesh [osm] already exists in namespace [osm-system]; only one mesh may run in this cluster.\n' +
        'Use that mesh (pass its --mesh-name and --osm-namespace), uninstall it first, or install with --no-enforce-single-mesh.\n',
    );
  });
});

describe('mesh status', () => {
  it('shows the release and its components as a table', async () => {
    const result = await cli(['mesh', 'status', '-o', 'table']);
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => line.trimEnd()),
    ).toEqual([
      'Mesh  Namespace   Component       Ready  Chart  Release',
      '----  ----------  --------------  -----  -----  ---------------------',
      'osm   osm-system  osm-controller  1/1    1.2.5  deployed (revision 1)',
      'osm   osm-system  osm-injector    1/1    1.2.5  deployed (revision 1)',
    ]);
  });

  it('exits 3 for a mesh that is not there', async () => {
    const result = await cli(['mesh', 'status', '--osm-namespace', 'nowhere']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      'ERROR: No OSM control plane with mesh name [osm] found in namespace [nowhere].\n' +
        'Install one with `arcmesh mesh install`, or pass the --mesh-name and --osm-namespace it was installed with.\n',
    );
  });
});

/** The CRDs the chart ships, by name, sorted: what helm installs and keeps, and what --delete-crds deletes. */
const CHART_CRDS = readdirSync(fileURLToPath(new URL('../../charts/arcmesh/crds/', import.meta.url)))
  .flatMap((file) =>
    parseAllDocuments(
      readFileSync(fileURLToPath(new URL(`../../charts/arcmesh/crds/${file}`, import.meta.url)), 'utf8'),
    ),
  )
  .map((document) => (document.toJS() as { metadata: { name: string } }).metadata.name)
  .sort();

describe('mesh uninstall', () => {
  it('removes the release and the mesh label of bookstore, and keeps the CRDs and the MeshConfig with the user’s changes', async () => {
    const result = await cli(['mesh', 'uninstall', '--yes']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.json<UninstallResult>()).toEqual({
      meshName: 'osm',
      namespace: 'osm-system',
      uninstalled: true,
      removed: {
        // helm removed the chart's webhooks with the release; nothing else was left of them.
        webhookConfigurations: [],
        namespaceLabels: [{ namespace: 'bookstore', labels: ['openservicemesh.io/monitored-by'], annotations: [] }],
        // The mesh CA the running control plane created, which helm does not own.
        secrets: ['osm-ca-bundle'],
        crds: [],
        namespace: false,
      },
      backup: null,
      kept: { crds: CHART_CRDS, namespace: 'osm-system' },
      leftovers: [],
    });
    expect((await kube.kubectl(['get', 'deployments', '-n', 'osm-system', '-o', 'name'])).stdout).toBe('');
    const kept = await kube.kubectl([
      'get',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'osm-system',
      '-o',
      'jsonpath={.spec.traffic.enablePermissiveTrafficPolicyMode}',
    ]);
    expect(kept.stdout).toBe('false');
  });

  it('refuses without --yes when nobody can answer, before touching the cluster', async () => {
    const refused = await cli(['mesh', 'uninstall']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'ERROR: Refusing to uninstall the mesh without confirmation: there is no terminal to ask on.\nPass --yes (-y) to confirm in scripts.\n',
    );
  });

  it('reinstalls onto the kept MeshConfig without resetting it', async () => {
    const result = await cli(['mesh', 'install', '--timeout', '2m']);
    expect(result.code).toBe(0);
    const kept = await kube.kubectl([
      'get',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'osm-system',
      '-o',
      'jsonpath={.spec.traffic.enablePermissiveTrafficPolicyMode}',
    ]);
    expect(kept.stdout).toBe('false');
  });

  it('deletes the namespace when asked (-f as osm spells --yes), and a second uninstall only warns', async () => {
    const first = await cli(['mesh', 'uninstall', '-f', '--delete-namespace']);
    expect(first.stderr).toBe('');
    expect(first.json<UninstallResult>()).toMatchObject({
      uninstalled: true,
      removed: { namespace: true },
      kept: { namespace: null },
      leftovers: [],
    });
    const second = await cli(['mesh', 'uninstall', '--yes']);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('WARNING: Did not find mesh [osm] in namespace [osm-system]; nothing to uninstall.\n');
    expect(second.json<UninstallResult>()).toMatchObject({
      uninstalled: false,
      removed: { webhookConfigurations: [], namespaceLabels: [], secrets: [], crds: [], namespace: false },
      leftovers: [],
    });
  });
});

describe('mesh uninstall --delete-crds (osm: --delete-cluster-wide-resources)', () => {
  it('is refused while another mesh runs, and backs up then deletes the CRDs once the last mesh goes', async () => {
    expect((await cli(['mesh', 'install', '--timeout', '2m'])).code).toBe(0);
    const other = await cli([
      'mesh',
      'install',
      '--mesh-name',
      'other',
      '--osm-namespace',
      'other-system',
      '--no-enforce-single-mesh',
      '--timeout',
      '2m',
    ]);
    expect(other.stderr).toBe('');
    const ambiguous = await cli(['mesh', 'status']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toBe(
      'ERROR: More than one Open Service Mesh is on this cluster (namespaces osm-system, other-system).\n' +
        'Say which with --osm-namespace (or --mesh-name).\n',
    );
    const byNamespace = await cli(['mesh', 'status', '--osm-namespace', 'other-system']);
    expect(byNamespace.json<StatusJson>()).toMatchObject({ meshName: 'other', namespace: 'other-system', ready: true });
    const refused = await cli(['mesh', 'uninstall', '--mesh-name', 'osm', '-a', '-f']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'ERROR: Deleting the CRDs would delete the policies of mesh [other] in namespace [other-system].\n' +
        'Uninstall without --delete-crds, or uninstall the other meshes first.\n',
    );
    expect(
      (await cli(['mesh', 'uninstall', '--mesh-name', 'other', '--osm-namespace', 'other-system', '-f'])).code,
    ).toBe(0);
    const backupDir = `${kube.stateDir}/mesh-crds-backup`;
    const last = await cli([
      'mesh',
      'uninstall',
      '--delete-cluster-wide-resources',
      '--backup-dir',
      backupDir,
      '--delete-namespace',
      '--yes',
    ]);
    expect(last.stderr).toBe('');
    const result = last.json<UninstallResult>();
    expect(result.removed.crds).toEqual(CHART_CRDS);
    expect(result.backup).toMatchObject({
      directory: backupDir,
      // Each mesh's MeshConfig: helm keeps it when its release goes.
      objects: 2,
      counts: expect.objectContaining({ 'MeshConfig.config.openservicemesh.io': 2 }),
      reused: false,
    });
    expect(result.leftovers).toEqual([]);
    const crds = await kube.kubectl(['get', 'crd', '-o', 'name']);
    expect(crds.code).toBe(0);
    expect(crds.stdout).toBe('');
    // The backup brings the CRDs and both MeshConfigs back (into their namespaces, which restore does not create).
    await kube.kubectl(['create', 'namespace', 'osm-system']);
    const restored = await cli(['crds', 'restore', '--from', backupDir]);
    expect(restored.stderr).toBe('');
    expect(restored.json()).toMatchObject({ created: 2, failed: 0 });
  });
});

describe('mesh uninstall after a partial failure', () => {
  it('reuses the backup an interrupted run completed and finishes deleting the CRDs and the rest', async () => {
    expect((await cli(['mesh', 'install', '--timeout', '2m'])).code).toBe(0);
    await kube.kubectl(['label', 'namespace', 'bookstore', 'openservicemesh.io/monitored-by=osm']);
    await kube.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Secret
metadata: { name: osm-ca-bundle, namespace: osm-system }
stringData: { ca.crt: not-a-real-ca }
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: osm-runtime-validator
  labels: { app.kubernetes.io/name: openservicemesh.io, app.kubernetes.io/instance: osm }
webhooks: []
`,
    );
    // Where a run killed in the middle of deleting the CRDs stops: release gone, backup complete, one CRD deleted.
    const helmEnv = { ...process.env, KUBECONFIG: kube.kubeconfig };
    await promisify(execFile)(helmPath(), ['uninstall', 'osm', '-n', 'osm-system', '--wait'], { env: helmEnv });
    const backupDir = `${kube.stateDir}/interrupted-backup`;
    expect((await cli(['crds', 'backup', '--out', backupDir])).code).toBe(0);
    await kube.kubectl(['delete', 'crd', 'trafficsplits.split.smi-spec.io']);

    const rerun = await cli(['mesh', 'uninstall', '--delete-crds', '--backup-dir', backupDir, '--yes']);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(
      new RegExp(
        '^WARNING: Did not find mesh \\[osm\\] in namespace \\[osm-system\\]; removing what it left in the cluster\\.\\n' +
          `WARNING: Using the CRD backup an earlier run completed in ${backupDir} \\(taken .+\\)\\.\\n$`,
      ),
    );
    const result = rerun.json<UninstallResult>();
    expect(result).toMatchObject({
      uninstalled: false,
      removed: {
        webhookConfigurations: ['ValidatingWebhookConfiguration/osm-runtime-validator'],
        namespaceLabels: [{ namespace: 'bookstore', labels: ['openservicemesh.io/monitored-by'], annotations: [] }],
        secrets: ['osm-ca-bundle'],
        crds: CHART_CRDS.filter((crd) => crd !== 'trafficsplits.split.smi-spec.io'),
      },
      backup: { directory: backupDir, reused: true },
      kept: { crds: [], namespace: 'osm-system' },
      leftovers: [],
    });
    expect((await kube.kubectl(['get', 'crd', '-o', 'name'])).stdout).toBe('');
    expect((await kube.kubectl(['get', 'validatingwebhookconfigurations', '-o', 'name'])).stdout).toBe('');
  });
});

describe('the control plane entry point', () => {
  const main = fileURLToPath(new URL('../../dist/controlplane/main.js', import.meta.url));
  async function start(args: string[]) {
    const child = spawn(process.execPath, [main, '--http-port=0', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, KUBECONFIG: kube.kubeconfig, POD_NAME: 'osm-controller-test' },
    });
    const lines = createInterface({ input: child.stdout! });
    const logged: { level: string; component: string; port?: number; message: string }[] = [];
    const started = await new Promise<(typeof logged)[number]>((resolve, reject) => {
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as (typeof logged)[number];
        logged.push(entry);
        if (entry.message === 'started') resolve(entry);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${JSON.stringify(logged)}`)));
    });
    const stop = async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    };
    return { started, logged, stop };
  }

  it('runs the controller from dist with the kubeconfig: the mesh CA created, ready, stopped on SIGTERM', async () => {
    await kube.kubectl(['create', 'namespace', 'cp-entry']);
    const controller = await start([
      '--component=osm-controller',
      '--ads-port=0',
      '--debug-port=0',
      // 9093 by default: taken whenever another sandbox's controller pod serves its validating webhook.
      '--validator-port=0',
      '--osm-namespace=cp-entry',
    ]);
    expect(controller.logged.map((entry) => entry.message)).toContain('serving xDS');
    const ready = await fetch(`http://127.0.0.1:${controller.started.port}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ok\n']);
    const secret = await kube.kubectl(['get', 'secret', 'osm-ca-bundle', '-n', 'cp-entry', '-o', 'jsonpath={.data}']);
    expect(Object.keys(JSON.parse(secret.stdout) as object).sort()).toEqual(['ca.crt', 'private.key']);
    const metrics = await (await fetch(`http://127.0.0.1:${controller.started.port}/metrics`)).text();
    expect(metrics).toMatch(/^osm_cert_issued_count\{component="osm-controller"\} [1-9]/m);
    expect(await controller.stop()).toBe(0);
  });

  it('runs the injector: ready once it has created osm-webhook-<mesh> with the mesh CA as caBundle', async () => {
    // The injector lists the MeshConfig before it serves; the tests above deleted the CRDs.
    await kube.kubectl(['apply', '-f', fileURLToPath(new URL('../fixtures/crds/meshconfig.yaml', import.meta.url))]);
    await kube.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=20s']);
    const injector = await start([
      '--component=osm-injector',
      '--webhook-port=0',
      '--mesh-name=entry',
      '--osm-namespace=cp-entry',
    ]);
    expect(injector.logged.map((entry) => entry.message)).toContain('serving the sidecar injector webhook');
    const readyz = `http://127.0.0.1:${injector.started.port}/readyz`;
    for (let attempt = 1; (await fetch(readyz)).status !== 200; attempt++) {
      if (attempt === 100) throw new Error(`the injector is not ready: ${await (await fetch(readyz)).text()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const caBundle = await kube.kubectl([
      'get',
      'mutatingwebhookconfiguration',
      'osm-webhook-entry',
      '-o',
      'jsonpath={.webhooks[*].clientConfig.caBundle}',
    ]);
    // The same CA as the controller's: the Secret is created once and loaded by both.
    const caCrt = await kube.kubectl([
      'get',
      'secret',
      'osm-ca-bundle',
      '-n',
      'cp-entry',
      '-o',
      'jsonpath={.data.ca\\.crt}',
    ]);
    expect(caCrt.stdout).not.toBe('');
    expect(new Set(caBundle.stdout.split(' '))).toEqual(new Set([caCrt.stdout]));
    expect(await injector.stop()).toBe(0);
  });
});
