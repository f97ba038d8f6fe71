import { Flags } from '@oclif/core';
import { whatIfDeployment } from '../../../lib/deployment/deployment.js';
import { prepareDeployment } from '../../../lib/deployment/prepare.js';
import { formatWhatIf } from '../../../lib/deployment/what-if-format.js';
import { ArcmeshCommand } from '../../_shared/base-command.js';
import { deploymentFlags } from '../../_shared/deployment-flags.js';

const CHANGE_TYPES = ['Create', 'Delete', 'Deploy', 'Ignore', 'Modify', 'NoChange', 'Unsupported'] as const;

export default class DeploymentGroupWhatIf extends ArcmeshCommand<typeof DeploymentGroupWhatIf> {
  static override summary =
    'Show the changes a template deployment would make to a resource group (az deployment group what-if).';
  static override examples = [
    '<%= config.bin %> deployment group what-if -g arcmesh-sandbox --template-file arm-templates/osm-arc-extension.bicep --parameters ConnectedClusterName=arc-cluster',
    '<%= config.bin %> deployment group what-if -g arcmesh-sandbox -f osm.json --no-pretty-print --query "changes[].changeType"',
  ];
  static override flags = {
    ...deploymentFlags,
    'no-pretty-print': Flags.boolean({
      description: 'Print the what-if result in the --output format instead of the change list.',
    }),
    'exclude-change-types': Flags.string({
      description: 'Change types to leave out of the result.',
      options: [...CHANGE_TYPES],
      multiple: true,
    }),
  };

  async run(): Promise<void> {
    const request = await prepareDeployment({
      resourceGroup: this.flags['resource-group'],
      templateFile: this.flags['template-file'],
      parameters: this.flags.parameters ?? [],
      name: this.flags.name,
      mode: this.flags.mode,
    });
    const result = await whatIfDeployment(await this.operationContext(), request);
    const excluded = new Set<string>(this.flags['exclude-change-types'] ?? []);
    const shown = { ...result, changes: (result.changes ?? []).filter((change) => !excluded.has(change.changeType)) };
    if (this.flags['no-pretty-print']) this.print(shown);
    else {
      this.stopProgress();
      process.stdout.write(formatWhatIf(shown));
    }
  }
}
