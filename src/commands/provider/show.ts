import { showProvider } from '../../lib/provider/provider.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { providerNamespaceFlag } from '../_shared/az-flags.js';

export default class ProviderShow extends ArcmeshCommand<typeof ProviderShow> {
  static override summary = 'Show a resource provider and its registration state.';
  static override examples = [
    '<%= config.bin %> provider show --namespace Microsoft.ContainerService --query registrationState',
  ];
  static override flags = { namespace: providerNamespaceFlag };

  async run(): Promise<void> {
    this.print(await showProvider(await this.operationContext(), this.flags.namespace));
  }
}
