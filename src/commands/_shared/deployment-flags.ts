/** Flags of `deployment group create|validate|what-if`, spelled and shortened as az spells them. */
import { Flags } from '@oclif/core';

export const deploymentFlags = {
  'resource-group': Flags.string({ char: 'g', description: 'Name of resource group.', required: true }),
  'template-file': Flags.string({
    char: 'f',
    description: 'The path to the template file (JSON, or Bicep in the subset arcmesh compiles).',
    required: true,
  }),
  parameters: Flags.string({
    char: 'p',
    description:
      'Parameters: a parameters file (@params.json or a path), inline JSON, or KEY=VALUE pairs. Repeat or list several; later ones win.',
    multiple: true,
  }),
  name: Flags.string({
    char: 'n',
    description: 'The deployment name. Default: the template file name without its extension.',
  }),
  mode: Flags.option({
    description: 'The deployment mode.',
    options: ['Incremental', 'Complete'] as const,
    default: 'Incremental' as const,
  })(),
};
