/**
 * Seeds a Kubernetes API sandbox's saved state with many objects before it starts, through the same resource
 * operations its API uses, for tests that need more objects than creating them one request at a time allows.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ResourceRegistry } from '../../src/sandbox/kube/registry.js';
import { ResourceOperations } from '../../src/sandbox/kube/resources.js';
import { ObjectStore } from '../../src/sandbox/kube/storage.js';

/** Writes `<stateDir>/kube/<cluster>.json` holding `namespace` with the given ConfigMaps in it. */
export async function seedConfigMaps(
  stateDir: string,
  cluster: string,
  namespace: string,
  names: string[],
): Promise<void> {
  const registry = new ResourceRegistry();
  const store = new ObjectStore();
  const operations = new ResourceOperations(store);
  operations.create(registry.lookup('', 'v1', 'namespaces')!, undefined, { metadata: { name: namespace } });
  const configMaps = registry.lookup('', 'v1', 'configmaps')!;
  for (const name of names) operations.create(configMaps, namespace, { metadata: { name }, data: { name } });
  await mkdir(join(stateDir, 'kube'), { recursive: true });
  await writeFile(join(stateDir, 'kube', `${cluster}.json`), JSON.stringify(store.snapshot()));
}
