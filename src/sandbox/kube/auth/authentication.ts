/**
 * Who sent a request: the cluster's admin token (the kubeconfig's user, in system:masters), or a ServiceAccount
 * token — one the TokenRequest API issued (`kubectl create token`), or the legacy token of a
 * `kubernetes.io/service-account-token` Secret (filled in by the token controller) — whose ServiceAccount still
 * exists. Anything else is 401, as the apiserver answers.
 */
import { ADMIN_USER, type UserInfo } from '../admission/webhook-admission.js';
import { unauthorized } from '../api-errors.js';
import type { ObjectStore } from '../storage.js';
import { AUTHENTICATED_GROUP } from './rbac.js';
import { verifyToken } from './token-request.js';

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';

export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, AUTHENTICATED_GROUP],
  };
}

/**
 * The token of an `Authorization: Bearer <token>` header, read as the apiserver reads it: the header trimmed, the
 * scheme in any case, the token the word after it.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  const [scheme, token] = (authorization ?? '').trim().split(' ', 2);
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

export function authenticate(authorization: string | undefined, adminToken: string, store: ObjectStore): UserInfo {
  const token = bearerToken(authorization);
  if (token === undefined) throw unauthorized();
  if (token === adminToken) return ADMIN_USER;
  const requested = verifyToken(adminToken, token, store);
  if (requested) return serviceAccountUser(requested.namespace, requested.name);
  const encoded = Buffer.from(token).toString('base64');
  const secret = store
    .peek('/secrets')
    .find(
      (candidate) =>
        candidate.type === SERVICE_ACCOUNT_TOKEN_TYPE &&
        (candidate.data as { token?: string } | undefined)?.token === encoded,
    );
  const namespace = secret?.metadata.namespace;
  const account = secret?.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION];
  if (!namespace || !account || !store.get('/serviceaccounts', namespace, account)) throw unauthorized();
  return serviceAccountUser(namespace, account);
}
