/**
 * Protected settings at rest. The state file keeps every extension's `configurationProtectedSettings`, and a
 * running deployment's template and parameters (kept to evaluate reference() outputs; secure parameters are
 * among them), sealed with AES-256-GCM under the sandbox's state key (pki/state.key). Memory holds them in the
 * clear: the extension agent hands them to helm, as Arc's agent receives them on the cluster.
 *
 * Each sealed value is bound to the id of the record it belongs to (GCM's additional data), so a value copied
 * onto another extension does not open. State files written before sealing existed (version 1) hold the values
 * in the clear; they load as they are and are sealed by the next write.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { StoredDeployment } from './deployment-records.js';
import type { ArmState, StoredExtension } from './store.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** How a sealed record is written: the secret fields leave the record and come back on load. */
type SealedExtension = StoredExtension & { sealedProtectedSettings?: string };
type SealedDeployment = StoredDeployment & { sealedPendingOutputs?: string };

/** Ids are matched without regard to case everywhere in ARM; so is the binding. */
const additionalData = (id: string): Buffer => Buffer.from(id.toLowerCase(), 'utf8');

/** `iv.tag.ciphertext`, each base64url. */
export function seal(stateKey: Buffer, value: unknown, boundTo: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, stateKey, iv).setAAD(additionalData(boundTo));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join('.');
}

export function unseal(stateKey: Buffer, sealed: string, boundTo: string): unknown {
  const [iv, tag, ciphertext] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || iv.length !== IV_BYTES || !tag || tag.length !== TAG_BYTES || !ciphertext) {
    throw new Error(`the sealed value of ${boundTo} is malformed`);
  }
  const decipher = createDecipheriv(ALGORITHM, stateKey, iv).setAAD(additionalData(boundTo));
  decipher.setAuthTag(tag);
  try {
    return JSON.parse(Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')) as unknown;
  } catch {
    throw new Error(`the sealed value of ${boundTo} does not open with this state key`);
  }
}

function mapRecords<T, U>(records: Record<string, T>, change: (record: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(records).map(([id, record]) => [id, change(record)]));
}

/** The state as the file holds it: a copy with every protected value sealed; `state` itself is not changed. */
export function sealState(state: ArmState, stateKey: Buffer): ArmState {
  return {
    ...state,
    extensions: mapRecords(state.extensions, (extension): SealedExtension => {
      const { configurationProtectedSettings, ...properties } = extension.properties;
      if (configurationProtectedSettings === undefined) return extension;
      return {
        ...extension,
        properties,
        sealedProtectedSettings: seal(stateKey, configurationProtectedSettings, extension.id),
      };
    }),
    ...(state.deployments
      ? {
          deployments: mapRecords(state.deployments, (deployment): SealedDeployment => {
            const { pendingOutputs, ...rest } = deployment;
            if (pendingOutputs === undefined) return deployment;
            return { ...rest, sealedPendingOutputs: seal(stateKey, pendingOutputs, deployment.id) };
          }),
        }
      : {}),
  };
}

/** Opens what `sealState` sealed, in place; values still in the clear (a version 1 file) stay as they are. */
export function unsealState(state: ArmState, stateKey: Buffer): ArmState {
  for (const extension of Object.values(state.extensions) as SealedExtension[]) {
    if (extension.sealedProtectedSettings === undefined) continue;
    extension.properties.configurationProtectedSettings = unseal(
      stateKey,
      extension.sealedProtectedSettings,
      extension.id,
    );
    delete extension.sealedProtectedSettings;
  }
  for (const deployment of Object.values(state.deployments ?? {}) as SealedDeployment[]) {
    if (deployment.sealedPendingOutputs === undefined) continue;
    deployment.pendingOutputs = unseal(
      stateKey,
      deployment.sealedPendingOutputs,
      deployment.id,
    ) as StoredDeployment['pendingOutputs'];
    delete deployment.sealedPendingOutputs;
  }
  return state;
}

/** Whether a state as read from its file holds anything sealed, which only the key that sealed it opens. */
export function holdsSealedValues(state: ArmState): boolean {
  return (
    Object.values(state.extensions).some(
      (extension: SealedExtension) => extension.sealedProtectedSettings !== undefined,
    ) ||
    Object.values(state.deployments ?? {}).some(
      (deployment: SealedDeployment) => deployment.sealedPendingOutputs !== undefined,
    )
  );
}
