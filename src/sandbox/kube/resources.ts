/**
 * The apiserver's object semantics between the HTTP handlers (and controllers) and the store: identity and
 * metadata stamping, optimistic concurrency, generation, status subresource rules, namespace checks, custom
 * resource pruning/defaulting/validation, and graceful deletion with finalizers. Everything that writes goes
 * through here, so a controller's write behaves exactly like a client's.
 */
import { randomUUID } from 'node:crypto';
import {
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
  STALE_OBJECT,
  type FieldError,
} from './api-errors.js';
import { applyBuiltinDefaults } from './builtin-defaults.js';
import { systemClock, type Clock } from './clock.js';
import { cronJobScheduleErrors } from './cron-schedule.js';
import { applyDefaults } from './crd/defaulting.js';
import { validateDefinition } from './crd/definition.js';
import { pruneCustomResource } from './crd/pruning.js';
import { validateAgainstSchema } from './crd/schema.js';
import { listStrategyFor } from './fieldmanager/fieldset.js';
import {
  equalIgnoringManagedFieldsTimes,
  recordUpdate,
  type FieldManagerContext,
  type ManagedFieldsEntry,
} from './fieldmanager/managed-fields.js';
import { deepCopy, deepEqual, isPlainObject, kubeTimestamp, type KubeObject } from './objects.js';
import { apiVersionOf, storageKey, type ResourceType } from './registry.js';
import type { ObjectStore } from './storage.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  /** How unknown fields of a custom resource are treated (the `fieldValidation` query parameter). */
  fieldValidation?: FieldValidation;
  /** Collects the warnings the response carries in `Warning` headers. */
  warnings?: string[];
  /** Who writes (managedFields); the in-process controllers when not given. */
  fieldManager?: string;
  /** managedFields already worked out by server-side apply, recorded as they are. */
  appliedManagedFields?: ManagedFieldsEntry[];
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type DeleteOutcome = { deleted: true; object: KubeObject } | { deleted: false; object: KubeObject };

/** The manager of writes made by the sandbox's own controllers, as the real control plane records them. */
const CONTROLLER_MANAGER = 'kube-controller-manager';
const NAMESPACES = { group: '', plural: 'namespaces' };
const SERVICES = { group: '', plural: 'services' };
const NODE_PORT_RANGE = { first: 30000, last: 32767 };
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const groupResource = (type: ResourceType) => ({ group: type.group, resource: type.plural });

/** Served objects carry the served version's apiVersion; storage holds the storage version's. */
export function asServed(object: KubeObject, type: ResourceType): KubeObject {
  return { ...object, apiVersion: apiVersionOf(type) };
}

export class ResourceOperations {
  constructor(
    private readonly store: ObjectStore,
    /** Stamps creation and deletion times: the cluster's clock. */
    private readonly clock: Clock = systemClock,
  ) {}

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(storageKey(type), this.scope(type, namespace), name);
    if (!found) throw notFound(groupResource(type), name);
    return this.present(found, type);
  }

  find(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.store.get(storageKey(type), this.scope(type, namespace), name);
    return found && this.present(found, type);
  }

  list(type: ResourceType, namespace?: string): KubeObject[] {
    return this.store
      .list(storageKey(type), type.namespaced ? namespace : undefined)
      .map((object) => this.present(object, type));
  }

  /** One page of a list (see ObjectStore.page); the filter sees objects as served. */
  page(
    type: ResourceType,
    namespace: string | undefined,
    options: { after?: string; limit: number; filter: (object: KubeObject) => boolean; revision?: number },
  ): { items: KubeObject[]; remaining: number } {
    const { items, remaining } = this.store.page(storageKey(type), {
      ...options,
      ...(type.namespaced && namespace !== undefined ? { namespace } : {}),
      filter: (stored) => options.filter(this.present(stored, type)),
    });
    return { items: items.map((object) => this.present(object, type)), remaining };
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions = {}): KubeObject {
    const object = this.checkBody(type, namespace, body);
    const metadata = object.metadata;
    if (!metadata.name && metadata.generateName) metadata.name = metadata.generateName + randomSuffix();
    if (!metadata.name) {
      throw invalid(type.kind, type.group, '', [
        {
          type: 'FieldValueRequired',
          field: 'metadata.name',
          body: 'Required value: name or generateName is required',
        },
      ]);
    }
    this.checkName(type, metadata.name);
    if (type.namespaced) this.checkNamespaceAcceptsContent(type, metadata.namespace!, metadata.name);
    if (this.store.get(storageKey(type), metadata.namespace, metadata.name))
      throw alreadyExists(groupResource(type), metadata.name);

    const now = kubeTimestamp(this.clock.now());
    for (const field of ['uid', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields'])
      delete metadata[field];
    metadata.uid = randomUUID();
    metadata.creationTimestamp = now;
    if (type.tracksGeneration) metadata.generation = 1;
    if (type.schema && type.subresources.status) delete object.status;
    applyBuiltinDefaults(type, object);
    if (type.group === '' && type.plural === 'services') {
      this.allocateClusterIp(object);
      this.allocateNodePorts(object);
    }
    this.validateBuiltin(type, object);
    const admitted = this.admitCustomResource(type, object, options);
    admitted.metadata.managedFields =
      options.appliedManagedFields ?? recordUpdate(undefined, admitted, fieldManagerContext(type, options));
    if (options.dryRun) return this.present({ ...admitted, metadata: { ...admitted.metadata } }, type);
    return this.present(this.store.create(storageKey(type), this.toStorage(admitted, type)), type);
  }

  /**
   * Replaces an object (PUT, or the result of a patch). `subresource: 'status'` changes only the status;
   * the main resource never changes the status of a kind with a status subresource.
   */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions & { subresource?: 'status' | 'scale' } = {},
  ): KubeObject {
    const incoming = this.checkBody(type, namespace, body);
    if (incoming.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${incoming.metadata.name ?? ''}) does not match the name on the URL (${name})`,
      );
    }
    const current = this.store.get(storageKey(type), this.scope(type, namespace), name);
    if (!current) throw notFound(groupResource(type), name);
    const requestedVersion = incoming.metadata.resourceVersion;
    if (requestedVersion && requestedVersion !== current.metadata.resourceVersion)
      throw conflict(groupResource(type), name, STALE_OBJECT);

    let next: KubeObject;
    if (options.subresource === 'status') {
      next = { ...deepCopy(current), status: incoming.status };
      if (incoming.status === undefined) delete next.status;
    } else {
      next = incoming;
      if (type.subresources.status) {
        if (current.status === undefined) delete next.status;
        else next.status = deepCopy(current.status);
      }
    }
    // Identity and lifecycle metadata belong to the server.
    for (const field of [
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'generation',
    ] as const) {
      if (current.metadata[field] === undefined) delete next.metadata[field];
      else (next.metadata as Record<string, unknown>)[field] = current.metadata[field];
    }
    if (
      current.metadata.deletionTimestamp &&
      (next.metadata.finalizers?.length ?? 0) > (current.metadata.finalizers?.length ?? 0)
    ) {
      throw invalid(type.kind, type.group, name, [
        {
          type: 'FieldValueForbidden',
          field: 'metadata.finalizers',
          body: 'Forbidden: no new finalizers can be added if the object is being deleted',
        },
      ]);
    }
    applyBuiltinDefaults(type, next);
    if (type.group === '' && type.plural === 'services') {
      keepAllocatedServiceValues(current, next);
      this.allocateClusterIp(next);
      this.allocateNodePorts(next);
    }
    this.validateBuiltin(type, next);
    next = this.admitCustomResource(type, next, options);
    if (type.tracksGeneration && specChanged(current, next))
      next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    next.metadata.managedFields =
      options.appliedManagedFields ?? recordUpdate(current, next, fieldManagerContext(type, options));
    if (equalIgnoringManagedFieldsTimes(this.toStorage(next, type), current)) return this.present(current, type);
    if (options.dryRun) return this.present(next, type);

    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers?.length ?? 0) === 0 &&
      !blocksDeletion(type, next)
    ) {
      return this.present(this.store.remove(storageKey(type), current.metadata.namespace, name)!, type);
    }
    return this.present(this.store.update(storageKey(type), this.toStorage(next, type)), type);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteOutcome {
    const current = this.store.get(storageKey(type), this.scope(type, namespace), name);
    if (!current) throw notFound(groupResource(type), name);
    const { preconditions } = options;
    if (preconditions?.uid && preconditions.uid !== current.metadata.uid) {
      throw conflict(
        groupResource(type),
        name,
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (preconditions?.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        groupResource(type),
        name,
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }

    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (options.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
      finalizers.push('foregroundDeletion');
    if (options.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (finalizers.length === 0 && !blocksDeletion(type, current)) {
      if (options.dryRun) return { deleted: true, object: this.present(current, type) };
      return {
        deleted: true,
        object: this.present(this.store.remove(storageKey(type), current.metadata.namespace, name)!, type),
      };
    }
    // Graceful deletion: the object stays, marked, until its finalizers (or a controller) let it go.
    const marked = deepCopy(current);
    marked.metadata.finalizers = finalizers;
    if (!marked.metadata.deletionTimestamp) {
      marked.metadata.deletionTimestamp = kubeTimestamp(this.clock.now());
      marked.metadata.deletionGracePeriodSeconds = 0;
      if (type.group === '' && type.plural === 'namespaces')
        marked.status = { ...(marked.status as object), phase: 'Terminating' };
    }
    if (deepEqual(marked, current) || options.dryRun) return { deleted: false, object: this.present(marked, type) };
    return { deleted: false, object: this.present(this.store.update(storageKey(type), marked), type) };
  }

  /** Services get a unique cluster IP from 10.0.0.0/16, as the apiserver's allocator gives them. */
  private allocateClusterIp(service: KubeObject): void {
    const spec = service.spec as { type?: string; clusterIP?: string; clusterIPs?: string[] };
    if (spec.type === 'ExternalName' || spec.clusterIP === 'None' || spec.clusterIP) return;
    const used = new Set(
      this.store.list(storageKey(SERVICES)).map((existing) => (existing.spec as { clusterIP?: string }).clusterIP),
    );
    for (let offset = 10; offset < 65_534; offset++) {
      const candidate = `10.0.${Math.floor(offset / 256)}.${offset % 256}`;
      if (!used.has(candidate)) {
        spec.clusterIP = candidate;
        spec.clusterIPs = [candidate];
        return;
      }
    }
  }

  /** NodePort and LoadBalancer services get a free node port (30000-32767) for each port that has none. */
  private allocateNodePorts(service: KubeObject): void {
    const spec = service.spec as { type?: string; ports?: Array<{ nodePort?: number }> };
    if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') return;
    const used = new Set(
      this.store
        .list(storageKey(SERVICES))
        .flatMap((existing) => ((existing.spec as typeof spec).ports ?? []).map((port) => port.nodePort)),
    );
    for (const port of spec.ports ?? []) used.add(port.nodePort);
    let candidate = NODE_PORT_RANGE.first;
    for (const port of spec.ports ?? []) {
      if (port.nodePort) continue;
      while (used.has(candidate) && candidate <= NODE_PORT_RANGE.last) candidate++;
      if (candidate > NODE_PORT_RANGE.last) return;
      port.nodePort = candidate;
      used.add(candidate);
    }
  }

  private scope(type: ResourceType, namespace: string | undefined): string | undefined {
    return type.namespaced ? namespace : undefined;
  }

  private present(stored: KubeObject, type: ResourceType): KubeObject {
    const served = asServed(stored, type);
    return type.schema ? (applyDefaults(served, type.schema) as KubeObject) : served;
  }

  private toStorage(object: KubeObject, type: ResourceType): KubeObject {
    const metadata = { ...object.metadata };
    // ObjectMeta's lists and maps are omitempty in the apiserver's serialisation: empty ones vanish.
    for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences', 'managedFields'] as const) {
      const value = metadata[field];
      if (value !== undefined && (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0))
        delete metadata[field];
    }
    return { ...object, metadata, apiVersion: apiVersionOf({ group: type.group, version: type.storageVersion }) };
  }

  private checkBody(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    if (!isPlainObject(body)) throw badRequest('the object provided is unrecognized (must be of type object)');
    const object = deepCopy(body) as KubeObject;
    const expected = apiVersionOf(type);
    if (object.apiVersion !== undefined && object.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${object.apiVersion}) does not match the expected API version (${expected})`,
      );
    }
    if (object.kind !== undefined && object.kind !== type.kind) {
      throw badRequest(`the kind in the data (${object.kind}) does not match the expected kind (${type.kind})`);
    }
    object.apiVersion = expected;
    object.kind = type.kind;
    if (!isPlainObject(object.metadata)) object.metadata = {};
    if (type.namespaced) {
      if (object.metadata.namespace && object.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      object.metadata.namespace = namespace;
    } else delete object.metadata.namespace;
    return object;
  }

  private checkName(type: ResourceType, name: string): void {
    const errors: FieldError[] = [];
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
      errors.push({
        type: 'FieldValueInvalid',
        field: 'metadata.name',
        body: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      });
    }
    if (errors.length > 0) throw invalid(type.kind, type.group, name, errors);
  }

  private checkNamespaceAcceptsContent(type: ResourceType, namespace: string, name: string): void {
    const namespaceObject = this.store.get(storageKey(NAMESPACES), undefined, namespace);
    if (!namespaceObject) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (namespaceObject.metadata.deletionTimestamp) {
      throw forbidden(
        groupResource(type),
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  /** Kind-specific validation of built-in kinds whose mistakes users commonly make. */
  private validateBuiltin(type: ResourceType, object: KubeObject): void {
    const errors =
      type.group === 'apiextensions.k8s.io' && type.plural === 'customresourcedefinitions'
        ? validateDefinition(object)
        : type.group === 'batch' && type.plural === 'cronjobs'
          ? cronJobScheduleErrors((object.spec ?? {}) as Record<string, unknown>)
          : [];
    if (errors.length > 0) throw invalid(type.kind, type.group, object.metadata.name ?? '', errors);
  }

  /** Pruning, defaulting and structural validation, in the apiserver's order. */
  private admitCustomResource(type: ResourceType, object: KubeObject, options: WriteOptions): KubeObject {
    if (!type.schema) return object;
    const dropped: string[] = [];
    const pruned = pruneCustomResource(object, type.schema, dropped);
    const unknownFields = dropped.map((path) => `unknown field "${path}"`);
    if (unknownFields.length > 0 && options.fieldValidation === 'Strict') {
      throw badRequest(
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${unknownFields.join(', ')}`,
      );
    }
    if (options.fieldValidation !== 'Ignore') options.warnings?.push(...unknownFields);
    const defaulted = applyDefaults(pruned, type.schema) as KubeObject;
    const withoutMetadata = { ...defaulted } as Record<string, unknown>;
    delete withoutMetadata.metadata;
    const schemaWithoutMetadata = { ...type.schema, properties: { ...type.schema.properties } };
    delete schemaWithoutMetadata.properties.metadata;
    const errors = validateAgainstSchema(withoutMetadata, schemaWithoutMetadata);
    if (errors.length > 0) throw invalid(type.kind, type.group, object.metadata.name ?? '', errors);
    return defaulted;
  }
}

export function fieldManagerContext(
  type: ResourceType,
  options: WriteOptions & { subresource?: 'status' | 'scale' },
): FieldManagerContext {
  return {
    manager: options.fieldManager ?? CONTROLLER_MANAGER,
    apiVersion: apiVersionOf(type),
    ...(options.subresource ? { subresource: options.subresource } : {}),
    lookup: listStrategyFor(type),
    ignoreStatus: type.subresources.status && options.subresource !== 'status',
  };
}

/** A namespace is not gone until its spec finalizers (`kubernetes`) are removed by the namespace controller. */
function blocksDeletion(type: ResourceType, object: KubeObject): boolean {
  if (type.group !== '' || type.plural !== 'namespaces') return false;
  const spec = object.spec as { finalizers?: string[] } | undefined;
  return (spec?.finalizers?.length ?? 0) > 0;
}

/** Generation counts changes to anything but metadata and status, as the apiserver's strategies do. */
function specChanged(before: KubeObject, after: KubeObject): boolean {
  const strip = (object: KubeObject): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...object };
    delete copy.metadata;
    delete copy.status;
    delete copy.apiVersion;
    return copy;
  };
  return !deepEqual(strip(before), strip(after));
}

function randomSuffix(): string {
  let suffix = '';
  for (let i = 0; i < 5; i++)
    suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return suffix;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: Array<{ name?: string; nodePort?: number }>;
}

/**
 * An update that omits a service's allocated cluster IP or node ports keeps the ones it had, as the apiserver's
 * patchAllocatedValues does: a re-applied manifest without them must not move the service to new ones. Node
 * ports are matched by port name, and one another port of the new spec already uses is not taken back.
 */
function keepAllocatedServiceValues(previous: KubeObject, next: KubeObject): void {
  const before = (previous.spec ?? {}) as ServiceSpec;
  const after = (next.spec ?? {}) as ServiceSpec;
  if (before.type !== 'ExternalName' && after.type !== 'ExternalName') {
    if (!after.clusterIP && before.clusterIP) after.clusterIP = before.clusterIP;
    if (!after.clusterIPs?.length && before.clusterIPs?.length) after.clusterIPs = [...before.clusterIPs];
  }
  const needsNodePorts = (spec: ServiceSpec): boolean => spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  if (!needsNodePorts(before) || !needsNodePorts(after)) return;
  const previousByName = new Map((before.ports ?? []).map((port) => [port.name ?? '', port.nodePort]));
  const taken = new Set((after.ports ?? []).map((port) => port.nodePort).filter(Boolean));
  for (const port of after.ports ?? []) {
    const kept = previousByName.get(port.name ?? '');
    if (port.nodePort || !kept || taken.has(kept)) continue;
    port.nodePort = kept;
    taken.add(kept);
  }
}
