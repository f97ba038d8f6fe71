/**
 * The upgrade's ClusterPort on a real (or the sandbox's) Kubernetes API: the mesh CRDs, counts by paging, the
 * `crds backup|restore` code for backup and restore, CRD deletion and application with waits, and
 * `arcmesh check`'s gather and evaluators. Transient failures (429, 5xx, dropped connections) are retried here
 * as in backup and restore.
 */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { apiStatus, kubeClients, readOptional, type KubeClients } from '../../kube/clients.js';
import type { KubeTarget } from '../../kube/connection.js';
import { customObjectsClient, statusOf, type CustomObjectsClient } from '../../kube/custom-objects.js';
import { toKubeError } from '../../kube/errors.js';
import type { RateLimit } from '../../kube/rate-limit.js';
import { withRetries } from '../../kube/retry.js';
import { runChecks } from '../check/checks.js';
import { gatherSnapshot } from '../check/gather.js';
import type { Reporter } from '../context.js';
import { backupCustomResources, isMeshGroup, readVersion, resourceRef } from '../crds/backup.js';
import { restoreCustomResources, verifyRestore } from '../crds/restore.js';
import { ArcmeshError, timeoutError } from '../errors.js';
import { deadlineAfter, nextPollDelayMs, sleep } from '../polling.js';
import type { ClusterPort } from './engine.js';
import type { CrdDocument } from './plan.js';
import type { UpgradeLockRecord, UpgradeLockStore } from './upgrade.js';

export interface KubeClusterPortOptions {
  kube: KubeTarget;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  rateLimit?: RateLimit | undefined;
  /** How long to wait for CRDs to go away or become Established. */
  waitSeconds?: number;
  /** Narrow the checks to one mesh (`--mesh-name`, `--osm-namespace`). */
  meshName?: string | undefined;
  osmNamespace?: string | undefined;
}

/**
 * client-node's typed CRD model renames the schema keywords it cannot spell as properties (`default` is
 * `_default`, `x-kubernetes-int-or-string` is `x_kubernetes_int_or_string`): a chart's YAML sent through it as is
 * would lose them. The plan compares and the chart holds the wire form; the client gets its model.
 */
async function toWireForm(definition: V1CustomResourceDefinition): Promise<CrdDocument> {
  const { dumpYaml } = await import('@kubernetes/client-node');
  return parseYaml(
    dumpYaml({ ...definition, apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }),
  ) as CrdDocument;
}

async function toModel(document: CrdDocument): Promise<V1CustomResourceDefinition> {
  const { loadYaml } = await import('@kubernetes/client-node');
  return loadYaml<V1CustomResourceDefinition>(
    JSON.stringify({ ...document, apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }),
  );
}

const isEstablished = (definition: V1CustomResourceDefinition | undefined) =>
  definition?.status?.conditions?.some(
    (condition) => condition.type === 'Established' && condition.status === 'True',
  ) ?? false;

/** A client for the port's lifetime; `close()` releases its connections. */
export async function kubeClusterPort(
  options: KubeClusterPortOptions,
): Promise<ClusterPort & { lock: UpgradeLockStore; close(): Promise<void> }> {
  const client: CustomObjectsClient = await customObjectsClient(options.kube.config, {
    rateLimit: options.rateLimit,
    signal: options.signal,
  });
  const { signal, reporter } = options;
  const waitSeconds = options.waitSeconds ?? 120;
  const retry = <T>(call: () => Promise<T>, doing: string) =>
    withRetries(call, { signal }).catch((error: unknown) => {
      throw toKubeError(error, doing);
    });
  // The typed clients (namespaces, checks, the upgrade record), built once when first needed.
  let clients: Promise<KubeClients> | undefined;
  const typedClients = () => (clients ??= kubeClients(options.kube.config));
  const definitions = async () =>
    (await retry(() => client.listDefinitions(), 'listing custom resource definitions')).filter((definition) =>
      isMeshGroup(definition.spec.group),
    );

  const waitFor = async (
    name: string,
    done: (live: V1CustomResourceDefinition | undefined) => boolean,
    what: string,
  ) => {
    const deadline = deadlineAfter(waitSeconds);
    for (let attempt = 0; ; attempt++) {
      const live = await retry(() => client.readDefinition(name), `reading the custom resource definition ${name}`);
      if (done(live)) return;
      if (deadline.expired()) {
        throw timeoutError(
          `The custom resource definition ${name} was not ${what} within ${waitSeconds} s.`,
          `Look at it with \`kubectl get crd ${name} -o yaml\`, then resume the upgrade.`,
        );
      }
      await sleep(nextPollDelayMs(attempt, { initialDelayMs: 50, maxDelayMs: 1_000 }), signal);
    }
  };

  return {
    async meshCrds() {
      return Promise.all((await definitions()).map(toWireForm));
    },
    async countObjects(crdNames) {
      const wanted = new Set(crdNames);
      const counts: Record<string, number> = {};
      for (const definition of await definitions()) {
        const name = definition.metadata!.name!;
        if (!wanted.has(name)) continue;
        const ref = resourceRef(definition, readVersion(definition));
        let count = 0;
        let continueToken: string | undefined;
        do {
          const page = await retry(() => client.listPage(ref, 500, continueToken), `listing ${name}`);
          count += page.items.length;
          continueToken = page.continueToken;
        } while (continueToken);
        counts[name] = count;
      }
      return counts;
    },
    async identity() {
      const { core } = await typedClients();
      const namespace = await retry(
        () => core.readNamespace({ name: 'kube-system' }),
        'reading the kube-system namespace',
      );
      return namespace.metadata?.uid ?? '';
    },
    async check(namespace) {
      const snapshot = await gatherSnapshot(await typedClients(), {
        pre: false,
        meshName: options.meshName,
        osmNamespace: options.osmNamespace ?? namespace,
      });
      return runChecks(snapshot);
    },
    backup: (directory, crdNames) =>
      backupCustomResources(client, {
        outDir: directory,
        context: options.kube.context,
        server: options.kube.config.getCurrentCluster()?.server ?? '',
        crdNames,
        reporter,
        signal,
      }),
    async deleteCrds(crdNames) {
      for (const name of crdNames) {
        reporter.progress(`Deleting the custom resource definition ${name}`);
        await retry(() => client.deleteDefinition(name), `deleting the custom resource definition ${name}`);
      }
      for (const name of crdNames) await waitFor(name, (live) => live === undefined, 'gone');
    },
    async checkCrds(documents) {
      for (const document of documents) {
        const name = document.metadata?.name ?? '';
        const body = await toModel(document);
        try {
          await withRetries(() => client.createDefinition(body, { dryRun: true }), { signal });
        } catch (error) {
          // AlreadyExists comes after validation in the apiserver: a CRD the upgrade replaces passed it.
          if (statusOf(error) === 409) continue;
          const failure = toKubeError(error, `validating the custom resource definition ${name}`);
          if (statusOf(error) !== 422 && statusOf(error) !== 400) throw failure;
          throw new ArcmeshError(
            'usage',
            `The target CRD ${name} is refused by the Kubernetes API: ${failure.message}`,
            'Fix the CRD in the target chart (or the --crds directory); nothing was changed.',
          );
        }
      }
    },
    async applyCrds(documents) {
      for (const document of documents) {
        const name = document.metadata?.name ?? '';
        const body = await toModel(document);
        try {
          await withRetries(() => client.createDefinition(body), { signal });
        } catch (error) {
          if (statusOf(error) !== 409) throw toKubeError(error, `creating the custom resource definition ${name}`);
          const live = await retry(() => client.readDefinition(name), `reading the custom resource definition ${name}`);
          await retry(
            () =>
              client.replaceDefinition({
                ...body,
                metadata: { ...body.metadata, resourceVersion: live?.metadata?.resourceVersion },
              }),
            `replacing the custom resource definition ${name}`,
          );
        }
      }
      for (const document of documents) {
        await waitFor(document.metadata?.name ?? '', isEstablished, 'Established');
      }
    },
    restore: (directory) => restoreCustomResources(client, { from: directory, reporter, signal }),
    verify: (directory) => verifyRestore(client, { from: directory, reporter, signal }),
    lock: upgradeLockStore(typedClients, retry),
    close: () => client.close(),
  };
}

const LOCK = { namespace: 'kube-system', name: 'arcmesh-upgrade' };

/**
 * The lock's record from a ConfigMap's data. Records written before the lock existed (an unfinished upgrade's
 * marker: directory, host and start only) were written at the first change, so they stand for a changing run.
 */
function lockRecord(data: Record<string, string> | undefined): UpgradeLockRecord | undefined {
  if (!data?.directory) return undefined;
  return {
    owner: data.owner ?? '',
    host: data.host ?? '',
    directory: data.directory,
    startedAt: data.startedAt ?? '',
    expiresAt: data.expiresAt ?? data.startedAt ?? '',
    changing: data.changing !== 'false',
  };
}

/** The upgrade lock as a ConfigMap in kube-system, a namespace every cluster has; writes name its resourceVersion. */
function upgradeLockStore(
  typedClients: () => Promise<KubeClients>,
  retry: <T>(call: () => Promise<T>, doing: string) => Promise<T>,
): UpgradeLockStore {
  const core = async () => (await typedClients()).core;
  const doing = `the upgrade lock ${LOCK.namespace}/${LOCK.name}`;
  const body = (record: UpgradeLockRecord, resourceVersion?: string) => ({
    metadata: {
      ...LOCK,
      labels: { 'app.kubernetes.io/managed-by': 'arcmesh' },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    data: { ...record, changing: String(record.changing) },
  });
  /**
   * A write, and the lock's resourceVersion after it; undefined when the apiserver refuses it because the lock
   * exists, changed or went since it was read.
   */
  const conditional = async (
    write: () => Promise<{ metadata?: { resourceVersion?: string } } | unknown>,
    what: string,
  ): Promise<string | undefined> =>
    retry(async () => {
      try {
        const written = (await write()) as { metadata?: { resourceVersion?: string } } | undefined;
        return written?.metadata?.resourceVersion ?? '';
      } catch (error) {
        if (apiStatus(error) === 409 || apiStatus(error) === 404) return undefined;
        throw error;
      }
    }, `${what} ${doing}`);
  return {
    async read() {
      const api = await core();
      const map = await retry(() => readOptional(() => api.readNamespacedConfigMap(LOCK)), `reading ${doing}`);
      const record = lockRecord(map?.data);
      return record ? { record, version: map!.metadata?.resourceVersion ?? '' } : undefined;
    },
    async create(record) {
      const api = await core();
      return conditional(
        () => api.createNamespacedConfigMap({ namespace: LOCK.namespace, body: body(record) }),
        'taking',
      );
    },
    async replace(record, version) {
      const api = await core();
      return conditional(() => api.replaceNamespacedConfigMap({ ...LOCK, body: body(record, version) }), 'writing');
    },
    async remove(version) {
      const api = await core();
      const removed = await conditional(
        () => api.deleteNamespacedConfigMap({ ...LOCK, body: { preconditions: { resourceVersion: version } } }),
        'releasing',
      );
      return removed !== undefined;
    },
  };
}
