/**
 * The cluster-wide upgrade lock (kube-system/arcmesh-upgrade): taken before anything is read or changed, refused
 * while another run holds it (naming it), released only by its owner, expiring, and taken over by --resume. Driven
 * through `upgrade()` with an in-memory ConfigMap store that behaves as the apiserver does (create refuses an
 * existing object, replace and delete refuse a stale resourceVersion).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArcmeshError } from '../../src/lib/errors.js';
import {
  decideUpgradeLock,
  upgrade,
  UPGRADE_LOCK_SECONDS,
  type UpgradeLockRecord,
  type UpgradeLockStore,
  type UpgradeOptions,
} from '../../src/lib/upgrade/upgrade.js';

function memoryStore() {
  let held: { record: UpgradeLockRecord; version: string } | undefined;
  let revision = 0;
  const store: UpgradeLockStore = {
    read: async () => (held ? structuredClone(held) : undefined),
    async create(record) {
      if (held) return undefined;
      held = { record: structuredClone(record), version: String(++revision) };
      return held.version;
    },
    async replace(record, version) {
      if (held?.version !== version) return undefined;
      held = { record: structuredClone(record), version: String(++revision) };
      return held.version;
    },
    async remove(version) {
      if (held?.version !== version) return false;
      held = undefined;
      return true;
    },
  };
  return { store, held: () => held?.record };
}

let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'arcmesh-upgrade-lock-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

const NOW = new Date('2026-12-01T18:00:00.000Z');
const options = (overrides: Partial<UpgradeOptions>): UpgradeOptions => ({
  overrides: {},
  dryRun: false,
  resume: false,
  rollback: false,
  cluster: 'arc-cluster',
  home,
  now: NOW,
  ...overrides,
});

/** A release port whose describe() waits for `gate`, so a test can hold a run in its planning phase. */
function context(store: UpgradeLockStore, gate: Promise<unknown> = Promise.resolve(), warnings: string[] = []) {
  const reached = new ArcmeshError('failed', 'planning reached');
  return {
    reached,
    warnings,
    context: {
      release: { label: 'x', describe: async () => (await gate, Promise.reject(reached)) },
      cluster: {},
      lock: store,
      reporter: { warn: (message: string) => warnings.push(message), info() {}, progress() {} },
    } as never,
  };
}

const record = (overrides: Partial<UpgradeLockRecord>): UpgradeLockRecord => ({
  owner: 'run-1',
  host: 'laptop',
  directory: '/backups/one',
  startedAt: NOW.toISOString(),
  expiresAt: new Date(NOW.getTime() + UPGRADE_LOCK_SECONDS * 1000).toISOString(),
  changing: false,
  ...overrides,
});

describe('two upgrades at once', () => {
  it('the second is refused naming the first run, its host and start time, and the first keeps its lock', async () => {
    const { store, held } = memoryStore();
    let open!: () => void;
    const first = context(store, new Promise<void>((resolve) => (open = resolve)));
    const running = upgrade(first.context, options({ version: '1.2.5-1', backupDir: join(home, 'first') }));
    // The first run holds the lock from before it reads anything.
    await expect.poll(() => held()?.directory).toBe(join(home, 'first'));
    const second = context(store);
    const refused = await upgrade(
      second.context,
      options({ version: '1.2.5-1', backupDir: join(home, 'second') }),
    ).catch((error: unknown) => error as ArcmeshError);
    expect(refused).toBeInstanceOf(ArcmeshError);
    expect((refused as ArcmeshError).kind).toBe('usage');
    expect((refused as ArcmeshError).message).toContain(NOW.toISOString());
    expect((refused as ArcmeshError).message).toContain(held()!.host);
    expect((refused as ArcmeshError).message).toContain(join(home, 'first'));
    // The refused run did not release the lock it never held.
    expect(held()?.directory).toBe(join(home, 'first'));
    open();
    await expect(running).rejects.toBe(first.reached);
    // Nothing was changed by the first run either, so its lock is gone with it.
    expect(held()).toBeUndefined();
  });
});

describe('decideUpgradeLock', () => {
  const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

  it('takes a free lock', () => {
    expect(decideUpgradeLock(undefined, 'upgrade', '/backups/two', NOW)).toEqual({ action: 'create' });
  });

  it('refuses a new upgrade while another run holds the lock, and takes it once it expired', () => {
    const held = record({});
    expect(decideUpgradeLock(held, 'upgrade', '/backups/two', later(60)).action).toBe('refuse');
    expect(decideUpgradeLock(held, 'upgrade', '/backups/two', later(UPGRADE_LOCK_SECONDS + 1))).toEqual({
      action: 'takeOver',
      from: held,
    });
  });

  it('refuses a new upgrade over one that changed the cluster, expired or not, pointing at --resume', () => {
    const held = record({ changing: true });
    for (const at of [later(60), later(10 * UPGRADE_LOCK_SECONDS)]) {
      const decision = decideUpgradeLock(held, 'upgrade', '/backups/two', at);
      expect(decision.action).toBe('refuse');
      expect((decision as { error: ArcmeshError }).error.hint).toContain('--resume --backup-dir /backups/one');
    }
  });

  it('lets --resume and --rollback of the same upgrade take the lock over at once (its run was killed)', () => {
    const held = record({ changing: true });
    for (const mode of ['resume', 'rollback'] as const) {
      expect(decideUpgradeLock(held, mode, '/backups/one', later(5))).toEqual({ action: 'takeOver', from: held });
    }
  });

  it('refuses --resume of another upgrade while the lock holds', () => {
    expect(decideUpgradeLock(record({}), 'resume', '/backups/two', later(5)).action).toBe('refuse');
    expect(decideUpgradeLock(record({}), 'resume', '/backups/two', later(UPGRADE_LOCK_SECONDS + 1)).action).toBe(
      'takeOver',
    );
  });
});

describe('releasing', () => {
  it('is done only by the owner: a run whose lock was taken over leaves the new owner its lock', async () => {
    const { store, held } = memoryStore();
    let open!: () => void;
    const first = context(store, new Promise<void>((resolve) => (open = resolve)));
    const running = upgrade(first.context, options({ version: '1.2.5-1', backupDir: join(home, 'taken') }));
    await expect.poll(() => held()?.owner).toBeDefined();
    // Another run took the lock over (its expiry passed, or someone resumed the same upgrade).
    const current = (await store.read())!;
    await store.replace({ ...current.record, owner: 'someone-else', host: 'job-pod' }, current.version);
    open();
    await expect(running).rejects.toBe(first.reached);
    expect(held()).toMatchObject({ owner: 'someone-else', host: 'job-pod' });
  });

  it('keeps the record of an upgrade that changed the cluster, for --resume to find', async () => {
    const { store, held } = memoryStore();
    await store.create(record({ changing: true, directory: join(home, 'unfinished') }));
    const resume = context(store);
    await expect(
      upgrade(resume.context, options({ resume: true, backupDir: join(home, 'unfinished') })),
    ).rejects.toThrow('holds no upgrade journal');
    expect(held()).toMatchObject({ changing: true, directory: join(home, 'unfinished') });
    expect(held()!.owner).not.toBe('run-1');
  });
});
