import { writeFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { exportExtensionTemplate } from '../../lib/templates/export-extension.js';
import { usageError } from '../../lib/errors.js';
import { ArcmeshCommand } from '../_shared/base-command.js';

export default class ExtensionExportTemplate extends ArcmeshCommand<typeof ExtensionExportTemplate> {
  static override summary =
    'Write an ARM or Bicep template that recreates an existing cluster extension (protected settings become a secure parameter, never values).';
  static override examples = [
    '<%= config.bin %> extension export-template -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm > osm.json',
    '<%= config.bin %> extension export-template -c arc-cluster -g arcmesh-sandbox -t connectedClusters -n osm --format bicep --file osm.bicep',
  ];
  static override flags = {
    'cluster-name': Flags.string({ char: 'c', description: 'Name of the Kubernetes cluster.', required: true }),
    'resource-group': Flags.string({ char: 'g', description: 'Name of resource group.', required: true }),
    'cluster-type': Flags.option({
      char: 't',
      description: 'Specify Arc clusters or AKS managed clusters.',
      options: ['connectedClusters', 'managedClusters'] as const,
      required: true,
    })(),
    name: Flags.string({ char: 'n', description: 'Name of the extension instance.', required: true }),
    format: Flags.option({
      description: 'Template language.',
      options: ['arm', 'bicep'] as const,
      default: 'arm' as const,
    })(),
    file: Flags.string({ description: 'Write the template to this file instead of printing it.' }),
  };

  async run(): Promise<void> {
    if (this.flags.file === '') throw usageError('--file needs a path.');
    const exported = await exportExtensionTemplate(
      await this.operationContext(),
      {
        resourceGroup: this.flags['resource-group'],
        clusterName: this.flags['cluster-name'],
        clusterType: this.flags['cluster-type'],
        name: this.flags.name,
      },
      this.flags.format,
    );
    if (this.flags.file) {
      await writeFile(this.flags.file, exported.text);
      this.reporter.info(`Wrote the ${exported.format} template to ${this.flags.file}.`);
      return;
    }
    if (exported.template) this.print(exported.template);
    else {
      this.stopProgress();
      process.stdout.write(exported.text);
    }
  }
}
