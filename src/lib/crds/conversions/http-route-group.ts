/**
 * HTTPRouteGroup (specs.smi-spec.io). v1alpha1 and v1alpha2 keep `matches` at the top level of the object;
 * v1alpha3 moves it under `spec`. v1alpha4 keeps v1alpha3's matches (name, pathRegex, methods) with `headers`
 * as one map of header name to regex, as the SMI spec writes it; OSM's v1alpha3 CRD stored headers as a list of
 * one-entry maps, which are AND-ed, so they merge into one map without changing what matches.
 */
import { isRecord, renameOnly, specOf, unconvertible, type ConversionStep } from './step.js';

const GROUP = 'specs.smi-spec.io';
const KIND = 'HTTPRouteGroup';

const matchesIntoSpec: ConversionStep = {
  group: GROUP,
  kind: KIND,
  from: 'v1alpha2',
  to: 'v1alpha3',
  convert(object) {
    if (object.matches !== undefined) {
      const spec = specOf(object);
      spec.matches ??= object.matches;
      delete object.matches;
    }
    return object;
  },
};

const headersAsMap: ConversionStep = {
  group: GROUP,
  kind: KIND,
  from: 'v1alpha3',
  to: 'v1alpha4',
  convert(object) {
    const matches = isRecord(object.spec) ? object.spec.matches : undefined;
    if (!Array.isArray(matches)) return object;
    for (const match of matches) {
      if (!isRecord(match) || match.headers === undefined || isRecord(match.headers)) continue;
      if (!Array.isArray(match.headers)) {
        throw unconvertible(
          headersAsMap,
          object,
          `match "${String(match.name)}" has headers that are neither a list nor a map.`,
          'Fix the object in the backup file (headers: {name: regex}) and restore again.',
        );
      }
      const merged: Record<string, unknown> = {};
      for (const entry of match.headers) {
        if (!isRecord(entry)) continue;
        for (const [header, pattern] of Object.entries(entry)) {
          if (header in merged && merged[header] !== pattern) {
            throw unconvertible(
              headersAsMap,
              object,
              `match "${String(match.name)}" requires header "${header}" to match both ${JSON.stringify(merged[header])} and ${JSON.stringify(pattern)}, which one map cannot say.`,
              'Combine the two patterns into one regex in the backup file and restore again.',
            );
          }
          merged[header] = pattern;
        }
      }
      match.headers = merged;
    }
    return object;
  },
};

export const HTTP_ROUTE_GROUP_STEPS: readonly ConversionStep[] = [
  renameOnly(GROUP, KIND, 'v1alpha1', 'v1alpha2'),
  matchesIntoSpec,
  headersAsMap,
];
