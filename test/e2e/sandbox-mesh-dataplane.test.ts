/**
 * Seeds 000 and 004's data-plane steps on the sandbox, with the real helm, kubectl, jq, base64 and openssl: the
 * bundled chart's controller and injector run as processes on the sandbox's node; an onboarded namespace's pods get
 * the envoy container, READY 2/2 once the Envoy stand-in in it accepted the controller's configuration over mTLS;
 * its admin API answers through `kubectl port-forward`; SMI applied with kubectl shows in its `/config_dump`; and the
 * controller killed is restarted by the node with the stand-in reconnecting to the same configuration.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readFile } from 'node:fs/promises';
import { SANDBOX_CLUSTERS } from '../../src/sandbox/arm/contract.js';
import { eventually } from '../helpers/controller-mesh.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { containerPids, portForward, type PodRef } from '../helpers/sandbox-node.js';
import { helmPath } from '../helpers/tools.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = `${ROOT}charts/arcmesh`;
const OSM_NAMESPACE = 'osm-system';
const SEED_000 = `${ROOT}test/fixtures/controlplane/seed000-bookstore.yaml`;
const SECRETS_DUMP = 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump';
const run = promisify(execFile);

interface PodView extends PodRef {
  status: {
    phase: string;
    containerStatuses?: Array<{ name: string; ready: boolean; restartCount: number }>;
  };
}

const app = (name: string, annotations: Record<string, string> = {}) => [
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: name } },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: name, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: `${name}-port`, port: 14001, targetPort: 14001 }] },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations },
        spec: {
          serviceAccountName: name,
          containers: [{ name, image: `openservicemesh/${name}:v1.2.0`, ports: [{ containerPort: 14001 }] }],
        },
      },
    },
  },
];

describe('seeds 000 and 004 data plane on the sandbox', () => {
  let kube: TestKube;
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await kube.kubectl([...args, '-o', 'json']);
    if (result.code !== 0) throw new Error(result.stderr);
    return JSON.parse(result.stdout) as T;
  };
  const pods = async (namespace: string, selector: string) =>
    (await json<{ items: PodView[] }>(['get', 'pods', '-n', namespace, '-l', selector])).items.filter(
      (pod) => !('deletionTimestamp' in pod.metadata),
    );
  const ready = (pod: PodView) => (pod.status.containerStatuses ?? []).every((container) => container.ready);
  const onboard = async (namespace: string) => {
    await kube.kubectl(['create', 'namespace', namespace]);
    await kube.kubectl(['label', 'namespace', namespace, 'openservicemesh.io/monitored-by=osm']);
    await kube.kubectl(['annotate', 'namespace', namespace, 'openservicemesh.io/sidecar-injection=enabled']);
  };
  /** GET on the pod's Envoy admin port 15000 through `kubectl port-forward`, as `osm proxy get` does. */
  const adminGet = async (pod: PodView, path: string): Promise<string> => {
    const forward = await portForward(kube, pod.metadata.namespace, `pod/${pod.metadata.name}`, 15000);
    try {
      const response = await fetch(`http://127.0.0.1:${forward.localPort}${path}`);
      return await response.text();
    } finally {
      await forward.close();
    }
  };

  beforeAll(async () => {
    if (!existsSync(`${ROOT}dist/sandbox/node/envoy-standin/main.js`))
      throw new Error('dist/ is missing the Envoy stand-in: run `npx zx scripts/build.mjs` first');
    kube = await startTestKube({
      clusters: [SANDBOX_CLUSTERS.arc],
      kubeletTiming: { readinessPeriodCapMs: 500, gracePeriodCapMs: 5_000 },
    });
    await run(
      helmPath(),
      // OSM's own failure policy: a pod the injector cannot see is refused, never admitted without its sidecar.
      ['install', 'osm', CHART, '-n', OSM_NAMESPACE, '--create-namespace', '--set', 'osm.webhookFailurePolicy=Fail'],
      { env: { ...process.env, HOME: kube.stateDir, KUBECONFIG: kube.kubeconfig } },
    );
    for (const component of ['osm-controller', 'osm-injector'])
      await eventually(
        `${component} Ready`,
        async () => (await pods(OSM_NAMESPACE, `app=${component}`)).some((pod) => ready(pod)),
        { timeoutMs: 90_000 },
      );
    for (const namespace of ['bookstore', 'bookbuyer']) await onboard(namespace);
    const applied = await kube.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...app('bookstore'), ...app('bookbuyer')] }),
    );
    expect(applied.stderr).toBe('');
  }, 180_000);
  afterAll(async () => {
    await kube?.close();
  });

  it('seed 000: pods of onboarded namespaces go READY 2/2; describe shows the envoy container and its ports', async () => {
    const table = await eventually(
      'bookstore READY 2/2',
      async () => {
        const result = await kube.kubectl(['get', 'pods', '-n', 'bookstore']);
        return /bookstore-\S+\s+2\/2\s+Running\s+0/.test(result.stdout) ? result.stdout : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(table).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    const [pod] = await pods('bookstore', 'app=bookstore');
    const described = await kube.kubectl(['describe', 'pod', pod!.metadata.name, '-n', 'bookstore']);
    expect(described.stdout).toMatch(
      /\n {2}envoy:\n(.*\n)*? {4}Ports:\s+15000\/TCP \(proxy-admin\), 15003\/TCP \(proxy-inbound\), 15010\/TCP \(proxy-metrics\)\n/,
    );
    expect(described.stdout).toMatch(/Init Containers:\n {2}osm-init:/);
    expect(described.stdout).toMatch(/Labels:\s+(.*\n)*?\s+osm-proxy-uuid=[0-9a-f-]{36}/);
  }, 90_000);

  it('a pod annotated sidecar-injection: disabled stays 1/1', async () => {
    await onboard('bookthief');
    await kube.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: app('bookthief', { 'openservicemesh.io/sidecar-injection': 'disabled' }),
      }),
    );
    const [pod] = await eventually('bookthief Running', async () => {
      const found = await pods('bookthief', 'app=bookthief');
      return found.length > 0 && found[0]!.status.phase === 'Running' ? found : undefined;
    });
    expect(pod!.status.containerStatuses!.map((container) => container.name)).toEqual(['bookthief']);
  });

  it('seed 004: the service certificate, through the seed’s jq, base64 -d and openssl, names the pod’s identity', async () => {
    const [pod] = await pods('bookstore', 'app=bookstore');
    const dump = await adminGet(pod!, '/config_dump');
    const jq = `.configs[] | select(."@type"=="${SECRETS_DUMP}") | .dynamic_active_secrets[] | select(.name == "service-cert:bookstore/bookstore").secret.tls_certificate.certificate_chain.inline_bytes`;
    const shell = `jq -r '${jq}' | base64 -d | openssl x509 -noout -text`;
    const child = execFile('sh', ['-c', shell], { encoding: 'utf8' });
    child.stdin!.end(dump);
    const text = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: string) => (output += chunk));
      child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`exit ${code}`))));
    });
    expect(text).toMatch(/Subject: .*CN ?= ?bookstore\.bookstore\.cluster\.local/);
    expect(text).toMatch(/Issuer: .*CN ?= ?osm-ca\.openservicemesh\.io/);
  });

  it('seed 000 with permissive mode off: the TrafficTarget applied with kubectl shows in bookstore’s /config_dump', async () => {
    const [pod] = await pods('bookstore', 'app=bookstore');
    await kube.kubectl([
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      OSM_NAMESPACE,
      '--type',
      'merge',
      '-p',
      '{"spec":{"traffic":{"enablePermissiveTrafficPolicyMode":false}}}',
    ]);
    const smi = parseAllDocuments(await readFile(SEED_000, 'utf8'))
      .map((document) => document.toJSON() as { kind: string })
      .filter((object) => object.kind === 'TrafficTarget' || object.kind === 'HTTPRouteGroup');
    // Before the TrafficTarget nothing names bookbuyer as a source of bookstore.
    await eventually('permissive mode off in the proxy', async () =>
      /bookbuyer\.bookbuyer\.cluster\.local/.test(await adminGet(pod!, '/config_dump')) ? undefined : true,
    );
    const applied = await kube.kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: smi }),
    );
    expect(applied.stderr).toBe('');
    const dump = await eventually(
      'the TrafficTarget in the config dump',
      async () => {
        const text = await adminGet(pod!, '/config_dump');
        return /bookbuyer\.bookbuyer\.cluster\.local/.test(text) ? text : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(dump).toMatch(/type\.googleapis\.com\/envoy\.extensions\.filters\.(network|http)\.rbac\.v3\.RBAC/);
  }, 60_000);

  it('the controller killed: the node restarts it and the stand-ins reconnect with the configuration unchanged', async () => {
    const [bookstore] = await pods('bookstore', 'app=bookstore');
    const listenersBefore = await adminGet(bookstore!, '/listeners?format=json');
    const [controller] = await pods(OSM_NAMESPACE, 'app=osm-controller');
    const [pid] = await containerPids(controller!, 'osm-controller');
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    await eventually(
      'osm-controller restarted and Ready',
      async () => {
        const [current] = await pods(OSM_NAMESPACE, 'app=osm-controller');
        const status = current?.status.containerStatuses?.[0];
        return status && status.restartCount >= 1 && status.ready ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await eventually(
      'the stand-in connected again',
      async () =>
        /envoy_control_plane_connected_state\{[^}]*\} 1\b|envoy_control_plane_connected_state 1\b/.test(
          await adminGet(bookstore!, '/stats/prometheus'),
        ),
      { timeoutMs: 40_000 },
    );
    expect(await adminGet(bookstore!, '/listeners?format=json')).toBe(listenersBefore);
    const [after] = await pods('bookstore', 'app=bookstore');
    expect(after!.status.containerStatuses!.find((container) => container.name === 'envoy')).toMatchObject({
      ready: true,
      restartCount: 0,
    });
  }, 120_000);
});
