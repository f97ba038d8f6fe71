/**
 * HTTPRouteGroup (specs.smi-spec.io). v1alpha1 and v1alpha2 keep `matches` at the top level of the object;
 * v1alpha3 moves it under `spec`. v1alpha4 stores the same matches as v1alpha3 (name, pathRegex, methods, and
 * `headers` as a list of one-entry maps of header name to regex, AND-ed): that is what the chart's CRD and
 * OSM's serve, and what the seeds' bookstore policy applies as v1alpha4, so the step only renames the version.
 */
import { renameOnly, specOf, type ConversionStep } from './step.js';

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

export const HTTP_ROUTE_GROUP_STEPS: readonly ConversionStep[] = [
  renameOnly(GROUP, KIND, 'v1alpha1', 'v1alpha2'),
  matchesIntoSpec,
  renameOnly(GROUP, KIND, 'v1alpha3', 'v1alpha4'),
];
