/**
 * `arcmesh namespace add|remove|list` against the Kubernetes sandbox: seed 000's onboarding (osm's messages,
 * the deployments that still lack the sidecar, `--restart` as `kubectl rollout restart`, the SMI policy applied
 * with kubectl), and bad input refused before any namespace changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDeployment, FIXTURES, OSM_NAMESPACE, startMeshCluster, type MeshCluster } from '../helpers/mesh-cluster.js';

let cluster: MeshCluster;
beforeAll(async () => {
  cluster = await startMeshCluster();
  for (const ns of ['bookstore', 'bookbuyer', 'bookthief', 'bookwarehouse', 'ingress-nginx', 'kube-managed']) {
    await cluster.kubectlOk(['create', 'namespace', ns]);
  }
  await cluster.kubectlOk(['label', 'namespace', 'kube-managed', 'openservicemesh.io/ignore=true']);
  await cluster.kubectlOk(['create', 'serviceaccount', 'bookbuyer', '-n', 'bookbuyer']);
  await cluster.kubectlOk(['apply', '-f', '-'], appDeployment('bookbuyer', 'bookbuyer'));
  // Its pod starts before onboarding, so without the sidecar (seed 000: READY 1/1).
  await cluster.kubectlOk(['rollout', 'status', 'deployment/bookbuyer', '-n', 'bookbuyer', '--timeout=60s']);
});
afterAll(async () => {
  await cluster?.close();
});

const nsJson = async (name: string) =>
  JSON.parse(await cluster.kubectlOk(['get', 'namespace', name, '-o', 'json'])) as {
    metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  };

describe('namespace add', () => {
  it("onboards namespaces with osm's label, annotation and message (seed 000)", async () => {
    const result = await cluster.arcmesh(['namespace', 'add', 'bookstore']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Namespace [bookstore] successfully added to mesh [osm]\n');
    expect(result.json()).toEqual([
      {
        namespace: 'bookstore',
        mesh: 'osm',
        status: 'added',
        message: 'Namespace [bookstore] successfully added to mesh [osm]',
        deploymentsWithoutSidecar: [],
        restarted: [],
      },
    ]);
    const ns = await nsJson('bookstore');
    expect(ns.metadata.labels).toMatchObject({ 'openservicemesh.io/monitored-by': 'osm' });
    expect(ns.metadata.annotations).toMatchObject({ 'openservicemesh.io/sidecar-injection': 'enabled' });

    const again = await cluster.arcmesh(['namespace', 'add', 'bookstore', 'bookthief', 'bookwarehouse']);
    expect(again.stderr).toBe(
      [
        'Namespace [bookstore] has already been added to mesh [osm]',
        'Namespace [bookthief] successfully added to mesh [osm]',
        'Namespace [bookwarehouse] successfully added to mesh [osm]',
        '',
      ].join('\n'),
    );
  });

  it('names the deployments whose pods lack the sidecar, and --restart rolls them as kubectl rollout restart', async () => {
    const added = await cluster.arcmesh(['namespace', 'add', 'bookbuyer']);
    expect(added.code).toBe(0);
    expect(added.stderr).toContain('Namespace [bookbuyer] successfully added to mesh [osm]');
    expect(added.stderr).toContain(
      'WARNING: Deployments in namespace [bookbuyer] run pods without the envoy sidecar: bookbuyer.',
    );
    expect(added.stderr).toContain('arcmesh namespace add bookbuyer --restart');
    expect(added.json<{ deploymentsWithoutSidecar: string[] }[]>()[0]!.deploymentsWithoutSidecar).toEqual([
      'bookbuyer',
    ]);

    const restart = await cluster.arcmesh(['namespace', 'add', 'bookbuyer', '--restart']);
    expect(restart.code).toBe(0);
    expect(restart.stderr).toContain('deployment.apps/bookbuyer restarted');
    expect(restart.json<{ restarted: string[] }[]>()[0]!.restarted).toEqual(['bookbuyer']);
    const restartedAt = await cluster.kubectlOk([
      'get',
      'deployment',
      'bookbuyer',
      '-n',
      'bookbuyer',
      '-o',
      'jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}',
    ]);
    expect(restartedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    // kubectl sees it as its own restart.
    const describe = await cluster.kubectlOk(['describe', 'deployment', 'bookbuyer', '-n', 'bookbuyer']);
    expect(describe).toContain(`kubectl.kubernetes.io/restartedAt: ${restartedAt}`);
    expect(describe).toContain('Service Account:  bookbuyer');
    // The restart rolls out a new ReplicaSet, as `kubectl rollout restart deployment bookbuyer` does.
    await cluster.kubectlOk(['rollout', 'status', 'deployment/bookbuyer', '-n', 'bookbuyer', '--timeout=60s']);
    const replicaSets = await cluster.kubectlOk(['get', 'replicasets', '-n', 'bookbuyer', '-o', 'name']);
    expect(replicaSets.trim().split('\n')).toHaveLength(2);
  });

  it('leaves a pod with the sidecar alone', async () => {
    await cluster.kubectlOk(['create', 'namespace', 'meshed']);
    await cluster.kubectlOk(['apply', '-f', '-'], appDeployment('meshed', 'bookstore', true));
    await cluster.kubectlOk(['rollout', 'status', 'deployment/bookstore', '-n', 'meshed', '--timeout=60s']);
    const result = await cluster.arcmesh(['namespace', 'add', 'meshed']);
    expect(result.stderr).not.toContain('WARNING');
    expect(result.json<{ deploymentsWithoutSidecar: string[] }[]>()[0]!.deploymentsWithoutSidecar).toEqual([]);
  });

  it('adds with sidecar injection disabled, and applies the SMI policy of seed 000 with kubectl', async () => {
    const result = await cluster.arcmesh([
      'namespace',
      'add',
      'ingress-nginx',
      '--mesh-name',
      'osm',
      '--disable-sidecar-injection',
    ]);
    expect(result.code).toBe(0);
    expect((await nsJson('ingress-nginx')).metadata.annotations).toMatchObject({
      'openservicemesh.io/sidecar-injection': 'disabled',
    });
    const applied = await cluster.kubectlOk(['apply', '-f', `${FIXTURES}seed/smi-policy.yaml`]);
    expect(applied).toContain('traffictarget.access.smi-spec.io/bookbuyer-access-bookstore-v1 created');
    expect(applied).toContain('httproutegroup.specs.smi-spec.io/bookstore-service-routes created');
  });

  it('refuses a missing namespace with exit 3 before touching the others', async () => {
    await cluster.kubectlOk(['create', 'namespace', 'azure-vote']);
    const result = await cluster.arcmesh(['namespace', 'add', 'azure-vote', 'no-such-ns']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      'Could not add namespace [no-such-ns] to mesh [osm]: namespaces "no-such-ns" not found',
    );
    expect((await nsJson('azure-vote')).metadata.labels?.['openservicemesh.io/monitored-by']).toBeUndefined();
  });

  it('refuses a mesh name that does not match the installed mesh, ignored namespaces and other meshes', async () => {
    const wrongMesh = await cluster.arcmesh(['namespace', 'add', 'azure-vote', '--mesh-name', 'other']);
    expect(wrongMesh.code).toBe(3);
    expect(wrongMesh.stderr).toContain(
      'mesh [other] does not exist, please specify another mesh using --mesh-name or create a new mesh',
    );
    expect(wrongMesh.stderr).toContain(`Installed: [osm] in namespace ${OSM_NAMESPACE}`);

    const ignored = await cluster.arcmesh(['namespace', 'add', 'azure-vote', 'kube-managed']);
    expect(ignored.code).toBe(2);
    expect(ignored.stderr).toContain('Cannot add ignored namespace [kube-managed]');

    await cluster.kubectlOk(['label', 'namespace', 'azure-vote', 'openservicemesh.io/monitored-by=other-mesh']);
    const foreign = await cluster.arcmesh(['namespace', 'add', 'azure-vote']);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('Namespace [azure-vote] already belongs to mesh [other-mesh], not mesh [osm]');
    const removeForeign = await cluster.arcmesh(['namespace', 'remove', 'azure-vote']);
    expect(removeForeign.code).toBe(2);
    expect(removeForeign.stderr).toContain(
      'Namespace [azure-vote] belongs to mesh [other-mesh], not mesh [osm]. Please specify the correct mesh',
    );
    await cluster.kubectlOk(['label', 'namespace', 'azure-vote', 'openservicemesh.io/monitored-by-']);
  });

  it("does not add the control plane's own namespace", async () => {
    const result = await cluster.arcmesh(['namespace', 'add', OSM_NAMESPACE]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `Namespace [${OSM_NAMESPACE}] already has [osm-controller] installed and cannot be added to mesh [osm]\n`,
    );
  });
});

describe('namespace list and remove', () => {
  it('lists the mesh namespaces as osm does, then removes one', async () => {
    const table = await cluster.arcmesh(['namespace', 'list', '-o', 'table']);
    expect(table.stdout).toMatch(/NAMESPACE\s+MESH\s+SIDECAR-INJECTION/);
    expect(table.stdout).toMatch(/ingress-nginx\s+osm\s+disabled/);
    expect(table.stdout).toMatch(/bookstore\s+osm\s+enabled/);
    const listed = await cluster.arcmesh(['namespace', 'list']);
    expect(listed.json<{ namespace: string }[]>().map((r) => r.namespace)).toEqual([
      'bookbuyer',
      'bookstore',
      'bookthief',
      'bookwarehouse',
      'ingress-nginx',
      'meshed',
    ]);

    const removed = await cluster.arcmesh(['namespace', 'remove', 'bookthief', 'azure-vote']);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toBe(
      'Namespace [bookthief] successfully removed from mesh [osm]\nNamespace [azure-vote] already does not belong to any mesh\n',
    );
    const ns = await nsJson('bookthief');
    expect(ns.metadata.labels?.['openservicemesh.io/monitored-by']).toBeUndefined();
    expect(ns.metadata.annotations?.['openservicemesh.io/sidecar-injection']).toBeUndefined();

    const missing = await cluster.arcmesh(['namespace', 'remove', 'nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('Could not get namespace [nope]: namespaces "nope" not found');
    const filtered = await cluster.arcmesh(['namespace', 'list', '--mesh-name', 'other']);
    expect(filtered.json()).toEqual([]);
  });
});

describe('namespace add with permissive mode off (seed 000, second path)', () => {
  it('warns about namespaces no TrafficTarget lets traffic into and deployments on the default service account', async () => {
    expect((await cluster.arcmesh(['meshconfig', 'set', 'traffic.enablePermissiveTrafficPolicyMode=false'])).code).toBe(
      0,
    );
    await cluster.kubectlOk(['create', 'namespace', 'vote']);
    await cluster.kubectlOk([
      'create',
      'deployment',
      'azure-vote-front',
      '--image=mcr.microsoft.com/azuredocs/azure-vote-front:v1',
      '-n',
      'vote',
    ]);
    const result = await cluster.arcmesh(['namespace', 'add', 'vote']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'WARNING: Permissive traffic policy mode is off and no TrafficTarget lets traffic into namespace [vote]',
    );
    expect(result.stderr).toContain(
      'WARNING: Deployments azure-vote-front in namespace [vote] run as the default service account',
    );
    // bookstore has seed 000's TrafficTarget and no deployment: nothing to say.
    const bookstore = await cluster.arcmesh(['namespace', 'add', 'bookstore']);
    expect(bookstore.stderr).toBe('Namespace [bookstore] has already been added to mesh [osm]\n');
  });
});
