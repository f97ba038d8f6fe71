/**
 * Managed identities as ARM fills them in: the client sends the type, the service answers with the principal
 * and tenant of a system-assigned identity (read-only), and keeps that principal while the type stays the same.
 */
import { randomUUID } from 'node:crypto';
import { SANDBOX_TENANT_ID } from './contract.js';
import { isRecord } from './http.js';

export function assignedIdentity(sent: unknown, current: unknown): unknown {
  if (!isRecord(sent)) return current;
  const type = typeof sent.type === 'string' ? sent.type : '';
  if (!/systemassigned/i.test(type)) return { ...sent, principalId: null, tenantId: null };
  const existing = isRecord(current) ? current : {};
  const kept = existing.type === sent.type && typeof existing.principalId === 'string';
  return {
    ...sent,
    principalId: kept ? existing.principalId : randomUUID(),
    tenantId: kept ? existing.tenantId : SANDBOX_TENANT_ID,
  };
}
