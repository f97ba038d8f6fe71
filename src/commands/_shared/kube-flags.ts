/** Flags of every command that talks to a cluster's Kubernetes API, spelled as kubectl and osm spell them. */
import { Flags } from '@oclif/core';

export const kubeFlags = {
  kubeconfig: Flags.string({
    description: 'Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config; the sandbox its own).',
    helpGroup: 'KUBERNETES',
  }),
  'kube-context': Flags.string({
    description: 'The kubeconfig context to use (default: the current context).',
    helpGroup: 'KUBERNETES',
  }),
};
