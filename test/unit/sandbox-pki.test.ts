import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { STATE_KEY_FILE, loadOrCreatePki, loadOrCreateStateKey } from '../../src/sandbox/pki.js';

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

test('the state key is created once, readable by its owner only, and reused', async () => {
  const first = await loadOrCreateStateKey(stateDir);
  expect(first).toHaveLength(32);
  expect((await stat(join(stateDir, STATE_KEY_FILE))).mode & 0o777).toBe(0o600);
  expect(await loadOrCreateStateKey(stateDir)).toEqual(first);
});

test('a damaged state key is refused rather than replaced', async () => {
  const otherDir = await mkdtemp(join(tmpdir(), 'arcmesh-pki-'));
  try {
    await loadOrCreateStateKey(otherDir);
    await writeFile(join(otherDir, STATE_KEY_FILE), 'c2hvcnQ=\n');
    await expect(loadOrCreateStateKey(otherDir)).rejects.toThrow('does not hold a 32-byte key');
  } finally {
    await rm(otherDir, { recursive: true, force: true });
  }
});
