/**
 * `meta.k8s.io/v1 Table` answers for `kubectl get`: the NAME and AGE columns every kind has, plus a custom
 * resource's additionalPrinterColumns evaluated with their simple JSONPath.
 */
import type { KubeObject } from '../objects.js';
import type { PrinterColumn, ResourceType } from '../registry.js';

export function acceptsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

function humanAge(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** Evaluates the `.a.b[0].c` subset of JSONPath that printer columns use. */
function evaluateColumnPath(object: unknown, jsonPath: string): unknown {
  const tokens =
    jsonPath
      .replace(/^\{?\.?/, '')
      .replace(/\}$/, '')
      .match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let current: unknown = object;
  for (const token of tokens) {
    if (current === null || typeof current !== 'object') return undefined;
    current = token.startsWith('[')
      ? (current as unknown[])[Number(token.slice(1, -1))]
      : (current as Record<string, unknown>)[token];
  }
  return current;
}

function cellValue(object: KubeObject, column: PrinterColumn): unknown {
  const value = evaluateColumnPath(object, column.jsonPath);
  if (value === undefined || value === null) return null;
  if (column.type === 'date' && typeof value === 'string') return humanAge(value);
  return typeof value === 'object' ? JSON.stringify(value) : value;
}

export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  listMetadata: Record<string, unknown>,
  includeObject: string | null,
): Record<string, unknown> {
  const customColumns = type.printerColumns.filter((column) => column.jsonPath !== '.metadata.creationTimestamp');
  const columnDefinitions = [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      priority: 0,
    },
    ...customColumns.map((column) => ({
      name: column.name,
      type: column.type === 'date' ? 'string' : column.type,
      format: column.format ?? '',
      description: column.description ?? '',
      priority: column.priority ?? 0,
    })),
    {
      name: 'Age',
      type: 'string',
      format: '',
      description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
      priority: 0,
    },
  ];
  const rows = objects.map((object) => ({
    cells: [
      object.metadata.name,
      ...customColumns.map((column) => cellValue(object, column)),
      humanAge(object.metadata.creationTimestamp),
    ],
    object:
      includeObject === 'None'
        ? undefined
        : includeObject === 'Object'
          ? object
          : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
  }));
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMetadata, columnDefinitions, rows };
}
