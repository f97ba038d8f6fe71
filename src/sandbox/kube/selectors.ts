/**
 * Label and field selectors in the query-string syntax clients send (`app=web,tier!=db,env in (a,b),!legacy`).
 * Parsing errors become 400 BadRequest, as the apiserver answers them.
 */
import { badRequest } from './api-errors.js';
import type { KubeObject } from './objects.js';

type Requirement =
  { key: string; operator: 'in' | 'notin'; values: string[] } | { key: string; operator: 'exists' | 'doesnotexist' };

export type Selector = (values: (key: string) => string | undefined) => boolean;

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Splits on commas that are not inside `( … )`. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  terms.push(current);
  return terms.map((term) => term.trim()).filter((term) => term.length > 0);
}

function parseRequirement(term: string, checkKey: (key: string) => void): Requirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  if (setMatch) {
    checkKey(setMatch[1]!);
    const values = setMatch[3]!.split(',').map((value) => value.trim());
    return { key: setMatch[1]!, operator: setMatch[2] as 'in' | 'notin', values };
  }
  const equality = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (equality) {
    checkKey(equality[1]!);
    return { key: equality[1]!, operator: equality[2] === '!=' ? 'notin' : 'in', values: [equality[3]!] };
  }
  if (term.startsWith('!')) {
    checkKey(term.slice(1).trim());
    return { key: term.slice(1).trim(), operator: 'doesnotexist' };
  }
  checkKey(term);
  return { key: term, operator: 'exists' };
}

function matches(requirement: Requirement, value: string | undefined): boolean {
  switch (requirement.operator) {
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'doesnotexist':
      return value === undefined;
  }
}

function compile(requirements: Requirement[]): Selector {
  return (values) => requirements.every((requirement) => matches(requirement, values(requirement.key)));
}

export function parseLabelSelector(text: string): Selector {
  const requirements = splitTerms(text).map((term) =>
    parseRequirement(term, (key) => {
      if (!LABEL_KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}"`);
    }),
  );
  return compile(requirements);
}

export function labelSelectorMatches(selector: Selector, object: KubeObject): boolean {
  const labels = object.metadata.labels ?? {};
  return selector((key) => labels[key]);
}

/** Fields every kind can be selected by, plus the extra ones the apiserver supports per kind. */
const EXTRA_SELECTABLE_FIELDS: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'status.phase',
    'status.podIP',
  ],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Job: ['status.successful'],
};

function fieldValue(object: KubeObject, path: string): string | undefined {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  // The apiserver's field sets hold every supported field, absent ones as "".
  return current === undefined || current === null ? '' : String(current);
}

export function parseFieldSelector(text: string, kind: string): (object: KubeObject) => boolean {
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(EXTRA_SELECTABLE_FIELDS[kind] ?? [])]);
  const requirements = splitTerms(text).map((term) => {
    const requirement = parseRequirement(term, () => undefined);
    if (requirement.operator !== 'in' && requirement.operator !== 'notin')
      throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    if (!allowed.has(requirement.key)) throw badRequest(`field label not supported: ${requirement.key}`);
    return requirement;
  });
  const selector = compile(requirements);
  return (object) => selector((key) => fieldValue(object, key));
}

/** A metav1.LabelSelector object (matchLabels and matchExpressions). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Whether labels satisfy a LabelSelector object; an empty (or missing) selector matches everything. */
export function labelSelectorObjectMatches(
  selector: LabelSelectorObject | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  const { matchLabels = {}, matchExpressions = [] } = selector ?? {};
  const values = labels ?? {};
  if (!Object.entries(matchLabels).every(([key, value]) => values[key] === value)) return false;
  return matchExpressions.every(({ key, operator, values: allowed = [] }) => {
    switch (operator) {
      case 'In':
        return key in values && allowed.includes(values[key]!);
      case 'NotIn':
        return !(key in values) || !allowed.includes(values[key]!);
      case 'Exists':
        return key in values;
      case 'DoesNotExist':
        return !(key in values);
      default:
        return false;
    }
  });
}

/**
 * A LabelSelector object as the string the apiserver serves in a Scale's status (labels.Selector's String):
 * requirements sorted by key, values sorted, `key=value`, `key in (a,b)`, `key notin (a,b)`, `key`, `!key`.
 */
export function formatLabelSelector(selector: LabelSelectorObject): string {
  const { matchLabels = {}, matchExpressions = [] } = selector;
  const requirements: Array<{ key: string; text: string }> = Object.entries(matchLabels).map(([key, value]) => ({
    key,
    text: `${key}=${value}`,
  }));
  for (const { key, operator, values = [] } of matchExpressions) {
    const sorted = [...values].sort().join(',');
    const text = {
      In: `${key} in (${sorted})`,
      NotIn: `${key} notin (${sorted})`,
      Exists: key,
      DoesNotExist: `!${key}`,
    }[operator];
    if (text !== undefined) requirements.push({ key, text });
  }
  return requirements
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ text }) => text)
    .join(',');
}
