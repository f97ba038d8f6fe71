/**
 * TrafficTarget (access.smi-spec.io). v1alpha1 has no `spec`: `destination`, `specs` (the traffic specs) and
 * `sources` sit at the top level; v1alpha2 moves them under `spec` and names the traffic specs `rules`. v1alpha3
 * pairs with specs v1alpha4, where TCP ports live in the TCPRoute itself: a rule is an HTTPRouteGroup (with
 * optional match names) or a TCPRoute (without), so any other rule kind, or match names on a TCPRoute rule,
 * cannot be carried over without changing who may talk to whom, and the conversion refuses instead of guessing.
 */
import { isRecord, specOf, unconvertible, type ConversionStep } from './step.js';

const GROUP = 'access.smi-spec.io';
const KIND = 'TrafficTarget';

const intoSpec: ConversionStep = {
  group: GROUP,
  kind: KIND,
  from: 'v1alpha1',
  to: 'v1alpha2',
  convert(object) {
    const spec = specOf(object);
    for (const [from, to] of [
      ['destination', 'destination'],
      ['specs', 'rules'],
      ['sources', 'sources'],
    ] as const) {
      if (object[from] === undefined) continue;
      spec[to] ??= object[from];
      delete object[from];
    }
    return object;
  },
};

const V1ALPHA3_RULE_KINDS = new Set(['HTTPRouteGroup', 'TCPRoute']);

const checkedRules: ConversionStep = {
  group: GROUP,
  kind: KIND,
  from: 'v1alpha2',
  to: 'v1alpha3',
  convert(object) {
    const rules = isRecord(object.spec) ? object.spec.rules : undefined;
    if (!Array.isArray(rules)) return object;
    for (const rule of rules) {
      if (!isRecord(rule)) continue;
      if (typeof rule.kind !== 'string' || !V1ALPHA3_RULE_KINDS.has(rule.kind)) {
        throw unconvertible(
          checkedRules,
          object,
          `rule "${String(rule.name)}" is of kind ${JSON.stringify(rule.kind)}; v1alpha3 rules are HTTPRouteGroup or TCPRoute.`,
          'Point the rule at an HTTPRouteGroup or a TCPRoute in the backup file and restore again.',
        );
      }
      if (rule.kind === 'TCPRoute' && Array.isArray(rule.matches)) {
        if (rule.matches.length > 0) {
          throw unconvertible(
            checkedRules,
            object,
            `TCPRoute rule "${String(rule.name)}" lists matches, which v1alpha3 keeps in the TCPRoute (spec.matches.ports).`,
            'Move the ports into the TCPRoute and drop the rule matches in the backup file, then restore again.',
          );
        }
        delete rule.matches;
      }
    }
    return object;
  },
};

export const TRAFFIC_TARGET_STEPS: readonly ConversionStep[] = [intoSpec, checkedRules];
