/** Flags both uninstall commands share (`arcmesh uninstall`, `arcmesh mesh uninstall`), and their table. */
import { Flags } from '@oclif/core';
import { usageError } from '../../lib/errors.js';
import type { UninstallResult } from '../../lib/uninstall/uninstall.js';
import { canPrompt } from './prompt.js';

export const uninstallFlags = {
  'delete-crds': Flags.boolean({
    description:
      'Also delete the OSM and SMI CRDs, and with them every MeshConfig, policy and SMI object in the cluster, after backing them up.',
    default: false,
  }),
  'backup-dir': Flags.string({
    description:
      'With --delete-crds: where the backup goes, new or empty, readable by `crds restore` (default: ~/.arcmesh/backups/<context>/<timestamp>/).',
  }),
  'delete-namespace': Flags.boolean({
    description: 'Also delete the release namespace (kept by default, as Azure keeps it).',
    default: false,
  }),
};

/** Without --yes a person must confirm; with nobody at a terminal that is a usage error, before any call. */
export function requireConfirmationChannel(yes: boolean, what: string): void {
  if (!yes && !canPrompt()) {
    throw usageError(
      `Refusing to uninstall ${what} without confirmation: there is no terminal to ask on.`,
      'Pass --yes (-y) to confirm in scripts.',
    );
  }
}

/** `-o table`: one row per resource removed, kept, or found left behind. */
export function uninstallTable(value: unknown): unknown {
  const result = value as UninstallResult;
  const rows = [
    ...result.removed.webhookConfigurations.map((name) => ({ Resource: name, Result: 'deleted' })),
    ...result.removed.namespaceLabels.map((step) => ({
      Resource: `namespace/${step.namespace}`,
      Result: `removed ${[...step.labels, ...step.annotations].join(', ')}`,
    })),
    ...result.removed.secrets.map((name) => ({ Resource: `secret/${name}`, Result: 'deleted' })),
    ...(result.backup
      ? [
          {
            Resource: `backup ${result.backup.directory}`,
            Result: `${result.backup.objects} objects${result.backup.reused ? " (an earlier run's)" : ''}`,
          },
        ]
      : []),
    ...result.removed.crds.map((name) => ({ Resource: `crd/${name}`, Result: 'deleted after backup' })),
    ...(result.removed.namespace ? [{ Resource: `namespace/${result.namespace}`, Result: 'deleted' }] : []),
    ...result.kept.crds.map((name) => ({ Resource: `crd/${name}`, Result: 'kept' })),
    ...(result.kept.namespace ? [{ Resource: `namespace/${result.kept.namespace}`, Result: 'kept' }] : []),
    ...result.leftovers.map((what) => ({ Resource: what, Result: 'LEFT BEHIND' })),
  ];
  return rows;
}
