/**
 * The token controller: a `kubernetes.io/service-account-token` Secret naming an existing ServiceAccount gets a
 * token, the namespace and the account's uid, as Kubernetes fills in a legacy token Secret. The token
 * authenticates as that ServiceAccount (see ../auth/authentication.ts); RBAC decides what it may do.
 */
import { randomBytes } from 'node:crypto';
import { SERVICE_ACCOUNT_NAME_ANNOTATION, SERVICE_ACCOUNT_TOKEN_TYPE } from '../auth/authentication.js';
import { builtinType, type ControllerContext } from './context.js';

const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

export function reconcileServiceAccountTokens({ registry, operations }: ControllerContext): void {
  const secretType = builtinType(registry, '', 'v1', 'secrets');
  const serviceAccountType = builtinType(registry, '', 'v1', 'serviceaccounts');
  for (const secret of operations.list(secretType)) {
    const data = (secret.data ?? {}) as Record<string, string>;
    if (secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE || data.token || secret.metadata.deletionTimestamp) continue;
    const namespace = secret.metadata.namespace!;
    const accountName = secret.metadata.annotations?.[SERVICE_ACCOUNT_NAME_ANNOTATION];
    const account = accountName ? operations.find(serviceAccountType, namespace, accountName) : undefined;
    if (!account) continue;
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    operations.update(secretType, namespace, secret.metadata.name!, {
      ...secret,
      metadata: {
        ...secret.metadata,
        annotations: { ...secret.metadata.annotations, [SERVICE_ACCOUNT_UID_ANNOTATION]: account.metadata.uid! },
      },
      data: { ...data, namespace: base64(namespace), token: base64(randomBytes(32).toString('base64url')) },
    });
  }
}
