/**
 * Kubernetes `Status` failures with the reasons, codes and message texts the real apiserver sends, because
 * kubectl and client libraries branch on `reason` and print `message` verbatim.
 */

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  /** A list's metadata: an expired continue token's answer carries a token that goes on from the latest state. */
  metadata: { continue?: string };
  status: 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly listMetadata?: { continue?: string },
  ) {
    super(message);
  }

  toStatus(): StatusBody {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.listMetadata ?? {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** What an error names: the plural resource and group (`deployments.apps`), as in the apiserver's messages. */
export interface GroupResource {
  group: string;
  resource: string;
}

export const qualifiedResource = ({ group, resource }: GroupResource): string =>
  group ? `${resource}.${group}` : resource;

export function notFound(target: GroupResource, name: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${qualifiedResource(target)} "${name}" not found`, {
    name,
    group: target.group,
    kind: target.resource,
  });
}

export function alreadyExists(target: GroupResource, name: string): KubeApiError {
  return new KubeApiError(409, 'AlreadyExists', `${qualifiedResource(target)} "${name}" already exists`, {
    name,
    group: target.group,
    kind: target.resource,
  });
}

export function conflict(target: GroupResource, name: string, why: string): KubeApiError {
  return new KubeApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(target)} "${name}": ${why}`,
    {
      name,
      group: target.group,
      kind: target.resource,
    },
  );
}

export const STALE_OBJECT =
  'the object has been modified; please apply your changes to the latest version and try again';

/** One field error, formatted as apimachinery's field.Error does (`path: Invalid value: <value>: detail`). */
export interface FieldError {
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueTypeInvalid'
    | 'FieldValueNotSupported'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate'
    | 'FieldValueTooLong';
  field: string;
  /** The text after the field path, e.g. `Invalid value: "string": must be boolean`. */
  body: string;
}

export function invalid(kind: string, group: string, name: string, errors: FieldError[]): KubeApiError {
  const texts = errors.map((error) => `${error.field}: ${error.body}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new KubeApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    name,
    group,
    kind,
    causes: errors.map((error) => ({ reason: error.type, message: error.body, field: error.field })),
  });
}

export function badRequest(message: string): KubeApiError {
  return new KubeApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(method: string): KubeApiError {
  return new KubeApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {
    causes: [{ reason: 'UnexpectedServerResponse', message: `${method} is not supported` }],
  });
}

export function forbidden(target: GroupResource, name: string, why: string): KubeApiError {
  const subject = name ? `${qualifiedResource(target)} "${name}"` : qualifiedResource(target);
  return new KubeApiError(403, 'Forbidden', `${subject} is forbidden: ${why}`, {
    ...(name ? { name } : {}),
    group: target.group,
    kind: target.resource,
  });
}

export function unauthorized(): KubeApiError {
  return new KubeApiError(401, 'Unauthorized', 'Unauthorized');
}

export function gone(message: string, listMetadata?: { continue?: string }): KubeApiError {
  return new KubeApiError(410, 'Expired', message, undefined, listMetadata);
}

export function unsupportedMediaType(contentType: string, accepted: string[]): KubeApiError {
  return new KubeApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnexpectedServerResponse', message: `content type ${contentType} is not supported yet` }] },
  );
}

export function pageNotFound(path: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', {
    causes: [{ reason: 'UnexpectedServerResponse', message: `404 page not found: ${path}` }],
  });
}

export function notAcceptable(): KubeApiError {
  return new KubeApiError(406, 'NotAcceptable', 'only the following media types are accepted: application/json');
}

/** Server-side apply's 409: the fields another manager owns with a different value, as the apiserver words it. */
export function applyConflict(conflicts: Array<{ manager: string; field: string }>): KubeApiError {
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${conflicts[0]!.manager}: ${conflicts[0]!.field}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const { manager, field } of conflicts) byManager.set(manager, [...(byManager.get(manager) ?? []), field]);
    const lines = [...byManager.keys()]
      .sort()
      .flatMap((manager) => [`conflicts with ${manager}:`, ...byManager.get(manager)!.map((field) => `- ${field}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new KubeApiError(409, 'Conflict', message, {
    causes: conflicts.map(({ manager, field }) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${manager}`,
      field,
    })),
  });
}
