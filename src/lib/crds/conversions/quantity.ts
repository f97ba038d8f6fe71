/**
 * Kubernetes resource quantities ("500m", "1", "2k", "1Ki", "1e3"), as v1alpha1 TrafficSplit weights were
 * written, read exactly in thousandths so that weights keep their ratios when they become integers.
 */
const SUFFIX_MILLIS: Readonly<Record<string, bigint>> = {
  m: 1n,
  '': 1000n,
  k: 1000n ** 2n,
  M: 1000n ** 3n,
  G: 1000n ** 4n,
  T: 1000n ** 5n,
  P: 1000n ** 6n,
  E: 1000n ** 7n,
  Ki: 1000n * 1024n,
  Mi: 1000n * 1024n ** 2n,
  Gi: 1000n * 1024n ** 3n,
  Ti: 1000n * 1024n ** 4n,
  Pi: 1000n * 1024n ** 5n,
  Ei: 1000n * 1024n ** 6n,
};

const QUANTITY_PATTERN = /^\+?(\d+)(?:\.(\d+))?(?:([eE][+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/;

/** The quantity in thousandths, or undefined when it is not a non-negative quantity or finer than 1m. */
export function quantityInMillis(value: string | number): bigint | undefined {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = QUANTITY_PATTERN.exec(text);
  if (!match) return undefined;
  const [, whole, fraction = '', exponentText, suffix = ''] = match;
  // Scale everything to an integer numerator over 10^digits, then apply the unit exactly.
  const numerator = BigInt(whole! + fraction);
  let scale = -fraction.length;
  let unitMillis = SUFFIX_MILLIS[suffix]!;
  if (exponentText !== undefined) {
    scale += Number(exponentText.slice(1));
    unitMillis = 1000n;
  }
  let millis = numerator * unitMillis;
  if (scale >= 0) return millis * 10n ** BigInt(scale);
  const divisor = 10n ** BigInt(-scale);
  if (millis % divisor !== 0n) return undefined;
  millis /= divisor;
  return millis;
}
