import { describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import {
  BACKUP_FORMAT,
  backupOriginMismatch,
  checkCrdNames,
  defaultBackupDirectory,
  objectFile,
  objectsNotInBackup,
  parseManifest,
  type BackupManifest,
} from '../../src/lib/crds/backup-format.js';
import { backedUpEntry, isMeshGroup } from '../../src/lib/crds/backup.js';
import { canonicalJson, containsContent, contentHash, portableObject } from '../../src/lib/crds/objects.js';
import { forEachConcurrently } from '../../src/lib/concurrency.js';
import { TokenBucket } from '../../src/kube/rate-limit.js';
import { isTransient, withRetries } from '../../src/kube/retry.js';

function refusal(run: () => unknown): ArcmeshError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    return error as ArcmeshError;
  }
  throw new Error('expected a refusal');
}

describe('object content', () => {
  it('hashes equal content equally whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: '1' }));
  });

  it('drops what the server sets and keeps what the user wrote', () => {
    const live = {
      apiVersion: 'split.smi-spec.io/v1alpha2',
      kind: 'TrafficSplit',
      metadata: {
        name: 's',
        namespace: 'n',
        labels: { a: 'b' },
        annotations: { c: 'd' },
        finalizers: ['x'],
        uid: 'u',
        resourceVersion: '1',
        generation: 1,
        creationTimestamp: 't',
        managedFields: [],
      },
      spec: { service: 's' },
      status: { ready: true },
    };
    expect(portableObject(live)).toEqual({
      apiVersion: 'split.smi-spec.io/v1alpha2',
      kind: 'TrafficSplit',
      metadata: { name: 's', namespace: 'n', labels: { a: 'b' }, annotations: { c: 'd' }, finalizers: ['x'] },
      spec: { service: 's' },
    });
    expect(portableObject(live, { keepStatus: true }).status).toEqual({ ready: true });
    expect(live.metadata.uid).toBe('u');
  });

  it('accepts server defaults as containing the content, but not a changed or shorter list', () => {
    const written = { spec: { backends: [{ service: 'a', weight: 1 }] }, metadata: { name: 'x' } };
    expect(
      containsContent(
        { spec: { backends: [{ service: 'a', weight: 1, port: 80 }] }, metadata: { name: 'x', uid: 'u' } },
        written,
      ),
    ).toBe(true);
    expect(
      containsContent({ spec: { backends: [{ service: 'a', weight: 2 }] }, metadata: { name: 'x' } }, written),
    ).toBe(false);
    expect(containsContent({ spec: { backends: [] }, metadata: { name: 'x' } }, written)).toBe(false);
    expect(containsContent({ spec: { backends: {} }, metadata: { name: 'x' } }, written)).toBe(false);
    expect(containsContent({ metadata: { name: 'x' } }, written)).toBe(false);
  });
});

describe('the backup format', () => {
  const manifest = (objects: unknown[], count = objects.length): string =>
    JSON.stringify({
      format: BACKUP_FORMAT,
      createdAt: '2026-11-22T22:00:00.000Z',
      context: 'arc-cluster',
      server: 'https://127.0.0.1:6443',
      definitions: [{ name: 'trafficsplits.split.smi-spec.io', count }],
      objects,
    });
  const entry = (file: string) => ({ file, crd: 'trafficsplits.split.smi-spec.io', name: 's', sha256: 'x' });

  it('lays objects out by group, plural, namespace and name', () => {
    expect(objectFile({ group: 'split.smi-spec.io', plural: 'trafficsplits' }, 'bookstore', 'bookstore-split')).toBe(
      'split.smi-spec.io/trafficsplits/bookstore/bookstore-split.yaml',
    );
    expect(objectFile({ group: 'example.io', plural: 'widgets' }, undefined, 'w')).toBe(
      'example.io/widgets/_cluster/w.yaml',
    );
  });

  it('reads a well-formed manifest', () => {
    const parsed: BackupManifest = parseManifest('/b', manifest([entry('split.smi-spec.io/trafficsplits/n/s.yaml')]));
    expect(parsed.objects).toHaveLength(1);
  });

  it('refuses manifests that are not JSON, another format, inconsistent or pointing outside the backup', () => {
    expect(refusal(() => parseManifest('/b', '{')).message).toContain('/b is not a complete arcmesh CRD backup');
    expect(refusal(() => parseManifest('/b', '{"format":"other"}')).message).toContain('has format "other"');
    expect(refusal(() => parseManifest('/b', manifest([entry('a.yaml')], 2))).message).toContain(
      'counts 2 objects but lists 1',
    );
    for (const file of ['../outside.yaml', '/etc/passwd', 'a/../../b.yaml', 'a\\b.yaml']) {
      expect(refusal(() => parseManifest('/b', manifest([entry(file)]))).message).toContain(
        'points outside the backup',
      );
    }
  });

  it('defaults to a timestamped directory per kubeconfig context', () => {
    expect(defaultBackupDirectory('/home/u', 'arc-cluster', new Date('2026-11-22T22:04:05.123Z'))).toBe(
      '/home/u/.arcmesh/backups/arc-cluster/20261122T220405Z',
    );
    expect(defaultBackupDirectory('/home/u', 'arn:aws:eks:eu/prod', new Date(0))).toBe(
      '/home/u/.arcmesh/backups/arn_aws_eks_eu_prod/19700101T000000Z',
    );
  });

  it('checks CRD names before any call', () => {
    expect(() => checkCrdNames(['httproutegroups.specs.smi-spec.io'])).not.toThrow();
    expect(refusal(() => checkCrdNames(['HTTPRouteGroup', 'ok.example.io', 'x'])).message).toBe(
      '"HTTPRouteGroup", "x" are not custom resource definition names.',
    );
  });

  it('selects the OSM and SMI groups by default', () => {
    for (const group of ['specs.smi-spec.io', 'config.openservicemesh.io', 'policy.openservicemesh.io', 'smi-spec.io'])
      expect(isMeshGroup(group)).toBe(true);
    for (const group of ['apps', 'notsmi-spec.io', 'openservicemesh.io.evil.com'])
      expect(isMeshGroup(group)).toBe(false);
  });
});

describe('bulk request helpers', () => {
  it('runs at most `limit` tasks at once and stops at the first failure', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachConcurrently(
      Array.from({ length: 50 }, (_, index) => index),
      4,
      async (index) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push(index);
        running--;
      },
    );
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index));
    await expect(
      forEachConcurrently([1, 2, 3], 2, async (item) => {
        if (item === 2) throw new Error('two');
      }),
    ).rejects.toThrow('two');
  });

  it('throws an interruption when its signal stops it early, rather than returning as if done', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = forEachConcurrently(
      Array.from({ length: 20 }, (_, index) => index),
      2,
      async (index) => {
        seen.push(index);
        if (index === 3) controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 1));
      },
      controller.signal,
    );
    await expect(run).rejects.toMatchObject({ kind: 'interrupted' });
    expect(seen.length).toBeLessThan(20);
  });

  it('hands out a burst at once, then tokens at the refill rate', async () => {
    let now = 0;
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, () => now);
    for (let take = 0; take < 3; take++) await bucket.take();
    let fourth = false;
    const pending = bucket.take().then(() => (fourth = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fourth).toBe(false);
    now = 100;
    await pending;
    expect(fourth).toBe(true);
  });

  it('retries throttling, server errors and dropped connections, not conflicts or client errors', async () => {
    expect([429, 500, 503].map((code) => isTransient({ code }))).toEqual([true, true, true]);
    expect([400, 404, 409, 422].map((code) => isTransient({ code }))).toEqual([false, false, false, false]);
    expect(isTransient({ code: 'ECONNRESET' })).toBe(true);
    expect(isTransient({ cause: { code: 'ECONNRESET' } })).toBe(true);
    let calls = 0;
    const backoff = { initialDelayMs: 1, maxDelayMs: 2 };
    const answer = await withRetries(
      async () => {
        if (++calls < 3) throw { code: 503 };
        return 'ok';
      },
      { backoff },
    );
    expect([answer, calls]).toEqual(['ok', 3]);
    calls = 0;
    await expect(
      withRetries(async () => Promise.reject({ code: 409, calls: ++calls }), { backoff }),
    ).rejects.toMatchObject({ code: 409 });
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withRetries(async () => Promise.reject({ code: 500, calls: ++calls }), { backoff, attempts: 4 }),
    ).rejects.toMatchObject({ code: 500 });
    expect(calls).toBe(4);
  });
});

describe('whether an existing backup can stand in for a new one (uninstall --delete-crds --backup-dir)', () => {
  const split = 'trafficsplits.split.smi-spec.io';
  const ref = { group: 'split.smi-spec.io', version: 'v1alpha4', plural: 'trafficsplits', namespaced: true };
  const object = (name: string, weight: number) => ({
    apiVersion: 'split.smi-spec.io/v1alpha4',
    kind: 'TrafficSplit',
    metadata: { name, namespace: 'bookstore', uid: `uid-${name}`, resourceVersion: '7' },
    spec: { service: 'bookstore', backends: [{ service: 'bookstore-v1', weight }] },
  });
  const entry = (name: string, weight: number) => backedUpEntry(object(name, weight), split, ref, 'TrafficSplit').entry;
  const manifest = {
    format: BACKUP_FORMAT,
    createdAt: '2026-11-22T22:00:00.000Z',
    context: 'arc-cluster',
    server: 'https://127.0.0.1:6443',
    definitions: [{ name: split, count: 2 }],
    objects: [entry('a', 50), entry('gone', 50)],
  } as unknown as BackupManifest;
  const origin = { server: 'https://127.0.0.1:6443', context: 'arc-cluster' };

  it('accepts the cluster it was taken from, with every CRD to delete', () => {
    expect(backupOriginMismatch(manifest, origin, [split])).toEqual([]);
  });

  it('names another server, another context and a CRD it lacks', () => {
    expect(
      backupOriginMismatch(manifest, { server: 'https://10.0.0.1:443', context: 'aks' }, [
        split,
        'meshconfigs.config.openservicemesh.io',
      ]),
    ).toEqual([
      'it was taken from server https://127.0.0.1:6443, not https://10.0.0.1:443',
      'it was taken with context arc-cluster, not aks',
      'it does not hold meshconfigs.config.openservicemesh.io',
    ]);
  });

  it('accepts live objects it holds with the same content, whatever the server-set metadata, and ignores deleted ones', () => {
    const relisted = backedUpEntry(
      { ...object('a', 50), metadata: { ...object('a', 50).metadata, resourceVersion: '99' } },
      split,
      ref,
      'TrafficSplit',
    ).entry;
    expect(objectsNotInBackup(manifest, [relisted])).toEqual([]);
  });

  it('names objects created or changed since it was taken', () => {
    expect(objectsNotInBackup(manifest, [entry('a', 90), entry('new', 10)])).toEqual([
      '1 object was created since it was taken (split.smi-spec.io/trafficsplits/bookstore/new.yaml)',
      '1 object was changed since it was taken (split.smi-spec.io/trafficsplits/bookstore/a.yaml)',
    ]);
    const many = Array.from({ length: 7 }, (_, index) => entry(`new-${index}`, 10));
    expect(objectsNotInBackup(manifest, many)[0]).toMatch(
      /^7 objects were created since it was taken \(.*new-4\.yaml and 2 more\)$/,
    );
  });
});
