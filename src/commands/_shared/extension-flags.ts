/** Flags of the extension and extension-types commands, spelled, shortened and aliased as az k8s-extension does. */
import { Flags } from '@oclif/core';
import { CLUSTER_TYPES, type ClusterRef, type ClusterType } from '../../lib/extension/cluster.js';
import { usageError } from '../../lib/errors.js';
import { loadSettings, type Settings } from '../../lib/extension/settings.js';

/** az's enum arguments match without regard to case (`-t connectedclusters` works there). */
async function parseClusterType(input: string): Promise<ClusterType> {
  const match = CLUSTER_TYPES.find((type) => type.toLowerCase() === input.toLowerCase());
  if (!match) throw usageError(`Cluster type '${input}' is not supported.`, `Use one of: ${CLUSTER_TYPES.join(', ')}.`);
  return match;
}
const clusterTypeDescription = `Type of the cluster: ${CLUSTER_TYPES.join(', ')}.`;
const clusterTypeFlags = {
  required: Flags.custom<ClusterType>({
    char: 't',
    description: clusterTypeDescription,
    parse: parseClusterType,
    required: true,
  })(),
  optional: Flags.custom<ClusterType>({ char: 't', description: clusterTypeDescription, parse: parseClusterType })(),
};

const clusterFlagSet = (required: boolean) => ({
  'cluster-name': Flags.string({ char: 'c', description: 'Name of the Kubernetes cluster.', required }),
  'resource-group': Flags.string({ char: 'g', description: 'Name of resource group.', required }),
  'cluster-type': required ? clusterTypeFlags.required : clusterTypeFlags.optional,
  'cluster-resource-provider': Flags.string({
    aliases: ['cluster-rp'],
    description: 'Cluster resource provider; provisionedClusters only (microsoft.hybridcontainerservice).',
  }),
});

export const clusterFlags = clusterFlagSet(true);
/** For commands that may ask about a region instead of a cluster. */
export const optionalClusterFlags = clusterFlagSet(false);

export const extensionNameFlag = Flags.string({
  char: 'n',
  description: 'Name of the extension instance.',
  required: true,
});

/** az's three-state booleans: the flag takes a value, and leaving it out means "not sent". */
export const threeStateFlag = (description: string, aliases: string[]) =>
  Flags.custom<boolean>({
    description,
    aliases,
    parse: async (input) => {
      const value = input.toLowerCase();
      if (['true', 'yes', 'y', 'on', '1', 't'].includes(value)) return true;
      if (['false', 'no', 'n', 'off', '0', 'f'].includes(value)) return false;
      throw usageError(`'${input}' is not true or false.`, 'Pass true or false.');
    },
  })();

export const releaseTrainFlag = Flags.string({
  description: 'Release train the extension follows, e.g. stable (the default) or pilot.',
});
export const versionFlag = Flags.string({
  description:
    'Version to pin; needs --auto-upgrade-minor-version false (implied on the pinned-only pilot and staging trains).',
});
export const autoUpgradeFlag = threeStateFlag('Upgrade minor versions automatically (true|false).', ['auto-upgrade']);

export const settingsFlags = {
  'configuration-settings': Flags.string({
    aliases: ['config', 'config-settings'],
    multiple: true,
    description: 'Settings as key=value (repeatable; later ones win over the file).',
  }),
  'config-settings-file': Flags.string({
    aliases: ['config-file', 'configuration-settings-file'],
    description: 'JSON or YAML file with a flat object of settings.',
  }),
  'config-protected-settings': Flags.string({
    aliases: ['config-protected', 'configuration-protected-settings'],
    multiple: true,
    description: 'Protected settings as key=value (repeatable); never printed or logged.',
  }),
  'config-protected-settings-file': Flags.string({
    aliases: ['config-protected-file', 'configuration-protected-settings-file'],
    description: 'JSON or YAML file with a flat object of protected settings.',
  }),
};

interface SettingsFlagValues {
  'configuration-settings'?: string[] | undefined;
  'config-settings-file'?: string | undefined;
  'config-protected-settings'?: string[] | undefined;
  'config-protected-settings-file'?: string | undefined;
}

/** The public settings the flags give (pairs over the file), or undefined when none were given. */
export function publicSettings(flags: SettingsFlagValues): Promise<Settings | undefined> {
  return loadSettings({ pairs: flags['configuration-settings'], file: flags['config-settings-file'] }, false);
}

/** Both kinds of settings the flags give; protected ones are loaded as protected (never echoed in errors). */
export async function settingsFromFlags(flags: SettingsFlagValues): Promise<{
  configurationSettings: Settings | undefined;
  configurationProtectedSettings: Settings | undefined;
}> {
  return {
    configurationSettings: await publicSettings(flags),
    configurationProtectedSettings: await loadSettings(
      { pairs: flags['config-protected-settings'], file: flags['config-protected-settings-file'] },
      true,
    ),
  };
}

export const extensionNoWaitFlag = Flags.boolean({
  description: 'Do not wait for the long-running operation to finish; prints nothing.',
});

interface ClusterFlagValues {
  'cluster-name'?: string | undefined;
  'resource-group'?: string | undefined;
  'cluster-type'?: ClusterType | undefined;
  'cluster-resource-provider'?: string | undefined;
  subscription?: string | undefined;
}

export function clusterRef(flags: ClusterFlagValues): ClusterRef {
  return {
    clusterName: flags['cluster-name'] ?? '',
    resourceGroup: flags['resource-group'] ?? '',
    clusterType: flags['cluster-type'] ?? 'connectedClusters',
    clusterResourceProvider: flags['cluster-resource-provider'],
    namedSubscription: flags.subscription,
  };
}

/** The cluster when all of -c, -g and -t were given, undefined when none; half of them is a usage error. */
export function optionalClusterRef(flags: ClusterFlagValues): ClusterRef | undefined {
  const given = [flags['cluster-name'], flags['resource-group'], flags['cluster-type']].filter((value) => value);
  if (given.length === 0) return undefined;
  if (given.length < 3) {
    throw usageError('A cluster needs all of -c/--cluster-name, -g/--resource-group and -t/--cluster-type.');
  }
  return clusterRef(flags);
}
