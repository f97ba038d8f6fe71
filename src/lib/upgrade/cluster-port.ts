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
import type { UpgradeMarker, UpgradeRecord } from './upgrade.js';

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
): Promise<ClusterPort & { marker: UpgradeMarker; close(): Promise<void> }> {
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
    marker: upgradeMarker(typedClients, retry),
    close: () => client.close(),
  };
}

const MARKER = { namespace: 'kube-system', name: 'arcmesh-upgrade' };

/** The unfinished-upgrade record as a ConfigMap in kube-system, a namespace every cluster has. */
function upgradeMarker(
  typedClients: () => Promise<KubeClients>,
  retry: <T>(call: () => Promise<T>, doing: string) => Promise<T>,
): UpgradeMarker {
  const core = async () => (await typedClients()).core;
  const doing = `the upgrade record ${MARKER.namespace}/${MARKER.name}`;
  return {
    async read() {
      const api = await core();
      const map = await retry(() => readOptional(() => api.readNamespacedConfigMap(MARKER)), `reading ${doing}`);
      return map?.data?.directory ? (map.data as unknown as UpgradeRecord) : undefined;
    },
    async write(record) {
      const api = await core();
      const body = {
        metadata: { ...MARKER, labels: { 'app.kubernetes.io/managed-by': 'arcmesh' } },
        data: { ...record },
      };
      await retry(async () => {
        try {
          await api.createNamespacedConfigMap({ namespace: MARKER.namespace, body });
        } catch (error) {
          if (apiStatus(error) !== 409) throw error;
          await api.replaceNamespacedConfigMap({ ...MARKER, body });
        }
      }, `writing ${doing}`);
    },
    async clear() {
      const api = await core();
      await retry(async () => {
        try {
          await api.deleteNamespacedConfigMap(MARKER);
        } catch (error) {
          if (apiStatus(error) !== 404) throw error;
        }
      }, `removing ${doing}`);
    },
  };
}
