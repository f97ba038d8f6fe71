/**
 * Redaction for anything we might print under --debug: tokens, client secrets and protected settings.
 * Protected settings are redacted by key wherever they appear in a body, request or response.
 */

const REDACTED = '<redacted>';
const SECRET_HEADERS = new Set(['authorization', 'x-ms-authorization-auxiliary', 'cookie', 'set-cookie']);
const SECRET_BODY_KEYS = new Set([
  'configurationprotectedsettings',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'password',
]);

export function redactHeaders(headers: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value;
  return out;
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => {
        if (!SECRET_BODY_KEYS.has(key.toLowerCase())) return [key, redactValue(inner)];
        // Keep the shape (which protected keys were sent) but never a value.
        if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
          return [key, Object.fromEntries(Object.keys(inner).map((name) => [name, REDACTED]))];
        }
        return [key, REDACTED];
      }),
    );
  }
  return value;
}

/** Redacts a JSON or form body; anything unparseable is summarised rather than printed. */
export function redactBody(body: string | undefined): string | undefined {
  if (body === undefined || body === '') return body;
  try {
    return JSON.stringify(redactValue(JSON.parse(body)));
  } catch {
    if (/(^|&)(client_secret|client_assertion|password)=/.test(body)) {
      return body.replace(/((?:^|&)(?:client_secret|client_assertion|password)=)[^&]*/g, `$1${REDACTED}`);
    }
    return `<${body.length} bytes, not JSON>`;
  }
}

export function redactUrl(url: string): string {
  // Signed operation URLs carry signatures in the query (…&s=…&h=…); keep the path, drop the signature values.
  return url.replace(/([?&](?:sig|s|h|t|c|code|client_secret)=)[^&]*/gi, `$1${REDACTED}`);
}
