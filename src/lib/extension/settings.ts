/**
 * Configuration settings as az takes them (`key=value` arguments and flat settings files), plus what az
 * leaves out: YAML files, values kept as the text the user wrote (ARM stores strings), and errors that never
 * quote a protected value.
 */
import { readFile } from 'node:fs/promises';
import { Scalar, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { usageError } from '../errors.js';

export type Settings = Record<string, string>;

export interface SettingsSource {
  /** `key=value` arguments, in the order given; later ones win. */
  pairs?: readonly string[] | undefined;
  /** Path to a flat JSON or YAML object. Its keys come first; `pairs` override them. */
  file?: string | undefined;
}

/** Names the kind of settings in messages: protected values must never appear in one. */
const label = (isProtected: boolean) => (isProtected ? 'protected setting' : 'setting');

/** `key=value` arguments into a map, split on the first `=` as az does. */
export function parseSettingPairs(pairs: readonly string[], isProtected: boolean): Settings {
  const settings: Settings = {};
  pairs.forEach((pair, index) => {
    const separator = pair.indexOf('=');
    if (separator <= 0) {
      const shown = isProtected ? `argument ${index + 1}` : `'${pair}'`;
      throw usageError(
        `The ${label(isProtected)} ${shown} is not of the form key=value.`,
        `Write each ${label(isProtected)} as key=value, e.g. osm.osm.enablePermissiveTrafficPolicy=false.`,
      );
    }
    settings[pair.slice(0, separator)] = pair.slice(separator + 1);
  });
  return settings;
}

/**
 * A scalar as the user wrote it: a plain scalar keeps its source text (`1.10`, `010`, `0x1F`, `true` stay
 * as typed, where a YAML or JSON parser would make them 1.1, 10, 31), a quoted or block one its string value.
 * Null (`null`, `~`, nothing) has no text to keep. Anything else is not a scalar.
 */
function scalarText(node: unknown, document: Document): string | null | undefined {
  const resolved = isAlias(node) ? node.resolve(document) : node;
  if (!isScalar(resolved)) return undefined;
  if (resolved.value === null) return null;
  return resolved.type === Scalar.PLAIN && resolved.source !== undefined ? resolved.source : String(resolved.value);
}

/**
 * A settings file's text into a map. JSON or YAML (YAML 1.2 reads JSON too); the top level must be a flat
 * object, as az takes it. Values stay the text the user wrote, which is what ARM stores and the chart gets:
 * az's json.load would turn 1.10 into 1.1.
 */
export function parseSettingsFile(text: string, path: string, isProtected: boolean): Settings {
  const what = `${label(isProtected)}s file '${path}'`;
  const flatObjectHint = 'Write a flat object such as {"key": "value"} (JSON) or key: value (YAML).';
  if (text.trim() === '') throw usageError(`The ${what} is empty.`, flatObjectHint);
  const document = parseDocument(text);
  const [parseError] = document.errors;
  if (parseError) {
    const position = parseError.linePos?.[0];
    const at = position ? ` at line ${position.line}, column ${position.col}` : '';
    if (parseError.code === 'DUPLICATE_KEY') {
      throw usageError(
        `The ${what} has a key twice${at}.`,
        "Keep one entry per key: az's json.load takes the last one silently, arcmesh refuses to guess.",
      );
    }
    // The parser's reason (its first line, which ends in a colon before the quoted source) may quote the offending
    // text; for protected settings that may be a secret, so only the position is told.
    const reason = parseError.message.split('\n')[0]?.replace(/:$/, '');
    const detail = isProtected ? at : `: ${reason}`;
    throw usageError(`The ${what} is neither valid JSON nor valid YAML${detail}.`, flatObjectHint);
  }
  const root = document.contents;
  if (!isMap(root)) {
    const found = isSeq(root) ? 'a list' : isScalar(root) ? typeof root.value : 'nothing';
    throw usageError(`The ${what} must hold one flat object of key/value pairs, not ${found}.`, flatObjectHint);
  }
  const settings: Settings = {};
  for (const { key: keyNode, value: valueNode } of root.items) {
    const key = scalarText(keyNode, document);
    if (key === undefined || key === null) {
      throw usageError(`The ${what} has a key that is not a plain name.`, flatObjectHint);
    }
    const value = scalarText(valueNode, document);
    if (value === undefined || value === null) {
      throw usageError(
        `The ${what} has a ${value === null || valueNode === null ? 'null' : 'nested'} value for '${key}'; ARM stores settings as flat strings.`,
        `Use dotted keys for nested chart values, e.g. "osm.osm.osmController.autoScale.enable": "true".`,
      );
    }
    settings[key] = value;
  }
  return settings;
}

/** The settings from a file and `key=value` arguments, arguments winning; undefined when neither was given. */
export async function loadSettings(source: SettingsSource, isProtected: boolean): Promise<Settings | undefined> {
  if (source.file === undefined && (source.pairs === undefined || source.pairs.length === 0)) return undefined;
  let fromFile: Settings = {};
  if (source.file !== undefined) {
    let text: string;
    try {
      text = await readFile(source.file, 'utf8');
    } catch (error) {
      throw usageError(
        `Cannot read the ${label(isProtected)}s file '${source.file}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        'Check the path (relative paths start from the current directory).',
      );
    }
    fromFile = parseSettingsFile(text, source.file, isProtected);
  }
  return { ...fromFile, ...parseSettingPairs(source.pairs ?? [], isProtected) };
}

export interface SettingsChange {
  /** Settings given on this command: added or changed. */
  set: Settings | undefined;
  /** Keys to drop (`--remove-setting`). */
  remove: readonly string[];
}

/**
 * The complete settings map after an update: every existing setting carried forward, the given ones on
 * top, removed keys gone. az's update sends only what was typed (and its docs tell users to re-pass the
 * whole file); arcmesh keeps what is there unless told otherwise.
 */
export function carryForwardSettings(existing: Settings | undefined, change: SettingsChange): Settings {
  const merged: Settings = { ...existing, ...change.set };
  for (const key of change.remove) delete merged[key];
  return merged;
}

/** Keys present before and absent after, e.g. what a replacing PUT would drop. */
export function droppedKeys(before: Settings | undefined, after: Settings | undefined): string[] {
  return Object.keys(before ?? {}).filter((key) => !(key in (after ?? {})));
}

export function sameSettings(a: Settings | undefined, b: Settings | undefined): boolean {
  const left = a ?? {};
  const right = b ?? {};
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => right[key] === left[key]);
}
