import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
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
  const first = await loadOrCreateStateKey(stateDir, false);
  expect(first).toHaveLength(32);
  expect((await stat(join(stateDir, STATE_KEY_FILE))).mode & 0o777).toBe(0o600);
  expect(await loadOrCreateStateKey(stateDir, false)).toEqual(first);
});

test('a damaged state key is refused rather than replaced', async () => {
  const otherDir = await mkdtemp(join(tmpdir(), 'arcmesh-pki-'));
  try {
    await loadOrCreateStateKey(otherDir, false);
    await writeFile(join(otherDir, STATE_KEY_FILE), 'c2hvcnQ=\n');
    await expect(loadOrCreateStateKey(otherDir, false)).rejects.toThrow('does not hold a 32-byte key');
  } finally {
    await rm(otherDir, { recursive: true, force: true });
  }
});

test('sandboxes starting at once on a new directory agree on one state key and leave no temporary files', async () => {
  // Whether starts interleave between reading and writing the key is up to the thread pool; many rounds of many
  // starts make an interleaving all but certain (without the atomic link, about one round in three disagreed).
  for (let round = 0; round < 50; round++) {
    const otherDir = await mkdtemp(join(tmpdir(), 'arcmesh-pki-'));
    try {
      const keys = await Promise.all(Array.from({ length: 32 }, () => loadOrCreateStateKey(otherDir, false)));
      const stored = await loadOrCreateStateKey(otherDir, false);
      for (const key of keys) expect(key).toEqual(stored);
      expect(await readdir(join(otherDir, 'pki'))).toEqual(['state.key']);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  }
});

test('a missing state key is reported as missing, and not replaced, while the state holds values sealed with it', async () => {
  const otherDir = await mkdtemp(join(tmpdir(), 'arcmesh-pki-'));
  try {
    const attempt = loadOrCreateStateKey(otherDir, true);
    await expect(attempt).rejects.toThrow(`${join(otherDir, STATE_KEY_FILE)} is missing`);
    await expect(attempt).rejects.toThrow(`Restore ${STATE_KEY_FILE} from a backup`);
    await expect(attempt).rejects.toThrow('start with a fresh --state-dir');
    await expect(stat(join(otherDir, STATE_KEY_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  } finally {
    await rm(otherDir, { recursive: true, force: true });
  }
});
