/** Query parameters shared by list and watch: selectors, and where a list reads from (paging, exact versions). */
import { badRequest, gone, KubeApiError } from '../api-errors.js';
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
  /** The revision the first page was served at; -1 goes on from the latest state (after an expired token). */
  rv: number;
  /** The `namespace/name` of the last object served. */
  start: string;
}

const INCONSISTENT_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list ' +
  'without the continue parameter, or use the continue token in this response to retrieve the remainder of the ' +
  'results. Continuing with the provided token results in an inconsistent list - objects that were created, ' +
  'modified, or deleted between the time the first chunk was returned and now may show up in the list.';

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', ...token })).toString('base64url');
}

/**
 * Where a list request reads from: the revision of a consistent snapshot (a continue token's, or an exact
 * resourceVersion), or the latest state; and where in list order it starts. A snapshot older than the store's
 * history is gone, as after an etcd compaction: an expired continue token gets a token that goes on from the
 * latest state, with the apiserver's words.
 */
export function listStart(
  query: URLSearchParams,
  revisions: { current: number; oldest: number },
): { revision?: number; after?: string } {
  const continueText = query.get('continue');
  if (continueText) {
    const token = decodeContinue(continueText);
    if (token.rv === -1) return { after: token.start };
    if (token.rv < revisions.oldest)
      throw gone(INCONSISTENT_CONTINUE, { continue: encodeContinue({ rv: -1, start: token.start }) });
    return { revision: token.rv, after: token.start };
  }
  const requested = query.get('resourceVersion');
  if (query.get('resourceVersionMatch') !== 'Exact' || !requested) return {};
  const revision = Number(requested);
  if (!Number.isInteger(revision) || revision <= 0)
    throw badRequest(`resourceVersion: Invalid value: "${requested}": must be a positive integer`);
  if (revision < revisions.oldest) throw gone('The resourceVersion for the provided list is too old.');
  if (revision > revisions.current)
    throw new KubeApiError(504, 'Timeout', `Too large resource version: ${revision}, current: ${revisions.current}`);
  return { revision };
}

function decodeContinue(text: string): ContinueToken {
  let token: ContinueToken;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (typeof token.rv !== 'number' || typeof token.start !== 'string')
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  return token;
}

export const listPosition = (object: KubeObject): string =>
  `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
