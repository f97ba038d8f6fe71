/**
 * Dynamic admission: every write is offered to the matching mutating webhooks (one after another, each
 * returned JSONPatch applied, with the reinvocation policy honoured), then to the matching validating webhooks
 * (together), with AdmissionReview v1.
 * Writes go through here — from clients and from the controllers that create pods — and reach the store only
 * when admitted. With no webhook configured, a write goes straight to the resource operations.
 */
import { randomUUID } from 'node:crypto';
import { KubeApiError } from '../api-errors.js';
import { deepEqual, type KubeObject } from '../objects.js';
import { applyJsonPatch } from '../patch/json-patch.js';
import type { ResourceRegistry, ResourceType } from '../registry.js';
import type { DeleteOptions, DeleteOutcome, ResourceOperations, WriteOptions } from '../resources.js';
import { serviceBackends } from '../../node/layout.js';
import { callWebhook, WebhookCallError, type AdmissionResponse, type ServiceRouter } from './webhook-client.js';
import { webhookMatches, type AdmissionOperation, type AdmissionTarget, type WebhookSpec } from './webhook-rules.js';

export interface UserInfo {
  username: string;
  groups: string[];
}

/** The identity of a request made with a cluster's admin token. */
export const ADMIN_USER: UserInfo = { username: 'sandbox-admin', groups: ['system:masters', 'system:authenticated'] };
/** The identity of the in-process controllers. */
export const CONTROLLER_USER: UserInfo = {
  username: 'system:kube-controller-manager',
  groups: ['system:authenticated'],
};

const ADMISSION_GROUP = 'admissionregistration.k8s.io';

interface Request {
  operation: AdmissionOperation;
  type: ResourceType;
  subresource?: string;
  namespace?: string;
  name: string;
  object?: KubeObject;
  oldObject?: KubeObject;
  dryRun: boolean;
  userInfo: UserInfo;
  options?: Record<string, unknown>;
}

type UpdateOptions = WriteOptions & { subresource?: 'status' | 'scale' };

export class WebhookAdmission {
  constructor(
    private readonly operations: ResourceOperations,
    private readonly registry: ResourceRegistry,
  ) {}

  async create(
    type: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions,
    userInfo: UserInfo,
  ): Promise<KubeObject> {
    if (!this.applies(type)) return this.operations.create(type, namespace, body, options);
    const candidate = this.operations.create(type, namespace, body, { ...options, dryRun: true, warnings: [] });
    const admitted = await this.admit(
      {
        operation: 'CREATE',
        type,
        ...(namespace ? { namespace } : {}),
        name: candidate.metadata.name!,
        object: candidate,
        dryRun: options.dryRun ?? false,
        userInfo,
        options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: options.fieldManager },
      },
      options,
    );
    return this.operations.create(type, namespace, admitted, options);
  }

  async update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: UpdateOptions,
    userInfo: UserInfo,
  ): Promise<KubeObject> {
    if (!this.applies(type)) return this.operations.update(type, namespace, name, body, options);
    const oldObject = this.operations.get(type, namespace, name);
    const candidate = this.operations.update(type, namespace, name, body, { ...options, dryRun: true, warnings: [] });
    const admitted = await this.admit(
      {
        operation: 'UPDATE',
        type,
        ...(options.subresource ? { subresource: options.subresource } : {}),
        ...(namespace ? { namespace } : {}),
        name,
        object: candidate,
        oldObject,
        dryRun: options.dryRun ?? false,
        userInfo,
        options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', fieldManager: options.fieldManager },
      },
      options,
    );
    // Written against the version admission saw: a change in between is a conflict, not lost.
    admitted.metadata.resourceVersion = oldObject.metadata.resourceVersion;
    return this.operations.update(type, namespace, name, admitted, options);
  }

  async delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
    userInfo: UserInfo,
  ): Promise<DeleteOutcome> {
    if (this.applies(type)) {
      const oldObject = this.operations.get(type, namespace, name);
      await this.admit(
        {
          operation: 'DELETE',
          type,
          ...(namespace ? { namespace } : {}),
          name,
          oldObject,
          dryRun: options.dryRun ?? false,
          userInfo,
          options: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1' },
        },
        options,
      );
    }
    return this.operations.delete(type, namespace, name, options);
  }

  /** Webhook configurations are never themselves subject to webhooks (so a broken one can be removed). */
  private applies(type: ResourceType): boolean {
    if (type.group === ADMISSION_GROUP) return false;
    return (
      this.webhooks('mutatingwebhookconfigurations').length > 0 ||
      this.webhooks('validatingwebhookconfigurations').length > 0
    );
  }

  private webhooks(plural: string): WebhookSpec[] {
    const type = this.registry.lookup(ADMISSION_GROUP, 'v1', plural)!;
    return this.operations
      .list(type)
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))
      .flatMap((configuration) => (configuration.webhooks as WebhookSpec[] | undefined) ?? []);
  }

  /**
   * Mutating webhooks one after another, then the validating ones on the result. A webhook with
   * `reinvocationPolicy: IfNeeded` is called once more, after the first round, when a webhook after it changed
   * the object; there is only that one extra round, as in the apiserver.
   */
  private async admit(request: Request, options: WriteOptions): Promise<KubeObject> {
    let object = request.object;
    /** Calls a mutating webhook; whether it was called, and whether its patch changed the object. */
    const mutate = async (webhook: WebhookSpec): Promise<{ called: boolean; changed: boolean }> => {
      const response = await this.call(webhook, { ...request, ...(object ? { object } : {}) });
      if (!response) return { called: false, changed: false };
      options.warnings?.push(...(response.warnings ?? []));
      if (!response.patch || !object) return { called: true, changed: false };
      const patched = applyWebhookPatch(webhook, object, response);
      const changed = patched !== object;
      object = patched;
      return { called: true, changed };
    };
    const mutating = this.webhooks('mutatingwebhookconfigurations');
    const reinvocable: WebhookSpec[] = [];
    const reinvoke = new Set<WebhookSpec>();
    for (const webhook of mutating) {
      const { called, changed } = await mutate(webhook);
      if (changed) reinvocable.forEach((earlier) => reinvoke.add(earlier));
      if (called && webhook.reinvocationPolicy === 'IfNeeded') reinvocable.push(webhook);
    }
    for (const webhook of mutating) if (reinvoke.has(webhook)) await mutate(webhook);

    const validating = this.webhooks('validatingwebhookconfigurations');
    const responses = await Promise.all(
      validating.map((webhook) => this.call(webhook, { ...request, ...(object ? { object } : {}) })),
    );
    for (const response of responses) options.warnings?.push(...(response?.warnings ?? []));
    return object ?? request.oldObject!;
  }

  /** A Service's ready backends on the node, as kube-proxy would route the apiserver's call to them. */
  private readonly routeToService: ServiceRouter = (namespace, name, port) => {
    const service = this.operations.find(this.registry.lookup('', 'v1', 'services')!, namespace, name);
    if (!service) return undefined;
    return serviceBackends(
      service,
      this.operations.find(this.registry.lookup('', 'v1', 'endpoints')!, namespace, name),
      port,
    );
  };

  /** One webhook's answer to a request it matches; undefined when it does not match or is ignored on failure. */
  private async call(webhook: WebhookSpec, request: Request): Promise<AdmissionResponse | undefined> {
    if (!webhookMatches(webhook, this.target(request))) return undefined;
    if (request.dryRun && webhook.sideEffects !== 'None' && webhook.sideEffects !== 'NoneOnDryRun')
      throw new KubeApiError(400, 'BadRequest', `admission webhook "${webhook.name}" does not support dry run`);
    const uid = randomUUID();
    let response: AdmissionResponse;
    try {
      response = await callWebhook(webhook, this.review(uid, request), this.routeToService);
      if (response.uid !== uid) throw new WebhookCallError(`expected response.uid="${uid}", got "${response.uid}"`);
    } catch (error) {
      if (!(error instanceof WebhookCallError)) throw error;
      if (webhook.failurePolicy === 'Ignore') return undefined;
      throw new KubeApiError(
        500,
        'InternalError',
        `Internal error occurred: failed calling webhook "${webhook.name}": ${error.message}`,
      );
    }
    if (!response.allowed) throw denial(webhook.name, response.status);
    return response;
  }

  private target(request: Request): AdmissionTarget {
    const { type } = request;
    let namespaceLabels: Record<string, string> | undefined;
    if (type.group === '' && type.plural === 'namespaces')
      namespaceLabels = (request.object ?? request.oldObject)?.metadata.labels ?? {};
    else if (type.namespaced) {
      const namespaces = this.registry.lookup('', 'v1', 'namespaces')!;
      namespaceLabels = this.operations.find(namespaces, undefined, request.namespace!)?.metadata.labels ?? {};
    }
    return {
      operation: request.operation,
      group: type.group,
      version: type.version,
      resource: type.plural,
      subresource: request.subresource ?? '',
      namespaced: type.namespaced,
      ...(request.object ? { object: request.object } : {}),
      ...(request.oldObject ? { oldObject: request.oldObject } : {}),
      ...(namespaceLabels ? { namespaceLabels } : {}),
    };
  }

  private review(uid: string, request: Request): Record<string, unknown> {
    const { type } = request;
    const kind = { group: type.group, version: type.version, kind: type.kind };
    const resource = { group: type.group, version: type.version, resource: type.plural };
    return {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind,
        resource,
        ...(request.subresource ? { subResource: request.subresource, requestSubResource: request.subresource } : {}),
        requestKind: kind,
        requestResource: resource,
        name: request.name,
        ...(request.namespace ? { namespace: request.namespace } : {}),
        operation: request.operation,
        userInfo: request.userInfo,
        object: request.object ?? null,
        oldObject: request.oldObject ?? null,
        dryRun: request.dryRun,
        options: request.options ?? null,
      },
    };
  }
}

function applyWebhookPatch(webhook: WebhookSpec, object: KubeObject, response: AdmissionResponse): KubeObject {
  if (response.patchType !== 'JSONPatch')
    throw new KubeApiError(
      500,
      'InternalError',
      `Internal error occurred: failed calling webhook "${webhook.name}": unsupported patch type "${response.patchType ?? ''}"`,
    );
  const patched = applyJsonPatch(
    object,
    JSON.parse(Buffer.from(response.patch!, 'base64').toString('utf8')),
  ) as KubeObject;
  return deepEqual(patched, object) ? object : patched;
}

/** The apiserver's error for a webhook's refusal (never below 400, never a success). */
function denial(name: string, status: AdmissionResponse['status']): KubeApiError {
  const deniedBy = `admission webhook "${name}" denied the request`;
  const message = status?.message
    ? `${deniedBy}: ${status.message}`
    : status?.reason
      ? `${deniedBy}: ${status.reason}`
      : `${deniedBy} without explanation`;
  const code = status?.code !== undefined && status.code >= 400 ? status.code : 400;
  return new KubeApiError(code, status?.reason ?? '', message);
}
