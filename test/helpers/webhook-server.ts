/**
 * An admission webhook served by the test process over HTTPS with its own CA (unrelated to the sandbox's),
 * trusted through caBundle: it records every AdmissionReview request and answers with `answer`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreatePki } from '../../src/sandbox/pki.js';

export interface ReviewRequest {
  uid: string;
  operation: string;
  kind: { kind: string };
  name?: string;
  namespace?: string;
  dryRun: boolean;
  userInfo: { username: string };
  object: {
    metadata: { name?: string; labels?: Record<string, string> };
    data?: Record<string, string>;
    spec?: { containers?: Array<{ name: string }> };
  } | null;
}

export interface TestWebhookServer {
  /** `https://127.0.0.1:<port>`; a webhook's path says which answer it wants. */
  url: string;
  caBundle: string;
  /** Every review received, by the path it was sent to (the apiserver's `?timeout=` left out). */
  seen: Array<{ path: string; request: ReviewRequest }>;
  close(): Promise<void>;
}

export async function startWebhookServer(
  answer: (path: string, request: ReviewRequest) => Record<string, unknown> | Promise<Record<string, unknown>>,
): Promise<TestWebhookServer> {
  const pkiDir = await mkdtemp(join(tmpdir(), 'arcmesh-webhook-pki-'));
  const pki = await loadOrCreatePki(pkiDir);
  const seen: TestWebhookServer['seen'] = [];
  const server = createServer({ cert: pki.certChainPem, key: pki.keyPem }, (request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const review = JSON.parse(body) as { request: ReviewRequest };
      const path = new URL(request.url!, 'https://webhook').pathname;
      seen.push({ path, request: review.request });
      void Promise.resolve(answer(path, review.request)).then((reviewResponse) => {
        if (response.destroyed) return;
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(
          JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: reviewResponse }),
        );
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caBundle: Buffer.from(pki.caPem).toString('base64'),
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(pkiDir, { recursive: true, force: true });
    },
  };
}

/** A webhook's answer that applies a JSON patch. */
export const patchResponse = (uid: string, patch: unknown[]): Record<string, unknown> => ({
  uid,
  allowed: true,
  patchType: 'JSONPatch',
  patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
});

/** A webhook configuration document for `kubectl apply -f -`. */
export const webhookConfiguration = (
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration',
  name: string,
  webhook: Record<string, unknown>,
): string =>
  JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name },
    webhooks: [{ admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail', ...webhook }],
  });
