/**
 * The validating webhook's HTTPS edge (OSM v1.2: port 9093, path /validate), serving a certificate for
 * `osm-validator.<ns>.svc` from the mesh CA. It reads the AdmissionReview and hands it to `review`; everything it
 * decides is in review.ts and rules.ts. As OSM, a body that is not `application/json` is answered 415.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ValidationReviewResponse } from './review.js';

export const VALIDATION_PATH = '/validate';
/** An AdmissionReview of an UPDATE holds the object twice; Kubernetes objects are at most 1.5 MiB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ServingCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

export interface ValidatingWebhookServerOptions {
  /** Absent: all interfaces. */
  host?: string;
  /** 9093; 0 picks one. */
  port: number;
  certificate: ServingCertificate;
  review(body: unknown): ValidationReviewResponse;
  log(level: 'debug' | 'warn', message: string, fields?: Record<string, unknown>): void;
}

export interface ValidatingWebhookServer {
  readonly port: number;
  /** Serves a renewed certificate from the next TLS handshake on. */
  setCertificate(certificate: ServingCertificate): void;
  close(): Promise<void>;
}

export async function startValidatingWebhookServer(
  options: ValidatingWebhookServerOptions,
): Promise<ValidatingWebhookServer> {
  const { log } = options;
  const server: Server = createServer(
    { cert: options.certificate.certificatePem, key: options.certificate.privateKeyPem },
    (request, response) => {
      const reply = (status: number, text: string) => {
        response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
      };
      if (new URL(request.url ?? '/', 'https://validator').pathname !== VALIDATION_PATH)
        return reply(404, `not found: the validating webhook answers on ${VALIDATION_PATH}`);
      if (request.method !== 'POST') return reply(405, `${request.method} is not allowed; send POST`);
      const contentType = request.headers['content-type'] ?? '';
      if (contentType.split(';')[0]!.trim() !== 'application/json') {
        log('warn', 'refused an admission request with the wrong content type', { contentType });
        return reply(415, `Invalid content type ${contentType}; Expected application/json`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      request.on('end', () => {
        if (size > MAX_BODY_BYTES) return reply(413, `the admission request is larger than ${MAX_BODY_BYTES} bytes`);
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch (error) {
          return reply(400, `the admission request is not JSON: ${(error as Error).message}`);
        }
        const answer = options.review(body);
        if (!answer.response.allowed)
          log('debug', 'refused an object', { uid: answer.response.uid, reason: answer.response.status?.message });
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
      });
    },
  );
  server.on('tlsClientError', (error) =>
    log('debug', 'a TLS handshake with the validator failed', { error: String(error) }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log('warn', 'the validating webhook server failed', { error: String(error) }));
  return {
    port: (server.address() as AddressInfo).port,
    setCertificate(certificate) {
      server.setSecureContext({ cert: certificate.certificatePem, key: certificate.privateKeyPem });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
