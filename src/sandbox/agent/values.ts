/**
 * Extension configuration settings → Helm values, as Arc's extension manager hands them to helm: every
 * setting is a `--set key=value` (dotted keys nest; `\.` is a literal dot), typed the way `--set` types
 * values (true/false → booleans, integers → numbers, `null` → null, anything else a string). Written as
 * a values document instead of an argv so that values with commas or brackets need no escaping.
 */
export type HelmValues = { [key: string]: HelmValue };
type HelmValue = string | number | boolean | null | HelmValues;

function splitKey(key: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < key.length; index += 1) {
    const char = key[index]!;
    if (char === '\\' && key[index + 1] === '.') {
      current += '.';
      index += 1;
    } else if (char === '.') {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/** `--set` typing: helm's strvals turns these, and only these, into non-strings. */
export function typeSetValue(value: string): string | number | boolean | null {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (value === 'null') return null;
  if (/^-?(0|[1-9]\d*)$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  return value;
}

/**
 * Later settings win, as later `--set` flags do; protected settings are passed after the plain ones. Keys are data:
 * every level is a null-prototype object, so `__proto__`, `constructor` and `prototype` are keys like others and
 * never reach a prototype, and they reach helm as they were written.
 */
export function settingsToValues(...settingGroups: Array<Record<string, string | null> | undefined>): HelmValues {
  const values: HelmValues = Object.create(null) as HelmValues;
  for (const settings of settingGroups) {
    for (const [key, raw] of Object.entries(settings ?? {})) {
      // ARM answers protected settings to other readers with null values; an agent never sees those.
      if (raw === null) continue;
      const path = splitKey(key);
      if (path.some((part) => part === '')) throw new Error(`The setting key "${key}" has an empty path segment.`);
      let node = values;
      for (const part of path.slice(0, -1)) {
        const next = node[part];
        if (next === null || typeof next !== 'object') node[part] = Object.create(null) as HelmValues;
        node = node[part] as HelmValues;
      }
      node[path.at(-1)!] = typeSetValue(raw);
    }
  }
  return values;
}
