/**
 * Custom resources in the Kubernetes API sandbox with the real kubectl: CRDs become Established and served,
 * the seed's MeshConfig and SMI policies apply, validation errors read exactly as the apiserver's, and
 * deleting CRDs removes their objects.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customResourceDefinition } from '../helpers/kube-crd.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
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

describe('custom resources', () => {
  it('applies the CRDs and marks them Established with accepted names', async () => {
    const output = await ok(['apply', '-f', `${FIXTURES}crds/`]);
    expect(output.split('\n').filter(Boolean).sort()).toEqual([
      'customresourcedefinition.apiextensions.k8s.io/httproutegroups.specs.smi-spec.io created',
      'customresourcedefinition.apiextensions.k8s.io/meshconfigs.config.openservicemesh.io created',
      'customresourcedefinition.apiextensions.k8s.io/traffictargets.access.smi-spec.io created',
    ]);
    await ok(['wait', '--for=condition=Established', 'crd/meshconfigs.config.openservicemesh.io', '--timeout=20s']);
    const status = JSON.parse(
      await ok(['get', 'crd', 'meshconfigs.config.openservicemesh.io', '-o', 'jsonpath={.status}']),
    ) as {
      acceptedNames: { kind: string; plural: string };
      storedVersions: string[];
    };
    expect(status.acceptedNames).toMatchObject({ kind: 'MeshConfig', plural: 'meshconfigs' });
    expect(status.storedVersions).toEqual(['v1alpha1']);
    expect(await ok(['api-resources', '--api-group=config.openservicemesh.io', '--no-headers'])).toMatch(
      /^meshconfigs\s+meshconfig\s+config\.openservicemesh\.io\/v1alpha1\s+true\s+MeshConfig$/m,
    );
  });

  it('refuses a CRD whose name is not plural.group', async () => {
    const crd = (await readFile(`${FIXTURES}crds/meshconfig.yaml`, 'utf8')).replace(
      'name: meshconfigs.config.openservicemesh.io',
      'name: meshes.config.openservicemesh.io',
    );
    const result = await kube.kubectl(['apply', '-f', '-'], crd);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'The CustomResourceDefinition "meshes.config.openservicemesh.io" is invalid: metadata.name: Invalid value: "meshes.config.openservicemesh.io": must be spec.names.plural+"."+spec.group\n',
    );
  });

  it('applies the seed MeshConfig and shows it as the seed does', async () => {
    await ok(['create', 'namespace', 'arc-osm-system']);
    expect(await ok(['apply', '-f', `${FIXTURES}seed/meshconfig.yaml`])).toBe(
      'meshconfig.config.openservicemesh.io/osm-mesh-config created\n',
    );
    const yaml = await ok(['get', 'meshconfig', 'osm-mesh-config', '-n', 'arc-osm-system', '-o', 'yaml']);
    expect(yaml).toMatch(/^apiVersion: config\.openservicemesh\.io\/v1alpha1\nkind: MeshConfig\n/);
    expect(yaml).toMatch(/^ {2}generation: 1$/m);
    expect(yaml).toMatch(/^ {4}enableEgress: true$/m);
    expect(yaml).toMatch(/^ {4}osmLogLevel: info$/m);
  });

  it('rejects the seed patch with the apiserver’s exact message', async () => {
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

  it('accepts a valid merge patch, bumping the generation', async () => {
    await ok([
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'arc-osm-system',
      '-p',
      '{"spec":{"traffic":{"enableEgress":false}}}',
      '--type=merge',
    ]);
    const spec = JSON.parse(
      await ok(['get', 'meshconfig', 'osm-mesh-config', '-n', 'arc-osm-system', '-o', 'json']),
    ) as {
      metadata: { generation: number };
      spec: { traffic: { enableEgress: boolean } };
    };
    expect(spec.spec.traffic.enableEgress).toBe(false);
    expect(spec.metadata.generation).toBe(2);
  });

  it('reports enum, range and required violations', async () => {
    const result = await kube.kubectl([
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'arc-osm-system',
      '--type=merge',
      '-p',
      '{"spec":{"observability":{"osmLogLevel":"loud","tracing":{"port":0}}}}',
    ]);
    expect(result.stderr).toBe(
      'The MeshConfig "osm-mesh-config" is invalid: \n' +
        '* spec.observability.osmLogLevel: Unsupported value: "loud": supported values: "trace", "debug", "info", "warn", "error", "fatal", "panic", "disabled"\n' +
        '* spec.observability.tracing.port: Invalid value: 0: spec.observability.tracing.port in body should be greater than or equal to 1\n',
    );
  });

  it('defaults and prunes on create', async () => {
    await ok(['create', 'namespace', 'defaults']);
    await ok(
      ['apply', '--validate=false', '-f', '-'],
      JSON.stringify({
        apiVersion: 'config.openservicemesh.io/v1alpha1',
        kind: 'MeshConfig',
        metadata: { name: 'sparse', namespace: 'defaults' },
        spec: { certificate: {}, unknownSection: { x: 1 } },
      }),
    );
    const spec = JSON.parse(
      await ok(['get', 'meshconfig', 'sparse', '-n', 'defaults', '-o', 'jsonpath={.spec}']),
    ) as Record<string, unknown>;
    expect(spec).toEqual({ certificate: { serviceCertValidityDuration: '24h' } });
  });

  it('refuses unknown fields under kubectl’s default strict validation, and warns under --validate=warn', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'config.openservicemesh.io/v1alpha1',
      kind: 'MeshConfig',
      metadata: { name: 'typo', namespace: 'defaults' },
      spec: { trafic: { enableEgress: true } },
    });
    const strict = await kube.kubectl(['apply', '-f', '-'], manifest);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe(
      'Error from server (BadRequest): error when creating "STDIN": MeshConfig in version "v1alpha1" cannot be handled as a MeshConfig: strict decoding error: unknown field "spec.trafic"\n',
    );
    const warned = await kube.kubectl(['apply', '--validate=warn', '-f', '-'], manifest);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toBe('Warning: unknown field "spec.trafic"\n');
    expect(warned.stdout).toBe('meshconfig.config.openservicemesh.io/typo created\n');
  });

  it('applies the seed TrafficTarget and HTTPRouteGroup, with printer columns', async () => {
    await ok(['create', 'namespace', 'bookstore']);
    const output = await ok(['apply', '-f', `${FIXTURES}seed/smi-policy.yaml`]);
    expect(output).toBe(
      'traffictarget.access.smi-spec.io/bookbuyer-access-bookstore-v1 created\nhttproutegroup.specs.smi-spec.io/bookstore-service-routes created\n',
    );
    expect(await ok(['get', 'traffictargets', '-n', 'bookstore'])).toMatch(
      /^NAME\s+DESTINATION\s+AGE\nbookbuyer-access-bookstore-v1\s+bookstore\s+\d+s\n$/,
    );
    expect(await ok(['apply', '-f', `${FIXTURES}seed/smi-policy.yaml`])).toBe(
      'traffictarget.access.smi-spec.io/bookbuyer-access-bookstore-v1 unchanged\nhttproutegroup.specs.smi-spec.io/bookstore-service-routes unchanged\n',
    );
  });

  it('explains a CRD field from the OpenAPI v3 document', async () => {
    const output = await ok(['explain', 'meshconfig.spec.traffic.enableEgress']);
    expect(output).toContain('KIND:       MeshConfig');
    expect(output).toMatch(/FIELD: enableEgress <boolean>/);
    expect(output).toContain('Enables egress to destinations outside the mesh.');
  });

  it('serves every served version of a multi-version CRD from one storage version', async () => {
    const schema = {
      openAPIV3Schema: {
        type: 'object',
        properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
      },
    };
    const crd = customResourceDefinition('example.com', 'Widget', 'Cluster', [
      { name: 'v1alpha1', served: true, storage: false, schema },
      { name: 'v1', served: true, storage: true, schema },
    ]);
    await ok(['apply', '-f', '-'], crd);
    await ok(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=20s']);
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'example.com/v1alpha1',
        kind: 'Widget',
        metadata: { name: 'w' },
        spec: { size: 2 },
      }),
    );
    expect(await ok(['get', 'widgets.v1.example.com', 'w', '-o', 'jsonpath={.apiVersion} {.spec.size}'])).toBe(
      'example.com/v1 2',
    );
    expect(await ok(['get', 'widgets.v1alpha1.example.com', 'w', '-o', 'jsonpath={.apiVersion}'])).toBe(
      'example.com/v1alpha1',
    );
    expect(await ok(['get', 'crd', 'widgets.example.com', '-o', 'jsonpath={.status.storedVersions}'])).toBe('["v1"]');
    expect(await ok(['delete', 'crd', 'widgets.example.com'])).toBe(
      'customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted\n',
    );
  });

  it('serves a CRD’s scale subresource with the selector its labelSelectorPath names', async () => {
    const crd = customResourceDefinition('example.com', 'Pool', 'Namespaced', [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        subresources: {
          status: {},
          scale: {
            specReplicasPath: '.spec.replicas',
            statusReplicasPath: '.status.replicas',
            labelSelectorPath: '.status.selector',
          },
        },
      },
    ]);
    await ok(['apply', '-f', '-'], crd);
    await ok(['wait', '--for=condition=Established', 'crd/pools.example.com', '--timeout=20s']);
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Pool', metadata: { name: 'p', namespace: 'default' } }),
    );
    await ok([
      'patch',
      'pool',
      'p',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"replicas":1,"selector":"app=pool,tier in (a,b)"}}',
    ]);
    expect(await ok(['scale', 'pool', 'p', '--replicas=3'])).toBe('pool.example.com/p scaled\n');
    const scale = JSON.parse(await ok(['get', '--raw', '/apis/example.com/v1/namespaces/default/pools/p/scale'])) as {
      spec: unknown;
      status: unknown;
    };
    expect(scale).toMatchObject({ spec: { replicas: 3 }, status: { replicas: 1, selector: 'app=pool,tier in (a,b)' } });
    await ok(['delete', 'crd', 'pools.example.com']);
  });

  it('deletes the CRDs recursively from a directory, and their objects with them', async () => {
    const output = await ok(['delete', '--ignore-not-found', '--recursive', '-f', `${FIXTURES}crds/`]);
    expect(output.split('\n').filter(Boolean)).toHaveLength(3);
    const again = await ok(['delete', '--ignore-not-found', '--recursive', '-f', `${FIXTURES}crds/`]);
    expect(again).toBe('');
    // Objects of the deleted kinds are gone from storage, not merely unserved.
    await kube.stop();
    const saved = JSON.parse(await readFile(`${kube.stateDir}/kube/arc-cluster.json`, 'utf8')) as {
      objects: Record<string, unknown[]>;
    };
    expect(
      Object.keys(saved.objects).filter((key) => key.includes('smi-spec.io') || key.includes('openservicemesh.io')),
    ).toEqual([]);
    kube = await startTestKube({ stateDir: kube.stateDir, clusters: ['arc-cluster'] });
    const apply = await kube.kubectl(['apply', '-f', `${FIXTURES}seed/meshconfig.yaml`]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toBe(
      `error: resource mapping not found for name: "osm-mesh-config" namespace: "arc-osm-system" from "${FIXTURES}seed/meshconfig.yaml": no matches for kind "MeshConfig" in version "config.openservicemesh.io/v1alpha1"\nensure CRDs are installed first\n`,
    );
  });
});
