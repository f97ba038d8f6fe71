/**
 * `meta.k8s.io/v1 Table` answers for `kubectl get`: the columns the apiserver's printers give the built-in
 * kinds this product shows, a custom resource's additionalPrinterColumns (evaluated with their simple
 * JSONPath), and NAME/AGE for everything else.
 */
import { isPlainObject, type KubeObject } from '../objects.js';
import type { PrinterColumn, ResourceType } from '../registry.js';

export function acceptsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

interface TableColumn {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  description?: string;
  cell(object: KubeObject): unknown;
}

function humanAge(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** Evaluates the `.a.b[0].c` subset of JSONPath that printer columns use. */
function evaluateColumnPath(object: unknown, jsonPath: string): unknown {
  const tokens =
    jsonPath
      .replace(/^\{?\.?/, '')
      .replace(/\}$/, '')
      .match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let current: unknown = object;
  for (const token of tokens) {
    if (current === null || typeof current !== 'object') return undefined;
    current = token.startsWith('[')
      ? (current as unknown[])[Number(token.slice(1, -1))]
      : (current as Record<string, unknown>)[token];
  }
  return current;
}

const field = (object: unknown, path: string): unknown => evaluateColumnPath(object, path);
const count = (value: unknown): number =>
  Array.isArray(value) ? value.length : isPlainObject(value) ? Object.keys(value).length : 0;
const numberAt = (object: unknown, path: string): number => {
  const value = field(object, path);
  return typeof value === 'number' ? value : 0;
};

const NAME: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (object) => object.metadata.name,
};
const AGE: TableColumn = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (object) => humanAge(object.metadata.creationTimestamp),
};
const CREATED_AT: TableColumn = {
  name: 'Created At',
  type: 'date',
  cell: (object) => object.metadata.creationTimestamp,
};

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const reason = field(pod, '.status.reason');
  if (typeof reason === 'string' && reason) return reason;
  const phase = field(pod, '.status.phase');
  let status = typeof phase === 'string' ? phase : 'Pending';
  // As kubectl's printer: a container's waiting or terminated reason says more than the phase.
  const containers = field(pod, '.status.containerStatuses');
  for (const container of Array.isArray(containers) ? containers : []) {
    const state = (container as { state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }).state;
    status = state?.waiting?.reason ?? state?.terminated?.reason ?? status;
  }
  return status;
}

/** As kubectl's printer: the load balancer's addresses (or `<pending>`), external IPs, or the external name. */
function serviceExternalIp(service: KubeObject): string {
  const spec = (service.spec ?? {}) as { type?: string; externalIPs?: string[]; externalName?: string };
  const externalIps = spec.externalIPs ?? [];
  if (spec.type === 'ExternalName') return spec.externalName ?? '';
  if (spec.type !== 'LoadBalancer') return externalIps.length > 0 ? externalIps.join(',') : '<none>';
  const ingress = field(service, '.status.loadBalancer.ingress');
  const addresses = (Array.isArray(ingress) ? ingress : [])
    .map((entry: { ip?: string; hostname?: string }) => entry.ip ?? entry.hostname ?? '')
    .filter(Boolean);
  const all = [...addresses, ...externalIps];
  return all.length > 0 ? all.join(',') : '<pending>';
}

function servicePorts(service: KubeObject): string {
  const ports = field(service, '.spec.ports');
  if (!Array.isArray(ports) || ports.length === 0) return '<none>';
  return ports
    .map((port: { port?: number; nodePort?: number; protocol?: string }) =>
      port.nodePort
        ? `${port.port}:${port.nodePort}/${port.protocol ?? 'TCP'}`
        : `${port.port}/${port.protocol ?? 'TCP'}`,
    )
    .join(',');
}

/** kubectl's duration between two times (`45s`, `3m20s`, `5h`), as the Job printer shows it. */
function humanDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

function jobStatus(job: KubeObject): string {
  const conditions = field(job, '.status.conditions');
  const holds = (type: string) =>
    Array.isArray(conditions) &&
    conditions.some(
      (condition: { type?: string; status?: string }) => condition.type === type && condition.status === 'True',
    );
  if (holds('Complete')) return 'Complete';
  if (holds('Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (holds('Suspended')) return 'Suspended';
  if (holds('FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobDuration(job: KubeObject): string {
  const start = field(job, '.status.startTime');
  if (typeof start !== 'string') return '';
  const end = field(job, '.status.completionTime');
  return humanDuration((typeof end === 'string' ? Date.parse(end) : Date.now()) - Date.parse(start));
}

/** At most three entries, then ` + N more...`, as kubectl's printers shorten lists. */
function firstThree(entries: string[], total = entries.length): string {
  const shown = entries.slice(0, 3).join(',');
  return total > 3 ? `${shown} + ${total - 3} more...` : shown;
}

function endpointAddresses(endpoints: KubeObject): string {
  const subsets = (endpoints.subsets ?? []) as Array<{
    addresses?: Array<{ ip: string }>;
    ports?: Array<{ port: number }>;
  }>;
  if (subsets.length === 0) return '<none>';
  const entries = subsets.flatMap(({ addresses = [], ports = [] }) =>
    ports.length === 0
      ? addresses.map((address) => address.ip)
      : ports.flatMap((port) => addresses.map((address) => `${address.ip}:${port.port}`)),
  );
  return firstThree(entries);
}

function sliceColumn(slice: KubeObject, listField: 'ports' | 'endpoints'): string {
  const list = (slice[listField] ?? []) as Array<{ port?: number; addresses?: string[] }>;
  if (list.length === 0) return '<unset>';
  const entries =
    listField === 'ports'
      ? list.map((port) => (port.port === undefined ? '<unset>' : String(port.port)))
      : list.flatMap((endpoint) => endpoint.addresses ?? []);
  return firstThree(entries);
}

const roleReference = (binding: KubeObject): string => {
  const roleRef = (binding.roleRef ?? {}) as { kind?: string; name?: string };
  return `${roleRef.kind ?? ''}/${roleRef.name ?? ''}`;
};

function autoscalerTargets(autoscaler: KubeObject): string {
  const metrics = field(autoscaler, '.spec.metrics');
  if (!Array.isArray(metrics) || metrics.length === 0) return '<none>';
  const entries = metrics.map(
    (metric: {
      type?: string;
      resource?: { name?: string; target?: { averageValue?: string; averageUtilization?: number } };
    }) => {
      if (metric.type !== 'Resource' || !metric.resource) return '<unknown>/<unknown>';
      const { name = '', target = {} } = metric.resource;
      if (target.averageValue !== undefined) return `${name}: <unknown>/${target.averageValue}`;
      return `${name}: <unknown>/${target.averageUtilization === undefined ? '<auto>' : `${target.averageUtilization}%`}`;
    },
  );
  return firstThree(entries);
}

const orNotApplicable = (value: unknown): unknown => value ?? 'N/A';

/** As kubectl's node printer: Ready, NotReady or Unknown from the Ready condition, then SchedulingDisabled. */
function nodeStatus(node: KubeObject): string {
  const conditions = field(node, '.status.conditions');
  const ready = (Array.isArray(conditions) ? conditions : []).find(
    (condition: { type?: string }) => condition.type === 'Ready',
  ) as { status?: string } | undefined;
  const statuses = [ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown'];
  if (field(node, '.spec.unschedulable') === true) statuses.push('SchedulingDisabled');
  return statuses.join(',');
}

/** The roles a node's labels give it (`node-role.kubernetes.io/<role>`, `kubernetes.io/role`), or `<none>`. */
function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) roles.add(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return roles.size > 0 ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(node: KubeObject, type: string): string {
  const addresses = field(node, '.status.addresses');
  const found = (Array.isArray(addresses) ? addresses : []).find(
    (address: { type?: string }) => address.type === type,
  ) as { address?: string } | undefined;
  return found?.address ?? '<none>';
}

const nodeInfo = (key: string) => (node: KubeObject) => field(node, `.status.nodeInfo.${key}`) ?? '<unknown>';

const eventAge = (event: KubeObject, field: 'lastTimestamp' | 'firstTimestamp'): string =>
  humanAge(
    (event[field] as string | undefined) ?? (event.eventTime as string | undefined) ?? event.metadata.creationTimestamp,
  );

/** Events are printed without NAME first: what happened, to what, and when (the name only with -o wide). */
const EVENT_COLUMNS: TableColumn[] = [
  { name: 'Last Seen', type: 'string', cell: (event) => eventAge(event, 'lastTimestamp') },
  { name: 'Type', type: 'string', cell: (event) => event.type ?? '' },
  { name: 'Reason', type: 'string', cell: (event) => event.reason ?? '' },
  {
    name: 'Object',
    type: 'string',
    cell: (event) =>
      `${String(field(event, '.involvedObject.kind') ?? '').toLowerCase()}/${String(field(event, '.involvedObject.name') ?? '')}`,
  },
  { name: 'Subobject', type: 'string', priority: 1, cell: (event) => field(event, '.involvedObject.fieldPath') ?? '' },
  {
    name: 'Source',
    type: 'string',
    priority: 1,
    cell: (event) =>
      [field(event, '.source.component'), field(event, '.source.host')].filter((part) => part).join(', '),
  },
  { name: 'Message', type: 'string', cell: (event) => event.message ?? '' },
  { name: 'First Seen', type: 'string', priority: 1, cell: (event) => eventAge(event, 'firstTimestamp') },
  { name: 'Count', type: 'string', priority: 1, cell: (event) => String(event.count ?? 1) },
  { ...NAME, priority: 1 },
];

/** The server-side printer columns of the built-in kinds, between NAME and AGE (or CREATED AT). */
/** `trailing` is the last column, AGE unless given; null when the columns place AGE themselves. */
const BUILTIN_COLUMNS: Record<string, { columns: TableColumn[]; trailing?: TableColumn | null }> = {
  Namespace: { columns: [{ name: 'Status', type: 'string', cell: (object) => field(object, '.status.phase') ?? '' }] },
  ConfigMap: {
    columns: [{ name: 'Data', type: 'integer', cell: (object) => count(object.data) + count(object.binaryData) }],
  },
  Secret: {
    columns: [
      { name: 'Type', type: 'string', cell: (object) => object.type ?? 'Opaque' },
      { name: 'Data', type: 'integer', cell: (object) => count(object.data) },
    ],
  },
  ServiceAccount: { columns: [{ name: 'Secrets', type: 'string', cell: (object) => count(object.secrets) }] },
  Node: {
    columns: [
      { name: 'Status', type: 'string', cell: nodeStatus },
      { name: 'Roles', type: 'string', cell: nodeRoles },
      AGE,
      { name: 'Version', type: 'string', cell: nodeInfo('kubeletVersion') },
      { name: 'Internal-IP', type: 'string', priority: 1, cell: (node) => nodeAddress(node, 'InternalIP') },
      { name: 'External-IP', type: 'string', priority: 1, cell: (node) => nodeAddress(node, 'ExternalIP') },
      { name: 'OS-Image', type: 'string', priority: 1, cell: nodeInfo('osImage') },
      { name: 'Kernel-Version', type: 'string', priority: 1, cell: nodeInfo('kernelVersion') },
      { name: 'Container-Runtime', type: 'string', priority: 1, cell: nodeInfo('containerRuntimeVersion') },
    ],
    trailing: null,
  },
  Service: {
    columns: [
      { name: 'Type', type: 'string', cell: (object) => field(object, '.spec.type') ?? 'ClusterIP' },
      { name: 'Cluster-IP', type: 'string', cell: (object) => field(object, '.spec.clusterIP') ?? '<none>' },
      { name: 'External-IP', type: 'string', cell: serviceExternalIp },
      { name: 'Port(s)', type: 'string', cell: servicePorts },
    ],
  },
  Pod: {
    columns: [
      {
        name: 'Ready',
        type: 'string',
        cell: (pod) => {
          const statuses = field(pod, '.status.containerStatuses');
          const ready = Array.isArray(statuses)
            ? statuses.filter((status: { ready?: boolean }) => status.ready).length
            : 0;
          return `${ready}/${count(field(pod, '.spec.containers'))}`;
        },
      },
      { name: 'Status', type: 'string', cell: podStatus },
      {
        name: 'Restarts',
        type: 'string',
        cell: (pod) => {
          const statuses = field(pod, '.status.containerStatuses');
          return String(
            Array.isArray(statuses)
              ? statuses.reduce((sum: number, status: { restartCount?: number }) => sum + (status.restartCount ?? 0), 0)
              : 0,
          );
        },
      },
    ],
  },
  Deployment: {
    columns: [
      {
        name: 'Ready',
        type: 'string',
        cell: (object) => `${numberAt(object, '.status.readyReplicas')}/${numberAt(object, '.spec.replicas')}`,
      },
      { name: 'Up-to-date', type: 'integer', cell: (object) => numberAt(object, '.status.updatedReplicas') },
      { name: 'Available', type: 'integer', cell: (object) => numberAt(object, '.status.availableReplicas') },
    ],
  },
  ReplicaSet: {
    columns: [
      { name: 'Desired', type: 'integer', cell: (object) => numberAt(object, '.spec.replicas') },
      { name: 'Current', type: 'integer', cell: (object) => numberAt(object, '.status.replicas') },
      { name: 'Ready', type: 'integer', cell: (object) => numberAt(object, '.status.readyReplicas') },
    ],
  },
  StatefulSet: {
    columns: [
      {
        name: 'Ready',
        type: 'string',
        cell: (object) => `${numberAt(object, '.status.readyReplicas')}/${numberAt(object, '.spec.replicas')}`,
      },
    ],
  },
  Job: {
    columns: [
      { name: 'Status', type: 'string', cell: jobStatus },
      {
        name: 'Completions',
        type: 'string',
        cell: (job) => `${numberAt(job, '.status.succeeded')}/${numberAt(job, '.spec.completions')}`,
      },
      { name: 'Duration', type: 'string', cell: jobDuration },
    ],
  },
  CronJob: {
    columns: [
      { name: 'Schedule', type: 'string', cell: (cronJob) => field(cronJob, '.spec.schedule') ?? '' },
      { name: 'Timezone', type: 'string', cell: (cronJob) => field(cronJob, '.spec.timeZone') ?? '<none>' },
      { name: 'Suspend', type: 'boolean', cell: (cronJob) => (field(cronJob, '.spec.suspend') ? 'True' : 'False') },
      { name: 'Active', type: 'integer', cell: (cronJob) => count(field(cronJob, '.status.active')) },
      {
        name: 'Last Schedule',
        type: 'string',
        cell: (cronJob) => {
          const last = field(cronJob, '.status.lastScheduleTime');
          return typeof last === 'string' ? humanAge(last) : '<none>';
        },
      },
    ],
  },
  DaemonSet: {
    columns: [
      { name: 'Desired', type: 'integer', cell: (object) => numberAt(object, '.status.desiredNumberScheduled') },
      { name: 'Current', type: 'integer', cell: (object) => numberAt(object, '.status.currentNumberScheduled') },
      { name: 'Ready', type: 'integer', cell: (object) => numberAt(object, '.status.numberReady') },
      { name: 'Up-to-date', type: 'integer', cell: (object) => numberAt(object, '.status.updatedNumberScheduled') },
      { name: 'Available', type: 'integer', cell: (object) => numberAt(object, '.status.numberAvailable') },
      {
        name: 'Node Selector',
        type: 'string',
        cell: (object) => {
          const selector = field(object, '.spec.template.spec.nodeSelector');
          const pairs = isPlainObject(selector)
            ? Object.entries(selector).map(([key, value]) => `${key}=${String(value)}`)
            : [];
          return pairs.length > 0 ? pairs.sort().join(',') : '<none>';
        },
      },
    ],
  },
  ControllerRevision: {
    columns: [
      {
        name: 'Controller',
        type: 'string',
        cell: (revision) => {
          const owner = revision.metadata.ownerReferences?.find((reference) => reference.controller);
          if (!owner) return '<none>';
          const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
          return `${owner.kind.toLowerCase()}${group ? `.${group}` : ''}/${owner.name}`;
        },
      },
      { name: 'Revision', type: 'integer', cell: (revision) => revision.revision ?? 0 },
    ],
  },
  Endpoints: { columns: [{ name: 'Endpoints', type: 'string', cell: endpointAddresses }] },
  EndpointSlice: {
    columns: [
      { name: 'AddressType', type: 'string', cell: (slice) => slice.addressType ?? '' },
      { name: 'Ports', type: 'string', cell: (slice) => sliceColumn(slice, 'ports') },
      { name: 'Endpoints', type: 'string', cell: (slice) => sliceColumn(slice, 'endpoints') },
    ],
  },
  Lease: { columns: [{ name: 'Holder', type: 'string', cell: (lease) => field(lease, '.spec.holderIdentity') ?? '' }] },
  RoleBinding: { columns: [{ name: 'Role', type: 'string', cell: roleReference }] },
  ClusterRoleBinding: { columns: [{ name: 'Role', type: 'string', cell: roleReference }] },
  PodDisruptionBudget: {
    columns: [
      { name: 'Min Available', type: 'string', cell: (pdb) => orNotApplicable(field(pdb, '.spec.minAvailable')) },
      { name: 'Max Unavailable', type: 'string', cell: (pdb) => orNotApplicable(field(pdb, '.spec.maxUnavailable')) },
      { name: 'Allowed Disruptions', type: 'integer', cell: (pdb) => numberAt(pdb, '.status.disruptionsAllowed') },
    ],
  },
  HorizontalPodAutoscaler: {
    columns: [
      {
        name: 'Reference',
        type: 'string',
        cell: (hpa) =>
          `${String(field(hpa, '.spec.scaleTargetRef.kind') ?? '')}/${String(field(hpa, '.spec.scaleTargetRef.name') ?? '')}`,
      },
      { name: 'Targets', type: 'string', cell: autoscalerTargets },
      { name: 'MinPods', type: 'string', cell: (hpa) => field(hpa, '.spec.minReplicas') ?? '<unset>' },
      { name: 'MaxPods', type: 'integer', cell: (hpa) => numberAt(hpa, '.spec.maxReplicas') },
      { name: 'Replicas', type: 'integer', cell: (hpa) => numberAt(hpa, '.status.currentReplicas') },
    ],
  },
  MutatingWebhookConfiguration: {
    columns: [{ name: 'Webhooks', type: 'integer', cell: (object) => count(object.webhooks) }],
  },
  ValidatingWebhookConfiguration: {
    columns: [{ name: 'Webhooks', type: 'integer', cell: (object) => count(object.webhooks) }],
  },
  CustomResourceDefinition: { columns: [], trailing: CREATED_AT },
  ClusterRole: { columns: [], trailing: CREATED_AT },
  Role: { columns: [], trailing: CREATED_AT },
};

function customColumn(column: PrinterColumn): TableColumn {
  return {
    name: column.name,
    type: column.type,
    format: column.format ?? '',
    priority: column.priority ?? 0,
    description: column.description ?? '',
    cell: (object) => {
      const value = evaluateColumnPath(object, column.jsonPath);
      if (value === undefined || value === null) return null;
      if (column.type === 'date' && typeof value === 'string') return humanAge(value);
      return typeof value === 'object' ? JSON.stringify(value) : value;
    },
  };
}

function columnsFor(type: ResourceType): TableColumn[] {
  // A CRD that declares printer columns gets exactly those (plus NAME); one that declares none gets AGE.
  if (type.schema)
    return type.printerColumns.length > 0 ? [NAME, ...type.printerColumns.map(customColumn)] : [NAME, AGE];
  if (type.group === '' && type.kind === 'Event') return EVENT_COLUMNS;
  const builtin = BUILTIN_COLUMNS[type.kind];
  const trailing = builtin?.trailing === undefined ? AGE : builtin.trailing;
  return [NAME, ...(builtin?.columns ?? []), ...(trailing ? [trailing] : [])];
}

export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  listMetadata: Record<string, unknown>,
  includeObject: string | null,
): Record<string, unknown> {
  const columns = columnsFor(type);
  const columnDefinitions = columns.map((column) => ({
    name: column.name,
    type: column.type,
    format: column.format ?? '',
    description: column.description ?? '',
    priority: column.priority ?? 0,
  }));
  const rows = objects.map((object) => ({
    cells: columns.map((column) => column.cell(object)),
    object:
      includeObject === 'None'
        ? undefined
        : includeObject === 'Object'
          ? object
          : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
  }));
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMetadata, columnDefinitions, rows };
}
