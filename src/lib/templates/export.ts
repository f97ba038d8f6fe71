/**
 * An existing cluster extension → a template that recreates it (ARM JSON or Bicep). Pure.
 *
 * What is kept: extension type, release train, auto-upgrade, the pinned version (only when auto-upgrade is
 * off: with it on, the service moves the version and a pin would fail), the install scope, configuration
 * settings and a system-assigned identity. Protected settings become a `secureObject` parameter: ARM never
 * returns their values, so the template names their keys in the parameter's description and the deployer
 * supplies the values. State the service owns (provisioningState, statuses, currentVersion…) is left out.
 */
export interface ExportedExtension {
  name?: string;
  extensionType?: string;
  autoUpgradeMinorVersion?: boolean;
  releaseTrain?: string;
  version?: string | null;
  scope?: { cluster?: { releaseNamespace?: string } | null; namespace?: { targetNamespace?: string } | null } | null;
  configurationSettings?: Record<string, string> | null;
  configurationProtectedSettings?: Record<string, unknown> | null;
  identity?: { type?: string } | null;
}

export interface ExtensionTarget {
  clusterType: 'connectedClusters' | 'managedClusters';
  clusterName: string;
}

export const EXPORT_API_VERSION = '2023-05-01';

const CLUSTER_TYPES = {
  connectedClusters: { type: 'Microsoft.Kubernetes/connectedClusters', apiVersion: '2024-01-01' },
  managedClusters: { type: 'Microsoft.ContainerService/managedClusters', apiVersion: '2024-09-01' },
} as const;

interface ExportModel {
  clusterType: (typeof CLUSTER_TYPES)[keyof typeof CLUSTER_TYPES];
  clusterName: string;
  extensionName: string;
  protectedKeys: string[];
  properties: Record<string, unknown>;
  systemAssignedIdentity: boolean;
}

function exportModel(extension: ExportedExtension, target: ExtensionTarget): ExportModel {
  if (!extension.name || !extension.extensionType)
    throw new Error('The extension to export must have a name and an extensionType (read it with GET first).');
  const properties: Record<string, unknown> = { extensionType: extension.extensionType };
  const autoUpgrade = extension.autoUpgradeMinorVersion ?? true;
  properties.autoUpgradeMinorVersion = autoUpgrade;
  if (extension.releaseTrain) properties.releaseTrain = extension.releaseTrain;
  if (!autoUpgrade && extension.version) properties.version = extension.version;
  if (extension.scope?.cluster) {
    properties.scope = {
      cluster: extension.scope.cluster.releaseNamespace
        ? { releaseNamespace: extension.scope.cluster.releaseNamespace }
        : {},
    };
  } else if (extension.scope?.namespace) {
    properties.scope = { namespace: { targetNamespace: extension.scope.namespace.targetNamespace } };
  }
  properties.configurationSettings = { ...(extension.configurationSettings ?? {}) };
  return {
    clusterType: CLUSTER_TYPES[target.clusterType],
    clusterName: target.clusterName,
    extensionName: extension.name,
    protectedKeys: Object.keys(extension.configurationProtectedSettings ?? {}).sort(),
    properties,
    systemAssignedIdentity: extension.identity?.type === 'SystemAssigned',
  };
}

function protectedDescription(keys: string[]): string {
  return keys.length === 0
    ? 'Protected configuration settings (the extension had none).'
    : `Protected configuration settings. The exported extension had these keys; supply their values: ${keys.join(', ')}.`;
}

/** An ARM JSON deployment template. Protected settings are required when the extension had any, so a redeploy cannot silently drop them. */
export function extensionToArmTemplate(extension: ExportedExtension, target: ExtensionTarget): Record<string, unknown> {
  const model = exportModel(extension, target);
  const protectedParameter: Record<string, unknown> = {
    type: 'secureObject',
    metadata: { description: protectedDescription(model.protectedKeys) },
  };
  if (model.protectedKeys.length === 0) protectedParameter.defaultValue = {};
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    metadata: {
      description: `Recreates the ${model.properties.extensionType as string} extension '${model.extensionName}' (exported by arcmesh).`,
    },
    parameters: {
      clusterName: {
        type: 'string',
        defaultValue: model.clusterName,
        metadata: { description: `The ${model.clusterType.type} name.` },
      },
      extensionName: {
        type: 'string',
        defaultValue: model.extensionName,
        metadata: { description: 'The extension instance name.' },
      },
      configurationProtectedSettings: protectedParameter,
    },
    resources: [
      {
        type: 'Microsoft.KubernetesConfiguration/extensions',
        apiVersion: EXPORT_API_VERSION,
        name: "[parameters('extensionName')]",
        scope: `[concat('${model.clusterType.type}/', parameters('clusterName'))]`,
        ...(model.systemAssignedIdentity ? { identity: { type: 'SystemAssigned' } } : {}),
        properties: {
          ...model.properties,
          configurationProtectedSettings: "[parameters('configurationProtectedSettings')]",
        },
      },
    ],
    outputs: {
      extensionId: {
        type: 'string',
        value: `[extensionResourceId(resourceId('${model.clusterType.type}', parameters('clusterName')), 'Microsoft.KubernetesConfiguration/extensions', parameters('extensionName'))]`,
      },
    },
  };
}

const bicepString = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\$\{/g, '\\${')}'`;
const bicepKey = (key: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : bicepString(key));

function bicepValue(value: unknown, indent: string): string {
  if (typeof value === 'string') return bicepString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => `${inner}${bicepValue(item, inner)}`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, item]) => `${inner}${bicepKey(key)}: ${bicepValue(item, inner)}`).join('\n')}\n${indent}}`;
}

/** The same template as Bicep (the subset arcmesh compiles, which `bicep build` also accepts). */
export function extensionToBicep(extension: ExportedExtension, target: ExtensionTarget): string {
  const model = exportModel(extension, target);
  const properties = bicepValue(model.properties, '  ').replace(
    /\n {2}\}$/,
    '\n    configurationProtectedSettings: configurationProtectedSettings\n  }',
  );
  return [
    `// Recreates the ${model.properties.extensionType as string} extension '${model.extensionName}' (exported by arcmesh).`,
    '',
    `@description(${bicepString(`The ${model.clusterType.type} name.`)})`,
    `param clusterName string = ${bicepString(model.clusterName)}`,
    '',
    "@description('The extension instance name.')",
    `param extensionName string = ${bicepString(model.extensionName)}`,
    '',
    `@description(${bicepString(protectedDescription(model.protectedKeys))})`,
    '@secure()',
    `param configurationProtectedSettings object${model.protectedKeys.length === 0 ? ' = {}' : ''}`,
    '',
    `resource cluster '${model.clusterType.type}@${model.clusterType.apiVersion}' existing = {`,
    '  name: clusterName',
    '}',
    '',
    `resource extension 'Microsoft.KubernetesConfiguration/extensions@${EXPORT_API_VERSION}' = {`,
    '  name: extensionName',
    '  scope: cluster',
    ...(model.systemAssignedIdentity ? ['  identity: {', "    type: 'SystemAssigned'", '  }'] : []),
    `  properties: ${properties}`,
    '}',
    '',
    'output extensionId string = extension.id',
    '',
  ].join('\n');
}
