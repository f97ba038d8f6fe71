/**
 * ServiceAccount tokens from the TokenRequest API (`kubectl create token`, `POST …/serviceaccounts/<name>/token`):
 * a JWT naming the account, its uid and an expiry, signed with a key derived from the cluster's admin token, so a
 * token stays valid across a sandbox restart without being stored. (Kubernetes signs with RS256 and a service
 * account key; clients treat the token as opaque, so the sandbox's HS256 changes nothing they see.) A token is
 * accepted while it has not expired and its ServiceAccount still exists with the same uid.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { invalid, methodNotAllowed, notFound } from '../api-errors.js';
import type { ResourceRequestContext } from '../handlers/context.js';
import { readObjectBody, sendJson } from '../http.js';
import { isPlainObject, kubeTimestamp } from '../objects.js';
import type { ObjectStore } from '../storage.js';

const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;

interface Claims {
  sub: string;
  uid: string;
  exp: number;
  iat: number;
  aud: string[];
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

function signature(key: string, signed: string): Buffer {
  return createHmac('sha256', `service-account-tokens:${key}`).update(signed).digest();
}

export function issueToken(key: string, claims: Claims): string {
  const signed = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}`;
  return `${signed}.${signature(key, signed).toString('base64url')}`;
}

/** The ServiceAccount a TokenRequest token authenticates as, or undefined when it is not one we issued or valid. */
export function verifyToken(
  key: string,
  token: string,
  store: ObjectStore,
  now = Date.now(),
): { namespace: string; name: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const given = Buffer.from(parts[2]!, 'base64url');
  const expected = signature(key, `${parts[0]}.${parts[1]}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Claims;
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub);
  if (!match || claims.exp * 1000 <= now) return undefined;
  const account = store.get('/serviceaccounts', match[1], match[2]!);
  if (account?.metadata.uid !== claims.uid) return undefined;
  return { namespace: match[1]!, name: match[2]! };
}

export async function createServiceAccountToken(context: ResourceRequestContext, key: string): Promise<void> {
  const { request, response, route, store } = context;
  if (request.method !== 'POST') throw methodNotAllowed(request.method ?? '');
  const namespace = route.namespace!;
  const name = route.name!;
  const account = store.get('/serviceaccounts', namespace, name);
  if (!account) throw notFound({ group: '', resource: 'serviceaccounts' }, name);
  const body = await readObjectBody(request);
  const spec = isPlainObject(body) && isPlainObject(body.spec) ? body.spec : {};
  const expirationSeconds =
    typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : DEFAULT_EXPIRATION_SECONDS;
  if (expirationSeconds < MIN_EXPIRATION_SECONDS) {
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [
      {
        type: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        body: `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`,
      },
    ]);
  }
  const audiences =
    Array.isArray(spec.audiences) && spec.audiences.length
      ? (spec.audiences as string[])
      : ['https://kubernetes.default.svc'];
  const now = Math.floor(Date.now() / 1000);
  const expires = now + expirationSeconds;
  const token = issueToken(key, {
    sub: `system:serviceaccount:${namespace}:${name}`,
    uid: account.metadata.uid!,
    iat: now,
    exp: expires,
    aud: audiences,
  });
  sendJson(response, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
    status: { token, expirationTimestamp: kubeTimestamp(new Date(expires * 1000)) },
  });
}
