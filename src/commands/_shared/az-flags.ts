/** Flags of the feature, provider and addon commands, spelled and shortened as az spells them. */
import { Flags } from '@oclif/core';

const namespaceDescription = 'The resource provider namespace, e.g. Microsoft.ContainerService.';
/** az feature takes --namespace without a short form (-n is the feature name there). */
export const featureNamespaceFlag = Flags.string({ description: namespaceDescription, required: true });
export const optionalFeatureNamespaceFlag = Flags.string({ description: namespaceDescription });
/** az provider takes --namespace/-n. */
export const providerNamespaceFlag = Flags.string({ char: 'n', description: namespaceDescription, required: true });

export const featureNameFlag = Flags.string({
  char: 'n',
  description: 'The feature name, e.g. AKS-OpenServiceMesh.',
  required: true,
});

export const timeoutFlag = (defaultSeconds: number) =>
  Flags.integer({
    description:
      'With --wait: give up after this many seconds (exit code 4); the registration itself goes on in Azure.',
    default: defaultSeconds,
    min: 1,
  });

export const resourceGroupFlag = Flags.string({ char: 'g', description: 'Name of resource group.', required: true });
export const clusterNameFlag = Flags.string({
  char: 'n',
  description: 'The name of the managed cluster.',
  required: true,
});
export const addonsFlag = Flags.string({
  char: 'a',
  description: 'The add-on to change; arcmesh manages open-service-mesh.',
  options: ['open-service-mesh'],
  default: 'open-service-mesh',
});
export const noWaitFlag = Flags.boolean({ description: 'Do not wait for the long-running operation to finish.' });
