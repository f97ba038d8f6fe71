/**
 * `arcmesh meshconfig show|patch|set` against the Kubernetes sandbox: seed 000's permissive-mode check, seed
 * 001's patch to permissive false and its refused `enableEgress "no"` (with kubectl's message for parity),
 * seed 004's certificate.ingressGateway section, and bad input refused before any write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OSM_NAMESPACE, startMeshCluster, type MeshCluster } from '../helpers/mesh-cluster.js';

let cluster: MeshCluster;
beforeAll(async () => {
  cluster = await startMeshCluster();
});
afterAll(async () => {
  await cluster?.close();
});

const REFUSED_EGRESS =
  'The MeshConfig "osm-mesh-config" is invalid: spec.traffic.enableEgress: Invalid value: "string": spec.traffic.enableEgress in body must be of type boolean: "string"';

const generation = async () =>
  Number(
    await cluster.kubectlOk([
      'get',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      OSM_NAMESPACE,
      '-o',
      'jsonpath={.metadata.generation}',
    ]),
  );

describe('meshconfig', () => {
  it('shows the MeshConfig of the installed mesh without being told its namespace (seed 000 permissive check)', async () => {
    const shown = await cluster.arcmesh(['meshconfig', 'show']);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.json()).toMatchObject({
      kind: 'MeshConfig',
      metadata: { name: 'osm-mesh-config', namespace: OSM_NAMESPACE },
      spec: { traffic: { enablePermissiveTrafficPolicyMode: true, enableEgress: true } },
    });
    const query = await cluster.arcmesh([
      'meshconfig',
      'show',
      '--query',
      'spec.traffic.enablePermissiveTrafficPolicyMode',
    ]);
    expect(query.stdout.trim()).toBe('true');
    const table = await cluster.arcmesh(['meshconfig', 'show', '-o', 'table']);
    expect(table.stdout).toMatch(/traffic\.enablePermissiveTrafficPolicyMode\s+true/);
    expect(table.stdout).toMatch(/observability\.tracing\.port\s+9411/);
  });

  it('patches permissive mode off (seed 001) and refuses enableEgress "no" with the API message, like kubectl', async () => {
    const patched = await cluster.arcmesh([
      'meshconfig',
      'patch',
      '--patch',
      '{"spec":{"traffic":{"enablePermissiveTrafficPolicyMode":false}}}',
      '--type',
      'merge',
    ]);
    expect(patched.code).toBe(0);
    expect(patched.json()).toMatchObject({ spec: { traffic: { enablePermissiveTrafficPolicyMode: false } } });

    const before = await generation();
    const refused = await cluster.arcmesh([
      'meshconfig',
      'patch',
      '--patch',
      '{"spec":{"traffic":{"enableEgress":"no"}}}',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`ERROR: ${REFUSED_EGRESS}`);
    expect(refused.stderr).toContain('arcmesh meshconfig set KEY=VALUE');
    expect(await generation()).toBe(before);

    const kubectl = await cluster.kubectl([
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      OSM_NAMESPACE,
      '-p',
      '{"spec":{"traffic":{"enableEgress":"no"}}}',
      '--type=merge',
    ]);
    expect(kubectl.code).not.toBe(0);
    expect(kubectl.stderr).toContain(REFUSED_EGRESS);
  });

  it('applies a JSON patch', async () => {
    const result = await cluster.arcmesh([
      'meshconfig',
      'patch',
      '--type',
      'json',
      '--patch',
      '[{"op":"replace","path":"/spec/observability/osmLogLevel","value":"debug"}]',
    ]);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ spec: { observability: { osmLogLevel: 'debug' } } });
  });

  it("adds seed 004's certificate.ingressGateway section", async () => {
    const ingressGateway = {
      secret: { name: 'nginx-client-cert-for-talking-to-osm', namespace: 'osm-system' },
      subjectAltNames: ['ingress-nginx.ingress.cluster.local'],
      validityDuration: '24h',
    };
    const result = await cluster.arcmesh([
      'meshconfig',
      'patch',
      '--patch',
      JSON.stringify({ spec: { certificate: { ingressGateway, certKeyBitSize: 2048 } } }),
    ]);
    expect(result.code).toBe(0);
    const certificate = JSON.parse(
      await cluster.kubectlOk([
        'get',
        'meshconfig',
        'osm-mesh-config',
        '-n',
        OSM_NAMESPACE,
        '-o',
        'jsonpath={.spec.certificate}',
      ]),
    ) as unknown;
    expect(certificate).toEqual({ ingressGateway, certKeyBitSize: 2048, serviceCertValidityDuration: '24h' });
  });

  it('sets typed values by path, several at once', async () => {
    const result = await cluster.arcmesh([
      'meshconfig',
      'set',
      'traffic.enablePermissiveTrafficPolicyMode=true',
      'spec.observability.tracing.port=9412',
      'certificate.ingressGateway.subjectAltNames=a.cluster.local,b.cluster.local',
    ]);
    expect(result.stderr).toBe('');
    expect(result.json()).toMatchObject({
      spec: {
        traffic: { enablePermissiveTrafficPolicyMode: true },
        observability: { tracing: { port: 9412 } },
        certificate: { ingressGateway: { subjectAltNames: ['a.cluster.local', 'b.cluster.local'] } },
      },
    });
  });

  it('refuses unknown keys, wrong types and bad JSON locally, with exit 2 and nothing written', async () => {
    const before = await generation();
    const wrongType = await cluster.arcmesh(['meshconfig', 'set', 'traffic.enableEgress=no']);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toContain('traffic.enableEgress must be a boolean (true or false); "no" is not.');

    const unknown = await cluster.arcmesh(['meshconfig', 'set', 'traffic.enablePermisiveTrafficPolicyMode=false']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Did you mean "traffic.enablePermissiveTrafficPolicyMode"?');

    const leafOnly = await cluster.arcmesh(['meshconfig', 'set', 'enableEgress=false']);
    expect(leafOnly.code).toBe(2);
    expect(leafOnly.stderr).toContain('"traffic.enableEgress"');

    const range = await cluster.arcmesh(['meshconfig', 'set', 'observability.tracing.port=70000']);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('an integer from 1 to 65535');

    const badJson = await cluster.arcmesh(['meshconfig', 'patch', '--patch', '{spec:']);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain('--patch is not valid JSON');

    const notKeyValue = await cluster.arcmesh(['meshconfig', 'set', 'traffic.enableEgress']);
    expect(notKeyValue.code).toBe(2);
    expect(await generation()).toBe(before);
  });

  it('says where the mesh is when --osm-namespace names the wrong namespace', async () => {
    const result = await cluster.arcmesh(['meshconfig', 'show', '--osm-namespace', 'osm-system']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('No Open Service Mesh found in namespace osm-system');
    expect(result.stderr).toContain(`The mesh is in: ${OSM_NAMESPACE}`);
  });
});

describe('meshconfig on an OSM v0.8 install (osm-config ConfigMap)', () => {
  it('shows, sets and patches the ConfigMap keys through MeshConfig paths', async () => {
    await cluster.kubectlOk(['create', 'namespace', 'osm-v08']);
    await cluster.kubectlOk([
      'create',
      'configmap',
      'osm-config',
      '-n',
      'osm-v08',
      '--from-literal=permissive_traffic_policy_mode=true',
      '--from-literal=egress=false',
      '--from-literal=prometheus_scraping=true',
    ]);
    const shown = await cluster.arcmesh(['meshconfig', 'show', '--osm-namespace', 'osm-v08', '--query', 'data']);
    expect(shown.json()).toEqual({
      egress: 'false',
      permissive_traffic_policy_mode: 'true',
      prometheus_scraping: 'true',
    });

    const set = await cluster.arcmesh([
      'meshconfig',
      'set',
      '--osm-namespace',
      'osm-v08',
      'traffic.enablePermissiveTrafficPolicyMode=false',
      'tracing_port=9411',
    ]);
    expect(set.code).toBe(0);
    expect(set.json()).toMatchObject({ data: { permissive_traffic_policy_mode: 'false', tracing_port: '9411' } });

    const patched = await cluster.arcmesh([
      'meshconfig',
      'patch',
      '--osm-namespace',
      'osm-v08',
      '--patch',
      '{"spec":{"traffic":{"enableEgress":true}}}',
    ]);
    expect(patched.json()).toMatchObject({ data: { egress: 'true' } });

    const refused = await cluster.arcmesh([
      'meshconfig',
      'set',
      '--osm-namespace',
      'osm-v08',
      'traffic.enableEgress=no',
    ]);
    expect(refused.code).toBe(2);
    const unknown = await cluster.arcmesh(['meshconfig', 'set', '--osm-namespace', 'osm-v08', 'egres=true']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Did you mean "egress"?');
    await cluster.kubectlOk(['delete', 'namespace', 'osm-v08', '--wait=false']);
  });
});
