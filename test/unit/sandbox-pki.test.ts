import { mkdtemp, rm } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadOrCreatePki } from '../../src/sandbox/pki.js';

let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'arcmesh-pki-'));
});
afterAll(() => rm(stateDir, { recursive: true, force: true }));

test('the serving certificate covers 127.0.0.1 and localhost and is signed by the CA', async () => {
  const pki = await loadOrCreatePki(stateDir);
  const ca = new X509Certificate(pki.caPem);
  const serving = new X509Certificate(pki.certChainPem.split(/(?<=-----END CERTIFICATE-----)/)[0] as string);
  expect(ca.ca).toBe(true);
  expect(serving.ca).toBe(false);
  expect(serving.checkIP('127.0.0.1')).toBe('127.0.0.1');
  expect(serving.checkHost('localhost')).toBe('localhost');
  expect(serving.verify(ca.publicKey)).toBe(true);
});

test('a second load reuses the persisted CA and serving certificate', async () => {
  const first = await loadOrCreatePki(stateDir);
  const second = await loadOrCreatePki(stateDir);
  expect(second.caPem).toBe(first.caPem);
  expect(second.certChainPem).toBe(first.certChainPem);
  expect(second.caFile).toBe(join(stateDir, 'pki', 'ca.pem'));
});
