/**
 * The edge of the ingress gateway certificate (ingress-gateway.ts decides): keeps the Secret MeshConfig
 * `certificate.ingressGateway` names holding the current certificate. The leader creates it, rewrites it after each
 * renewal or when someone changes it, creates it again when it is deleted (the Secret is watched), and deletes it
 * when the MeshConfig field is removed. A spec that cannot be issued is a Warning Event on the MeshConfig and a log
 * line; the mesh carries on.
 */
import type { CoreV1Api, KubeConfig, V1Secret } from '@kubernetes/client-node';
import { apiStatus, readOptional } from '../../kube/clients.js';
import { watchNamedObject, type NamedObjectWatch } from '../runtime/watch-object.js';
import {
  ingressGatewayChange,
  ingressGatewaySecretData,
  ingressGatewaySpecProblem,
  secretHolds,
  TLS_SECRET_TYPE,
  type IngressGatewaySpec,
} from './ingress-gateway.js';
import type { IssuedCertificate } from './issuer.js';

export interface IngressGatewaySecretKeeperOptions {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  /** The certificate for `spec`: the cached one while it is good, else a new one. */
  certificate(spec: IngressGatewaySpec): Promise<IssuedCertificate>;
  /** Drops the cached certificate, so the next `certificate` call issues anew and nothing renews the old one. */
  release(): void;
  isLeader(): boolean;
  /** Posts a Warning Event on the MeshConfig. */
  warn(reason: string, message: string): void;
  log(level: 'debug' | 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
  /** The Secret watch's first retry after a failure; default 1 s. */
  retryMs?: number;
}

export interface IngressGatewaySecretKeeper {
  /** The MeshConfig's spec now (undefined: the field is absent); resolves once it is acted on. */
  follow(spec: IngressGatewaySpec | undefined): Promise<void>;
  /** Brings the Secret up to date now: after a renewal, or on becoming the leader. */
  recheck(): Promise<void>;
  stop(): Promise<void>;
}

const secretName = (spec: IngressGatewaySpec) => `${spec.secretNamespace}/${spec.secretName}`;

export function keepIngressGatewaySecret(options: IngressGatewaySecretKeeperOptions): IngressGatewaySecretKeeper {
  const { core, log } = options;
  let current: IngressGatewaySpec | undefined;
  let watch: NamedObjectWatch | undefined;
  let stopped = false;

  async function reconcile(spec: IngressGatewaySpec): Promise<void> {
    if (!options.isLeader() || current !== spec) return;
    let certificate: IssuedCertificate;
    try {
      certificate = await options.certificate(spec);
    } catch (error) {
      const message = `could not issue the ingress gateway certificate for Secret ${secretName(spec)}: ${String(error)}`;
      options.warn('IngressGatewayCertificateFailed', message);
      log('warn', message);
      return;
    }
    if (current !== spec) return;
    const data = ingressGatewaySecretData(certificate);
    const name = spec.secretName;
    const namespace = spec.secretNamespace;
    const stored = await readOptional(() => core.readNamespacedSecret({ name, namespace }));
    if (secretHolds(stored, data)) return;
    if (!stored) {
      await core
        .createNamespacedSecret({ namespace, body: { metadata: { name, namespace }, type: TLS_SECRET_TYPE, data } })
        .catch((error: unknown) => {
          // Created meanwhile: the watch's event brings the next check.
          if (apiStatus(error) !== 409) throw error;
        });
      log('info', 'stored the ingress gateway certificate', {
        secret: secretName(spec),
        serial: certificate.serialNumber,
      });
      return;
    }
    // A Secret's type cannot change: one made by hand keeps its own.
    const body: V1Secret = { ...stored, data, type: stored.type ?? TLS_SECRET_TYPE };
    await core.replaceNamespacedSecret({ name, namespace, body }).catch((error: unknown) => {
      if (apiStatus(error) !== 409) throw error;
    });
    log('info', 'updated the ingress gateway certificate', {
      secret: secretName(spec),
      serial: certificate.serialNumber,
    });
  }

  async function remove(spec: IngressGatewaySpec): Promise<void> {
    options.release();
    if (!options.isLeader()) return;
    try {
      await core.deleteNamespacedSecret({ name: spec.secretName, namespace: spec.secretNamespace });
      log('info', 'removed the ingress gateway certificate: MeshConfig no longer asks for it', {
        secret: secretName(spec),
      });
    } catch (error) {
      if (apiStatus(error) !== 404)
        log('warn', 'could not delete the ingress gateway Secret', { secret: secretName(spec), error: String(error) });
    }
  }

  return {
    async follow(spec) {
      if (stopped) return;
      const change = ingressGatewayChange(current, spec);
      if (change.action === 'none') return;
      const previousWatch = watch;
      watch = undefined;
      current = spec;
      await previousWatch?.stop();
      if (change.action === 'remove') return remove(change.spec);
      options.release();
      const problem = ingressGatewaySpecProblem(change.spec);
      if (problem) {
        if (options.isLeader()) options.warn('InvalidIngressGatewayCertificate', problem);
        log('warn', 'the ingress gateway certificate cannot be issued', { problem });
        return;
      }
      const watched = change.spec;
      watch = watchNamedObject({
        kubeConfig: options.kubeConfig,
        collectionPath: `/api/v1/namespaces/${watched.secretNamespace}/secrets`,
        name: watched.secretName,
        onChange: () => reconcile(watched),
        log,
        retryMs: options.retryMs,
      });
      await watch.recheck();
    },
    recheck: () => watch?.recheck() ?? Promise.resolve(),
    async stop() {
      stopped = true;
      await watch?.stop();
    },
  };
}
