/** Reading a CustomResourceDefinition object into the resource types it serves. */
import type { FieldError } from '../api-errors.js';
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

/** The CRD checks whose failures users meet most, with the apiserver's texts. */
export function validateDefinition(crd: KubeObject): FieldError[] {
  const spec = crd.spec as Partial<CrdSpec> | undefined;
  const errors: FieldError[] = [];
  const name = crd.metadata.name ?? '';
  if (spec?.names?.plural && spec.group && name !== `${spec.names.plural}.${spec.group}`) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'metadata.name',
      body: `Invalid value: ${JSON.stringify(name)}: must be spec.names.plural+"."+spec.group`,
    });
  }
  if (!spec?.versions || spec.versions.length === 0) {
    errors.push({
      type: 'FieldValueRequired',
      field: 'spec.versions',
      body: 'Required value: must have exactly one version marked as storage version',
    });
  } else if (spec.versions.filter((version) => version.storage).length !== 1) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.versions',
      body: `Invalid value: ${JSON.stringify(spec.versions.map((version) => version.name))}: must have exactly one version marked as storage version`,
    });
  }
  return errors;
}
