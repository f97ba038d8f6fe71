import { Flags } from '@oclif/core';
import { waitForExtension } from '../../lib/extension/extension.js';
import type { WaitCondition } from '../../lib/extension/plan.js';
import { usageError } from '../../lib/errors.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { clusterFlags, clusterRef, extensionNameFlag } from '../_shared/extension-flags.js';

const CONDITIONS = ['created', 'updated', 'deleted', 'exists'] as const;

export default class ExtensionWait extends ArcmeshCommand<typeof ExtensionWait> {
  static override summary =
    "Wait until a cluster extension reaches a condition (az's generic wait flags, for an extension); exit code 4 on timeout.";
  static override examples = [
    '<%= config.bin %> extension wait -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --created',
    `<%= config.bin %> extension wait -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --custom "installState=='Installed'" --timeout 600`,
  ];
  static override flags = {
    ...clusterFlags,
    name: extensionNameFlag,
    created: Flags.boolean({ description: "Wait until it exists with provisioningState 'Succeeded'." }),
    updated: Flags.boolean({ description: "Wait until provisioningState is 'Succeeded' after an update." }),
    deleted: Flags.boolean({ description: 'Wait until it is gone.' }),
    exists: Flags.boolean({ description: 'Wait until it exists.' }),
    custom: Flags.string({
      description:
        'Wait until this JMESPath is true on the extension as `show` prints it, e.g. "installState==\'Installed\'".',
    }),
    interval: Flags.integer({ description: 'Seconds between looks.', default: 30, min: 1 }),
    timeout: Flags.integer({ description: 'Give up after this many seconds (exit code 4).', default: 3600, min: 1 }),
  };

  async run(): Promise<void> {
    const { flags } = this;
    const chosen: WaitCondition[] = [
      ...CONDITIONS.filter((kind) => flags[kind]).map((kind) => ({ kind })),
      ...(flags.custom === undefined ? [] : [{ kind: 'custom' as const, query: flags.custom }]),
    ];
    const [condition] = chosen;
    if (chosen.length !== 1 || !condition) {
      throw usageError(
        'Give exactly one of --created, --updated, --deleted, --exists or --custom.',
        'For example: --created after a create with --no-wait.',
      );
    }
    await waitForExtension(await this.operationContext(), {
      ...clusterRef(flags),
      name: flags.name,
      condition,
      intervalSeconds: flags.interval,
      timeoutSeconds: flags.timeout,
    });
  }
}
