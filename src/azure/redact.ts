/**
 * Redaction for anything we might print under --debug: tokens, client secrets and protected settings.
 * Protected settings are redacted by key wherever they appear in a body, request or response.
 */

export const REDACTED = '<redacted>';
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

const SECURE_PARAMETER_TYPES = new Set(['securestring', 'secureobject']);

/**
 * A template deployment's body sends the values of its secure parameters (any name) beside the template that
 * declares them secure: those values are redacted by the declaration, not by key.
 */
function redactSecureDeploymentParameters(value: unknown): unknown {
  const properties = (value as { properties?: { template?: unknown; parameters?: unknown } } | null)?.properties;
  const declared = (properties?.template as { parameters?: unknown } | undefined)?.parameters;
  const given = properties?.parameters;
  if (!declared || typeof declared !== 'object' || !given || typeof given !== 'object') return value;
  const secure = new Set(
    Object.entries(declared as Record<string, { type?: unknown }>)
      .filter(([, definition]) => SECURE_PARAMETER_TYPES.has(String(definition?.type ?? '').toLowerCase()))
      .map(([name]) => name.toLowerCase()),
  );
  const parameters = Object.fromEntries(
    Object.entries(given as Record<string, unknown>).map(([name, entry]) => [
      name,
      secure.has(name.toLowerCase()) ? { value: REDACTED } : entry,
    ]),
  );
  return { ...(value as object), properties: { ...properties, parameters } };
}

/** Redacts a JSON or form body; anything unparseable is summarised rather than printed. */
export function redactBody(body: string | undefined): string | undefined {
  if (body === undefined || body === '') return body;
  try {
    return JSON.stringify(redactValue(redactSecureDeploymentParameters(JSON.parse(body))));
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

/** The variables @azure/identity's EnvironmentCredential reads whose values are secrets. */
const SECRET_ENVIRONMENT_VARIABLES = ['AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'AZURE_PASSWORD'];

/**
 * `text` without the values of the secret credential variables, as given or URL-encoded: a token endpoint (or a
 * proxy) may answer with an error that repeats the request carrying them, and that error is printed.
 */
export function redactEnvironmentSecrets(text: string, env: NodeJS.ProcessEnv): string {
  let redacted = text;
  for (const name of SECRET_ENVIRONMENT_VARIABLES) {
    const value = env[name];
    if (!value) continue;
    const forms = new Set([value, encodeURIComponent(value), new URLSearchParams({ value }).toString().slice(6)]);
    for (const form of forms) redacted = redacted.split(form).join(REDACTED);
  }
  return redacted;
}
