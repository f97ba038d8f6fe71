/**
 * What each IngressBackend's `status` should say, as OSM v1.2 writes it (pkg/catalog/ingress.go): `committed`,
 * "successfully committed by the system", once the policy is in use; `error` with the reason when it is not. OSM's
 * one reason is a source Service without endpoints ("endpoints not found for service <ns>/<name>"), for which it
 * drops the IngressBackend's rules; an IngressBackend the catalog refuses has the catalog's reason.
 *
 * Only IngressBackends of monitored namespaces get a status: the others are not the mesh's.
 */
import type { MeshSnapshot } from '../catalog/model.js';

export interface IngressBackendStatus {
  currentStatus: 'committed' | 'error';
  reason: string;
}

export const COMMITTED: IngressBackendStatus = {
  currentStatus: 'committed',
  reason: 'successfully committed by the system',
};

/** The status of every IngressBackend the catalog sees, by `<namespace>/<name>`. */
export function ingressBackendStatuses(
  snapshot: Pick<MeshSnapshot, 'ingressBackends' | 'rejections' | 'endpoints'>,
): Map<string, IngressBackendStatus> {
  const statuses = new Map<string, IngressBackendStatus>();
  for (const { object, reason } of snapshot.rejections.values())
    if (object.kind === 'IngressBackend' && object.namespace)
      statuses.set(`${object.namespace}/${object.name}`, { currentStatus: 'error', reason });
  for (const [key, backend] of snapshot.ingressBackends) {
    const unserved = backend.sources.find(
      (source) =>
        source.kind === 'Service' &&
        !(snapshot.endpoints.get(`${source.namespace}/${source.name}`)?.ports ?? []).some(
          (port) => port.addresses.length > 0,
        ),
    );
    statuses.set(
      key,
      unserved?.kind === 'Service'
        ? { currentStatus: 'error', reason: `endpoints not found for service ${unserved.namespace}/${unserved.name}` }
        : COMMITTED,
    );
  }
  return statuses;
}
