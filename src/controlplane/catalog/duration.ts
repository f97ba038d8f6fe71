/**
 * Go's time.ParseDuration, which OSM applies to every duration in its resources (MeshConfig, Retry,
 * UpstreamTrafficSetting): a sign, then one or more decimal numbers each with a unit (`24h`, `1h30m`, `1.5s`,
 * `500ms`, `-2m`); `0` alone needs no unit. The repository's only other parser (the sandbox's cron `@every`) knows a
 * subset of units and lives in the sandbox, hence this one.
 */

const NANOSECONDS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's duration is an int64 of nanoseconds. */
const MAX_NANOSECONDS = 2n ** 63n - 1n;

const SEGMENT = /^(\d*)(?:\.(\d*))?([^\d.]+)/;

export type DurationResult = { ok: true; milliseconds: number } | { ok: false; reason: string };

export function parseGoDuration(text: string): DurationResult {
  const invalid = (why: string): DurationResult => ({ ok: false, reason: `"${text}" is not a Go duration: ${why}` });
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return { ok: true, milliseconds: 0 };
  if (rest === '') return invalid('it is empty (write a number and a unit, such as 30s or 1h30m)');
  let total = 0n;
  while (rest !== '') {
    const segment = SEGMENT.exec(rest);
    if (!segment) return invalid('expected a number followed by a unit (ns, us, ms, s, m, h)');
    const [whole, integer = '', fraction = '', unit = ''] = segment;
    if (integer === '' && fraction === '') return invalid('a unit needs a number before it');
    const perUnit = NANOSECONDS_PER_UNIT[unit];
    if (perUnit === undefined) return invalid(`unknown unit "${unit}" (use ns, us, ms, s, m or h)`);
    // Exact integer arithmetic, as Go does; a fraction below one nanosecond is dropped.
    const scale = 10n ** BigInt(fraction.length);
    total += BigInt(integer || '0') * perUnit + (BigInt(fraction || '0') * perUnit) / scale;
    if (total > MAX_NANOSECONDS) return invalid('it is longer than Go can represent (about 292 years)');
    rest = rest.slice(whole.length);
  }
  const milliseconds = Number(total) / 1e6;
  // Go has no negative zero: "-0s" is 0.
  return { ok: true, milliseconds: negative && milliseconds !== 0 ? -milliseconds : milliseconds };
}
