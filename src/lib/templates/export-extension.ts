/**
 * `arcmesh extension export-template`: reads an extension through the SDK (as `az k8s-extension show`
 * does) and turns it into a template with the pure conversion in ./export.ts.
 */
import { extensionsClient } from '../../azure/clients.js';
import { toArcmeshError } from '../../azure/errors.js';
import type { OperationContext } from '../context.js';
import { extensionToArmTemplate, extensionToBicep, type ExtensionTarget } from './export.js';

export interface ExtensionReference extends ExtensionTarget {
  resourceGroup: string;
  name: string;
}

export type ExportFormat = 'arm' | 'bicep';

export interface ExportedTemplate {
  format: ExportFormat;
  /** The ARM template object (for `arm`), printed through the output formats. */
  template?: Record<string, unknown>;
  /** The file content: the JSON template or the Bicep source. */
  text: string;
}

const CLUSTER_PROVIDERS = { connectedClusters: 'Microsoft.Kubernetes', managedClusters: 'Microsoft.ContainerService' };

export async function exportExtensionTemplate(
  ctx: OperationContext,
  ref: ExtensionReference,
  format: ExportFormat,
): Promise<ExportedTemplate> {
  const client = await extensionsClient(ctx.target);
  let extension;
  try {
    extension = await client.extensions.get(
      ref.resourceGroup,
      CLUSTER_PROVIDERS[ref.clusterType],
      ref.clusterType,
      ref.clusterName,
      ref.name,
      {
        abortSignal: ctx.signal,
      },
    );
  } catch (error) {
    throw toArcmeshError(error, {
      sandbox: ctx.target.sandbox,
      action: `read extension '${ref.name}' on ${ref.clusterType}/${ref.clusterName}`,
      notFoundHint: `List the cluster's extensions with \`az k8s-extension list -g ${ref.resourceGroup} -c ${ref.clusterName} -t ${ref.clusterType}\`.`,
    });
  }
  const target = { clusterType: ref.clusterType, clusterName: ref.clusterName };
  if (format === 'bicep') return { format, text: extensionToBicep(extension, target) };
  const template = extensionToArmTemplate(extension, target);
  return { format, template, text: `${JSON.stringify(template, null, 2)}\n` };
}
