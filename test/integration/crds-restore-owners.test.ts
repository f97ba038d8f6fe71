/**
 * Restore and owner references against the Kubernetes sandbox, whose garbage collector deletes an object once
 * every owner it names by UID is gone: a restored object must not name an owner's old UID, or it is deleted
 * after the restore (and possibly after verify) passed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveKubeTarget } from '../../src/kube/connection.js';
import { customObjectsClient, type CustomObjectsClient } from '../../src/kube/custom-objects.js';
import { silentReporter } from '../../src/lib/context.js';
import { backupCustomResources } from '../../src/lib/crds/backup.js';
import { restoreCustomResources, verifyRestore } from '../../src/lib/crds/restore.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { applyUpgradeCrds, createNamespaces } from '../helpers/smi-objects.js';

let kube: TestKube;
let client: CustomObjectsClient;
let workDir: string;

beforeAll(async () => {
  kube = await startTestKube({ clusters: ['arc-cluster'] });
  const target = await resolveKubeTarget({
    sandbox: false,
    sandboxStateDir: kube.stateDir,
    kubeconfig: kube.kubeconfig,
  });
  client = await customObjectsClient(target.config);
  workDir = await mkdtemp(join(tmpdir(), 'arcmesh-restore-owners-'));
  await createNamespaces(kube);
  await applyUpgradeCrds(kube, 'new');
}, 120_000);
afterAll(async () => {
  await client?.close();
  await kube?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await kube.kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const configMapUid = (name: string) =>
  kubectl(['get', 'configmap', name, '-n', 'bookstore', '-o', 'jsonpath={.metadata.uid}']);

/** A TrafficSplit owned by ConfigMap `owner` (by the UID given). */
const ownedSplit = (name: string, owner: string, uid: string) => `apiVersion: split.smi-spec.io/v1alpha3
kind: TrafficSplit
metadata:
  name: ${name}
  namespace: bookstore
  ownerReferences: [{ apiVersion: v1, kind: ConfigMap, name: ${owner}, uid: ${uid} }]
spec: { service: bookstore, backends: [{ service: bookstore-v1, weight: 100 }] }
`;

async function splitOwnerUids(): Promise<Record<string, string>> {
  const list = JSON.parse(await kubectl(['get', 'trafficsplits', '-n', 'bookstore', '-o', 'json'])) as {
    items: Array<{ metadata: { name: string; ownerReferences?: Array<{ uid: string }> } }>;
  };
  return Object.fromEntries(
    list.items.map(({ metadata }) => [metadata.name, (metadata.ownerReferences ?? []).map((o) => o.uid).join(',')]),
  );
}

describe('restore with owner references', () => {
  it('repoints references to a re-created owner and drops those to a gone one; the garbage collector keeps both', async () => {
    for (const owner of ['recreated', 'kept', 'gone']) await kubectl(['create', 'configmap', owner, '-n', 'bookstore']);
    const keptUid = await configMapUid('kept');
    for (const owner of ['recreated', 'kept', 'gone'])
      await kubectl(['apply', '-f', '-'], ownedSplit(`owned-by-${owner}`, owner, await configMapUid(owner)));
    const backup = join(workDir, 'backup');
    await backupCustomResources(client, {
      outDir: backup,
      context: 'arc-cluster',
      server: '',
      crdNames: ['trafficsplits.split.smi-spec.io'],
      reporter: silentReporter,
    });

    // The owners change while the objects are only in the backup.
    await kubectl(['delete', 'trafficsplits', '--all', '-n', 'bookstore']);
    await kubectl(['delete', 'configmap', 'recreated', 'gone', '-n', 'bookstore']);
    await kubectl(['create', 'configmap', 'recreated', '-n', 'bookstore']);
    const recreatedUid = await configMapUid('recreated');

    const warnings: string[] = [];
    const reporter = { ...silentReporter, warn: (message: string) => warnings.push(message) };
    const result = await restoreCustomResources(client, { from: backup, reporter });
    expect(result).toMatchObject({ created: 3, failed: 0 });
    expect(warnings.sort()).toEqual([
      'TrafficSplit bookstore/owned-by-gone: its owner ConfigMap gone no longer exists; the owner reference is dropped so the garbage collector keeps the object.',
      'TrafficSplit bookstore/owned-by-recreated: its owner ConfigMap recreated was re-created since the backup; the owner reference names the new one.',
    ]);

    // The collector is running: an object owned by a UID nothing has is deleted. Once it is, the restored ones
    // have been through a collection too.
    await kubectl(['apply', '-f', '-'], ownedSplit('owned-by-nobody', 'gone', '00000000-0000-0000-0000-000000000000'));
    for (let attempt = 0; 'owned-by-nobody' in (await splitOwnerUids()); attempt++) {
      if (attempt > 50) throw new Error('the sandbox never collected owned-by-nobody');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await splitOwnerUids()).toEqual({
      'owned-by-kept': keptUid,
      'owned-by-recreated': recreatedUid,
      'owned-by-gone': '',
    });
    expect(await verifyRestore(client, { from: backup, reporter })).toMatchObject({
      checked: 3,
      missing: [],
      different: [],
    });
  });
});
