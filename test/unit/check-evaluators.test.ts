import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crdsEstablished,
  deploymentsReady,
  installAccess,
  kubernetesVersion,
  meshConfigValid,
  noOtherMesh,
  OSM_CRDS,
  parseCaBundle,
  renderChecks,
  runChecks,
  schemaProblems,
  sidecarsInjected,
  trafficPolicies,
  webhooksHealthy,
  type CheckResult,
} from '../../src/lib/check/checks.js';
import type { ClusterSnapshot } from '../../src/lib/check/snapshot.js';
import { loadOrCreatePki } from '../../src/sandbox/pki.js';

let caBundle: string;
let pkiDir: string;
beforeAll(async () => {
  pkiDir = await mkdtemp(join(tmpdir(), 'arcmesh-check-unit-'));
  caBundle = Buffer.from((await loadOrCreatePki(pkiDir)).caPem).toString('base64');
});
afterAll(async () => {
  await rm(pkiDir, { recursive: true, force: true });
});

const NOW = new Date();
const mesh = {
  namespace: 'arc-osm-system',
  meshName: 'osm',
  settings: 'meshconfig' as const,
  meshConfigVersion: 'v1alpha1',
  hasController: true,
};
const base = (overrides: Partial<ClusterSnapshot> = {}): ClusterSnapshot => ({
  pre: false,
  version: { ok: true, value: { gitVersion: 'v1.30.6', major: '1', minor: '30' } },
  mesh: { ok: true, value: mesh },
  now: NOW,
  ...overrides,
});
const statuses = (results: CheckResult[]) => results.map((r) => `${r.status} ${r.name}`);

describe('API and version', () => {
  it('stops at an unreachable API with a hint', () => {
    const results = runChecks(
      base({ version: { ok: false, error: 'Could not reach the Kubernetes API (ECONNREFUSED).' } }),
    );
    expect(results).toEqual([
      {
        category: 'kubernetes-api',
        name: 'can query the Kubernetes API',
        status: 'failed',
        hint: expect.stringContaining('ECONNREFUSED'),
      },
    ]);
  });

  it('accepts 1.19 and newer, fails older (minor versions like "18+" included)', () => {
    expect(kubernetesVersion(base())[0]!.status).toBe('ok');
    expect(
      kubernetesVersion(base({ version: { ok: true, value: { gitVersion: 'v1.18.2', major: '1', minor: '18+' } } }))[0]!
        .status,
    ).toBe('failed');
  });
});

describe('pre-install', () => {
  it('fails each right the user lacks, and only warns when the review API is not served', () => {
    const results = installAccess(
      base({
        access: {
          ok: true,
          value: [
            { verb: 'create', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', allowed: true },
            {
              verb: 'create',
              group: 'apps',
              resource: 'deployments',
              namespace: 'arc-osm-system',
              allowed: false,
              reason: 'no binding',
            },
          ],
        },
      }),
    );
    expect(statuses(results)).toEqual([
      'ok can create customresourcedefinitions.apiextensions.k8s.io',
      'failed can create deployments.apps in namespace arc-osm-system',
    ]);
    expect(results[1]!.hint).toContain('(no binding)');
    expect(installAccess(base({ access: { ok: false, error: 'not served' } }))[0]!.status).toBe('warning');
  });

  it('fails when another mesh or OSM itself is already there', () => {
    const results = noOtherMesh(
      base({
        crdNames: { ok: true, value: ['virtualservices.networking.istio.io', 'widgets.example.com'] },
        // Two meshes: no single one can be chosen, but both count as installed.
        mesh: { ok: false, error: 'More than one Open Service Mesh' },
        osmNamespaces: { ok: true, value: ['arc-osm-system', 'kube-system'] },
      }),
    );
    expect(statuses(results)).toEqual([
      'failed no Istio installed',
      'ok no Linkerd installed',
      'ok no Consul installed',
      'ok no Kuma installed',
      'failed no Open Service Mesh installed',
    ]);
    expect(results.at(-1)!.hint).toContain('installed in namespace arc-osm-system, kube-system');
    const empty = noOtherMesh(
      base({
        crdNames: { ok: true, value: [] },
        mesh: { ok: false, error: 'none' },
        osmNamespaces: { ok: true, value: [] },
      }),
    );
    expect(empty.every((r) => r.status === 'ok')).toBe(true);
  });
});

describe('control plane', () => {
  it('wants every OSM CRD installed and Established', () => {
    const crds = OSM_CRDS.map((name) => ({ name, established: name !== 'retries.policy.openservicemesh.io' })).filter(
      (crd) => crd.name !== 'tcproutes.specs.smi-spec.io',
    );
    const results = crdsEstablished(base({ crds: { ok: true, value: crds } }));
    expect(results.filter((r) => r.status === 'failed').map((r) => r.name)).toEqual([
      'retries.policy.openservicemesh.io is Established',
      'tcproutes.specs.smi-spec.io is installed',
    ]);
  });

  it('wants osm-controller and osm-injector deployed and ready', () => {
    const results = deploymentsReady(
      base({
        deployments: {
          ok: true,
          value: [{ name: 'osm-controller', namespace: 'arc-osm-system', replicas: 2, readyReplicas: 1 }],
        },
      }),
    );
    expect(statuses(results)).toEqual(['failed osm-controller is ready (1/2)', 'failed osm-injector is deployed']);
    expect(deploymentsReady(base({ deployments: { ok: false, error: 'forbidden' } }))[0]).toMatchObject({
      status: 'failed',
      hint: 'Could not read it: forbidden',
    });
  });

  it('checks each webhook CA bundle and service', () => {
    const client = (bundle: string | undefined, serviceExists: boolean) => ({
      webhook: 'osm-inject.k8s.io',
      caBundle: bundle,
      service: { namespace: 'arc-osm-system', name: 'osm-injector' },
      serviceExists,
      url: undefined,
    });
    const results = webhooksHealthy(
      base({
        webhooks: {
          ok: true,
          value: [{ kind: 'mutating', name: 'arc-osm-webhook-osm', clients: [client(caBundle, true)] }],
        },
      }),
    );
    expect(statuses(results)).toEqual([
      'warning validating webhook configuration for the control plane exists',
      'ok mutating webhook arc-osm-webhook-osm has a valid CA bundle',
      'ok mutating webhook arc-osm-webhook-osm points to service arc-osm-system/osm-injector, which exists',
    ]);
    const broken = webhooksHealthy(
      base({ webhooks: { ok: true, value: [{ kind: 'mutating', name: 'w', clients: [client(undefined, false)] }] } }),
    );
    expect(broken.filter((r) => r.status === 'failed')).toHaveLength(2);
    expect(webhooksHealthy(base({ webhooks: { ok: true, value: [] } }))[0]).toMatchObject({
      status: 'failed',
      name: 'mutating webhook configuration for the control plane exists',
    });
  });

  it('parses CA bundles: a certificate, garbage, an expired CA', () => {
    expect(parseCaBundle(caBundle, NOW)).toMatchObject({ ok: true });
    expect(parseCaBundle(Buffer.from('nope').toString('base64'), NOW)).toMatchObject({
      ok: false,
      why: expect.stringContaining('not a certificate'),
    });
    expect(parseCaBundle(caBundle, new Date('2200-01-01'))).toMatchObject({
      ok: false,
      why: expect.stringContaining('expired'),
    });
    expect(parseCaBundle(undefined, NOW)).toEqual({ ok: false, why: 'it has no caBundle' });
  });
});

describe('MeshConfig and namespaces', () => {
  const schema = {
    type: 'object',
    properties: {
      traffic: { type: 'object', properties: { enableEgress: { type: 'boolean' } } },
      observability: {
        type: 'object',
        properties: { osmLogLevel: { type: 'string', enum: ['info'] }, port: { type: 'integer', maximum: 10 } },
      },
      sidecar: {
        type: 'object',
        properties: { resources: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    },
  };

  it('finds schema problems: types, enums, ranges, unknown fields', () => {
    expect(
      schemaProblems({ traffic: { enableEgress: true }, sidecar: { resources: { any: 1 } } }, schema, 'spec'),
    ).toEqual([]);
    expect(
      schemaProblems(
        { traffic: { enableEgress: 'no', extra: 1 }, observability: { osmLogLevel: 'loud', port: 11 } },
        schema,
        'spec',
      ),
    ).toEqual([
      'spec.traffic.enableEgress must be of type boolean, not string',
      'spec.traffic.extra is not in the schema',
      'spec.observability.osmLogLevel must be one of "info"',
      'spec.observability.port must be at most 10',
    ]);
  });

  it('judges the MeshConfig, a missing one, and a v0.8 install', () => {
    const valid = meshConfigValid(
      base({
        meshConfig: { ok: true, value: { spec: { traffic: { enableEgress: true } }, schema, permissive: true } },
      }),
    );
    expect(valid[0]!.status).toBe('ok');
    const invalid = meshConfigValid(
      base({ meshConfig: { ok: true, value: { spec: { traffic: { enableEgress: 1 } }, schema, permissive: true } } }),
    );
    expect(invalid[0]).toMatchObject({ status: 'failed', hint: expect.stringContaining('arcmesh meshconfig set') });
    expect(meshConfigValid(base({ meshConfig: { ok: true, value: undefined } }))[0]!.status).toBe('failed');
    expect(
      meshConfigValid(
        base({
          meshConfig: { ok: true, value: { spec: undefined, schema: undefined, permissive: true, legacy: true } },
        }),
      )[0]!.status,
    ).toBe('ok');
  });

  it('warns when permissive mode is off and a mesh namespace has no TrafficTarget', () => {
    const namespaces = [
      { name: 'bookstore', injection: true, deploymentsWithoutSidecar: [], trafficTargets: 1 },
      { name: 'bookbuyer', injection: true, deploymentsWithoutSidecar: ['bookbuyer'], trafficTargets: 0 },
      { name: 'ingress', injection: false, deploymentsWithoutSidecar: [], trafficTargets: 0 },
    ];
    const snapshot = (permissive: boolean) =>
      base({
        meshConfig: { ok: true, value: { spec: {}, schema, permissive } },
        meshNamespaces: { ok: true, value: namespaces },
      });
    expect(trafficPolicies(snapshot(true))[0]!.status).toBe('ok');
    expect(trafficPolicies(snapshot(false))[0]).toMatchObject({
      status: 'warning',
      hint: expect.stringContaining('into bookbuyer, ingress'),
    });
    expect(statuses(sidecarsInjected(snapshot(false)))).toEqual([
      'ok pods in bookstore have the envoy sidecar',
      'warning pods in bookbuyer have the envoy sidecar',
    ]);
    expect(sidecarsInjected(base({ meshNamespaces: { ok: true, value: [] } }))[0]!.status).toBe('warning');
  });
});

describe('renderChecks', () => {
  it("prints linkerd's layout with ✔, ‼ and × and a summary", () => {
    const text = renderChecks([
      { category: 'kubernetes-api', name: 'can query the Kubernetes API', status: 'ok' },
      { category: 'osm-namespaces', name: 'pods have the sidecar', status: 'warning', hint: 'restart them' },
      { category: 'osm-namespaces', name: 'something', status: 'failed', hint: 'fix it' },
    ]);
    expect(text).toBe(
      [
        'kubernetes-api',
        '--------------',
        '✔ can query the Kubernetes API',
        '',
        'osm-namespaces',
        '--------------',
        '‼ pods have the sidecar',
        '    restart them',
        '× something',
        '    fix it',
        '',
        'Status check results are × (1 failed, 1 warning)',
        '',
      ].join('\n'),
    );
  });
});
