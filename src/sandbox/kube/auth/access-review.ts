/**
 * The reviews a user asks about itself: authorization.k8s.io/v1 SelfSubjectAccessReview (`kubectl auth can-i`,
 * `arcmesh check --pre`) and SelfSubjectRulesReview (`kubectl auth can-i --list`), and authentication.k8s.io/v1
 * SelfSubjectReview (`kubectl auth whoami`). All are create-only and never stored: the answer is returned as the
 * created object's status (201).
 */
import type { UserInfo } from '../admission/webhook-admission.js';
import { invalid, methodNotAllowed } from '../api-errors.js';
import type { ResourceRequestContext } from '../handlers/context.js';
import { readObjectBody, sendJson } from '../http.js';
import { isPlainObject } from '../objects.js';
import type { ResourceType } from '../registry.js';
import { authorize, rulesInNamespace, type RequestAttributes } from './rbac.js';

const REVIEW_GROUPS = ['authorization.k8s.io', 'authentication.k8s.io'];

export const isSelfReview = (type: ResourceType): boolean => REVIEW_GROUPS.includes(type.group);

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

function reviewAttributes(type: ResourceType, spec: Record<string, unknown>): RequestAttributes {
  const resourceAttributes = isPlainObject(spec.resourceAttributes)
    ? (spec.resourceAttributes as ResourceAttributes)
    : undefined;
  const nonResource = isPlainObject(spec.nonResourceAttributes)
    ? (spec.nonResourceAttributes as { path?: string; verb?: string })
    : undefined;
  if ((resourceAttributes === undefined) === (nonResource === undefined)) {
    throw invalid(type.kind, type.group, '', [
      {
        type: 'FieldValueInvalid',
        field: 'spec.resourceAttributes',
        body: `Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified`,
      },
    ]);
  }
  if (nonResource) return { verb: nonResource.verb ?? '', path: nonResource.path ?? '' };
  const namespace = text(resourceAttributes!.namespace);
  const subresource = text(resourceAttributes!.subresource);
  const name = text(resourceAttributes!.name);
  return {
    verb: resourceAttributes!.verb ?? '',
    resource: {
      group: resourceAttributes!.group ?? '',
      resource: resourceAttributes!.resource ?? '',
      ...(subresource ? { subresource } : {}),
      ...(namespace ? { namespace } : {}),
      ...(name ? { name } : {}),
    },
  };
}

export async function createSelfReview(context: ResourceRequestContext, user: UserInfo): Promise<void> {
  const { request, response, route, store } = context;
  if (request.method !== 'POST' || route.name !== undefined) throw methodNotAllowed(request.method ?? '');
  const body = await readObjectBody(request);
  const review = isPlainObject(body) ? body : {};
  const spec = isPlainObject(review.spec) ? review.spec : {};
  let status: Record<string, unknown>;
  if (route.type.kind === 'SelfSubjectReview') {
    status = { userInfo: { username: user.username, groups: user.groups } };
  } else if (route.type.kind === 'SelfSubjectRulesReview') {
    const namespace = text(spec.namespace);
    if (!namespace) {
      throw invalid(route.type.kind, route.type.group, '', [
        { type: 'FieldValueRequired', field: 'spec.namespace', body: 'Required value' },
      ]);
    }
    status = { ...rulesInNamespace(store, user, namespace), incomplete: false };
  } else {
    const decision = authorize(store, user, reviewAttributes(route.type, spec));
    status = { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) };
  }
  sendJson(response, 201, {
    kind: route.type.kind,
    apiVersion: `${route.type.group}/${route.type.version}`,
    metadata: { creationTimestamp: null },
    ...(route.type.kind === 'SelfSubjectReview' ? {} : { spec }),
    status,
  });
}
