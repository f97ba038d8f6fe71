/**
 * The control plane chart with the real helm and kubectl: it lints, renders both Arc settings spellings the way
 * OSM's chart reads them, refuses wrongly typed values, and its CRDs are structural enough that the Kubernetes
 * sandbox serves them, accepts the seeds' objects and refuses the seed's bad patch with the apiserver's words.
 * The 1.1.1 fixture chart serves the older SMI versions seed 003 uses.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { INSTALL_ACCESS } from '../../src/lib/check/checks.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { helmPath } from '../helpers/tools.js';

const CHART = fileURLToPath(new URL('../../charts/arcmesh', import.meta.url));
const OLDER_CHART = fileURLToPath(new URL('../fixtures/charts/arcmesh-1.1.1', import.meta.url));
const SEED = fileURLToPath(new URL('../fixtures/seed/', import.meta.url));
const run = promisify(execFile);

interface HelmOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function helm(args: string[], env: NodeJS.ProcessEnv = {}): Promise<HelmOutcome> {
  try {
    const { stdout, stderr } = await run(helmPath(), args, { env: { ...process.env, ...env }, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, never>;
  data?: Record<string, string>;
};

async function render(...sets: string[]): Promise<Manifest[]> {
  const result = await helm([
    'template',
    'osm',
    CHART,
    '--namespace',
    'arc-osm-system',
    ...sets.flatMap((set) => ['--set', set]),
  ]);
  expect(result.stderr).toBe('');
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

const find = (manifests: Manifest[], kind: string, name: string) =>
  manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);

describe('chart rendering', () => {
  it('passes helm lint, as does the 1.1.1 fixture', async () => {
    for (const chart of [CHART, OLDER_CHART]) {
      const result = await helm(['lint', chart]);
      expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(result.code).toBe(0);
    }
  });

  it('renders the default MeshConfig with the seeds’ defaults in the release namespace', async () => {
    const meshConfig = find(await render(), 'MeshConfig', 'osm-mesh-config')!;
    expect(meshConfig.metadata.namespace).toBe('arc-osm-system');
    expect(meshConfig.spec).toMatchObject({
      certificate: { serviceCertValidityDuration: '24h' },
      featureFlags: { enableEgressPolicy: true, enableMulticlusterMode: false, enableWASMStats: true },
      observability: {
        enableDebugServer: false,
        osmLogLevel: 'info',
        tracing: {
          address: 'jaeger.osm-system.svc.cluster.local',
          enable: false,
          endpoint: '/api/v2/spans',
          port: 9411,
        },
      },
      sidecar: {
        configResyncInterval: '0s',
        enablePrivilegedInitContainer: false,
        envoyImage: 'mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3',
        initContainerImage: 'mcr.microsoft.com/oss/openservicemesh/init:v0.9.1',
        logLevel: 'error',
        maxDataPlaneConnections: 0,
        resources: {},
      },
      traffic: {
        enableEgress: false,
        enablePermissiveTrafficPolicyMode: true,
        inboundExternalAuthorization: {
          enable: false,
          failureModeAllow: false,
          statPrefix: 'inboundExtAuthz',
          timeout: '1s',
        },
        useHTTPSIngress: false,
      },
    });
  });

  it('reads the older Arc spelling osm.OpenServiceMesh.* into the MeshConfig and the v0.8 ConfigMap', async () => {
    const manifests = await render(
      'osm.OpenServiceMesh.enablePrivilegedInitContainer=true',
      'osm.OpenServiceMesh.enablePermissiveTrafficPolicy=false',
      'osm.configMap.enabled=true',
    );
    expect(find(manifests, 'MeshConfig', 'osm-mesh-config')!.spec).toMatchObject({
      sidecar: { enablePrivilegedInitContainer: true },
      traffic: { enablePermissiveTrafficPolicyMode: false },
    });
    expect(find(manifests, 'ConfigMap', 'osm-config')!.data).toEqual({
      egress: 'false',
      enable_debug_server: 'false',
      enable_privileged_init_container: 'true',
      envoy_log_level: 'error',
      permissive_traffic_policy_mode: 'false',
      prometheus_scraping: 'true',
      service_cert_validity_duration: '24h',
      tracing_enable: 'false',
      use_https_ingress: 'false',
    });
  });

  it('lets the current spelling osm.osm.* win over osm.OpenServiceMesh.* and both over osm.*', async () => {
    const manifests = await render(
      'osm.enablePrivilegedInitContainer=false',
      'osm.OpenServiceMesh.enablePrivilegedInitContainer=false',
      'osm.osm.enablePrivilegedInitContainer=true',
      'osm.OpenServiceMesh.meshName=older',
      'osm.osm.osmNamespace=arc-osm-system',
    );
    expect(find(manifests, 'MeshConfig', 'osm-mesh-config')!.spec).toMatchObject({
      sidecar: { enablePrivilegedInitContainer: true },
    });
    expect(find(manifests, 'MutatingWebhookConfiguration', 'osm-webhook-older')).toBeDefined();
    expect(find(manifests, 'ConfigMap', 'osm-config')).toBeUndefined();
  });

  it('renders the injector webhook for namespaces monitored by the mesh, and least-privilege RBAC', async () => {
    const manifests = await render('osm.meshName=bookstore-mesh');
    const webhook = find(manifests, 'MutatingWebhookConfiguration', 'osm-webhook-bookstore-mesh') as unknown as {
      webhooks: {
        namespaceSelector: { matchLabels: Record<string, string> };
        clientConfig: { service: { name: string } };
      }[];
    };
    expect(webhook.webhooks[0]!.namespaceSelector.matchLabels).toEqual({
      'openservicemesh.io/monitored-by': 'bookstore-mesh',
    });
    expect(webhook.webhooks[0]!.clientConfig.service.name).toBe('osm-injector');
    expect(find(manifests, 'ValidatingWebhookConfiguration', 'osm-validator-mesh-bookstore-mesh')).toBeDefined();
    const roles = manifests.filter((manifest) => manifest.kind === 'ClusterRole') as unknown as {
      rules: { verbs: string[]; resources: string[]; resourceNames?: string[] }[];
    }[];
    expect(roles).toHaveLength(2);
    for (const rule of roles.flatMap((role) => role.rules)) {
      expect(rule.resources).not.toContain('*');
      expect(rule.verbs).not.toContain('*');
      // Anything but reading is limited to named objects or to status. The exceptions: recording Events, which must
      // live in the namespace of the object they are about (a refused TrafficSplit's, say); the injector's bootstrap
      // Secrets, created in the namespace of each pod it injects; and creating its webhook configuration when the
      // chart's is missing (RBAC cannot limit create to a name).
      const only = (resource: string, verbs: string[]) =>
        rule.resources.join() === resource && rule.verbs.every((verb) => verbs.includes(verb));
      const exception =
        only('events', ['create', 'patch']) ||
        only('secrets', ['get', 'create']) ||
        only('mutatingwebhookconfigurations', ['create']);
      if (!exception && rule.verbs.some((verb) => !['get', 'list', 'watch'].includes(verb))) {
        expect(
          rule.resourceNames ?? rule.resources.filter((resource) => resource.endsWith('/status')),
        ).not.toHaveLength(0);
      }
    }
  });

  it('renders only kinds `check --pre` asks the API it may create', async () => {
    const asked = new Set(INSTALL_ACCESS.map((access) => `${access.group}/${access.resource}`));
    const rendered = new Set(
      (await render('osm.configMap.enabled=true')).map((manifest) => {
        const group = manifest.apiVersion.includes('/') ? manifest.apiVersion.split('/')[0] : '';
        return `${group}/${manifest.kind.toLowerCase()}s`;
      }),
    );
    expect([...rendered].filter((resource) => !asked.has(resource))).toEqual([]);
    expect(rendered.size).toBeGreaterThan(8);
  });

  it('refuses a wrongly typed value and an unknown key with helm’s schema messages', async () => {
    const wrongType = await helm([
      'template',
      'osm',
      CHART,
      '--set-string',
      'osm.osm.enablePrivilegedInitContainer=true',
    ]);
    expect(wrongType.code).toBe(1);
    expect(wrongType.stderr).toBe(
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):\narcmesh:\n- at '/osm/osm/enablePrivilegedInitContainer': got string, want boolean\n\n",
    );
    const unknownKey = await helm([
      'template',
      'osm',
      CHART,
      '--set',
      'osm.OpenServiceMesh.enablePermisiveTrafficPolicy=true',
    ]);
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.stderr).toContain(
      "- at '/osm/OpenServiceMesh': additional properties 'enablePermisiveTrafficPolicy' not allowed",
    );
  });
});

describe('chart CRDs in the Kubernetes sandbox', () => {
  let kube: TestKube;
  beforeAll(async () => {
    kube = await startTestKube({ clusters: ['arc-cluster'] });
  });
  afterAll(async () => {
    await kube?.close();
  });

  async function ok(args: string[], input?: string): Promise<string> {
    const result = await kube.kubectl(args, input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  }

  it('creates every CRD and each becomes Established', async () => {
    const created = (await ok(['apply', '-f', `${CHART}/crds/`])).trim().split('\n').sort();
    expect(created).toEqual(
      [
        'egresses.policy.openservicemesh.io',
        'httproutegroups.specs.smi-spec.io',
        'ingressbackends.policy.openservicemesh.io',
        'meshconfigs.config.openservicemesh.io',
        'meshrootcertificates.config.openservicemesh.io',
        'retries.policy.openservicemesh.io',
        'tcproutes.specs.smi-spec.io',
        'trafficsplits.split.smi-spec.io',
        'traffictargets.access.smi-spec.io',
        'upstreamtrafficsettings.policy.openservicemesh.io',
      ].map((name) => `customresourcedefinition.apiextensions.k8s.io/${name} created`),
    );
    await ok(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=20s']);
    expect(await ok(['api-resources', '--api-group=config.openservicemesh.io', '--no-headers'])).toMatch(
      /^meshconfigs\s+meshconfig\s+config\.openservicemesh\.io\/v1alpha2\s+true\s+MeshConfig$/m,
    );
  });

  it('accepts the seeds’ MeshConfig (v1alpha1), SMI policies, TrafficSplit and IngressBackend', async () => {
    for (const namespace of ['arc-osm-system', 'bookstore', 'sample1', 'osm-canary-deployment-sample-app']) {
      await ok(['create', 'namespace', namespace]);
    }
    const applied = await kube.kubectl([
      'apply',
      '-f',
      `${SEED}meshconfig.yaml`,
      '-f',
      `${SEED}smi-policy.yaml`,
      '-f',
      `${SEED}trafficsplit.yaml`,
      '-f',
      `${SEED}ingressbackend.yaml`,
    ]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toBe(
      [
        'meshconfig.config.openservicemesh.io/osm-mesh-config created',
        'traffictarget.access.smi-spec.io/bookbuyer-access-bookstore-v1 created',
        'httproutegroup.specs.smi-spec.io/bookstore-service-routes created',
        'trafficsplit.split.smi-spec.io/canary-deployment created',
        'ingressbackend.policy.openservicemesh.io/aks-helloworld created',
        '',
      ].join('\n'),
    );
    const headers = await ok([
      'get',
      'httproutegroup',
      'bookstore-service-routes',
      '-n',
      'bookstore',
      '-o',
      'jsonpath={.spec.matches[0].headers}',
    ]);
    expect(JSON.parse(headers)).toEqual([{ 'user-agent': '.*-http-client/*.*' }, { 'client-app': 'bookbuyer' }]);
  });

  it('takes seed 004’s certificate.ingressGateway section and refuses one without its secret', async () => {
    const patch = await readFile(`${SEED}meshconfig-ingress-gateway.json`, 'utf8');
    await ok(['patch', 'meshconfig', 'osm-mesh-config', '-n', 'arc-osm-system', '--type=merge', '-p', patch]);
    expect(
      await ok([
        'get',
        'meshconfig',
        'osm-mesh-config',
        '-n',
        'arc-osm-system',
        '-o',
        'jsonpath={.spec.certificate.ingressGateway.secret.name}',
      ]),
    ).toBe('nginx-client-cert-for-talking-to-osm');
    const refused = await kube.kubectl([
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'arc-osm-system',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/spec/certificate/ingressGateway/secret"}]',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'The MeshConfig "osm-mesh-config" is invalid: spec.certificate.ingressGateway.secret: Required value\n',
    );
  });

  it('refuses seed 001’s enableEgress "no" with the apiserver’s exact message', async () => {
    const result = await kube.kubectl([
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'arc-osm-system',
      '-p',
      '{"spec":{"traffic":{"enableEgress":"no"}}}',
      '--type=merge',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'The MeshConfig "osm-mesh-config" is invalid: spec.traffic.enableEgress: Invalid value: "string": spec.traffic.enableEgress in body must be of type boolean: "string"\n',
    );
  });

  it('does not serve the SMI versions OSM 1.x dropped', async () => {
    await ok(['create', 'namespace', 'osm-simple-app']);
    const result = await kube.kubectl(['apply', '-f', `${SEED}smi-policy-v1alpha2.yaml`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no matches for kind "TrafficTarget" in version "access.smi-spec.io/v1alpha2"');
  });
});

describe('the 1.1.1 fixture chart', () => {
  let kube: TestKube;
  beforeAll(async () => {
    // The fixture's controller is today's control plane, which does not run against the 1.1.1 CRDs: this test is
    // about helm and the CRDs, so the node only reports its containers.
    kube = await startTestKube({ clusters: ['old-cluster'], runContainers: false });
  });
  afterAll(async () => {
    await kube?.close();
  });

  it('installs with helm and serves seed 003’s older SMI versions', async () => {
    const installed = await helm(
      [
        'install',
        'osm',
        OLDER_CHART,
        '--namespace',
        'arc-osm-system',
        '--create-namespace',
        '--kubeconfig',
        kube.kubeconfig,
        '--wait=watcher',
        '--timeout',
        '60s',
      ],
      { HOME: kube.stateDir },
    );
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
    expect(
      (
        await kube.kubectl([
          'get',
          'meshconfig',
          'osm-mesh-config',
          '-n',
          'arc-osm-system',
          '-o',
          'jsonpath={.apiVersion}',
        ])
      ).stdout,
    ).toBe('config.openservicemesh.io/v1alpha1');
    await kube.kubectl(['create', 'namespace', 'osm-simple-app']);
    const applied = await kube.kubectl(['apply', '-f', `${SEED}smi-policy-v1alpha2.yaml`]);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe(
      'traffictarget.access.smi-spec.io/api created\nhttproutegroup.specs.smi-spec.io/api-service-routes created\n',
    );
  });

  it('cannot be upgraded to 1.2.5 until the new CRDs are applied, then keeps the MeshConfig', async () => {
    const upgrade = () =>
      helm(
        [
          'upgrade',
          'osm',
          CHART,
          '--namespace',
          'arc-osm-system',
          '--kubeconfig',
          kube.kubeconfig,
          '--wait=watcher',
          '--timeout',
          '60s',
        ],
        { HOME: kube.stateDir },
      );
    const refused = await upgrade();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "Error: UPGRADE FAILED: execution error at (arcmesh/templates/meshconfig.yaml:11:4): the MeshConfig CRD in this cluster does not serve config.openservicemesh.io/v1alpha2: it comes from an older chart, and helm never upgrades CRDs. Apply this chart's CRDs first (kubectl apply --server-side -f crds/), then upgrade.\n",
    );
    await kube.kubectl([
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'arc-osm-system',
      '--type=merge',
      '-p',
      '{"spec":{"traffic":{"enableEgress":true}}}',
    ]);

    const crds = await kube.kubectl(['apply', '--server-side', '--force-conflicts', '-f', `${CHART}/crds/`]);
    expect(crds.stderr).toBe('');
    const upgraded = await upgrade();
    expect(upgraded.stderr).toBe('');
    expect(upgraded.code).toBe(0);
    const meshConfig = JSON.parse(
      (await kube.kubectl(['get', 'meshconfig', 'osm-mesh-config', '-n', 'arc-osm-system', '-o', 'json'])).stdout,
    ) as { apiVersion: string; spec: { traffic: { enableEgress: boolean } } };
    expect(meshConfig.apiVersion).toBe('config.openservicemesh.io/v1alpha2');
    expect(meshConfig.spec.traffic.enableEgress).toBe(true);
    const stored = await kube.kubectl([
      'get',
      'crd',
      'meshconfigs.config.openservicemesh.io',
      '-o',
      'jsonpath={.status.storedVersions}',
    ]);
    expect(JSON.parse(stored.stdout)).toEqual(['v1alpha1', 'v1alpha2']);
  });
});
