/** Reading a CustomResourceDefinition object into the resource types it serves. */
import type { KubeObject } from '../objects.js';
import type { PrinterColumn, ResourceType, ScaleSubresource } from '../registry.js';
import type { JsonSchemaProps } from './schema.js';

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: JsonSchemaProps };
  subresources?: { status?: object; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: {
    kind: string;
    listKind?: string;
    plural: string;
    singular?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: CrdVersion[];
}

export const crdSpec = (crd: KubeObject): CrdSpec => crd.spec as CrdSpec;

export function servedTypes(crd: KubeObject): ResourceType[] {
  const spec = crdSpec(crd);
  const storageVersion = spec.versions.find((version) => version.storage)?.name ?? spec.versions[0]!.name;
  return spec.versions
    .filter((version) => version.served)
    .map((version) => ({
      group: spec.group,
      version: version.name,
      kind: spec.names.kind,
      listKind: spec.names.listKind ?? `${spec.names.kind}List`,
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      shortNames: spec.names.shortNames ?? [],
      categories: spec.names.categories ?? [],
      subresources: {
        status: version.subresources?.status !== undefined,
        ...(version.subresources?.scale ? { scale: version.subresources.scale } : {}),
      },
      tracksGeneration: true,
      storageVersion,
      schema: version.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      printerColumns: version.additionalPrinterColumns ?? [],
      definedBy: crd.metadata.name!,
    }));
}
