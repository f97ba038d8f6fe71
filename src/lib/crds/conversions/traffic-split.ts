/**
 * TrafficSplit (split.smi-spec.io). v1alpha1 weights are resource quantities ("500m" is half of "1"); from
 * v1alpha2 on they are integers, relative to each other. Converting keeps every ratio exactly: the weights in
 * thousandths, divided by their greatest common divisor. v1alpha1 also let the apex `service` be written as a
 * DNS name; later versions want the service name in the split's own namespace. v1alpha3 adds optional `matches`
 * and v1alpha4 changes nothing stored, so those steps only rename the version.
 */
import { quantityInMillis } from './quantity.js';
import { isRecord, renameOnly, unconvertible, type ConversionStep } from './step.js';

const GROUP = 'split.smi-spec.io';
const KIND = 'TrafficSplit';

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

const integerWeights: ConversionStep = {
  group: GROUP,
  kind: KIND,
  from: 'v1alpha1',
  to: 'v1alpha2',
  convert(object) {
    if (!isRecord(object.spec)) return object;
    const spec = object.spec;
    if (typeof spec.service === 'string') spec.service = apexServiceName(object.metadata.namespace, spec.service);
    if (!Array.isArray(spec.backends)) return object;
    const backends = spec.backends.filter(isRecord);
    const millis = backends.map((backend) => {
      const weight = backend.weight;
      const value =
        typeof weight === 'string' || typeof weight === 'number'
          ? quantityInMillis(weight)
          : weight === undefined
            ? 0n
            : undefined;
      if (value === undefined) {
        throw unconvertible(
          integerWeights,
          object,
          `backend "${String(backend.service)}" has weight ${JSON.stringify(weight)}, which is not a non-negative quantity.`,
          'Write the weight as a quantity such as 500m or 1 in the backup file and restore again.',
        );
      }
      return value;
    });
    const divisor = millis.reduce((common, value) => gcd(common, value), 0n) || 1n;
    backends.forEach((backend, index) => {
      const weight = millis[index]! / divisor;
      if (weight > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw unconvertible(
          integerWeights,
          object,
          `backend "${String(backend.service)}" would get weight ${weight}, too large for an integer weight.`,
          'Use smaller weights with the same ratios in the backup file and restore again.',
        );
      }
      backend.weight = Number(weight);
    });
    return object;

    function apexServiceName(namespace: string | undefined, service: string): string {
      const [name, serviceNamespace, ...rest] = service.split('.');
      if (serviceNamespace === undefined) return service;
      const clusterDomain = rest.length === 0 || rest[0] === 'svc';
      if (clusterDomain && (namespace === undefined || serviceNamespace === namespace)) return name!;
      throw unconvertible(
        integerWeights,
        object,
        `its apex service "${service}" is not a service of namespace ${namespace ?? '(none)'}.`,
        'A TrafficSplit splits traffic of a service in its own namespace: move the split there in the backup file.',
      );
    }
  },
};

export const TRAFFIC_SPLIT_STEPS: readonly ConversionStep[] = [
  integerWeights,
  renameOnly(GROUP, KIND, 'v1alpha2', 'v1alpha3'),
  renameOnly(GROUP, KIND, 'v1alpha3', 'v1alpha4'),
];
