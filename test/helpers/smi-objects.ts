/**
 * SMI objects in the versions of test/fixtures/crds/upgrade/old (HTTPRouteGroup v1alpha3, TrafficSplit v1alpha1,
 * TrafficTarget v1alpha2), named after the seeds' bookstore demo, for backup/restore tests and benchmarks.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { forEachConcurrently } from '../../src/lib/concurrency.js';
import type { CustomObject } from '../../src/lib/crds/objects.js';
import { customObjectsClient, type ResourceRef } from '../../src/kube/custom-objects.js';
import type { TestKube } from './kube-sandbox.js';

export const UPGRADE_CRDS_DIR = fileURLToPath(new URL('../fixtures/crds/upgrade/', import.meta.url));
export const SMI_CRD_NAMES = [
  'httproutegroups.specs.smi-spec.io',
  'trafficsplits.split.smi-spec.io',
  'traffictargets.access.smi-spec.io',
];
export const SMI_NAMESPACES = ['bookstore', 'bookbuyer', 'bookthief', 'bookwarehouse'];

export function oldSmiObject(index: number): CustomObject {
  const namespace = SMI_NAMESPACES[index % SMI_NAMESPACES.length]!;
  const labels = { app: 'bookstore', 'arcmesh.io/test-index': String(index) };
  switch (index % 3) {
    case 0:
      return {
        apiVersion: 'specs.smi-spec.io/v1alpha3',
        kind: 'HTTPRouteGroup',
        metadata: { name: `bookstore-service-routes-${index}`, namespace, labels, annotations: { owner: 'books' } },
        spec: {
          matches: [
            { name: 'books-bought', pathRegex: '/books-bought', methods: ['GET'] },
            {
              name: 'buy-a-book',
              pathRegex: '.*a-book.*new',
              methods: ['GET'],
              headers: [{ host: `bookstore.${namespace}` }, { 'user-agent': '.*Android.*' }],
            },
          ],
        },
      };
    case 1:
      return {
        apiVersion: 'split.smi-spec.io/v1alpha1',
        kind: 'TrafficSplit',
        metadata: { name: `bookstore-split-${index}`, namespace, labels },
        spec: {
          service: `bookstore.${namespace}`,
          backends: [
            { service: 'bookstore-v1', weight: '750m' },
            { service: 'bookstore-v2', weight: '250m' },
          ],
        },
      };
    default:
      return {
        apiVersion: 'access.smi-spec.io/v1alpha2',
        kind: 'TrafficTarget',
        metadata: { name: `bookbuyer-access-bookstore-${index}`, namespace, labels },
        spec: {
          destination: { kind: 'ServiceAccount', name: 'bookstore', namespace, port: 14001 },
          rules: [{ kind: 'HTTPRouteGroup', name: `bookstore-service-routes-${index - 2}`, matches: ['buy-a-book'] }],
          sources: [{ kind: 'ServiceAccount', name: 'bookbuyer', namespace: 'bookbuyer' }],
        },
      };
  }
}

const PLURALS: Record<string, string> = {
  HTTPRouteGroup: 'httproutegroups',
  TrafficSplit: 'trafficsplits',
  TrafficTarget: 'traffictargets',
};

export function refOf(object: CustomObject): ResourceRef {
  const [group, version] = object.apiVersion.split('/') as [string, string];
  return { group, version, plural: PLURALS[object.kind]!, namespaced: true };
}

/** Applies the CRDs of `old` or `new` and waits until they are Established. */
export async function applyUpgradeCrds(kube: TestKube, release: 'old' | 'new'): Promise<void> {
  const directory = join(UPGRADE_CRDS_DIR, release);
  const documents = await Promise.all(
    (await readdir(directory)).map((file) => readFile(join(directory, file), 'utf8')),
  );
  const applied = await kube.kubectl(['apply', '-f', '-'], documents.join('\n---\n'));
  if (applied.code !== 0) throw new Error(`kubectl apply of the ${release} CRDs failed: ${applied.stderr}`);
  const waited = await kube.kubectl([
    'wait',
    '--for=condition=Established',
    '--timeout=30s',
    ...SMI_CRD_NAMES.map((name) => `crd/${name}`),
  ]);
  if (waited.code !== 0) throw new Error(`the ${release} CRDs did not become Established: ${waited.stderr}`);
}

export async function deleteSmiCrds(kube: TestKube): Promise<void> {
  const deleted = await kube.kubectl([
    'delete',
    'crd',
    '--ignore-not-found',
    '--wait=true',
    '--timeout=60s',
    ...SMI_CRD_NAMES,
  ]);
  if (deleted.code !== 0) throw new Error(`kubectl delete crd failed: ${deleted.stderr}`);
}

export async function createNamespaces(kube: TestKube): Promise<void> {
  for (const namespace of SMI_NAMESPACES) {
    const created = await kube.kubectl(['create', 'namespace', namespace]);
    if (created.code !== 0 && !created.stderr.includes('AlreadyExists')) throw new Error(created.stderr);
  }
}

/** Creates `count` old-version SMI objects through client-node, 32 at a time. */
export async function seedOldSmiObjects(config: KubeConfig, count: number): Promise<void> {
  const client = await customObjectsClient(config, { rateLimit: { qps: 5_000, burst: 5_000 } });
  await forEachConcurrently(
    Array.from({ length: count }, (_, index) => index),
    32,
    async (index) => {
      const object = oldSmiObject(index);
      await client.create(refOf(object), object);
    },
  ).finally(() => client.close());
}
