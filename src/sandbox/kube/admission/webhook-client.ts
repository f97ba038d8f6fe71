/**
 * Calls one admission webhook: an AdmissionReview v1 POSTed over HTTPS to its URL, or to its Service — one of the
 * Service's ready endpoints on the node, as kube-proxy routes it, with the certificate checked for
 * `<service>.<namespace>.svc` as the apiserver checks it —, trusting only its caBundle (or the system roots when it
 * has none), within its timeout.
 */
import { request as httpsRequest } from 'node:https';
import type { ServiceBackend } from '../../node/layout.js';
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
 * Where a Service's port sends traffic on the node: its ready backends (empty when none is ready), or undefined
 * when the namespace has no such Service.
 */
export type ServiceRouter = (namespace: string, name: string, port: number) => ServiceBackend[] | undefined;

interface WebhookTarget {
  /** The URL the request is for, with the deadline the apiserver tells the webhook. */
  url: URL;
  /** The URL as the apiserver names it in errors (a Service's port always written, 443 too). */
  href: string;
  /** Where the request really goes, and the name the certificate must hold, for a Service. */
  backend?: ServiceBackend;
  servername?: string;
  /** The Host the apiserver sends to a Service: its name and port. */
  authority?: string;
}

function webhookTarget(webhook: WebhookSpec, services: ServiceRouter, timeoutSeconds: number): WebhookTarget {
  const { url, service } = webhook.clientConfig;
  if (url) {
    const target = new URL(url);
    target.searchParams.set('timeout', `${timeoutSeconds}s`);
    return { url: target, href: target.href };
  }
  if (!service) throw new WebhookCallError('failed to call webhook: clientConfig has neither url nor service');
  const port = service.port ?? 443;
  const servername = `${service.name}.${service.namespace}.svc`;
  const target = new URL(`https://${servername}:${port}${service.path ?? ''}`);
  target.searchParams.set('timeout', `${timeoutSeconds}s`);
  const href = `https://${servername}:${port}${target.pathname}${target.search}`;
  const backends = services(service.namespace, service.name, port);
  const describe = (why: string) => `failed to call webhook: Post "${href}": ${why}`;
  if (backends === undefined) throw new WebhookCallError(describe(`service "${service.name}" not found`));
  if (backends.length === 0)
    throw new WebhookCallError(describe(`no endpoints available for service "${service.name}"`));
  // kube-proxy picks one ready endpoint per connection.
  const backend = backends[Math.floor(Math.random() * backends.length)]!;
  return { url: target, href, backend, servername, authority: `${servername}:${port}` };
}

export function callWebhook(
  webhook: WebhookSpec,
  review: unknown,
  services: ServiceRouter,
): Promise<AdmissionResponse> {
  const body = JSON.stringify(review);
  const timeoutSeconds = webhook.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  // The apiserver tells the webhook its deadline in the URL, and names that URL in its errors.
  const { url, href, backend, servername, authority } = webhookTarget(webhook, services, timeoutSeconds);
  const ca = webhook.clientConfig.caBundle ? Buffer.from(webhook.clientConfig.caBundle, 'base64') : undefined;
  const describe = (why: string) => `failed to call webhook: Post "${href}": ${why}`;
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        hostname: backend?.address ?? url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: backend?.port ?? (url.port || 443),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...(authority ? { Host: authority } : {}),
        },
        ...(ca ? { ca } : {}),
        ...(servername ? { servername } : {}),
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
