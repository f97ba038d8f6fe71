/**
 * Entra ID, as far as MSAL's client-credentials flow needs it: OIDC discovery and the v2.0 token
 * endpoint. Tokens are HS256 JWTs signed with a key kept in the state file, so tokens issued before a
 * restart stay valid and ARM requests are checked without remembering every token.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { SANDBOX_TENANT_ID } from './contract.js';
import { ArmHttpError, json, route, type HandlerResult, type RequestContext, type Route } from './http.js';
import type { ArmStore } from './store.js';

const TOKEN_LIFETIME_SECONDS = 3599;

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function sign(data: string, signingKey: string): string {
  return createHmac('sha256', signingKey).update(data).digest('base64url');
}

function issueToken(store: ArmStore, baseUrl: string, tenant: string, now: number): string {
  const { clientId, tokenSigningKey } = store.state.credentials;
  const issuedAt = Math.floor(now / 1000);
  const unsigned = `${base64UrlJson({ alg: 'HS256', typ: 'JWT' })}.${base64UrlJson({
    aud: `${baseUrl}/`,
    iss: `${baseUrl}/${tenant}/v2.0`,
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + TOKEN_LIFETIME_SECONDS,
    appid: clientId,
    tid: tenant,
    oid: clientId,
    sub: clientId,
    jti: randomUUID(),
  })}`;
  return `${unsigned}.${sign(unsigned, tokenSigningKey)}`;
}

/** Throws ARM's 401 unless the request carries a token this sandbox issued and that has not expired. */
export function authenticate(authorization: string | undefined, store: ArmStore, now: number): void {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) {
    throw new ArmHttpError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      {
        'WWW-Authenticate':
          'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"',
      },
    );
  }
  const [header, payload, signature] = token.split('.');
  const expected = header && payload ? sign(`${header}.${payload}`, store.state.credentials.tokenSigningKey) : '';
  const valid =
    signature !== undefined &&
    signature.length === expected.length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  const claims = valid
    ? (JSON.parse(Buffer.from(payload as string, 'base64url').toString('utf8')) as { exp: number })
    : undefined;
  if (!claims) {
    throw new ArmHttpError(
      401,
      'InvalidAuthenticationToken',
      'The access token is invalid. It was not issued by this sandbox (or the sandbox state was reset).',
    );
  }
  if (claims.exp * 1000 <= now) {
    throw new ArmHttpError(
      401,
      'ExpiredAuthenticationToken',
      'The access token expiry UTC time is earlier than current UTC time.',
    );
  }
}

/** Entra's error body (not ARM's): MSAL turns `error`/`error_description` into its AuthError. */
function tokenError(status: number, error: string, description: string, code: number): HandlerResult {
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

function checkTenant(tenant: string): HandlerResult | undefined {
  if (
    tenant.toLowerCase() === SANDBOX_TENANT_ID ||
    tenant.toLowerCase() === 'organizations' ||
    tenant.toLowerCase() === 'common'
  )
    return undefined;
  return tokenError(
    400,
    'invalid_tenant',
    `Tenant '${tenant}' not found. The sandbox serves tenant ${SANDBOX_TENANT_ID} only.`,
    90002,
  );
}

function openIdConfiguration(context: RequestContext): HandlerResult {
  const tenant = context.params.tenant as string;
  const notFound = checkTenant(tenant);
  if (notFound) return notFound;
  const authority = `${context.baseUrl}/${tenant}`;
  return json(200, {
    token_endpoint: `${authority}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${context.baseUrl}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${authority}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${context.baseUrl}/oidc/userinfo`,
    authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'tid', 'oid'],
    kerberos_endpoint: `${authority}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: new URL(context.baseUrl).host,
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  });
}

function token(context: RequestContext): HandlerResult {
  const tenant = context.params.tenant as string;
  const notFound = checkTenant(tenant);
  if (notFound) return notFound;
  const form = new URLSearchParams(context.rawBody);
  const grantType = form.get('grant_type');
  if (grantType !== 'client_credentials') {
    return tokenError(
      400,
      'unsupported_grant_type',
      `The sandbox supports only grant_type=client_credentials, not '${grantType ?? ''}'.`,
      70003,
    );
  }
  const { clientId, clientSecret } = context.store.state.credentials;
  if (form.get('client_id') !== clientId) {
    return tokenError(
      400,
      'unauthorized_client',
      `Application with identifier '${form.get('client_id') ?? ''}' was not found in the directory. Use the clientId from the sandbox's endpoints.json.`,
      700016,
    );
  }
  if (form.get('client_secret') !== clientSecret) {
    return tokenError(
      401,
      'invalid_client',
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value from the sandbox's endpoints.json.`,
      7000215,
    );
  }
  return json(200, {
    token_type: 'Bearer',
    expires_in: TOKEN_LIFETIME_SECONDS,
    ext_expires_in: TOKEN_LIFETIME_SECONDS,
    access_token: issueToken(context.store, context.baseUrl, tenant, context.now),
  });
}

export const tokenRoutes: Route[] = [
  route('GET', '/{tenant}/v2.0/.well-known/openid-configuration', openIdConfiguration, { anonymous: true }),
  route('POST', '/{tenant}/oauth2/v2.0/token', token, { anonymous: true }),
];
