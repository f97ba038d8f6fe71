/**
 * The AdmissionReview v1 exchange of OSM v1.2's `/mutate-pod-creation` (pkg/injector/webhook.go `mutate`,
 * pkg/webhook/webhook.go `AdmissionError`), minus the HTTP: the response copies the request's TypeMeta; success is
 * `allowed` with the request uid (plus a base64 JSONPatch when injecting); any error is `allowed: false` with the
 * message in `status` (Go's AdmissionResponse.Result), which under failurePolicy Fail rejects the pod.
 *
 * Unlike OSM, a denial carries the request's uid: the API server checks that uid before it reads anything else, so
 * OSM's empty uid makes it report "expected response.uid=…" instead of OSM's message (and, under failurePolicy
 * Ignore, admit the pod without a sidecar).
 */
import { injectionDecision } from './decision.js';
import type { JsonPatchOperation } from './json-patch.js';
import { sidecarPatch, type SidecarPatch, type SidecarSettings } from './patch.js';
import type { NamespaceInfo, Pod } from './pod.js';

export interface AdmissionRequest {
  uid: string;
  namespace?: string;
  object?: unknown;
  dryRun?: boolean;
  [key: string]: unknown;
}

export interface AdmissionReview {
  apiVersion?: string;
  kind?: string;
  request?: AdmissionRequest | null;
  [key: string]: unknown;
}

export interface AdmissionResponseBody {
  uid: string;
  allowed: boolean;
  status?: { metadata: Record<string, never>; message: string };
  patchType?: 'JSONPatch';
  /** base64 of the JSON-encoded RFC 6902 operations. */
  patch?: string;
}

export interface AdmissionReviewResponse {
  apiVersion?: string;
  kind?: string;
  response: AdmissionResponseBody;
}

export type AdmissionOutcome = { allow: true } | { patch: JsonPatchOperation[] } | { deny: string };

export interface PodAdmission {
  pod: Pod;
  /** request.namespace: the pod object's own namespace is usually unset at admission. */
  namespace: string;
  uid: string;
  /** Side effects (the bootstrap Secret) must be skipped; the patch is still returned. */
  dryRun: boolean;
}

export interface AdmissionResult {
  review: AdmissionReviewResponse;
  /** Echoes request.dryRun so the edge knows not to write the Secret even when a patch was returned. */
  dryRun: boolean;
}

function isPod(object: unknown): object is Pod {
  if (typeof object !== 'object' || object === null) return false;
  const spec = (object as { spec?: unknown }).spec;
  return typeof spec === 'object' && spec !== null && Array.isArray((spec as { containers?: unknown }).containers);
}

export async function admissionResponse(
  review: AdmissionReview,
  decide: (admission: PodAdmission) => AdmissionOutcome | Promise<AdmissionOutcome>,
): Promise<AdmissionResult> {
  const typeMeta = {
    ...(review.apiVersion !== undefined && { apiVersion: review.apiVersion }),
    ...(review.kind !== undefined && { kind: review.kind }),
  };
  const request = review.request ?? undefined;
  const dryRun = request?.dryRun === true;
  const fail = (message: string): AdmissionResult => ({
    review: { ...typeMeta, response: { uid: request?.uid ?? '', allowed: false, status: { metadata: {}, message } } },
    dryRun,
  });
  if (request === undefined) return fail('nil admission request');
  if (!isPod(request.object)) {
    return fail('admission request object is not a Pod with spec.containers; only pod CREATE requests are handled');
  }

  const outcome = await decide({ pod: request.object, namespace: request.namespace ?? '', uid: request.uid, dryRun });
  if ('deny' in outcome) return fail(outcome.deny);
  const response: AdmissionResponseBody = { uid: request.uid, allowed: true };
  if ('patch' in outcome) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(outcome.patch)).toString('base64');
  }
  return { review: { ...typeMeta, response }, dryRun };
}

export interface InjectorContext {
  namespace: NamespaceInfo | undefined;
  meshName: string;
  osmNamespace: string;
  settings: SidecarSettings;
  proxyUuid: string;
}

/**
 * The injector's whole decision for one pod: OSM's injection rules, then the sidecar patch. Also returns the
 * patch details (Secret to create or copy, original probes) so the edge can write the bootstrap Secret.
 */
export function injectorOutcome(
  admission: PodAdmission,
  context: InjectorContext,
): { outcome: AdmissionOutcome; sidecar?: SidecarPatch } {
  const decision = injectionDecision({
    pod: admission.pod,
    namespace: context.namespace,
    requestNamespace: admission.namespace,
    meshName: context.meshName,
    osmNamespace: context.osmNamespace,
  });
  if ('deny' in decision) return { outcome: { deny: decision.deny } };
  if (!decision.inject || context.namespace === undefined) return { outcome: { allow: true } };
  const result = sidecarPatch({
    pod: admission.pod,
    namespace: context.namespace,
    settings: context.settings,
    proxyUuid: context.proxyUuid,
  });
  if (!result.ok) return { outcome: { deny: result.message } };
  return { outcome: { patch: result.sidecar.patch }, sidecar: result.sidecar };
}
