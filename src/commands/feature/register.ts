import { Flags } from '@oclif/core';
import { registerFeature } from '../../lib/feature/feature.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { featureNameFlag, featureNamespaceFlag, timeoutFlag } from '../_shared/az-flags.js';
import { featureTable } from '../_shared/feature-table.js';

export default class FeatureRegister extends ArcmeshCommand<typeof FeatureRegister> {
  static override summary =
    'Register a preview feature; with --wait, also wait for it and re-register its resource provider.';
  static override examples = [
    '<%= config.bin %> feature register --namespace "Microsoft.ContainerService" --name "AKS-OpenServiceMesh"',
    '<%= config.bin %> feature register --namespace Microsoft.ContainerService --name AKS-OpenServiceMesh --wait',
  ];
  static override flags = {
    namespace: featureNamespaceFlag,
    name: featureNameFlag,
    wait: Flags.boolean({
      description:
        'Wait until the feature is Registered, then register the resource provider and wait for it (az leaves that to you).',
    }),
    timeout: timeoutFlag(1800),
  };

  async run(): Promise<void> {
    const result = await registerFeature(await this.operationContext(), {
      namespace: this.flags.namespace,
      name: this.flags.name,
      namedSubscription: this.flags.subscription,
      wait: this.flags.wait,
      timeoutSeconds: this.flags.timeout,
    });
    this.print(result, featureTable);
  }
}
