/**
 * Calls one admission webhook: an AdmissionReview v1 POSTed over HTTPS to its URL, trusting only its
 * caBundle (or the system roots when it has none), within its timeout.
 */
import { request as httpsRequest } from 'node:https';
import type { WebhookSpec } from './webhook-rules.js';

const DEFAULT_TIMEOUT_SECONDS = 10;

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code?: number; message?: string; reason?: string };
  patch?: string;
  patchType?: string;
  warnings?: string[];
}

/** Why a webhook could not be called, worded as the apiserver words it after `failed calling webhook "x": `. */
export class WebhookCallError extends Error {}

/**
 * Where the webhook listens. A `service` reference names a cluster service, which nothing in the sandbox
 * serves, so calling it fails like an unreachable service on a real cluster (and failurePolicy decides).
 */
function webhookUrl(webhook: WebhookSpec): URL {
  const { url, service } = webhook.clientConfig;
  if (url) return new URL(url);
  if (service)
    throw new WebhookCallError(
      `failed to call webhook: Post "https://${service.name}.${service.namespace}.svc:${service.port ?? 443}${service.path ?? ''}": service "${service.name}" has no reachable endpoints in the sandbox`,
    );
  throw new WebhookCallError('failed to call webhook: clientConfig has neither url nor service');
}

export function callWebhook(webhook: WebhookSpec, review: unknown): Promise<AdmissionResponse> {
  const url = webhookUrl(webhook);
  const body = JSON.stringify(review);
  const timeoutSeconds = webhook.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  // The apiserver tells the webhook its deadline in the URL, and names that URL in its errors.
  url.searchParams.set('timeout', `${timeoutSeconds}s`);
  const ca = webhook.clientConfig.caBundle ? Buffer.from(webhook.clientConfig.caBundle, 'base64') : undefined;
  const describe = (why: string) => `failed to call webhook: Post "${url.href}": ${why}`;
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
        ...(ca ? { ca } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((response.statusCode ?? 0) >= 300)
            return reject(
              new WebhookCallError(`received invalid webhook response: status ${response.statusCode}: ${text}`),
            );
          try {
            const parsed = JSON.parse(text) as { response?: AdmissionResponse };
            if (!parsed.response) throw new Error('webhook response was absent');
            resolve(parsed.response);
          } catch (error) {
            reject(new WebhookCallError(`received invalid webhook response: ${(error as Error).message}`));
          }
        });
      },
    );
    // A deadline for the whole call, as the apiserver's context has, not only for a silent connection.
    const deadline = setTimeout(() => request.destroy(new Error('context deadline exceeded')), timeoutSeconds * 1000);
    request.on('close', () => clearTimeout(deadline));
    request.on('error', (error) => reject(new WebhookCallError(describe(error.message))));
    request.end(body);
  });
}
