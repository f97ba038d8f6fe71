/**
 * The webhook's HTTPS server, as OSM v1.2's pkg/webhook/server.go serves it: TLS 1.3 at least, a 10 s limit on
 * request headers, POST `/mutate-pod-creation` with a JSON body; a Content-Type other than application/json is
 * 415 and an empty body 400; a body that is not JSON is answered as an admission error (allowed: false). The
 * certificate can be replaced while serving (renewal), for the connections that follow.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AdmissionReview, AdmissionReviewResponse } from './admission.js';
import { WEBHOOK_PATH } from './webhook-config.js';

/** Above the API server's own limit on a request (3 MiB), so a pod the API server accepted always fits. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const HEADERS_TIMEOUT_MS = 10_000;

export interface ServingCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

export interface AdmissionServerOptions {
  host?: string;
  port: number;
  certificate: ServingCertificate;
  /** Answers one AdmissionReview; never throws (errors are admission errors). */
  review(body: AdmissionReview): Promise<AdmissionReviewResponse>;
  /** Called once per HTTP response, for OSM's http_response metrics. */
  onResponse?(response: { code: number; method: string; path: string; seconds: number }): void;
}

export interface AdmissionServer {
  readonly port: number;
  setCertificate(certificate: ServingCertificate): void;
  close(): Promise<void>;
}

const tlsOptions = (certificate: ServingCertificate) => ({
  cert: certificate.certificatePem,
  key: certificate.privateKeyPem,
  minVersion: 'TLSv1.3' as const,
});

function nilReview(message: string): AdmissionReviewResponse {
  return { response: { uid: '', allowed: false, status: { metadata: {}, message } } };
}

export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const server: Server = createServer(tlsOptions(options.certificate), (request, response) => {
    const started = performance.now();
    const method = request.method ?? '';
    const path = new URL(request.url ?? '/', 'https://webhook').pathname;
    const send = (code: number, body: string, contentType = 'text/plain; charset=utf-8') => {
      if (response.headersSent || response.destroyed) return;
      response.writeHead(code, { 'content-type': contentType }).end(body);
      options.onResponse?.({ code, method, path, seconds: (performance.now() - started) / 1000 });
    };
    if (path !== WEBHOOK_PATH) return send(404, `not found: the webhook is served at ${WEBHOOK_PATH}\n`);
    if (method !== 'POST') {
      response.setHeader('allow', 'POST');
      return send(405, `${method} is not allowed: send the AdmissionReview with POST\n`);
    }
    const contentType = request.headers['content-type'] ?? '';
    if (contentType !== 'application/json') {
      return send(415, `Invalid content type: ${JSON.stringify(contentType)}; expected "application/json"\n`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        send(413, `the AdmissionReview is larger than ${MAX_BODY_BYTES} bytes\n`);
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      if (size === 0) return send(400, 'Empty request admissionRequestBody\n');
      let body: AdmissionReview;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionReview;
      } catch (error) {
        return send(
          200,
          JSON.stringify(nilReview(`the request body is not JSON: ${(error as Error).message}`)),
          'application/json',
        );
      }
      void options.review(body).then(
        (answer) => send(200, JSON.stringify(answer), 'application/json'),
        (error: unknown) => send(500, `the injector failed to answer: ${String(error)}\n`),
      );
    });
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    setCertificate(certificate) {
      server.setSecureContext(tlsOptions(certificate));
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        // The API server keeps its connections open; in-flight reviews have been answered or are abandoned.
        server.closeAllConnections();
      });
    },
  };
}
