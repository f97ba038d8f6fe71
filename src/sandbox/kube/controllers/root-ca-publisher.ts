/**
 * kube-controller-manager's root-ca-cert-publisher: every namespace holds the ConfigMap `kube-root-ca.crt` with
 * the cluster's CA under `ca.crt`, which projected service-account volumes mount beside the token. A deleted one
 * comes back and an edited one is put back, as the controller does; a namespace being deleted gets none.
 */
import { isDeepStrictEqual } from 'node:util';
import { builtinType, type Reconciler } from './context.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the ' +
  'internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes ' +
  'clusters.';

/** `loadCaPem` reads the cluster's CA once, on the first pass. */
export function publishRootCa(loadCaPem: () => Promise<string>): Reconciler {
  let caPem: Promise<string> | undefined;
  return async function publishRootCaCertificate({ registry, operations }) {
    caPem ??= loadCaPem();
    const data = { 'ca.crt': await caPem };
    const namespaces = builtinType(registry, '', 'v1', 'namespaces');
    const configMaps = builtinType(registry, '', 'v1', 'configmaps');
    for (const namespace of operations.list(namespaces)) {
      const name = namespace.metadata.name!;
      if (namespace.metadata.deletionTimestamp) continue;
      const existing = operations.find(configMaps, name, ROOT_CA_CONFIGMAP);
      if (!existing) {
        operations.create(configMaps, name, {
          metadata: { name: ROOT_CA_CONFIGMAP, annotations: { 'kubernetes.io/description': DESCRIPTION } },
          data,
        });
        continue;
      }
      const annotations = existing.metadata.annotations ?? {};
      // As the controller: the data is put back whole; a description of the user's own is kept.
      if (isDeepStrictEqual(existing.data, data) && annotations['kubernetes.io/description']) continue;
      operations.update(configMaps, name, ROOT_CA_CONFIGMAP, {
        ...existing,
        metadata: {
          ...existing.metadata,
          annotations: {
            ...annotations,
            'kubernetes.io/description': annotations['kubernetes.io/description'] || DESCRIPTION,
          },
        },
        data,
      });
    }
  };
}
