/**
 * `arcmesh check [--pre]` against the Kubernetes sandbox: what fails on a half-installed control plane and why,
 * a healthy one (CRDs, ready deployments, webhooks with a real CA and their services), then the warnings about
 * mesh namespaces (no TrafficTarget with permissive mode off, pods without the sidecar), and the pre-install
 * checks with and without a mesh already there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreatePki } from '../../src/sandbox/pki.js';
import { OSM_CRDS } from '../../src/lib/check/checks.js';
import {
  appDeployment,
  controllerDeployment,
  FIXTURES,
  OSM_NAMESPACE,
  startMeshCluster,
  type MeshCluster,
} from '../helpers/mesh-cluster.js';
import { runCli } from '../helpers/cli.js';
import { serviceAccountKubeconfig } from '../helpers/service-account-kubeconfig.js';

interface Result {
  category: string;
  name: string;
  status: 'ok' | 'warning' | 'failed';
  hint?: string;
}

let cluster: MeshCluster;
let caBundle: string;
beforeAll(async () => {
  cluster = await startMeshCluster();
  const pkiDir = await mkdtemp(join(tmpdir(), 'arcmesh-check-pki-'));
  caBundle = Buffer.from((await loadOrCreatePki(pkiDir)).caPem).toString('base64');
  await rm(pkiDir, { recursive: true, force: true });
});
afterAll(async () => {
  await cluster?.close();
});

const check = async (...args: string[]) => {
  const result = await cluster.arcmesh(['check', '-o', 'json', ...args]);
  return { ...result, results: result.json<Result[]>() };
};
const byName = (results: Result[], fragment: string) => results.find((r) => r.name.includes(fragment));

/** A CRD the fixtures do not have yet (until the chart lands), with an open schema. */
function openCrd(name: string): string {
  const [plural, ...group] = name.split('.');
  const kind = plural!.replace(/(es|s)$/, '').replace(/^./, (c) => c.toUpperCase());
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: ${name} }
spec:
  group: ${group.join('.')}
  scope: Namespaced
  names: { kind: ${kind}X, plural: ${plural}, listKind: ${kind}XList, singular: ${plural}-one }
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`;
}

function webhookConfigs(bundle: string): string {
  // Selectors no namespace matches: the sandbox never has to call these webhooks.
  return `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: { name: arc-osm-webhook-osm, labels: { meshName: osm, app: osm-injector } }
webhooks:
  - name: osm-inject.k8s.io
    clientConfig: { service: { name: osm-injector, namespace: ${OSM_NAMESPACE}, path: /mutate-pod-creation, port: 9090 }, caBundle: ${bundle} }
    rules: [{ apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
    namespaceSelector: { matchLabels: { arcmesh-test: never } }
    failurePolicy: Ignore
    sideEffects: None
    admissionReviewVersions: [v1]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: osm-validator-mesh-osm, labels: { meshName: osm, app: osm-controller } }
webhooks:
  - name: osm-validator.k8s.io
    clientConfig: { service: { name: osm-validator, namespace: ${OSM_NAMESPACE}, path: /validate, port: 9093 }, caBundle: ${bundle} }
    rules: [{ apiGroups: [policy.openservicemesh.io], apiVersions: ['*'], operations: [CREATE, UPDATE], resources: [ingressbackends] }]
    namespaceSelector: { matchLabels: { arcmesh-test: never } }
    failurePolicy: Ignore
    sideEffects: None
    admissionReviewVersions: [v1]
`;
}

const service = (name: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${OSM_NAMESPACE} }
spec: { selector: { app: ${name} }, ports: [{ port: 443, targetPort: 9090 }] }
`;

const rolledOut = (name: string) =>
  cluster.kubectlOk(['rollout', 'status', `deployment/${name}`, '-n', OSM_NAMESPACE, '--timeout=60s']);

describe('check (post-install)', () => {
  it('fails a half-installed control plane, with a hint for each failure, and exits 1', async () => {
    const { code, results, stderr } = await check();
    expect(code).toBe(1);
    expect(stderr).toContain('checks failed');
    expect(byName(results, 'can query the Kubernetes API')?.status).toBe('ok');
    expect(byName(results, 'is running Kubernetes v1.34')?.status).toBe('ok');
    expect(byName(results, `control plane namespace ${OSM_NAMESPACE} exists (mesh [osm])`)?.status).toBe('ok');
    expect(byName(results, 'meshconfigs.config.openservicemesh.io is Established')?.status).toBe('ok');
    expect(byName(results, 'ingressbackends.policy.openservicemesh.io is installed')).toMatchObject({
      status: 'failed',
    });
    expect(byName(results, 'osm-injector is deployed')).toMatchObject({
      status: 'failed',
      hint: expect.stringContaining('Reinstall'),
    });
    expect(byName(results, 'mutating webhook configuration for the control plane exists')?.status).toBe('failed');
    expect(byName(results, 'is valid against the CRD schema')?.status).toBe('ok');
    for (const result of results.filter((r) => r.status !== 'ok')) expect(result.hint).toBeTruthy();
  });

  it('passes once the control plane is complete and ready', async () => {
    const missing = OSM_CRDS.filter(
      (name) =>
        ![
          'meshconfigs.config.openservicemesh.io',
          'traffictargets.access.smi-spec.io',
          'httproutegroups.specs.smi-spec.io',
        ].includes(name),
    );
    await cluster.kubectlOk(['apply', '-f', '-'], missing.map(openCrd).join('---\n'));
    await cluster.kubectlOk(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=20s']);
    await cluster.kubectlOk(['apply', '-f', '-'], controllerDeployment(OSM_NAMESPACE, 'osm', 'osm-injector'));
    await rolledOut('osm-controller');
    await rolledOut('osm-injector');
    await cluster.kubectlOk(
      ['apply', '-f', '-'],
      [service('osm-injector'), service('osm-validator'), webhookConfigs(caBundle)].join('---\n'),
    );

    const { code, results } = await check();
    expect(results.filter((r) => r.status === 'failed')).toEqual([]);
    expect(code).toBe(0);
    expect(byName(results, 'mutating webhook arc-osm-webhook-osm has a valid CA bundle')?.status).toBe('ok');
    expect(byName(results, `points to service ${OSM_NAMESPACE}/osm-validator, which exists`)?.status).toBe('ok');
    // No namespace is in the mesh yet.
    expect(byName(results, 'some namespace is in the mesh')?.status).toBe('warning');

    const table = await cluster.arcmesh(['check', '-o', 'table']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('kubernetes-api\n--------------\n✔ can query the Kubernetes API');
    expect(table.stdout).toContain('‼ some namespace is in the mesh');
    expect(table.stdout).toContain('Status check results are ✔ (1 warning)');
  });

  it('warns about mesh namespaces without TrafficTargets when permissive mode is off, and pods without the sidecar', async () => {
    await cluster.kubectlOk(['create', 'namespace', 'bookbuyer']);
    await cluster.kubectlOk(['create', 'namespace', 'bookstore']);
    await cluster.kubectlOk(['apply', '-f', '-'], appDeployment('bookbuyer', 'bookbuyer'));
    await cluster.kubectlOk(['rollout', 'status', 'deployment/bookbuyer', '-n', 'bookbuyer', '--timeout=60s']);
    expect((await cluster.arcmesh(['namespace', 'add', 'bookbuyer', 'bookstore'])).code).toBe(0);
    expect((await cluster.arcmesh(['meshconfig', 'set', 'traffic.enablePermissiveTrafficPolicyMode=false'])).code).toBe(
      0,
    );
    await cluster.kubectlOk(['apply', '-f', `${FIXTURES}seed/smi-policy.yaml`]);

    const { code, results } = await check();
    expect(code).toBe(0);
    expect(byName(results, 'permissive mode is off')).toMatchObject({
      status: 'warning',
      hint: expect.stringContaining('No TrafficTarget lets traffic into bookbuyer,'),
    });
    expect(byName(results, 'pods in bookbuyer have the envoy sidecar')).toMatchObject({
      status: 'warning',
      hint: expect.stringContaining('arcmesh namespace add bookbuyer --restart'),
    });
    expect(byName(results, 'pods in bookstore have the envoy sidecar')?.status).toBe('ok');
  });

  it('fails a webhook whose caBundle is not a certificate or whose service is gone', async () => {
    await cluster.kubectlOk([
      'patch',
      'mutatingwebhookconfiguration',
      'arc-osm-webhook-osm',
      '--type=json',
      '-p',
      `[{"op":"replace","path":"/webhooks/0/clientConfig/caBundle","value":"${Buffer.from('not a cert').toString('base64')}"}]`,
    ]);
    await cluster.kubectlOk(['delete', 'service', 'osm-validator', '-n', OSM_NAMESPACE]);
    await cluster.kubectlOk(['scale', 'deployment', 'osm-injector', '-n', OSM_NAMESPACE, '--replicas=0']);
    const { code, results } = await check();
    expect(code).toBe(1);
    expect(byName(results, 'mutating webhook arc-osm-webhook-osm has a valid CA bundle')).toMatchObject({
      status: 'failed',
      hint: expect.stringContaining('caBundle is not a certificate'),
    });
    expect(byName(results, 'osm-validator, which exists')?.status).toBe('failed');
    expect(byName(results, 'osm-injector is ready (0/0)')).toMatchObject({
      status: 'failed',
      hint: expect.stringContaining('kubectl get pods -n arc-osm-system -l app=osm-injector'),
    });
  });
});

describe('check --pre', () => {
  it('refuses a cluster that already has a mesh; the admin may create everything the chart needs', async () => {
    const { code, results } = await check('--pre');
    expect(code).toBe(1);
    expect(byName(results, 'no Open Service Mesh installed')).toMatchObject({
      status: 'failed',
      hint: expect.stringContaining(`already installed in namespace ${OSM_NAMESPACE}`),
    });
    expect(byName(results, 'no Istio installed')?.status).toBe('ok');
    const rbac = results.filter((r) => r.category === 'pre-install' && r.name.startsWith('can '));
    expect(rbac.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'can create customresourcedefinitions.apiextensions.k8s.io',
        'can create clusterroles.rbac.authorization.k8s.io',
        'can create mutatingwebhookconfigurations.admissionregistration.k8s.io',
        'can create namespaces',
        `can create deployments.apps in namespace ${OSM_NAMESPACE}`,
      ]),
    );
    for (const r of rbac) expect(r.status).toBe('ok');
  });

  it('fails, with a hint, for a user RBAC does not let create what the chart needs', async () => {
    const limited = await serviceAccountKubeconfig(cluster.kube, 'default', 'pre-checker');
    await cluster.kubectlOk(
      ['apply', '-f', '-'],
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: crd-creator }
rules: [{ apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: [create] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: pre-checker-crds }
subjects: [{ kind: ServiceAccount, name: pre-checker, namespace: default }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: crd-creator }
`,
    );
    const result = await runCli(['check', '--pre', '-o', 'json', '--kubeconfig', limited], {
      env: { HOME: cluster.kube.stateDir },
    });
    expect(result.code).toBe(1);
    const results = result.json<Result[]>();
    expect(byName(results, 'can create customresourcedefinitions')?.status).toBe('ok');
    expect(byName(results, 'can create clusterroles')).toMatchObject({
      status: 'failed',
      hint: 'The kubeconfig user may not create clusterroles.rbac.authorization.k8s.io; installing the chart needs cluster-admin or an equivalent role.',
    });
    for (const fragment of ['mutatingwebhookconfigurations', 'can create namespaces', 'deployments.apps in namespace'])
      expect(byName(results, fragment)?.status).toBe('failed');
  });

  it('passes an empty cluster and fails one with Istio', async () => {
    const empty = await startMeshCluster({ withMesh: false });
    try {
      const clean = await empty.arcmesh(['check', '--pre', '-o', 'json']);
      expect(clean.json<Result[]>().filter((r) => r.status === 'failed')).toEqual([]);
      expect(clean.code).toBe(0);
      await empty.kubectlOk(['apply', '-f', '-'], openCrd('virtualservices.networking.istio.io'));
      const istio = await empty.arcmesh(['check', '--pre', '-o', 'json']);
      expect(istio.code).toBe(1);
      expect(byName(istio.json<Result[]>(), 'no Istio installed')).toMatchObject({
        status: 'failed',
        hint: expect.stringContaining('virtualservices.networking.istio.io'),
      });
    } finally {
      await empty.close();
    }
  });
});
