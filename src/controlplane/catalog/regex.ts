/**
 * Whether RE2 (Envoy's `safe_regex` engine, which OSM puts HTTPRouteGroup paths and headers into) accepts a
 * pattern. A pattern Envoy would refuse makes it NACK the whole RouteConfiguration, so the catalog rejects the
 * HTTPRouteGroup instead.
 */
import { RE2 } from 're2-wasm';

/** HTTPRouteGroups repeat the same few patterns; keep the verdicts, but never grow without bound. */
const MAX_REMEMBERED = 4096;
const verdicts = new Map<string, string | undefined>();

/** undefined when RE2 compiles the pattern, else RE2's reason. */
export function re2Error(pattern: string): string | undefined {
  if (verdicts.has(pattern)) return verdicts.get(pattern);
  let error: string | undefined;
  try {
    const compiled = new RE2(pattern, 'u');
    // re2-wasm keeps the compiled program in WASM memory that only an explicit delete() frees.
    (compiled as unknown as { wrapper?: { delete?: () => void } }).wrapper?.delete?.();
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    error = message.replace(/^Invalid regular expression: \/.*\/u: /s, '');
  }
  if (verdicts.size >= MAX_REMEMBERED) verdicts.clear();
  verdicts.set(pattern, error);
  return error;
}
