/**
 * Kubernetes API failures as ArcmeshErrors. The apiserver's own message is kept word for word (users compare it
 * with what kubectl prints); the hint says what to do next.
 */
import { ArcmeshError, type ErrorKind } from '../lib/errors.js';

interface KubeStatus {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { kind?: string; name?: string; causes?: { field?: string; message?: string }[] };
}

/**
 * What kubectl prints for a refused object (reason Invalid): `The <Kind> "<name>" is invalid: <field>: <message>`,
 * one `* ` line per cause when there are several. The apiserver's own message names the kind with its group
 * (`MeshConfig.config.openservicemesh.io "…"`); users compare ours with kubectl's, so kubectl's wording is used.
 */
export function kubectlInvalidMessage(status: KubeStatus): string | undefined {
  const details = status.details;
  if (status.reason !== 'Invalid' || !details?.causes?.length || (!details.kind && !details.name)) return undefined;
  const causes = details.causes.map((cause) =>
    cause.field ? `${cause.field}: ${cause.message ?? ''}` : (cause.message ?? ''),
  );
  const head = `The ${details.kind ?? ''} "${details.name ?? ''}" is invalid: `;
  return causes.length === 1 ? head + causes[0] : `${head}\n${causes.map((cause) => `* ${cause}`).join('\n')}`;
}

function parseStatus(body: unknown): KubeStatus | undefined {
  if (typeof body === 'string') {
    try {
      return parseStatus(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  return body !== null && typeof body === 'object' ? (body as KubeStatus) : undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH']);

export function toKubeError(error: unknown, doing: string): ArcmeshError {
  if (error instanceof ArcmeshError) return error;
  const failure = error as { code?: number | string; body?: unknown; message?: string; cause?: { code?: string } };
  const networkCode = typeof failure.code === 'string' ? failure.code : failure.cause?.code;
  if (networkCode && NETWORK_CODES.has(networkCode)) {
    return new ArcmeshError(
      'failed',
      `Could not reach the Kubernetes API while ${doing} (${networkCode}).`,
      'Check the cluster is up and the kubeconfig context is right (`kubectl cluster-info`); for the sandbox, `arcmesh sandbox status`.',
      { cause: error },
    );
  }
  const status = typeof failure.code === 'number' ? failure.code : undefined;
  const body = parseStatus(failure.body);
  const message = (body && kubectlInvalidMessage(body)) ?? body?.message ?? failure.message ?? String(error);
  let kind: ErrorKind = 'failed';
  let hint: string | undefined;
  if (status === 404) {
    kind = 'notFound';
  } else if (status === 401 || status === 403) {
    hint = 'The kubeconfig credentials are not allowed to do this; check them with `kubectl auth can-i`.';
  } else if (status === 409) {
    hint = 'Someone changed the object at the same time; run the command again.';
  } else if (status === 422) {
    hint = 'Fix the value the message names and run the command again.';
  }
  return new ArcmeshError(kind, message, hint, { cause: error, details: { status, reason: body?.reason } });
}

/** Runs one Kubernetes call, its failure turned into an ArcmeshError that says what was being done. */
export async function kubeCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toKubeError(error, doing);
  }
}
