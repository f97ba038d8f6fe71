/**
 * Writes IngressBackend statuses through the status subresource, only where they differ from what the object
 * says: each write is preceded by a read of the object, so a restart or a new leader writes nothing that is already
 * there. What was written (or found) is remembered, so a catalog change that leaves a status as it was costs no
 * API call. Failures are logged and tried again at the next reconcile.
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { apiStatus, readOptional } from '../../kube/clients.js';
import { coalesced } from '../runtime/watch-object.js';
import type { IngressBackendStatus } from './ingress-backend-status.js';

const RESOURCE = { group: 'policy.openservicemesh.io', version: 'v1alpha1', plural: 'ingressbackends' };

export interface IngressBackendStatusWriterOptions {
  custom: CustomObjectsApi;
  isLeader(): boolean;
  log(level: 'debug' | 'warn', message: string, fields?: Record<string, unknown>): void;
}

export interface IngressBackendStatusWriter {
  /** Brings every status in line with `desired` (by `<ns>/<name>`); resolves when done. */
  reconcile(desired: ReadonlyMap<string, IngressBackendStatus>): Promise<void>;
  /** Forgets what was written: the next reconcile reads every object again (a new leader does this). */
  forget(): void;
}

const same = (a: IngressBackendStatus | undefined, b: { currentStatus?: unknown; reason?: unknown } | undefined) =>
  a !== undefined && b !== undefined && a.currentStatus === b.currentStatus && a.reason === b.reason;

export function ingressBackendStatusWriter(options: IngressBackendStatusWriterOptions): IngressBackendStatusWriter {
  const { custom, log } = options;
  const written = new Map<string, IngressBackendStatus>();
  let latest: ReadonlyMap<string, IngressBackendStatus> = new Map();
  const mergePatch = import('@kubernetes/client-node').then((k8s) =>
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );

  async function write(key: string, status: IngressBackendStatus): Promise<void> {
    const [namespace = '', name = ''] = key.split('/');
    const object = (await readOptional(() => custom.getNamespacedCustomObject({ ...RESOURCE, namespace, name }))) as
      { status?: { currentStatus?: unknown; reason?: unknown } } | undefined;
    if (!object) return; // deleted meanwhile
    if (!same(status, object.status)) {
      await custom.patchNamespacedCustomObjectStatus(
        { ...RESOURCE, namespace, name, body: { status } },
        await mergePatch,
      );
      log('debug', 'wrote an IngressBackend status', { ingressBackend: key, ...status });
    }
    written.set(key, status);
  }

  const run = coalesced(async () => {
    if (!options.isLeader()) return;
    const desired = latest;
    for (const key of written.keys()) if (!desired.has(key)) written.delete(key);
    for (const [key, status] of desired) {
      if (same(status, written.get(key))) continue;
      try {
        await write(key, status);
      } catch (error) {
        if (apiStatus(error) === 404) continue;
        log('warn', 'could not write the status of an IngressBackend', { ingressBackend: key, error: String(error) });
      }
    }
  });

  return {
    reconcile(desired) {
      latest = desired;
      return run();
    },
    forget: () => written.clear(),
  };
}
