/**
 * Output formats as az (knack) prints them, so scripts written against az keep parsing our output:
 * json with sorted keys and two-space indent, table in tabulate's "simple" style with az's column rules,
 * tsv with az's value rules, yaml, and `none`. `--query` is JMESPath applied before formatting.
 */
import jmespath from 'jmespath';
import { stringify as toYaml } from 'yaml';
import { usageError } from '../errors.js';
import { azResult } from './az-result.js';

export const OUTPUT_FORMATS = ['json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RenderOptions {
  format: OutputFormat;
  /** JMESPath expression, as az's `--query`. */
  query?: string | undefined;
  /** Colour jsonc/yamlc; az falls back to plain json/yaml when stdout is not a terminal. */
  color?: boolean;
  /**
   * A command's own table shape (az's table_transformer): the columns a person needs, in order.
   * Ignored when a query is active, as in az.
   */
  tableTransformer?: ((result: unknown) => unknown) | undefined;
}

export function applyQuery(value: unknown, query: string | undefined): unknown {
  if (!query) return value;
  try {
    return jmespath.search(value as object, query);
  } catch (error) {
    throw usageError(
      `--query '${query}' is not a valid JMESPath expression: ${(error as Error).message}`,
      'See https://jmespath.org for the syntax; az uses the same language.',
    );
  }
}

export function render(value: unknown, options: RenderOptions): string {
  const queryActive = Boolean(options.query);
  const result = applyQuery(azResult(value), options.query);
  switch (options.format) {
    case 'none':
      return '';
    case 'json':
      return toSortedJson(result);
    case 'jsonc':
      return options.color ? colorJson(toSortedJson(result)) : toSortedJson(result);
    case 'yaml':
    case 'yamlc':
      return result === undefined ? '' : toYaml(sortKeysDeep(result), { lineWidth: 0 });
    case 'tsv':
      return toTsv(result, queryActive);
    case 'table': {
      const transformed = options.tableTransformer && !queryActive ? options.tableTransformer(result) : result;
      return toTable(transformed, !queryActive && !options.tableTransformer);
    }
  }
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort(comparePythonStrings)
        .map((key) => [key, sortKeysDeep((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Python sorts str by code point; localeCompare would not match az byte for byte. */
function comparePythonStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function toSortedJson(value: unknown): string {
  if (value === undefined) return '';
  return `${JSON.stringify(sortKeysDeep(value), null, 2)}\n`;
}

function colorJson(json: string): string {
  // Keys cyan, strings green, literals yellow: enough to scan a resource on a terminal.
  return json.replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
    (match, str: string | undefined, colon: string | undefined, literal: string | undefined) => {
      if (str !== undefined) return colon ? `\x1b[36m${str}\x1b[0m${colon}` : `\x1b[32m${str}\x1b[0m`;
      if (literal !== undefined) return `\x1b[33m${literal}\x1b[0m`;
      return `\x1b[33m${match}\x1b[0m`;
    },
  );
}

const TABLE_SKIP_KEYS = new Set(['id', 'type', 'etag']);

/** Python's str() of a scalar, as tabulate prints it with disable_numparse. */
function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

function autoTableRow(item: unknown, sortKeys: boolean): Map<string, string> {
  const row = new Map<string, string>();
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const record = item as Record<string, unknown>;
    const keys = sortKeys ? Object.keys(record).sort(comparePythonStrings) : Object.keys(record);
    for (const key of keys) {
      const cell = record[key];
      if (TABLE_SKIP_KEYS.has(key) || cell === null || cell === undefined || typeof cell === 'object') continue;
      row.set(key.charAt(0).toUpperCase() + key.slice(1), pythonStr(cell));
    }
  } else if (Array.isArray(item)) {
    item.forEach((cell, index) => row.set(`Column${index + 1}`, pythonStr(cell)));
  } else if (item !== undefined && item !== null) {
    row.set('Result', pythonStr(item));
  }
  return row;
}

export function toTable(result: unknown, sortKeys: boolean): string {
  const items = Array.isArray(result) ? result : result === undefined || result === null ? [] : [result];
  const rows = items.map((item) => autoTableRow(item, sortKeys));
  const headers: string[] = [];
  for (const row of rows) for (const key of row.keys()) if (!headers.includes(key)) headers.push(key);
  if (rows.length === 0) return '\n';
  if (headers.length === 0) {
    throw usageError(
      'Table output unavailable: the result has no scalar fields to show as columns.',
      'Use --query to choose the fields, e.g. --query "[].{Name:name,State:properties.state}".',
    );
  }
  const widths = headers.map((header) => Math.max(header.length, ...rows.map((row) => (row.get(header) ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(headers),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((row) => line(headers.map((header) => row.get(header) ?? ''))),
  ]
    .join('\n')
    .concat('\n');
}

function tsvCell(value: unknown): string {
  if (Array.isArray(value)) return String(value.length);
  if (value && typeof value === 'object') return '';
  if (value === null || value === undefined) return 'None';
  return pythonStr(value);
}

export function toTsv(result: unknown, insertionOrder: boolean): string {
  const items = Array.isArray(result) ? result : [result];
  return items
    .map((item) => {
      if (item && typeof item === 'object' && !Array.isArray(item)) {
        const record = item as Record<string, unknown>;
        const keys = insertionOrder ? Object.keys(record) : Object.keys(record).sort(comparePythonStrings);
        return keys.map((key) => tsvCell(record[key])).join('\t');
      }
      if (Array.isArray(item)) return item.map(tsvCell).join('\t');
      if (typeof item === 'boolean') return String(item);
      return tsvCell(item);
    })
    .map((row) => `${row}\n`)
    .join('');
}
