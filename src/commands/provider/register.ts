import { Flags } from '@oclif/core';
import { registerProvider } from '../../lib/provider/provider.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { providerNamespaceFlag, timeoutFlag } from '../_shared/az-flags.js';

export default class ProviderRegister extends ArcmeshCommand<typeof ProviderRegister> {
  static override summary =
    'Register the subscription with a resource provider (also propagates newly registered features).';
  static override examples = [
    '<%= config.bin %> provider register --namespace Microsoft.ContainerService',
    '<%= config.bin %> provider register -n Microsoft.ContainerService --wait',
  ];
  static override flags = {
    namespace: providerNamespaceFlag,
    wait: Flags.boolean({ description: 'Wait until the provider is Registered.' }),
    timeout: timeoutFlag(900),
  };

  async run(): Promise<void> {
    const provider = await registerProvider(await this.operationContext(), {
      namespace: this.flags.namespace,
      wait: this.flags.wait,
      timeoutSeconds: this.flags.timeout,
      namedSubscription: this.flags.subscription,
    });
    this.print(provider);
  }
}
