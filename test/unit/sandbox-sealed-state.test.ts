/**
 * Protected settings at rest in the ARM sandbox's state: sealed with the state key, bound to their extension,
 * and opened again only with the same key. The state is the one the sandbox wrote before sealing existed.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seal, sealState, unseal, unsealState } from '../../src/sandbox/arm/sealed-state.js';
import { startArmSandbox } from '../../src/sandbox/arm/server.js';
import { ArmStore, STATE_FILE, type ArmState } from '../../src/sandbox/arm/store.js';
import { STATE_KEY_FILE } from '../../src/sandbox/pki.js';

const LEGACY_STATE = join(import.meta.dirname, '..', 'fixtures', 'sandbox', 'arm-state-v1.json');
const PROTECTED_VALUE = 'legacy-plain-token';
const EXTENSION_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/arcmesh-sandbox/providers/Microsoft.Kubernetes/connectedClusters/arc-cluster/providers/Microsoft.KubernetesConfiguration/extensions/osm';

const loadLegacy = () => JSON.parse(readFileSync(LEGACY_STATE, 'utf8')) as ArmState;

describe('sealed state', () => {
  const stateKey = randomBytes(32);

  it('seals every extension’s protected settings and nothing else, leaving the state in memory as it was', () => {
    const state = loadLegacy();
    const before = JSON.stringify(state);
    const written = JSON.stringify(sealState(state, stateKey));
    expect(written).not.toContain(PROTECTED_VALUE);
    expect(written).toContain('sealedProtectedSettings');
    // Plain settings stay readable in the file; only protected ones are sealed.
    expect(written).toContain('osm.osm.enableDebugServer');
    expect(JSON.stringify(state)).toBe(before);
  });

  it('opens what it sealed to the same state', () => {
    const state = loadLegacy();
    const reopened = unsealState(JSON.parse(JSON.stringify(sealState(state, stateKey))) as ArmState, stateKey);
    expect(reopened).toEqual(state);
  });

  it('reads a state written before sealing as it is', () => {
    const legacy = loadLegacy();
    const [extension] = Object.values(unsealState(loadLegacy(), stateKey).extensions);
    expect(extension?.properties.configurationProtectedSettings).toEqual({ 'osm.osm.vault.token': PROTECTED_VALUE });
    expect(unsealState(loadLegacy(), stateKey)).toEqual(legacy);
  });

  it('seals a running deployment’s template and parameters, which may carry secure parameters', () => {
    const state = loadLegacy();
    const id = '/subscriptions/0/resourceGroups/arcmesh-sandbox/providers/Microsoft.Resources/deployments/d1';
    state.deployments = {
      [id.toLowerCase()]: {
        id,
        pendingOutputs: {
          template: {},
          parameters: { ConfigurationProtectedSettings: { value: { token: PROTECTED_VALUE } } },
          references: [],
        },
      } as unknown as NonNullable<ArmState['deployments']>[string],
    };
    const written = JSON.stringify(sealState(state, stateKey));
    expect(written).not.toContain(PROTECTED_VALUE);
    expect(unsealState(JSON.parse(written) as ArmState, stateKey).deployments).toEqual(state.deployments);
  });

  it('opens a value only with the key that sealed it, for the record it was sealed for', () => {
    const sealed = seal(stateKey, { token: PROTECTED_VALUE }, EXTENSION_ID);
    expect(unseal(stateKey, sealed, EXTENSION_ID.toLowerCase())).toEqual({ token: PROTECTED_VALUE });
    expect(() => unseal(randomBytes(32), sealed, EXTENSION_ID)).toThrow('does not open with this state key');
    expect(() => unseal(stateKey, sealed, `${EXTENSION_ID}-copy`)).toThrow('does not open with this state key');
    expect(() => unseal(stateKey, 'not-sealed', EXTENSION_ID)).toThrow('is malformed');
  });
});

describe('the state file', () => {
  it('is sealed when a state from before sealing is opened, and opens again only with the same key', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'arcmesh-sealed-'));
    try {
      copyFileSync(LEGACY_STATE, join(stateDir, STATE_FILE));
      const stateKey = randomBytes(32);
      const ignoreEvents = () => {};
      ArmStore.open(stateDir, stateKey, ignoreEvents);
      expect(readFileSync(join(stateDir, STATE_FILE), 'utf8')).not.toContain(PROTECTED_VALUE);

      const reopened = ArmStore.open(stateDir, stateKey, ignoreEvents);
      expect(reopened.state.extensions[EXTENSION_ID.toLowerCase()]?.properties.configurationProtectedSettings).toEqual({
        'osm.osm.vault.token': PROTECTED_VALUE,
      });
      expect(() => ArmStore.open(stateDir, randomBytes(32), ignoreEvents)).toThrow(
        /does not open with this state key\. If pki\/state\.key was replaced, restore the key/,
      );
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('keeps the state and reports the key as missing, rather than writing a new key, when the key is lost', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'arcmesh-sealed-'));
    try {
      // A state from before sealing has nothing sealed yet: the sandbox creates the key and seals with it.
      copyFileSync(LEGACY_STATE, join(stateDir, STATE_FILE));
      await (await startArmSandbox({ stateDir, port: 0 })).close();
      expect(readFileSync(join(stateDir, STATE_FILE), 'utf8')).toContain('sealedProtectedSettings');

      rmSync(join(stateDir, STATE_KEY_FILE));
      const sealedState = readFileSync(join(stateDir, STATE_FILE), 'utf8');
      await expect(startArmSandbox({ stateDir, port: 0 })).rejects.toThrow(
        `${join(stateDir, STATE_KEY_FILE)} is missing, and the sandbox state in ${stateDir} holds protected settings sealed with it`,
      );
      expect(existsSync(join(stateDir, STATE_KEY_FILE))).toBe(false);
      expect(readFileSync(join(stateDir, STATE_FILE), 'utf8')).toBe(sealedState);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
