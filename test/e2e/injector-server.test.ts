/**
 * The injector's HTTPS server on loopback, as OSM v1.2's webhook server answers: TLS 1.3 only, POST
 * /mutate-pod-creation with JSON, 415 for another Content-Type, 400 for an empty body, an admission error for a
 * body that is not JSON; and a renewed certificate served to the connections that follow.
 */
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCaIssuer, createRootCa, openCertificateAuthority } from '../../src/controlplane/certs/builtin-ca.js';
import type { IssuedCertificate } from '../../src/controlplane/certs/issuer.js';
import type { AdmissionReview } from '../../src/controlplane/injector/admission.js';
import { startAdmissionServer, type AdmissionServer } from '../../src/controlplane/injector/server.js';
import { servingCertificateRequest } from '../../src/controlplane/injector/webhook-config.js';

let server: AdmissionServer;
let caPem: string;
let issue: () => Promise<IssuedCertificate>;
const reviewed: AdmissionReview[] = [];
const responses: { code: number; path: string }[] = [];

beforeAll(async () => {
  const root = await createRootCa({ keyAlgorithm: 'ecdsa-p256' });
  caPem = root.certificatePem;
  const issuer = builtinCaIssuer(await openCertificateAuthority(root, new Date()));
  issue = () =>
    issuer.issue(
      servingCertificateRequest(
        { osmNamespace: 'osm-system', boundAddress: '127.0.0.1' },
        { keyAlgorithm: 'ecdsa-p256' },
      ),
    );
  server = await startAdmissionServer({
    host: '127.0.0.1',
    port: 0,
    certificate: await issue(),
    review: async (body) => {
      reviewed.push(body);
      return { ...body, response: { uid: body.request?.uid ?? '', allowed: true } };
    },
    onResponse: ({ code, path }) => responses.push({ code, path }),
  });
});

afterAll(async () => {
  await server?.close();
});

function post(path: string, body: string, contentType = 'application/json') {
  return new Promise<{ status: number; text: string; serial: string }>((resolve, reject) => {
    const call = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: 'POST',
        ca: caPem,
        headers: { 'content-type': contentType },
        agent: false,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const peer = (response.socket as TLSSocket).getPeerX509Certificate?.();
          resolve({ status: response.statusCode ?? 0, text, serial: peer?.serialNumber ?? '' });
        });
      },
    );
    call.on('error', reject);
    call.end(body);
  });
}

const REVIEW = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-1' } };

describe('the injector’s webhook server', () => {
  it('answers an AdmissionReview posted as JSON to /mutate-pod-creation, timeout parameter and all', async () => {
    const answer = await post('/mutate-pod-creation?timeout=20s', JSON.stringify(REVIEW));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ ...REVIEW, response: { uid: 'u-1', allowed: true } });
    expect(reviewed.at(-1)).toEqual(REVIEW);
    expect(responses.at(-1)).toEqual({ code: 200, path: '/mutate-pod-creation' });
  });

  it('refuses other content types, empty bodies and other paths as OSM does', async () => {
    const count = reviewed.length;
    expect(await post('/mutate-pod-creation', '{}', 'text/plain')).toMatchObject({
      status: 415,
      text: 'Invalid content type: "text/plain"; expected "application/json"\n',
    });
    expect(await post('/mutate-pod-creation', '')).toMatchObject({ status: 400 });
    expect(await post('/mutate', '{}')).toMatchObject({ status: 404 });
    expect(reviewed.length).toBe(count);
  });

  it('answers a body that is not JSON with an admission error', async () => {
    const answer = await post('/mutate-pod-creation', '{"request":');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({
      response: {
        uid: '',
        allowed: false,
        status: { message: expect.stringContaining('the request body is not JSON') },
      },
    });
  });

  it('speaks TLS 1.3 only', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: server.port, ca: caPem, maxVersion: 'TLSv1.2' });
      socket.on('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error) => resolve(error.message));
    });
    expect(outcome).not.toBe('connected');
  });

  it('serves a replaced certificate to new connections', async () => {
    const before = await post('/mutate-pod-creation', JSON.stringify(REVIEW));
    const renewed = await issue();
    server.setCertificate(renewed);
    const after = await post('/mutate-pod-creation', JSON.stringify(REVIEW));
    expect(before.serial).not.toBe(after.serial);
    expect(after.serial.toLowerCase()).toBe(new X509Certificate(renewed.certificatePem).serialNumber.toLowerCase());
  });
});
