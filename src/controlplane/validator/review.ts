/**
 * The AdmissionReview v1 exchange of OSM v1.2's `/validate` (pkg/validator/server.go), minus the HTTP: the
 * response copies the request's apiVersion and kind and always carries the request's uid; a refusal is
 * `allowed: false` with the reason as `status.message`, which the API server prints after
 * `admission webhook "osm-validator.k8s.io" denied the request: `. DELETE and CONNECT are admitted (the chart's
 * rules send only CREATE and UPDATE, as OSM's do).
 */
import type { ReviewedObject, Verdict } from './rules.js';

export interface ValidationReviewResponse {
  apiVersion?: string;
  kind?: string;
  response: {
    uid: string;
    allowed: boolean;
    status?: { metadata: Record<string, never>; message: string };
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Answers one AdmissionReview body (parsed JSON) with `validate`'s verdict. */
export function validationReview(
  body: unknown,
  validate: (reviewed: ReviewedObject) => Verdict,
): ValidationReviewResponse {
  const review = isObject(body) ? body : {};
  const typeMeta = {
    ...(typeof review.apiVersion === 'string' && { apiVersion: review.apiVersion }),
    ...(typeof review.kind === 'string' && { kind: review.kind }),
  };
  const request = isObject(review.request) ? review.request : undefined;
  const uid = typeof request?.uid === 'string' ? request.uid : '';
  const answer = (verdict: Verdict): ValidationReviewResponse => ({
    ...typeMeta,
    response: verdict.allowed
      ? { uid, allowed: true }
      : { uid, allowed: false, status: { metadata: {}, message: verdict.message } },
  });
  if (!request) return answer({ allowed: false, message: 'the AdmissionReview has no request' });
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return answer({ allowed: true });
  const kind = isObject(request.kind) ? request.kind : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const object = isObject(request.object) ? request.object : undefined;
  if (!object) return answer({ allowed: false, message: `the ${request.operation} request carries no object` });
  // A namespaced create may reach admission before the object names its namespace: the request says it.
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const namespace = text(metadata.namespace) || text(request.namespace);
  const group = text(kind.group);
  const version = text(kind.version);
  return answer(
    validate({
      group,
      version,
      kind: text(kind.kind),
      object: {
        apiVersion: group ? `${group}/${version}` : version,
        kind: text(kind.kind),
        ...object,
        metadata: { ...metadata, ...(namespace && { namespace }) },
      },
    }),
  );
}
