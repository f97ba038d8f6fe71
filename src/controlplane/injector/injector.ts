/**
 * osm-injector: OSM v1.2's sidecar injector, wired. It reads the MeshConfig and the monitored namespaces through
 * informers, loads the mesh CA from Secret osm-ca-bundle (creating it when the controller has not yet: the store
 * is create-once, so both components end up with the same CA), serves AdmissionReview v1 over HTTPS with a
 * certificate for `osm-injector.<ns>.svc`, and keeps the caBundle of MutatingWebhookConfiguration
 * `osm-webhook-<mesh>` equal to the mesh CA. For each pod it injects, it issues the proxy's xDS client certificate
 * and creates the bootstrap Secret before answering, so the pod never starts without it; on dry-run it writes
 * nothing.
 *
 * The decisions are the pure modules beside this one (decision, patch, admission, settings, webhook-config,
 * bootstrap-secret); this module only reads, writes and times.
 */
import { randomUUID } from 'node:crypto';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Counter, Histogram, type Registry } from 'prom-client';
import { normalizeObject, MESH_CONFIG_NAME, DEFAULT_MESH_SETTINGS } from '../catalog/normalize.js';
import type { MeshSettings } from '../catalog/model.js';
import { builtinCaIssuer } from '../certs/builtin-ca.js';
import { loadOrCreateCa } from '../certs/ca-store.js';
import { DEFAULT_TRUST_DOMAIN } from '../certs/identity.js';
import {
  bootstrapCertificateRequest,
  countedIssuer,
  type CertificateIssuer,
  type KeyAlgorithm,
  type KeySpec,
} from '../certs/issuer.js';
import { kubeCaStore } from '../certs/kube-ca-store.js';
import { certificateManager, startRenewalTimer } from '../certs/manager.js';
import { kubeClients, readOptional, type KubeClients } from '../../kube/clients.js';
import { toKubeError } from '../../kube/errors.js';
import {
  admissionResponse,
  injectorOutcome,
  type AdmissionOutcome,
  type AdmissionReview,
  type AdmissionReviewResponse,
  type PodAdmission,
} from './admission.js';
import { injectedBootstrapSecret } from './bootstrap-secret.js';
import { MONITORED_BY_LABEL } from './decision.js';
import { watchObjects, type InjectorLog, type WatchedObjects } from './informers.js';
import { podServiceAccount, type SidecarSettings } from './patch.js';
import type { NamespaceInfo } from './pod.js';
import { startAdmissionServer, type AdmissionServer } from './server.js';
import { sidecarSettings, type InjectorDefaults } from './settings.js';
import {
  caBundleInPlace,
  caBundleOf,
  caBundlePatch,
  mutatingWebhookConfiguration,
  servingCertificateRequest,
  webhookConfigurationName,
  DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
  type FailurePolicy,
  type MutatingWebhookConfiguration,
} from './webhook-config.js';

export interface InjectorOptions {
  kubeConfig: KubeConfig;
  meshName: string;
  osmNamespace: string;
  /** ARCMESH_LISTEN_ADDRESS; all interfaces when absent. */
  host?: string;
  /** 9090; 0 picks a free port. */
  webhookPort: number;
  /** For the configuration the injector creates when the chart's is missing: OSM's `--webhook-timeout` (20). */
  webhookTimeoutSeconds?: number;
  /** Likewise; the chart's `osm.webhookFailurePolicy`. OSM always uses Fail. */
  webhookFailurePolicy?: FailurePolicy;
  /** Proxy and serving certificate keys: RSA of MeshConfig `certKeyBitSize` (OSM's), or ECDSA P-256. */
  certificateKeyAlgorithm?: KeyAlgorithm;
  /** Images and pull policy from the env (OSM_DEFAULT_*). */
  defaults: InjectorDefaults;
  /** `app.kubernetes.io/version` on what the injector creates. */
  meshVersion: string;
  /** `cluster.local` unless set, as OSM's chart. */
  trustDomain?: string;
  registry: Registry;
  log: InjectorLog;
  /** The informers' first retry delay (tests shorten it). */
  retryMs?: number;
}

export interface Injector {
  readonly webhookPort: number;
  /** The mesh CA the webhook's certificate chains to, PEM. */
  readonly caPem: string;
  /** Why the injector is not ready, or undefined when it is. */
  notReadyReason(): string | undefined;
  close(): Promise<void>;
}

const MESH_CONFIG_API = { group: 'config.openservicemesh.io', version: 'v1alpha2', plural: 'meshconfigs' } as const;

export async function startInjector(options: InjectorOptions): Promise<Injector> {
  const { kubeConfig, meshName, osmNamespace, log } = options;
  const trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  const kube: InjectorKube = { ...(await kubeClients(kubeConfig)), kubeConfig };
  const metrics = injectorMetrics(options.registry);
  const configurationName = webhookConfigurationName(meshName);
  let notReady: string | undefined = 'the MeshConfig and the monitored namespaces have not been listed yet';
  let closing = false;
  const stoppers: (() => Promise<void>)[] = [];

  // --- what the injector reads: the MeshConfig and the monitored namespaces ---
  let meshSettings: MeshSettings = { ...DEFAULT_MESH_SETTINGS, trustDomain };
  let sidecar: SidecarSettings = sidecarSettings(undefined, options.defaults);
  const readMeshConfig = (object: KubernetesObject | undefined) => {
    sidecar = sidecarSettings(object, options.defaults);
    if (!object) return;
    const read = normalizeObject(
      { ...object, apiVersion: `${MESH_CONFIG_API.group}/${MESH_CONFIG_API.version}`, kind: 'MeshConfig' },
      { trustDomain },
    );
    if (read.kind === 'MeshConfig' && read.record) meshSettings = read.record;
    else if (read.kind === 'MeshConfig' && read.rejection)
      log('warn', 'MeshConfig refused; its TLS settings for new bootstraps stay as they were', {
        reason: read.rejection.reason,
      });
  };
  const meshConfigs = await watchObjects({
    kubeConfig,
    what: `MeshConfig ${osmNamespace}/${MESH_CONFIG_NAME}`,
    path: `/apis/${MESH_CONFIG_API.group}/${MESH_CONFIG_API.version}/namespaces/${osmNamespace}/${MESH_CONFIG_API.plural}`,
    fieldSelector: `metadata.name=${MESH_CONFIG_NAME}`,
    list: () =>
      kube.custom.listNamespacedCustomObject({
        ...MESH_CONFIG_API,
        namespace: osmNamespace,
        fieldSelector: `metadata.name=${MESH_CONFIG_NAME}`,
      }),
    onChange: (event, object) => readMeshConfig(event === 'delete' ? undefined : object),
    log,
    retryMs: options.retryMs,
  });
  stoppers.push(() => meshConfigs.stop());
  const namespaces = await watchObjects({
    kubeConfig,
    what: `namespaces monitored by ${meshName}`,
    path: '/api/v1/namespaces',
    labelSelector: `${MONITORED_BY_LABEL}=${meshName}`,
    list: () => kube.core.listNamespace({ labelSelector: `${MONITORED_BY_LABEL}=${meshName}` }),
    log,
    retryMs: options.retryMs,
  });
  stoppers.push(() => namespaces.stop());

  const shutdown = async () => {
    closing = true;
    await Promise.allSettled(stoppers.map((stop) => stop()));
  };

  let server: AdmissionServer;
  let caPem: string;
  try {
    await Promise.all([meshConfigs.synced, namespaces.synced]);

    notReady = 'the mesh CA is not loaded yet';
    const store = kubeCaStore({ api: kube.core, namespace: osmNamespace, version: options.meshVersion });
    const { authority, created } = await loadOrCreateCa(store);
    caPem = authority.certificatePem;
    if (created) log('info', 'created the mesh CA', { secret: store.location });
    const issuer = countedIssuer(builtinCaIssuer(authority), metrics);
    const keySpec = (): KeySpec => ({
      keyAlgorithm: options.certificateKeyAlgorithm ?? 'rsa',
      rsaBits: meshSettings.certKeyBitSize,
    });
    const certificates = certificateManager({ issuer, log });
    const renewal = startRenewalTimer(certificates, { log });
    stoppers.push(() => renewal.stop());

    notReady = 'the webhook server is not listening yet';
    const servingKey = 'webhook';
    const serving = await certificates.getOrIssue(
      servingKey,
      servingCertificateRequest({ osmNamespace, boundAddress: options.host }, keySpec()),
    );
    server = await startAdmissionServer({
      host: options.host,
      port: options.webhookPort,
      certificate: serving,
      review: (body) =>
        answer(body, {
          kube,
          namespaces,
          settings: () => ({ sidecar, mesh: meshSettings }),
          issuer,
          keySpec,
          options: { ...options, trustDomain },
          metrics,
        }),
      onResponse: ({ code, method, path, seconds }) => {
        const labels = { code: String(code), method, path };
        metrics.httpResponses.inc(labels);
        metrics.httpResponseSeconds.observe(labels, seconds);
      },
    });
    stoppers.push(() => server.close());
    certificates.onRotated((certificate, _previous, key) => {
      if (key !== servingKey) return;
      server.setCertificate(certificate);
      log('info', 'renewed the webhook certificate', { notAfter: certificate.notAfter.toISOString() });
    });

    notReady = `the caBundle of MutatingWebhookConfiguration ${configurationName} is not set yet`;
    const webhook = await keepCaBundle({
      kube,
      name: configurationName,
      caBundle: caBundleOf(caPem),
      create: () =>
        mutatingWebhookConfiguration({
          meshName,
          osmNamespace,
          caPem,
          failurePolicy: options.webhookFailurePolicy ?? 'Fail',
          timeoutSeconds: options.webhookTimeoutSeconds ?? DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
          meshVersion: options.meshVersion,
        }),
      onState: (reason) => (notReady = reason),
      isClosing: () => closing,
      log,
      retryMs: options.retryMs,
    });
    stoppers.push(() => webhook.stop());
    log('info', 'serving the sidecar injector webhook', { port: server.port, webhook: configurationName });
  } catch (error) {
    await shutdown();
    throw error;
  }

  return {
    webhookPort: server.port,
    caPem,
    notReadyReason: () => (closing ? 'shutting down' : notReady),
    close: shutdown,
  };
}

/** The API clients, and the config informers are made from. */
type InjectorKube = KubeClients & { kubeConfig: KubeConfig };

interface AnswerContext {
  kube: InjectorKube;
  namespaces: WatchedObjects<KubernetesObject>;
  settings(): { sidecar: SidecarSettings; mesh: MeshSettings };
  issuer: CertificateIssuer;
  keySpec(): KeySpec;
  options: InjectorOptions & { trustDomain: string };
  metrics: InjectorMetrics;
}

/** One AdmissionReview: decide, then issue the certificate and write the Secret the patch mounts. */
async function answer(body: AdmissionReview, context: AnswerContext): Promise<AdmissionReviewResponse> {
  const { options, metrics } = context;
  const { log, meshName, osmNamespace } = options;
  const { kube } = context;
  const decide = async (admission: PodAdmission): Promise<AdmissionOutcome> => {
    const namespace = await namespaceInfo(context.namespaces, kube, admission.namespace);
    const settings = context.settings();
    const proxyUuid = randomUUID();
    const { outcome, sidecar } = injectorOutcome(admission, {
      namespace,
      meshName,
      osmNamespace,
      settings: settings.sidecar,
      proxyUuid,
    });
    if (!sidecar) return outcome;
    const action = sidecar.bootstrapSecret;
    const where = `${admission.namespace}/${action.name}`;
    try {
      const certificate = await context.issuer.issue(
        bootstrapCertificateRequest(
          {
            uuid: proxyUuid,
            serviceAccount: podServiceAccount(admission.pod),
            namespace: admission.namespace,
            trustDomain: options.trustDomain,
          },
          context.keySpec(),
        ),
      );
      const existing =
        action.kind === 'copy'
          ? await readOptional(() =>
              kube.core.readNamespacedSecret({ name: action.from, namespace: admission.namespace }),
            )
          : undefined;
      const built = injectedBootstrapSecret({
        action,
        uuid: proxyUuid,
        namespace: admission.namespace,
        osmNamespace,
        meshName,
        meshVersion: options.meshVersion,
        settings: settings.mesh,
        certificate,
        originalProbes: sidecar.originalProbes,
        existingData: existing?.data,
      });
      if (!built.ok) return { deny: `Failed to create the bootstrap Secret ${where}: ${built.message}` };
      if (!admission.dryRun)
        await kube.core.createNamespacedSecret({ namespace: admission.namespace, body: built.secret });
      log('debug', 'injected the sidecar', { pod: podName(admission), proxyUuid, dryRun: admission.dryRun });
      return outcome;
    } catch (error) {
      const reason = toKubeError(error, `creating the bootstrap Secret ${where}`).message;
      log('error', 'could not write the bootstrap Secret; the pod is denied', { secret: where, error: reason });
      return {
        deny:
          `Failed to create the bootstrap Secret ${where}: ${reason}. The pod would start without its Envoy ` +
          `configuration; check that the osm-injector service account may create Secrets in ${admission.namespace}.`,
      };
    }
  };
  const { review } = await admissionResponse(body, decide);
  const { response } = review;
  metrics.admissionResponses.inc({ kind: requestKind(body), success: String(response.allowed) });
  if (!response.allowed)
    log('warn', 'denied a pod', { namespace: body.request?.namespace, reason: response.status?.message });
  return review;
}

/** The cached monitored namespace; on a miss, the API's (the label may be newer than the informer's cache). */
async function namespaceInfo(
  cache: WatchedObjects<KubernetesObject>,
  kube: InjectorKube,
  name: string,
): Promise<NamespaceInfo | undefined> {
  const object = cache.get(name) ?? (name ? await readOptional(() => kube.core.readNamespace({ name })) : undefined);
  if (!object) return undefined;
  return { name, labels: object.metadata?.labels, annotations: object.metadata?.annotations };
}

function podName(admission: PodAdmission): string {
  const metadata = admission.pod.metadata;
  return `${admission.namespace}/${metadata?.name || `${metadata?.generateName ?? ''}<generated>`}`;
}

function requestKind(body: AdmissionReview): string {
  const kind = (body.request?.kind as { kind?: unknown } | undefined)?.kind;
  return typeof kind === 'string' ? kind : '';
}

interface CaBundleKeeperOptions {
  kube: InjectorKube;
  name: string;
  caBundle: string;
  create(): MutatingWebhookConfiguration;
  /** undefined once the caBundle is in place; the reason otherwise. */
  onState(reason: string | undefined): void;
  isClosing(): boolean;
  log: InjectorLog;
  retryMs?: number;
}

/**
 * Creates the configuration if it is missing at start, then watches it and patches the caBundle back whenever it
 * differs (cleared, edited, or another CA's). A configuration deleted later is not created again: helm deletes it
 * on uninstall while this pod may still be running, and one left behind would send every pod of the monitored
 * namespaces to a webhook that is gone.
 */
async function keepCaBundle(options: CaBundleKeeperOptions): Promise<{ stop(): Promise<void> }> {
  const { kube, name, caBundle, log } = options;
  const firstRetryMs = options.retryMs ?? 1_000;
  const existing = await readOptional(() => kube.admission.readMutatingWebhookConfiguration({ name }));
  if (!existing) {
    try {
      await kube.admission.createMutatingWebhookConfiguration({ body: options.create() as never });
      log('info', 'created the MutatingWebhookConfiguration', { name });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 409)
        throw toKubeError(error, `creating MutatingWebhookConfiguration ${name}`);
    }
  }

  let latest: MutatingWebhookConfiguration | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let delayMs = firstRetryMs;
  const reconcile = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        const current = latest;
        if (!current) {
          options.onState(`MutatingWebhookConfiguration ${name} was deleted; restart the injector to create it again`);
          continue;
        }
        const patch = caBundlePatch(current, caBundle);
        if (patch.length === 0) {
          options.onState(
            caBundleInPlace(current, caBundle) ? undefined : `MutatingWebhookConfiguration ${name} has no webhooks`,
          );
          continue;
        }
        options.onState(`the caBundle of MutatingWebhookConfiguration ${name} is not the mesh CA yet`);
        try {
          const patched = await kube.admission.patchMutatingWebhookConfiguration(
            { name, body: patch },
            kube.patchAs('json'),
          );
          delayMs = firstRetryMs;
          log('info', 'set the caBundle of the MutatingWebhookConfiguration to the mesh CA', { name });
          if (caBundleInPlace(patched as MutatingWebhookConfiguration, caBundle)) options.onState(undefined);
        } catch (error) {
          if (options.isClosing()) return;
          log('warn', `could not patch the caBundle; retrying in ${delayMs} ms`, {
            name,
            error: toKubeError(error, `patching MutatingWebhookConfiguration ${name}`).message,
          });
          clearTimeout(retryTimer);
          retryTimer = setTimeout(reconcile, delayMs);
          delayMs = Math.min(delayMs * 2, 30_000);
        }
      } while (again && !options.isClosing());
    })().finally(() => (running = undefined));
  };

  const watched = await watchObjects<KubernetesObject>({
    kubeConfig: kube.kubeConfig,
    what: `MutatingWebhookConfiguration ${name}`,
    path: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    fieldSelector: `metadata.name=${name}`,
    list: () => kube.admission.listMutatingWebhookConfiguration({ fieldSelector: `metadata.name=${name}` }),
    onChange: (event, object) => {
      latest = event === 'delete' ? undefined : (object as MutatingWebhookConfiguration);
      if (event === 'delete')
        log('warn', 'the MutatingWebhookConfiguration was deleted; not creating it again', { name });
      reconcile();
    },
    log,
    retryMs: options.retryMs,
  });
  await watched.synced;
  if (!latest) reconcile();
  return {
    async stop() {
      clearTimeout(retryTimer);
      await watched.stop();
      await running;
    },
  };
}

type InjectorMetrics = ReturnType<typeof injectorMetrics>;

/** OSM's names (pkg/metricsstore): admission responses, HTTP responses and their latency, certificates issued. */
function injectorMetrics(registry: Registry) {
  return {
    admissionResponses: new Counter({
      name: 'osm_admission_webhook_response_total',
      help: 'Counter for responses sent by admission webhooks',
      labelNames: ['kind', 'success'],
      registers: [registry],
    }),
    httpResponses: new Counter({
      name: 'osm_http_response_total',
      help: 'Counter of HTTP responses sent',
      labelNames: ['code', 'method', 'path'],
      registers: [registry],
    }),
    httpResponseSeconds: new Histogram({
      name: 'osm_http_response_duration',
      help: 'Duration in seconds of HTTP responses sent (an AdmissionReview: decision, key, certificate and Secret)',
      labelNames: ['code', 'method', 'path'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    certificatesIssued: new Counter({
      name: 'osm_cert_issued_count',
      help: 'Represents the total number of XDS certificates issued to proxies',
      registers: [registry],
    }),
    certificateIssueSeconds: new Histogram({
      name: 'osm_cert_issued_time',
      help: 'Histogram to track time spent to issue xds certificate',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
