/**
 * osm-controller: the mesh's control loop. Kubernetes objects come in through the catalog's informers; each change
 * recompiles the policy of the proxies it touches (the policy engine); their resources are emitted (Envoy for
 * sidecars, proxyless gRPC for applications without one), checked against Envoy's validation rules, and handed to
 * the xDS snapshot cache, which pushes them. This module is the only one that knows every stage; each stage knows
 * nothing of the one after next.
 *
 * Pushes are debounced: changes that arrive within DEBOUNCE_MS of each other are applied together, and none waits
 * longer than DEBOUNCE_CAP_MS (OSM waits 2 s, at most 10 s: a faster policy compile lets the window be shorter).
 * Only the leader writes what needs one writer (the CA Secret, Events, the validating webhook's caBundle, the
 * ingress gateway's certificate Secret, IngressBackend status); every replica serves xDS and the validating webhook.
 */
import { Registry, Counter, Histogram } from 'prom-client';
import type { KubeConfig } from '@kubernetes/client-node';
import { ServerCredentials } from '@grpc/grpc-js';
import { MeshCatalog, type ApplyResult } from './catalog/catalog.js';
import { describeObject, type MeshPod, type MeshSnapshot, type ObjectRef } from './catalog/model.js';
import { MESH_CONFIG_NAME } from './catalog/normalize.js';
import { watchCatalog, type CatalogWatch } from './catalog/watch.js';
import { builtinCaIssuer, type CertificateAuthority } from './certs/builtin-ca.js';
import { loadOrCreateCa } from './certs/ca-store.js';
import { SIDECAR_PROXY_KIND, parseXdsClientCommonName } from './certs/identity.js';
import { INGRESS_GATEWAY_CERTIFICATE_KEY, ingressGatewayCertificateRequest } from './certs/ingress-gateway.js';
import {
  adsServerCertificateRequest,
  countedIssuer,
  serviceCertificateRequest,
  validatorCertificateRequest,
  type CertificateRequest,
  type IssuedCertificate,
  type KeyAlgorithm,
} from './certs/issuer.js';
import { kubeCaStore } from './certs/kube-ca-store.js';
import { keepIngressGatewaySecret, type IngressGatewaySecretKeeper } from './certs/kube-ingress-gateway.js';
import { certificateManager, startRenewalTimer, type CertificateManager, type RenewalTimer } from './certs/manager.js';
import { debugServer, type DebugServer } from './debug/server.js';
import { emitEnvoyResources } from './envoy/emit.js';
import { emitProxylessResources } from './grpc/emit.js';
import { PolicyEngine, proxyKey } from './policy/engine.js';
import type { ProxyRef } from './policy/types.js';
import { configDump } from './protos/config-dump.js';
import type { ProtoObject, TypedProtoObject } from './protos/envoy.js';
import { validateEnvoyMessage } from './protos/validate.js';
import { kubeEventSink, type EventSink } from './runtime/events.js';
import { startLeaderElection, type LeaderElector } from './runtime/leader-election.js';
import { keepWebhookCaBundle, type WebhookCaBundleKeeper } from './runtime/webhook-ca-bundle.js';
import { ingressBackendStatuses } from './status/ingress-backend-status.js';
import { ingressBackendStatusWriter } from './status/kube-status-writer.js';
import { validationReview } from './validator/review.js';
import { validateObject } from './validator/rules.js';
import { startValidatingWebhookServer, type ValidatingWebhookServer } from './validator/server.js';
import { validatingWebhookConfiguration } from './validator/webhook-configuration.js';
import { SnapshotCache } from './xds/cache.js';
import { startAdsServer, type AdsPeer, type AdsAuthentication, type AdsServer } from './xds/server.js';
import { buildSnapshot, type Snapshot } from './xds/snapshot.js';

export const DEBOUNCE_MS = 100;
export const DEBOUNCE_CAP_MS = 1_000;
/** Proxy configs built between two turns of the event loop during a push. */
const FLUSH_SLICE = 50;
/** The certificate manager's key for the validating webhook's serving certificate. */
const VALIDATOR_CERTIFICATE_KEY = 'validator';
/** The catalog changes that can change an IngressBackend's status. */
const STATUS_INPUTS: ReadonlySet<string> = new Set(['IngressBackend', 'Rejection', 'Endpoints']);
/** The file_watcher certificate provider instance a proxyless client declares in its node metadata to get mTLS. */
export const PROXYLESS_CERTIFICATE_PROVIDER_METADATA = 'arcmesh.io/certificate-provider-instance';

export type ControllerLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export interface MeshControllerOptions {
  kubeConfig: KubeConfig;
  meshName: string;
  osmNamespace: string;
  /** This replica's name (the pod's), for the leader Lease and Events. */
  podName: string;
  host?: string;
  /** The sidecars' mTLS ADS port, 15128; 0 picks one. */
  adsPort: number;
  /** The proxyless gRPC port; undefined keeps it closed. */
  proxylessPort?: number;
  /** The debug server's port (9092), served while MeshConfig enables it. */
  debugPort: number;
  /**
   * The validating webhook's HTTPS port (9093); 0 picks one. Undefined keeps the webhook closed and leaves its
   * ValidatingWebhookConfiguration alone.
   */
  validatorPort?: number;
  /** Service and sidecar certificate keys: RSA of MeshConfig `certKeyBitSize` (OSM's), or ECDSA P-256. */
  certificateKeyAlgorithm?: KeyAlgorithm;
  registry: Registry;
  log: ControllerLog;
  /** Leader Lease timing, shortened by tests. */
  leaseTiming?: Parameters<typeof startLeaderElection>[0]['timing'];
}

export interface MeshController {
  readonly adsPort: number;
  readonly proxylessPort: number | undefined;
  readonly validatorPort: number | undefined;
  /** Why the controller is not ready, or undefined when it is. */
  notReadyReason(): string | undefined;
  readonly debug: DebugServer;
  close(): Promise<void>;
}

interface Connected {
  kind: 'envoy' | 'proxyless';
  ref: ProxyRef;
  /** The file_watcher instance the proxyless client has, if any. */
  certificateProvider?: string;
  sentAt?: Date;
  /** Builds that failed in a row, for the retry's backoff. */
  failures?: number;
}

export async function startMeshController(options: MeshControllerOptions): Promise<MeshController> {
  const { kubeConfig, meshName, osmNamespace, log } = options;
  const k8s = await import('@kubernetes/client-node');
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const coordination = kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);

  const catalog = new MeshCatalog({ meshName, osmNamespace });
  const engine = new PolicyEngine(catalog.snapshot);
  const cache = new SnapshotCache();
  const connected = new Map<string, Connected>();
  const events: EventSink = kubeEventSink({
    api: core,
    component: 'osm-controller',
    instance: options.podName,
    defaultNamespace: osmNamespace,
    log,
  });
  const metrics = controllerMetrics(options.registry);
  let notReady: string | undefined = 'the catalog has not listed the cluster yet';
  let closing = false;

  const elector: LeaderElector = startLeaderElection({
    api: coordination,
    namespace: osmNamespace,
    name: 'osm-controller-leader',
    identity: options.podName,
    timing: options.leaseTiming,
    onStartedLeading: () => {
      reportRejections(catalog.snapshot.rejections.values());
      // What a previous leader wrote may be stale, or missing if it stopped mid-way: check it all again.
      void validatorCaBundle?.recheck();
      void ingressGateway?.recheck();
      statuses.forget();
      void statuses.reconcile(ingressBackendStatuses(catalog.snapshot));
    },
    onStoppedLeading: () => undefined,
    log,
  });

  // --- the catalog, and what its changes set off ---
  let dirty = new Set<string>();
  let firstDirtyAt: number | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const scheduleFlush = () => {
    if (closing) return;
    const now = Date.now();
    firstDirtyAt ??= now;
    clearTimeout(flushTimer);
    const wait = Math.max(0, Math.min(DEBOUNCE_MS, firstDirtyAt + DEBOUNCE_CAP_MS - now));
    flushTimer = setTimeout(() => void flush(), wait);
  };
  const markDirty = (proxyIds: Iterable<string>) => {
    for (const proxyId of proxyIds) dirty.add(proxyId);
    if (dirty.size) scheduleFlush();
  };
  const proxiesWithKeys = (keys: ReadonlySet<string>) =>
    [...connected].filter(([, proxy]) => keys.has(proxyKey(proxy.ref))).map(([proxyId]) => proxyId);

  const onCatalogChange = (result: ApplyResult) => {
    const changedKeys = engine.update(result.snapshot, result.changed);
    markDirty(proxiesWithKeys(changedKeys));
    for (const change of result.changed) if (change.kind === 'Pod' && change.after) adoptPod(change.after);
    const rejected = result.changed.flatMap((change) =>
      change.kind === 'Rejection' && change.after ? [change.after] : [],
    );
    if (rejected.length && elector.isLeader()) reportRejections(rejected);
    for (const rejection of rejected)
      log('warn', 'object refused', { object: describeObject(rejection.object), reason: rejection.reason });
    if (result.changed.some((change) => change.kind === 'MeshConfig')) {
      void followDebugFlag(result.snapshot.settings.enableDebugServer);
      void ingressGateway?.follow(result.snapshot.settings.ingressGateway);
    }
    if (result.changed.some((change) => STATUS_INPUTS.has(change.kind)))
      void statuses.reconcile(ingressBackendStatuses(result.snapshot));
  };
  /**
   * The debug server follows the MeshConfig flag, at each change of the MeshConfig. One that cannot listen (its port
   * taken) is logged once, never a reason to stop serving the mesh; and after close() nothing opens it again.
   */
  async function followDebugFlag(enabled: boolean): Promise<void> {
    if (closing) return;
    try {
      await debug.setEnabled(enabled);
    } catch (error) {
      log('error', 'the debug server could not start', {
        port: options.debugPort,
        error: String(error),
        hint: 'free the port (or change --debug-port), then set observability.enableDebugServer to false and back to true',
      });
    }
  }
  /**
   * A sidecar that connected before the catalog knew its pod was served its certificate's identity alone (as OSM
   * does); once the pod with its `osm-proxy-uuid` appears, the proxy gets the pod's local services too.
   */
  function adoptPod(pod: MeshPod): void {
    const proxy = pod.proxyUuid === undefined ? undefined : connected.get(pod.proxyUuid);
    if (!proxy || proxy.kind !== 'envoy' || proxy.ref.pod) return;
    if (pod.namespace !== proxy.ref.namespace || pod.serviceAccount !== proxy.ref.serviceAccount) {
      log('warn', 'a pod carries the proxy uuid of a sidecar with another identity; the pod is not given to it', {
        pod: `${pod.namespace}/${pod.name}`,
        proxy: pod.proxyUuid,
        identity: `${proxy.ref.namespace}/${proxy.ref.serviceAccount}`,
      });
      return;
    }
    forgetUnlessShared(proxy.ref, pod.proxyUuid!);
    proxy.ref = { ...proxy.ref, pod: pod.name };
    markDirty([pod.proxyUuid!]);
  }
  /** Stops tracking a policy no other connected proxy than `proxyId` uses. */
  function forgetUnlessShared(ref: ProxyRef, proxyId: string): void {
    const key = proxyKey(ref);
    if (![...connected].some(([id, other]) => id !== proxyId && proxyKey(other.ref) === key)) engine.forget(ref);
  }
  function reportRejections(rejections: Iterable<{ object: ObjectRef; reason: string }>) {
    for (const { object, reason } of rejections) void events.warn(object, 'Refused', reason);
  }
  /** A Warning Event on the mesh's MeshConfig, with its uid so that `kubectl describe meshconfig` lists it. */
  async function warnOnMeshConfig(reason: string, message: string): Promise<void> {
    const ref: ObjectRef = {
      apiVersion: 'config.openservicemesh.io/v1alpha2',
      kind: 'MeshConfig',
      namespace: osmNamespace,
      name: MESH_CONFIG_NAME,
    };
    const meshConfig = (await custom
      .getNamespacedCustomObject({
        group: 'config.openservicemesh.io',
        version: 'v1alpha2',
        namespace: osmNamespace,
        plural: 'meshconfigs',
        name: MESH_CONFIG_NAME,
      })
      .catch(() => undefined)) as { metadata?: { uid?: string } } | undefined;
    const uid = meshConfig?.metadata?.uid;
    await events.warn(uid ? { ...ref, uid } : ref, reason, message);
  }

  // --- what the leader keeps written: IngressBackend status, the webhook's caBundle, the gateway's Secret ---
  const statuses = ingressBackendStatusWriter({ custom, isLeader: () => elector.isLeader(), log });
  let validatorCaBundle: WebhookCaBundleKeeper | undefined;
  let validator: ValidatingWebhookServer | undefined;
  let ingressGateway: IngressGatewaySecretKeeper | undefined;

  // --- certificates ---
  let certificates: CertificateManager | undefined;
  let authority: CertificateAuthority | undefined;
  let renewal: RenewalTimer | undefined;
  const keySpecFor = (snapshot: MeshSnapshot) => ({
    keyAlgorithm: options.certificateKeyAlgorithm ?? 'rsa',
    rsaBits: snapshot.settings.certKeyBitSize,
  });
  const serviceCertificate = (ref: ProxyRef): Promise<IssuedCertificate> => {
    const { settings } = catalog.snapshot;
    return certificates!.getOrIssue(
      `service:${ref.namespace}/${ref.serviceAccount}`,
      serviceCertificateRequest(
        { serviceAccount: ref.serviceAccount, namespace: ref.namespace, trustDomain: settings.trustDomain },
        { ...keySpecFor(catalog.snapshot), validityMs: settings.serviceCertValidityMs },
      ),
    );
  };

  // --- per-proxy snapshots ---
  async function build(proxy: Connected): Promise<Snapshot> {
    const policy = engine.policyFor(proxy.ref);
    let resources: TypedProtoObject[];
    if (proxy.kind === 'envoy') {
      const certificate = await serviceCertificate(proxy.ref);
      const emitted = emitEnvoyResources(policy, {
        serviceCertificate: { certificatePem: certificate.certificatePem, privateKeyPem: certificate.privateKeyPem },
        trustedCaPem: certificate.trustedCaPem,
      });
      resources = [
        ...emitted.listeners,
        ...emitted.clusters,
        ...emitted.routeConfigurations,
        ...emitted.clusterLoadAssignments,
        ...emitted.secrets,
      ];
    } else {
      const emitted = emitProxylessResources(policy, { certificateProviderInstance: proxy.certificateProvider });
      resources = [
        ...emitted.listeners,
        ...emitted.clusters,
        ...emitted.routeConfigurations,
        ...emitted.clusterLoadAssignments,
      ];
    }
    // Envoy would reject a resource that breaks its rules and keep its old config: refuse it here instead, so the
    // proxy keeps what it has and the problem is in our log, not only in the proxy's.
    const invalid = resources.flatMap((resource) =>
      validateEnvoyMessage(resource).map(
        (violation) => `${String(resource.name ?? resource['@type'])}: ${violation.path}: ${violation.message}`,
      ),
    );
    if (invalid.length) throw new Error(`the emitted config breaks Envoy's rules: ${invalid.slice(0, 5).join('; ')}`);
    return buildSnapshot(resources);
  }

  async function refresh(proxyId: string): Promise<void> {
    const proxy = connected.get(proxyId);
    if (!proxy) return;
    const started = performance.now();
    try {
      const snapshot = await build(proxy);
      if (connected.get(proxyId) !== proxy) return;
      if (cache.setSnapshot(proxyId, snapshot).length) proxy.sentAt = new Date();
      proxy.failures = 0;
      metrics.snapshotBuilds.inc({ outcome: 'ok' });
    } catch (error) {
      metrics.snapshotBuilds.inc({ outcome: 'error' });
      // Tried again with backoff (1 s doubling to 30 s): a proxy whose first build failed has no config at all.
      proxy.failures = (proxy.failures ?? 0) + 1;
      const retryMs = Math.min(30_000, 1_000 * 2 ** (proxy.failures - 1));
      log('error', 'could not build the proxy config; it keeps the last one', {
        proxy: proxyId,
        error: String(error),
        retryInMs: retryMs,
      });
      if (!closing) setTimeout(() => connected.get(proxyId) === proxy && markDirty([proxyId]), retryMs).unref();
    } finally {
      metrics.snapshotBuildSeconds.observe((performance.now() - started) / 1000);
    }
  }

  async function flush(): Promise<void> {
    const batch = [...dirty];
    dirty = new Set();
    firstDirtyAt = undefined;
    // In slices, yielding to the event loop between them: keepalives, health probes and ACKs wait for one slice
    // of builds, not for a mesh-wide push.
    for (let start = 0; start < batch.length; start += FLUSH_SLICE) {
      await Promise.all(batch.slice(start, start + FLUSH_SLICE).map(refresh));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  // --- proxy identity ---
  const podOf = (namespace: string, name: string) => catalog.snapshot.pods.get(`${namespace}/${name}`);

  async function authenticateSidecar(peer: AdsPeer): Promise<AdsAuthentication> {
    if (!peer.certificate) return { refused: 'no client certificate', code: 'UNAUTHENTICATED' };
    const parsed = parseXdsClientCommonName(peer.certificate.commonName);
    if (!parsed.ok)
      return { refused: `certificate CN ${peer.certificate.commonName}: ${parsed.reason}`, code: 'PERMISSION_DENIED' };
    const { uuid, kind, serviceAccount, namespace, trustDomain } = parsed.identity;
    // The trust domain must be the mesh's exactly: the parser gives whatever follows the namespace to it, so a
    // service account named `<uuid>.sidecar.<sa>.<ns>` in another namespace would otherwise pass for <ns>/<sa>.
    const meshTrustDomain = catalog.snapshot.settings.trustDomain;
    if (kind !== SIDECAR_PROXY_KIND || trustDomain !== meshTrustDomain) {
      return {
        refused: `certificate CN ${peer.certificate.commonName} is not a sidecar of trust domain ${meshTrustDomain}`,
        code: 'PERMISSION_DENIED',
      };
    }
    const pods = [...catalog.snapshot.pods.values()].filter((pod) => pod.proxyUuid === uuid);
    if (pods.length > 1)
      return { refused: `${pods.length} pods carry osm-proxy-uuid=${uuid}`, code: 'PERMISSION_DENIED' };
    const pod = pods[0];
    if (pod && (pod.serviceAccount !== serviceAccount || pod.namespace !== namespace)) {
      return {
        refused: `certificate names ${namespace}/${serviceAccount} but pod ${pod.namespace}/${pod.name} runs as ${pod.namespace}/${pod.serviceAccount}`,
        code: 'PERMISSION_DENIED',
      };
    }
    // As OSM: a proxy whose pod is not known (yet) is served with its certificate's identity and no local services.
    return { proxyId: uuid, labels: proxyLabels({ namespace, serviceAccount, pod: pod?.name }) };
  }

  async function authenticateProxyless(peer: AdsPeer): Promise<AdsAuthentication> {
    const [namespace, name, ...rest] = peer.nodeId.split('/');
    if (!namespace || !name || rest.length) {
      return { refused: `node id ${JSON.stringify(peer.nodeId)} is not <namespace>/<pod>`, code: 'UNAUTHENTICATED' };
    }
    const pod = podOf(namespace, name);
    if (!pod) return { refused: `no pod ${namespace}/${name} in a monitored namespace`, code: 'PERMISSION_DENIED' };
    const certificateProvider = stringMetadata(peer.node, PROXYLESS_CERTIFICATE_PROVIDER_METADATA);
    return {
      proxyId: `proxyless:${namespace}/${name}`,
      labels: proxyLabels({ namespace, serviceAccount: pod.serviceAccount, pod: name }, certificateProvider),
    };
  }

  // A proxy is registered when its stream starts serving, not while it authenticates: a stream that ends before
  // then leaves nothing behind, and an old stream's end cannot remove a newer one still authenticating.
  const hooks = (kind: Connected['kind']) => ({
    onConnect(proxy: { proxyId: string; labels: Record<string, string> }) {
      const { namespace = '', serviceAccount = '', pod, certificateProvider } = proxy.labels;
      connected.set(proxy.proxyId, { kind, ref: { namespace, serviceAccount, pod }, certificateProvider });
      void refresh(proxy.proxyId);
    },
    onDisconnect(proxy: { proxyId: string }) {
      const stillConnected = [...(kind === 'envoy' ? ads : proxyless)!.connectedProxies()].some(
        (other) => other.proxyId === proxy.proxyId,
      );
      if (stillConnected) return;
      const entry = connected.get(proxy.proxyId);
      if (!entry) return;
      forgetUnlessShared(entry.ref, proxy.proxyId);
      connected.delete(proxy.proxyId);
      cache.clear(proxy.proxyId);
      // As OSM releases a certificate on pod delete: an identity nobody connects as is no longer renewed.
      const identity = `${entry.ref.namespace}/${entry.ref.serviceAccount}`;
      if (![...connected.values()].some((other) => `${other.ref.namespace}/${other.ref.serviceAccount}` === identity)) {
        certificates?.release(`service:${identity}`);
      }
    },
  });

  // --- start: catalog first (identity checks need pods), then the CA, then the servers ---
  const watch: CatalogWatch = watchCatalog({ kubeConfig, catalog, osmNamespace, onChange: onCatalogChange, log });
  const debug = debugServer(
    {
      proxies: () => [...(ads?.connectedProxies() ?? []), ...(proxyless?.connectedProxies() ?? [])],
      xds: () =>
        Object.fromEntries(
          [...(ads?.connectedProxies() ?? []), ...(proxyless?.connectedProxies() ?? [])].map((p) => [
            p.proxyId,
            p.types,
          ]),
        ),
      configDump: (proxyId, { includeEds }) => {
        const snapshot = cache.getSnapshot(proxyId);
        if (!snapshot) return undefined;
        const lastUpdated = connected.get(proxyId)?.sentAt ?? new Date();
        return configDump({
          includeEds,
          dynamic: Object.fromEntries(
            Object.entries(snapshot.types).map(([typeUrl, type]) => [
              typeUrl,
              {
                version: type.version,
                resources: [...type.resources.values()].map((r) => ({ resource: r.resource, lastUpdated })),
              },
            ]),
          ),
        });
      },
      policies: () => policiesView(catalog.snapshot),
      certificates: () => certificates?.debugView() ?? [],
      meshConfig: () => catalog.snapshot.settings,
      namespaces: () => [...catalog.snapshot.namespaces.values()],
    },
    {
      port: options.debugPort,
      host: options.host,
      onError: (error) => log('error', 'the debug server failed', { error: String(error) }),
    },
  );

  let ads: AdsServer | undefined;
  let proxyless: AdsServer | undefined;
  try {
    await watch.synced;
    notReady = 'the mesh CA is not loaded yet';
    authority = await loadCa();
    const issuer = countedIssuer(builtinCaIssuer(authority), metrics);
    certificates = certificateManager({
      issuer,
      // OSM reads the MeshConfig at each renewal: a changed validity or key size applies from the next one. The
      // internal certificates keep theirs; the ingress gateway's is issued anew whenever its spec changes.
      renewalRequest: (key, previous: CertificateRequest) =>
        key.startsWith('service:')
          ? {
              ...previous,
              validityMs: catalog.snapshot.settings.serviceCertValidityMs,
              ...keySpecFor(catalog.snapshot),
            }
          : previous,
      log,
    });
    certificates.onRotated((certificate, _previous, key) => {
      if (key === INGRESS_GATEWAY_CERTIFICATE_KEY) void ingressGateway?.recheck();
      if (key === VALIDATOR_CERTIFICATE_KEY) validator?.setCertificate(certificate);
      if (!key.startsWith('service:')) return;
      const identity = key.slice('service:'.length);
      markDirty(
        [...connected].filter(([, p]) => `${p.ref.namespace}/${p.ref.serviceAccount}` === identity).map(([id]) => id),
      );
    });
    renewal = startRenewalTimer(certificates, { log });

    notReady = 'the ADS server is not listening yet';
    const serverCertificate = await certificates.getOrIssue(
      'ads',
      adsServerCertificateRequest(
        { osmNamespace, trustDomain: catalog.snapshot.settings.trustDomain },
        keySpecFor(catalog.snapshot),
      ),
    );
    ads = await startAdsServer({
      cache,
      credentials: ServerCredentials.createSsl(
        Buffer.from(serverCertificate.trustedCaPem),
        [
          {
            cert_chain: Buffer.from(serverCertificate.certificatePem),
            private_key: Buffer.from(serverCertificate.privateKeyPem),
          },
        ],
        true,
      ),
      host: options.host,
      port: options.adsPort,
      authenticate: authenticateSidecar,
      maxConnections: catalog.snapshot.settings.maxDataPlaneConnections,
      log,
      registry: options.registry,
      hooks: hooks('envoy'),
    });
    if (options.proxylessPort !== undefined) {
      proxyless = await startAdsServer({
        cache,
        credentials: ServerCredentials.createInsecure(),
        host: options.host,
        port: options.proxylessPort,
        authenticate: authenticateProxyless,
        log,
        registry: options.registry,
        hooks: hooks('proxyless'),
      });
    }
    if (options.validatorPort !== undefined) await startValidator(options.validatorPort, authority);
    const manager = certificates;
    ingressGateway = keepIngressGatewaySecret({
      kubeConfig,
      core,
      certificate: (spec) =>
        manager.getOrIssue(
          INGRESS_GATEWAY_CERTIFICATE_KEY,
          ingressGatewayCertificateRequest(spec, keySpecFor(catalog.snapshot)),
        ),
      release: () => manager.release(INGRESS_GATEWAY_CERTIFICATE_KEY),
      isLeader: () => elector.isLeader(),
      warn: (reason, message) => void warnOnMeshConfig(reason, message),
      log,
    });
    void ingressGateway.follow(catalog.snapshot.settings.ingressGateway);
    void statuses.reconcile(ingressBackendStatuses(catalog.snapshot));
    await followDebugFlag(catalog.snapshot.settings.enableDebugServer);
    notReady = undefined;
    log('info', 'serving xDS', { ads: ads.port, proxyless: proxyless?.port, mesh: meshName });
  } catch (error) {
    await shutdown();
    throw error;
  }

  /**
   * The validating webhook: its server (every replica serves it, as the Service spreads calls over them) and the
   * caBundle of its ValidatingWebhookConfiguration (the leader keeps it).
   */
  async function startValidator(port: number, ca: CertificateAuthority): Promise<void> {
    notReady = 'the validating webhook is not listening yet';
    const serving = await certificates!.getOrIssue(
      VALIDATOR_CERTIFICATE_KEY,
      validatorCertificateRequest({ osmNamespace, boundAddress: options.host }, keySpecFor(catalog.snapshot)),
    );
    validator = await startValidatingWebhookServer({
      host: options.host,
      port,
      certificate: serving,
      review: (body) =>
        validationReview(body, (reviewed) =>
          validateObject(reviewed, {
            snapshot: catalog.snapshot,
            trustDomain: catalog.snapshot.settings.trustDomain,
          }),
        ),
      log,
    });
    validatorCaBundle = await keepWebhookCaBundle({
      kubeConfig,
      kind: 'ValidatingWebhookConfiguration',
      template: validatingWebhookConfiguration({ meshName, osmNamespace }),
      caPem: ca.certificatePem,
      isLeader: () => elector.isLeader(),
      log,
    });
  }

  async function loadCa(): Promise<CertificateAuthority> {
    const store = kubeCaStore({ api: core, namespace: osmNamespace });
    // Only the leader creates the CA; the others wait until it is stored. Creation is create-only besides, so a
    // leader change mid-way cannot give two CAs.
    for (;;) {
      if (closing) throw new Error('stopped before the mesh CA was loaded');
      if (elector.isLeader() || (await store.read())) return (await loadOrCreateCa(store)).authority;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async function shutdown(): Promise<void> {
    closing = true;
    clearTimeout(flushTimer);
    await Promise.allSettled([
      watch.stop(),
      ads?.close(),
      proxyless?.close(),
      validator?.close(),
      validatorCaBundle?.stop(),
      ingressGateway?.stop(),
      debug.close(),
      renewal?.stop(),
      elector.stop(),
    ]);
  }

  return {
    adsPort: ads.port,
    proxylessPort: proxyless?.port,
    validatorPort: validator?.port,
    notReadyReason: () => (closing ? 'shutting down' : notReady),
    debug,
    close: shutdown,
  };
}

/** What authentication learnt of a proxy, carried on its stream until the stream serves. */
function proxyLabels(ref: ProxyRef, certificateProvider?: string): Record<string, string> {
  return {
    namespace: ref.namespace,
    serviceAccount: ref.serviceAccount,
    ...(ref.pod ? { pod: ref.pod } : {}),
    ...(certificateProvider ? { certificateProvider } : {}),
  };
}

function stringMetadata(node: ProtoObject, key: string): string | undefined {
  const fields = (node.metadata as { fields?: Record<string, { string_value?: string }> } | undefined)?.fields;
  return fields?.[key]?.string_value || undefined;
}

function policiesView(snapshot: MeshSnapshot) {
  const values = <T>(map: ReadonlyMap<string, T>) => [...map.values()];
  return {
    permissive: snapshot.settings.permissive,
    trafficTargets: values(snapshot.trafficTargets),
    httpRouteGroups: values(snapshot.httpRouteGroups),
    tcpRoutes: values(snapshot.tcpRoutes),
    trafficSplits: values(snapshot.trafficSplits),
    egresses: values(snapshot.egresses),
    ingressBackends: values(snapshot.ingressBackends),
    upstreamTrafficSettings: values(snapshot.upstreamTrafficSettings),
    retries: values(snapshot.retries),
    refused: values(snapshot.rejections).map(({ object, reason }) => ({ object: describeObject(object), reason })),
  };
}

function controllerMetrics(registry: Registry) {
  return {
    snapshotBuilds: new Counter({
      name: 'arcmesh_proxy_config_builds_total',
      help: 'Per-proxy configs built, by outcome (error: the proxy kept its last config)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    snapshotBuildSeconds: new Histogram({
      name: 'arcmesh_proxy_config_build_seconds',
      help: 'Time to compile, emit, check and encode one proxy config',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    certificatesIssued: new Counter({
      name: 'osm_cert_issued_count',
      help: 'Certificates issued by the mesh CA',
      registers: [registry],
    }),
    certificateIssueSeconds: new Histogram({
      name: 'osm_cert_issued_time',
      help: 'Time to issue one certificate (key generation and signature)',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}
