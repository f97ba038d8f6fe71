/**
 * The mesh CA in a Kubernetes Secret, where OSM v1.2 keeps it: `osm-ca-bundle` in the control plane namespace,
 * data keys `ca.crt` and `private.key` (OSM dropped its `expiration` key in v1.1; the certificate says when it
 * expires), labelled `app.kubernetes.io/name: openservicemesh.io` and the version. An OSM-made Secret is read as is.
 *
 * Creation is a plain create: when replicas race, the API server answers 409 AlreadyExists to all but one, and
 * those read the winner's CA.
 */
import type { CoreV1Api } from '@kubernetes/client-node';
import type { CaMaterial } from './builtin-ca.js';
import type { CaStore, StoredCa } from './ca-store.js';
import { apiStatus, readOptional } from '../../kube/clients.js';

export const CA_BUNDLE_SECRET_NAME = 'osm-ca-bundle';
export const CA_CERT_KEY = 'ca.crt';
export const CA_PRIVATE_KEY_KEY = 'private.key';

export interface KubeCaStoreOptions {
  api: CoreV1Api;
  /** The control plane namespace, e.g. `osm-system`. */
  namespace: string;
  /** OSM's `--ca-bundle-secret-name`; `osm-ca-bundle` unless set. */
  secretName?: string;
  /** The control plane version, for the `app.kubernetes.io/version` label. */
  version?: string;
}

const decode = (value: string | undefined) =>
  value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');

export function kubeCaStore(options: KubeCaStoreOptions): CaStore {
  const name = options.secretName ?? CA_BUNDLE_SECRET_NAME;
  const { namespace } = options;
  return {
    location: `Secret ${namespace}/${name}`,
    fieldNames: { certificate: CA_CERT_KEY, privateKey: CA_PRIVATE_KEY_KEY },
    repairHint:
      `Inspect it with \`kubectl -n ${namespace} get secret ${name} -o yaml\` and restore it from a backup. ` +
      `To start over with a new CA instead, \`kubectl -n ${namespace} delete secret ${name}\` and restart the ` +
      'control plane, then restart every meshed pod: their sidecars trust only the CA they were injected with.',

    async read(): Promise<StoredCa | undefined> {
      const secret = await readOptional(() => options.api.readNamespacedSecret({ name, namespace }));
      return (
        secret && {
          certificatePem: decode(secret.data?.[CA_CERT_KEY]),
          privateKeyPem: decode(secret.data?.[CA_PRIVATE_KEY_KEY]),
        }
      );
    },

    async create(material: CaMaterial) {
      const labels: Record<string, string> = { 'app.kubernetes.io/name': 'openservicemesh.io' };
      if (options.version) labels['app.kubernetes.io/version'] = options.version;
      try {
        await options.api.createNamespacedSecret({
          namespace,
          body: {
            metadata: { name, namespace, labels },
            data: {
              [CA_CERT_KEY]: Buffer.from(material.certificatePem).toString('base64'),
              [CA_PRIVATE_KEY_KEY]: Buffer.from(material.privateKeyPem).toString('base64'),
            },
          },
        });
        return 'created';
      } catch (error) {
        if (apiStatus(error) === 409) return 'already-exists';
        throw error;
      }
    },
  };
}
