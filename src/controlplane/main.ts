/**
 * The control plane container's entry point: the chart runs `node dist/controlplane/main.js --component=...`.
 * `osm-controller` runs the mesh controller (catalog → policy → emitters → xDS on 15128, certificates, the debug
 * server) beside the health endpoint; `osm-injector` the sidecar injector (the AdmissionReview webhook on 9090, its
 * MutatingWebhookConfiguration's caBundle, bootstrap Secrets).
 *
 * Kubernetes credentials come from the pod (service-account token, CA and KUBERNETES_SERVICE_HOST/PORT), or from
 * KUBECONFIG when run outside a cluster.
 *
 * Two variables stand in for what a container runtime gives a real pod, set only by the sandbox's node, which runs
 * this entry point as a process (see src/sandbox/node/layout.ts): ARCMESH_LISTEN_ADDRESS, the pod's own address that
 * every server binds (a real pod's network namespace is its own, so there it binds all interfaces), and
 * ARCMESH_CONTAINER_ROOT, the directory under which the node put the container's mounts (the service-account token
 * at <root>/var/run/secrets/kubernetes.io/serviceaccount).
 */
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { KEY_ALGORITHMS, type KeyAlgorithm } from './certs/issuer.js';
import { CONTROL_PLANE_COMPONENTS, startHealthServer, type ControlPlaneComponent } from './health.js';
import {
  DEFAULT_WEBHOOK_PORT,
  DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
  FAILURE_POLICIES,
  type FailurePolicy,
} from './injector/webhook-config.js';

export interface ControlPlaneArgs {
  component: ControlPlaneComponent;
  httpPort: number;
  adsPort: number;
  debugPort: number;
  /** The validating webhook's HTTPS port (the chart's `validator` container port). */
  validatorPort: number;
  certificateKeyAlgorithm: KeyAlgorithm;
  /** Undefined: the proxyless gRPC port stays closed (the chart's default). */
  proxylessPort?: number;
  meshName: string;
  osmNamespace: string;
  /** The injector's AdmissionReview HTTPS port (the Service osm-injector's 9090). */
  webhookPort: number;
  /** For the MutatingWebhookConfiguration the injector creates when it is missing (OSM's `--webhook-timeout`). */
  webhookTimeoutSeconds: number;
  webhookFailurePolicy: FailurePolicy;
}

/** Reads the flags the chart passes; throws with a message naming the bad flag. */
export function parseControlPlaneArgs(argv: string[]): ControlPlaneArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      component: { type: 'string' },
      'http-port': { type: 'string', default: '9091' },
      'ads-port': { type: 'string', default: '15128' },
      'debug-port': { type: 'string', default: '9092' },
      'validator-port': { type: 'string', default: '9093' },
      'proxyless-port': { type: 'string' },
      'certificate-key-algorithm': { type: 'string', default: 'rsa' },
      'mesh-name': { type: 'string', default: 'osm' },
      'osm-namespace': { type: 'string', default: 'osm-system' },
      'webhook-port': { type: 'string', default: String(DEFAULT_WEBHOOK_PORT) },
      'webhook-timeout': { type: 'string', default: String(DEFAULT_WEBHOOK_TIMEOUT_SECONDS) },
      'webhook-failure-policy': { type: 'string', default: 'Fail' },
    },
    strict: true,
  });
  const component = values.component as ControlPlaneComponent | undefined;
  if (!component || !CONTROL_PLANE_COMPONENTS.includes(component)) {
    throw new Error(
      `--component must be one of ${CONTROL_PLANE_COMPONENTS.join(', ')} (got ${component ?? 'nothing'})`,
    );
  }
  const port = (flag: string, value: string) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0 || number > 65535) {
      throw new Error(`--${flag} must be a port number (got ${value})`);
    }
    return number;
  };
  const proxyless = values['proxyless-port'];
  const keyAlgorithm = values['certificate-key-algorithm'] as KeyAlgorithm;
  if (!KEY_ALGORITHMS.includes(keyAlgorithm)) {
    throw new Error(`--certificate-key-algorithm must be one of ${KEY_ALGORITHMS.join(', ')} (got ${keyAlgorithm})`);
  }
  const timeout = Number(values['webhook-timeout']);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 30) {
    throw new Error(
      `--webhook-timeout must be whole seconds from 1 to 30, as Kubernetes allows (got ${values['webhook-timeout']})`,
    );
  }
  const failurePolicy = values['webhook-failure-policy'] as FailurePolicy;
  if (!FAILURE_POLICIES.includes(failurePolicy)) {
    throw new Error(`--webhook-failure-policy must be one of ${FAILURE_POLICIES.join(', ')} (got ${failurePolicy})`);
  }
  return {
    component,
    httpPort: port('http-port', values['http-port']),
    adsPort: port('ads-port', values['ads-port']),
    debugPort: port('debug-port', values['debug-port']),
    validatorPort: port('validator-port', values['validator-port']),
    certificateKeyAlgorithm: keyAlgorithm,
    ...(proxyless === undefined ? {} : { proxylessPort: port('proxyless-port', proxyless) }),
    meshName: values['mesh-name'],
    osmNamespace: values['osm-namespace'],
    webhookPort: port('webhook-port', values['webhook-port']),
    webhookTimeoutSeconds: timeout,
    webhookFailurePolicy: failurePolicy,
  };
}

function log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  if (level === 'debug' && !process.env.ARCMESH_DEBUG) return;
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })}\n`);
}

/** The pod's service account (in-cluster, under ARCMESH_CONTAINER_ROOT in the sandbox), else KUBECONFIG. */
async function podKubeConfig() {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  const containerRoot = process.env.ARCMESH_CONTAINER_ROOT;
  if (containerRoot && process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster(containerRoot);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

async function main(): Promise<void> {
  let args: ControlPlaneArgs;
  try {
    args = parseControlPlaneArgs(process.argv.slice(2));
  } catch (error) {
    log('error', (error as Error).message);
    process.exitCode = 2;
    return;
  }
  const registry = new Registry();
  let stopComponent: () => Promise<void> = async () => undefined;
  let notReadyReason: () => string | undefined = () => 'starting';
  const host = process.env.ARCMESH_LISTEN_ADDRESS || undefined;
  const server = await startHealthServer({
    component: args.component,
    port: args.httpPort,
    host,
    registry,
    notReadyReason: () => notReadyReason(),
  });
  const fields = { component: args.component, mesh: args.meshName, namespace: args.osmNamespace };
  if (args.component === 'osm-controller') {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const { startMeshController } = await import('./controller.js');
    const kubeConfig = new KubeConfig();
    const containerRoot = process.env.ARCMESH_CONTAINER_ROOT;
    if (containerRoot && process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster(containerRoot);
    else kubeConfig.loadFromDefault();
    try {
      const controller = await startMeshController({
        kubeConfig,
        meshName: args.meshName,
        osmNamespace: args.osmNamespace,
        podName: process.env.POD_NAME || hostname(),
        host,
        adsPort: args.adsPort,
        proxylessPort: args.proxylessPort,
        debugPort: args.debugPort,
        validatorPort: args.validatorPort,
        certificateKeyAlgorithm: args.certificateKeyAlgorithm,
        registry,
        log,
      });
      notReadyReason = controller.notReadyReason;
      stopComponent = controller.close;
    } catch (error) {
      log('error', 'the controller could not start', { ...fields, error: String(error) });
      await server.close();
      process.exit(1);
    }
  } else {
    const { startInjector } = await import('./injector/injector.js');
    const { injectorDefaultsFromEnv } = await import('./injector/settings.js');
    try {
      const injector = await startInjector({
        kubeConfig: await podKubeConfig(),
        meshName: args.meshName,
        osmNamespace: args.osmNamespace,
        host,
        webhookPort: args.webhookPort,
        webhookTimeoutSeconds: args.webhookTimeoutSeconds,
        webhookFailurePolicy: args.webhookFailurePolicy,
        certificateKeyAlgorithm: args.certificateKeyAlgorithm,
        defaults: injectorDefaultsFromEnv(process.env),
        meshVersion: process.env.OSM_VERSION ?? '',
        registry,
        log,
      });
      notReadyReason = injector.notReadyReason;
      stopComponent = injector.close;
    } catch (error) {
      log('error', 'the injector could not start', { ...fields, error: String(error) });
      await server.close();
      process.exit(1);
    }
  }
  log('info', 'started', { ...fields, port: server.port });
  const stop = (signal: string) => {
    log('info', `${signal} received, shutting down`, fields);
    // A Kubernetes API that does not answer must not keep the pod terminating until the kubelet kills it.
    setTimeout(() => {
      log('warn', 'shutdown did not finish in 10 s; exiting', fields);
      process.exit(0);
    }, 10_000).unref();
    Promise.allSettled([stopComponent(), server.close()]).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

// Imported by tests for parseControlPlaneArgs; run only as the entry point.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
