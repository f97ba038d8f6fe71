/**
 * The MutatingWebhookConfiguration `osm-webhook-<mesh>` that sends pod creations to the injector, and the serving
 * certificate the API server checks it against. The chart renders the configuration with an empty caBundle; the
 * injector creates it when it is missing (with the chart's spec) and keeps every webhook's caBundle equal to the mesh
 * CA. Only the caBundle is kept: the rest of the spec is the chart's (and the user's) to change.
 */
import { isIP } from 'node:net';
import type { CertificateRequest, KeySpec } from '../certs/issuer.js';
import { INTERNAL_CERT_VALIDITY_MS } from '../certs/issuer.js';
import { MONITORED_BY_LABEL } from './decision.js';
import type { JsonPatchOperation } from './json-patch.js';

export const MUTATING_WEBHOOK_NAME = 'osm-inject.k8s.io';
export const INJECTOR_SERVICE_NAME = 'osm-injector';
export const WEBHOOK_PATH = '/mutate-pod-creation';
export const DEFAULT_WEBHOOK_PORT = 9090;
/** OSM's `--webhook-timeout` default and the chart's `osm.injector.webhookTimeoutSeconds`. */
export const DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 20;
export const IGNORE_LABEL = 'openservicemesh.io/ignore';

export type FailurePolicy = 'Fail' | 'Ignore';
export const FAILURE_POLICIES: readonly FailurePolicy[] = ['Fail', 'Ignore'];

export function webhookConfigurationName(meshName: string): string {
  return `osm-webhook-${meshName}`;
}

/** The PEM as a webhook's `caBundle` holds it (base64 of the PEM text). */
export function caBundleOf(caPem: string): string {
  return Buffer.from(caPem, 'utf8').toString('base64');
}

/**
 * OSM's full CN for the webhook server, `osm-injector.<ns>.svc`: the name the API server dials for a `service`
 * clientConfig. Beside it the `.cluster.local` form, and the address the server is bound to when that is one, for
 * a configuration that names the webhook by URL.
 */
export function servingCertificateRequest(
  server: { osmNamespace: string; boundAddress?: string },
  key: KeySpec,
): CertificateRequest {
  const commonName = `${INJECTOR_SERVICE_NAME}.${server.osmNamespace}.svc`;
  return {
    commonName,
    dnsNames: [commonName, `${commonName}.cluster.local`],
    ...(server.boundAddress && isIP(server.boundAddress) ? { ipAddresses: [server.boundAddress] } : {}),
    validityMs: INTERNAL_CERT_VALIDITY_MS,
    ...key,
  };
}

export interface WebhookConfigurationOptions {
  meshName: string;
  osmNamespace: string;
  /** The mesh CA PEM. */
  caPem: string;
  failurePolicy: FailurePolicy;
  timeoutSeconds: number;
  /** `app.kubernetes.io/version`. */
  meshVersion: string;
  port?: number;
}

export interface MutatingWebhook {
  name: string;
  clientConfig: {
    caBundle?: string;
    service?: { name: string; namespace: string; path?: string; port?: number };
    url?: string;
  };
  [field: string]: unknown;
}

export interface MutatingWebhookConfiguration {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; labels?: Record<string, string>; [field: string]: unknown };
  webhooks?: MutatingWebhook[];
}

/** What the chart renders (templates/webhooks.yaml), with the caBundle filled in and OSM's labels. */
export function mutatingWebhookConfiguration(options: WebhookConfigurationOptions): MutatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: webhookConfigurationName(options.meshName),
      labels: {
        'app.kubernetes.io/name': 'openservicemesh.io',
        'app.kubernetes.io/instance': options.meshName,
        'app.kubernetes.io/version': options.meshVersion,
        app: INJECTOR_SERVICE_NAME,
      },
    },
    webhooks: [
      {
        name: MUTATING_WEBHOOK_NAME,
        clientConfig: {
          service: {
            name: INJECTOR_SERVICE_NAME,
            namespace: options.osmNamespace,
            path: WEBHOOK_PATH,
            port: options.port ?? DEFAULT_WEBHOOK_PORT,
          },
          caBundle: caBundleOf(options.caPem),
        },
        failurePolicy: options.failurePolicy,
        matchPolicy: 'Exact',
        timeoutSeconds: options.timeoutSeconds,
        namespaceSelector: {
          matchLabels: { [MONITORED_BY_LABEL]: options.meshName },
          matchExpressions: [
            { key: 'name', operator: 'NotIn', values: [options.osmNamespace] },
            { key: 'control-plane', operator: 'DoesNotExist' },
          ],
        },
        objectSelector: { matchExpressions: [{ key: IGNORE_LABEL, operator: 'DoesNotExist' }] },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        sideEffects: 'NoneOnDryRun',
        admissionReviewVersions: ['v1'],
      },
    ],
  };
}

/**
 * The JSON patch that puts `caBundle` into every webhook of the configuration that lacks it; empty when all have it.
 * Each replace is guarded by a `test` of the webhook's name, so a configuration edited in between is not patched at
 * the wrong index (the API server then refuses the patch, and the next watch event tries again).
 */
export function caBundlePatch(configuration: MutatingWebhookConfiguration, caBundle: string): JsonPatchOperation[] {
  return (configuration.webhooks ?? []).flatMap((webhook, index): JsonPatchOperation[] => {
    if (webhook.clientConfig?.caBundle === caBundle) return [];
    const base = `/webhooks/${index}`;
    return [
      { op: 'test', path: `${base}/name`, value: webhook.name },
      { op: 'add', path: `${base}/clientConfig/caBundle`, value: caBundle },
    ];
  });
}

/** Whether the API server would trust the injector's certificate for every webhook of the configuration. */
export function caBundleInPlace(configuration: MutatingWebhookConfiguration, caBundle: string): boolean {
  const webhooks = configuration.webhooks ?? [];
  return webhooks.length > 0 && caBundlePatch(configuration, caBundle).length === 0;
}
