/** Query parameters shared by list and watch: selectors, and the paging token. */
import { badRequest, gone } from '../api-errors.js';
import type { KubeObject } from '../objects.js';
import type { ResourceType } from '../registry.js';
import { labelSelectorMatches, parseFieldSelector, parseLabelSelector } from '../selectors.js';

export type ObjectFilter = (object: KubeObject) => boolean;

export function selectorFilter(query: URLSearchParams, type: ResourceType): ObjectFilter {
  const labelText = query.get('labelSelector');
  const fieldText = query.get('fieldSelector');
  const labels = labelText ? parseLabelSelector(labelText) : undefined;
  const fields = fieldText ? parseFieldSelector(fieldText, type.kind) : undefined;
  return (object) => (!labels || labelSelectorMatches(labels, object)) && (!fields || fields(object));
}

interface ContinueToken {
  /** The revision the first page was served at. */
  rv: number;
  /** The `namespace/name` of the last object served. */
  start: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', ...token })).toString('base64url');
}

export function decodeContinue(text: string, oldestRevision: number): ContinueToken {
  let token: ContinueToken;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof token.rv !== 'number' || typeof token.start !== 'string')
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (token.rv < oldestRevision) {
    throw gone(
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
    );
  }
  return token;
}

export const listPosition = (object: KubeObject): string =>
  `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
