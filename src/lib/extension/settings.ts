/**
 * Configuration settings as az takes them (`key=value` arguments and flat settings files), plus what az
 * leaves out: YAML files, values kept as the text the user wrote (ARM stores strings), and errors that never
 * quote a protected value.
 */
import { open } from 'node:fs/promises';
import { Scalar, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { isArcmeshError, usageError } from '../errors.js';

export type Settings = Record<string, string>;

export interface SettingsSource {
  /** `key=value` arguments, in the order given; later ones win. */
  pairs?: readonly string[] | undefined;
  /** Path to a flat JSON or YAML object. Its keys come first; `pairs` override them. */
  file?: string | undefined;
}

/** Names the kind of settings in messages: protected values must never appear in one. */
const label = (isProtected: boolean) => (isProtected ? 'protected setting' : 'setting');

/**
 * The largest settings file read. Helm keeps a release, its values included, in one Secret, which Kubernetes caps at
 * 1 MiB: a larger file could never be installed, and reading and checking it would only cost time and memory.
 */
export const MAX_SETTINGS_FILE_BYTES = 1024 * 1024;

/** The most settings one command takes (file and arguments together); a chart has a few hundred values at most. */
export const MAX_SETTINGS = 2000;

/**
 * A key segment that names the prototype of a plain object: assigned, it would be dropped (or, walked into, change
 * every object of the process that reads it) instead of becoming a setting.
 */
const PROTOTYPE_SEGMENT = '__proto__';

/** Refuses a key no chart value can have: the empty one, and one that walks into Object.prototype. */
function checkSettingKey(key: string, shown: string, isProtected: boolean): void {
  if (key.trim() === '') {
    throw usageError(
      `The ${label(isProtected)} ${shown} has an empty key.`,
      `Write each ${label(isProtected)} as key=value, e.g. osm.osm.enablePermissiveTrafficPolicy=false.`,
    );
  }
  if (key.split('.').includes(PROTOTYPE_SEGMENT)) {
    throw usageError(
      `The ${label(isProtected)} ${shown} has the key segment ${PROTOTYPE_SEGMENT}, which names no chart value.`,
      'Remove it; chart values are plain names such as osm.osm.enablePermissiveTrafficPolicy.',
    );
  }
}

function checkSettingsCount(count: number, isProtected: boolean): void {
  if (count <= MAX_SETTINGS) return;
  throw usageError(
    `${count} ${label(isProtected)}s were given; arcmesh takes at most ${MAX_SETTINGS} in one command.`,
    'Give only the values that differ from the chart defaults.',
  );
}

/** `key=value` arguments into a map, split on the first `=` as az does. */
export function parseSettingPairs(pairs: readonly string[], isProtected: boolean): Settings {
  const settings: Settings = {};
  pairs.forEach((pair, index) => {
    const separator = pair.indexOf('=');
    const shown = isProtected ? `argument ${index + 1}` : `'${pair}'`;
    if (separator < 0) {
      throw usageError(
        `The ${label(isProtected)} ${shown} is not of the form key=value.`,
        `Write each ${label(isProtected)} as key=value, e.g. osm.osm.enablePermissiveTrafficPolicy=false.`,
      );
    }
    const key = pair.slice(0, separator);
    checkSettingKey(key, shown, isProtected);
    settings[key] = pair.slice(separator + 1);
  });
  checkSettingsCount(Object.keys(settings).length, isProtected);
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
    checkSettingKey(key, `in ${what}`, isProtected);
    const value = scalarText(valueNode, document);
    if (value === undefined || value === null) {
      throw usageError(
        `The ${what} has a ${value === null || valueNode === null ? 'null' : 'nested'} value for '${key}'; ARM stores settings as flat strings.`,
        `Use dotted keys for nested chart values, e.g. "osm.osm.osmController.autoScale.enable": "true".`,
      );
    }
    settings[key] = value;
  }
  checkSettingsCount(Object.keys(settings).length, isProtected);
  return settings;
}

/**
 * A settings file's text, refused before it is read when it is no regular file or larger than any chart's values
 * could be; the size is checked on the open file, so a file that grows in between is cut off at the bound.
 */
async function readSettingsFile(path: string, isProtected: boolean): Promise<string> {
  const what = `${label(isProtected)}s file '${path}'`;
  const unreadable = (why: string, hint = 'Check the path (relative paths start from the current directory).') =>
    usageError(`Cannot read the ${what}: ${why}.`, hint);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw unreadable((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  try {
    const stats = await handle.stat();
    if (stats.isDirectory())
      throw unreadable('EISDIR', `'${path}' is a directory: give the path of a JSON or YAML file.`);
    if (!stats.isFile()) throw unreadable('not a regular file', 'Give the path of a JSON or YAML file.');
    if (stats.size > MAX_SETTINGS_FILE_BYTES) {
      throw usageError(
        `The ${what} holds ${stats.size} bytes; arcmesh reads at most ${MAX_SETTINGS_FILE_BYTES / 1024} KiB of settings.`,
        'Helm stores a release with its values in a Secret of at most 1 MiB: give only the values that differ from the chart defaults.',
      );
    }
    const buffer = Buffer.alloc(MAX_SETTINGS_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_SETTINGS_FILE_BYTES) throw unreadable('it grew beyond the size bound while being read');
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch (error) {
    if (isArcmeshError(error)) throw error;
    throw unreadable((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  } finally {
    await handle.close();
  }
}

/** The settings from a file and `key=value` arguments, arguments winning; undefined when neither was given. */
export async function loadSettings(source: SettingsSource, isProtected: boolean): Promise<Settings | undefined> {
  if (source.file === undefined && (source.pairs === undefined || source.pairs.length === 0)) return undefined;
  const fromFile =
    source.file === undefined
      ? {}
      : parseSettingsFile(await readSettingsFile(source.file, isProtected), source.file, isProtected);
  const settings = { ...fromFile, ...parseSettingPairs(source.pairs ?? [], isProtected) };
  checkSettingsCount(Object.keys(settings).length, isProtected);
  return settings;
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
