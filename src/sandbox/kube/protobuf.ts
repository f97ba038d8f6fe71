/**
 * kubectl 1.34 sends the bodies of its typed `create` subcommands (`create namespace`, `create serviceaccount`,
 * `create configmap`, `create secret`, `create deployment`, `create job`, `create cronjob`, `create role`,
 * `create rolebinding`, `create clusterrole`, `create clusterrolebinding`, `create service`,
 * `create poddisruptionbudget`, `autoscale`) and its
 * DeleteOptions as Kubernetes protobuf: the `k8s\0` magic, then a
 * runtime.Unknown envelope whose `raw` bytes are the object. There is no fallback to JSON for protobuf, so the
 * server must read it. This decodes the wire format against field tables for the kinds and fields those
 * subcommands send (field numbers of the Kubernetes API's generated.proto); any other kind, or a non-empty
 * field missing from the tables, is refused with 415 rather than silently dropped.
 */
import { unsupportedMediaType } from './api-errors.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type FieldKind =
  | 'string'
  | 'bytes'
  | 'int'
  | 'bool'
  | 'time'
  /** intstr.IntOrString: a message {type, intVal, strVal} that JSON writes as a number or a string. */
  | 'intOrString'
  /** resource.Quantity: a message {string} that JSON writes as the string (`500m`). */
  | 'quantity'
  /** Read and dropped: what the server resets anyway (a Deployment's status on create). */
  | 'ignored'
  | { message: MessageSchema }
  | { map: 'string' | 'bytes' };
interface FieldSpec {
  name: string;
  kind: FieldKind;
  repeated?: boolean;
  /** A pointer field in Go: an explicit zero is a value, not an absent field. */
  keepZero?: boolean;
}
type MessageSchema = Record<number, FieldSpec>;

const TIME: MessageSchema = { 1: { name: 'seconds', kind: 'int' }, 2: { name: 'nanos', kind: 'int' } };
const OWNER_REFERENCE: MessageSchema = {
  1: { name: 'kind', kind: 'string' },
  3: { name: 'name', kind: 'string' },
  4: { name: 'uid', kind: 'string' },
  5: { name: 'apiVersion', kind: 'string' },
  6: { name: 'controller', kind: 'bool' },
  7: { name: 'blockOwnerDeletion', kind: 'bool' },
};
const OBJECT_META: MessageSchema = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'generateName', kind: 'string' },
  3: { name: 'namespace', kind: 'string' },
  5: { name: 'uid', kind: 'string' },
  6: { name: 'resourceVersion', kind: 'string' },
  7: { name: 'generation', kind: 'int' },
  8: { name: 'creationTimestamp', kind: 'time' },
  11: { name: 'labels', kind: { map: 'string' } },
  12: { name: 'annotations', kind: { map: 'string' } },
  13: { name: 'ownerReferences', kind: { message: OWNER_REFERENCE }, repeated: true },
  14: { name: 'finalizers', kind: 'string', repeated: true },
};
const OBJECT_REFERENCE: MessageSchema = {
  1: { name: 'kind', kind: 'string' },
  2: { name: 'namespace', kind: 'string' },
  3: { name: 'name', kind: 'string' },
  4: { name: 'uid', kind: 'string' },
  5: { name: 'apiVersion', kind: 'string' },
  6: { name: 'resourceVersion', kind: 'string' },
  7: { name: 'fieldPath', kind: 'string' },
};
const metadata: FieldSpec = { name: 'metadata', kind: { message: OBJECT_META } };
const LABEL_SELECTOR: MessageSchema = {
  1: { name: 'matchLabels', kind: { map: 'string' } },
  2: {
    name: 'matchExpressions',
    repeated: true,
    kind: {
      message: {
        1: { name: 'key', kind: 'string' },
        2: { name: 'operator', kind: 'string' },
        3: { name: 'values', kind: 'string', repeated: true },
      },
    },
  },
};
const CONTAINER: MessageSchema = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'image', kind: 'string' },
  3: { name: 'command', kind: 'string', repeated: true },
  4: { name: 'args', kind: 'string', repeated: true },
  5: { name: 'workingDir', kind: 'string' },
  6: {
    name: 'ports',
    repeated: true,
    kind: {
      message: {
        1: { name: 'name', kind: 'string' },
        2: { name: 'hostPort', kind: 'int' },
        3: { name: 'containerPort', kind: 'int' },
        4: { name: 'protocol', kind: 'string' },
        5: { name: 'hostIP', kind: 'string' },
      },
    },
  },
  7: {
    name: 'env',
    repeated: true,
    kind: { message: { 1: { name: 'name', kind: 'string' }, 2: { name: 'value', kind: 'string' } } },
  },
  8: { name: 'resources', kind: { message: {} } },
  13: { name: 'terminationMessagePath', kind: 'string' },
  14: { name: 'imagePullPolicy', kind: 'string' },
  20: { name: 'terminationMessagePolicy', kind: 'string' },
};
const POD_SPEC: MessageSchema = {
  2: { name: 'containers', kind: { message: CONTAINER }, repeated: true },
  3: { name: 'restartPolicy', kind: 'string' },
  4: { name: 'terminationGracePeriodSeconds', kind: 'int', keepZero: true },
  6: { name: 'dnsPolicy', kind: 'string' },
  7: { name: 'nodeSelector', kind: { map: 'string' } },
  8: { name: 'serviceAccountName', kind: 'string' },
  10: { name: 'nodeName', kind: 'string' },
  14: { name: 'securityContext', kind: { message: {} } },
  19: { name: 'schedulerName', kind: 'string' },
};

const INT_OR_STRING: MessageSchema = {
  1: { name: 'type', kind: 'int' },
  2: { name: 'intVal', kind: 'int' },
  3: { name: 'strVal', kind: 'string' },
};
const POD_TEMPLATE: MessageSchema = { 1: metadata, 2: { name: 'spec', kind: { message: POD_SPEC } } };
const JOB_SPEC: MessageSchema = {
  1: { name: 'parallelism', kind: 'int', keepZero: true },
  2: { name: 'completions', kind: 'int', keepZero: true },
  3: { name: 'activeDeadlineSeconds', kind: 'int', keepZero: true },
  4: { name: 'selector', kind: { message: LABEL_SELECTOR } },
  5: { name: 'manualSelector', kind: 'bool' },
  6: { name: 'template', kind: { message: POD_TEMPLATE } },
  7: { name: 'backoffLimit', kind: 'int', keepZero: true },
  8: { name: 'ttlSecondsAfterFinished', kind: 'int', keepZero: true },
  9: { name: 'completionMode', kind: 'string' },
  10: { name: 'suspend', kind: 'bool' },
  14: { name: 'podReplacementPolicy', kind: 'string' },
  15: { name: 'managedBy', kind: 'string' },
};
const POLICY_RULE: MessageSchema = {
  1: { name: 'verbs', kind: 'string', repeated: true },
  2: { name: 'apiGroups', kind: 'string', repeated: true },
  3: { name: 'resources', kind: 'string', repeated: true },
  4: { name: 'resourceNames', kind: 'string', repeated: true },
  5: { name: 'nonResourceURLs', kind: 'string', repeated: true },
};
const ROLE: MessageSchema = { 1: metadata, 2: { name: 'rules', kind: { message: POLICY_RULE }, repeated: true } };
const ROLE_BINDING: MessageSchema = {
  1: metadata,
  2: {
    name: 'subjects',
    repeated: true,
    kind: {
      message: {
        1: { name: 'kind', kind: 'string' },
        2: { name: 'apiGroup', kind: 'string' },
        3: { name: 'name', kind: 'string' },
        4: { name: 'namespace', kind: 'string' },
      },
    },
  },
  3: {
    name: 'roleRef',
    kind: {
      message: {
        1: { name: 'apiGroup', kind: 'string' },
        2: { name: 'kind', kind: 'string' },
        3: { name: 'name', kind: 'string' },
      },
    },
  },
};

const DELETE_OPTIONS: MessageSchema = {
  1: { name: 'gracePeriodSeconds', kind: 'int', keepZero: true },
  2: {
    name: 'preconditions',
    kind: { message: { 1: { name: 'uid', kind: 'string' }, 2: { name: 'resourceVersion', kind: 'string' } } },
  },
  3: { name: 'orphanDependents', kind: 'bool' },
  4: { name: 'propagationPolicy', kind: 'string' },
  5: { name: 'dryRun', kind: 'string', repeated: true },
};

/** authorization.k8s.io/v1 ResourceAttributes and NonResourceAttributes (`kubectl auth can-i`). */
const RESOURCE_ATTRIBUTES: MessageSchema = {
  1: { name: 'namespace', kind: 'string' },
  2: { name: 'verb', kind: 'string' },
  3: { name: 'group', kind: 'string' },
  4: { name: 'version', kind: 'string' },
  5: { name: 'resource', kind: 'string' },
  6: { name: 'subresource', kind: 'string' },
  7: { name: 'name', kind: 'string' },
};
const NON_RESOURCE_ATTRIBUTES: MessageSchema = {
  1: { name: 'path', kind: 'string' },
  2: { name: 'verb', kind: 'string' },
};

const KIND_SCHEMAS: Record<string, MessageSchema> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: metadata,
    2: {
      name: 'spec',
      kind: {
        message: {
          1: { name: 'resourceAttributes', kind: { message: RESOURCE_ATTRIBUTES } },
          2: { name: 'nonResourceAttributes', kind: { message: NON_RESOURCE_ATTRIBUTES } },
        },
      },
    },
  },
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: metadata },
  'authentication.k8s.io/v1/TokenRequest': {
    1: metadata,
    2: {
      name: 'spec',
      kind: {
        message: {
          1: { name: 'audiences', kind: 'string', repeated: true },
          3: {
            name: 'boundObjectRef',
            kind: {
              message: {
                1: { name: 'kind', kind: 'string' },
                2: { name: 'apiVersion', kind: 'string' },
                3: { name: 'name', kind: 'string' },
                4: { name: 'uid', kind: 'string' },
              },
            },
          },
          4: { name: 'expirationSeconds', kind: 'int', keepZero: true },
        },
      },
    },
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': {
    1: metadata,
    2: { name: 'spec', kind: { message: { 1: { name: 'namespace', kind: 'string' } } } },
  },
  // Typed clients (helm's release storage, kubectl delete) send DeleteOptions in either group's name.
  'v1/DeleteOptions': DELETE_OPTIONS,
  'meta.k8s.io/v1/DeleteOptions': DELETE_OPTIONS,
  'v1/Namespace': {
    1: metadata,
    2: { name: 'spec', kind: { message: { 1: { name: 'finalizers', kind: 'string', repeated: true } } } },
  },
  'v1/ServiceAccount': {
    1: metadata,
    2: { name: 'secrets', kind: { message: OBJECT_REFERENCE }, repeated: true },
    3: { name: 'imagePullSecrets', kind: { message: { 1: { name: 'name', kind: 'string' } } }, repeated: true },
    4: { name: 'automountServiceAccountToken', kind: 'bool' },
  },
  'v1/ConfigMap': {
    1: metadata,
    2: { name: 'data', kind: { map: 'string' } },
    3: { name: 'binaryData', kind: { map: 'bytes' } },
    4: { name: 'immutable', kind: 'bool' },
  },
  'v1/Secret': {
    1: metadata,
    2: { name: 'data', kind: { map: 'bytes' } },
    3: { name: 'type', kind: 'string' },
    4: { name: 'stringData', kind: { map: 'string' } },
    5: { name: 'immutable', kind: 'bool' },
  },
  'apps/v1/Deployment': {
    1: metadata,
    2: {
      name: 'spec',
      kind: {
        message: {
          1: { name: 'replicas', kind: 'int', keepZero: true },
          2: { name: 'selector', kind: { message: LABEL_SELECTOR } },
          3: { name: 'template', kind: { message: { 1: metadata, 2: { name: 'spec', kind: { message: POD_SPEC } } } } },
          4: { name: 'strategy', kind: { message: { 1: { name: 'type', kind: 'string' } } } },
          5: { name: 'minReadySeconds', kind: 'int' },
          6: { name: 'revisionHistoryLimit', kind: 'int', keepZero: true },
          7: { name: 'paused', kind: 'bool' },
          9: { name: 'progressDeadlineSeconds', kind: 'int', keepZero: true },
        },
      },
    },
    3: { name: 'status', kind: 'ignored' },
  },
  'batch/v1/Job': {
    1: metadata,
    2: { name: 'spec', kind: { message: JOB_SPEC } },
    3: { name: 'status', kind: 'ignored' },
  },
  'batch/v1/CronJob': {
    1: metadata,
    2: {
      name: 'spec',
      kind: {
        message: {
          1: { name: 'schedule', kind: 'string' },
          2: { name: 'startingDeadlineSeconds', kind: 'int', keepZero: true },
          3: { name: 'concurrencyPolicy', kind: 'string' },
          4: { name: 'suspend', kind: 'bool' },
          5: {
            name: 'jobTemplate',
            kind: { message: { 1: metadata, 2: { name: 'spec', kind: { message: JOB_SPEC } } } },
          },
          6: { name: 'successfulJobsHistoryLimit', kind: 'int', keepZero: true },
          7: { name: 'failedJobsHistoryLimit', kind: 'int', keepZero: true },
          8: { name: 'timeZone', kind: 'string' },
        },
      },
    },
    3: { name: 'status', kind: 'ignored' },
  },
  'policy/v1/PodDisruptionBudget': {
    1: metadata,
    2: {
      name: 'spec',
      kind: {
        message: {
          1: { name: 'minAvailable', kind: 'intOrString' },
          2: { name: 'selector', kind: { message: LABEL_SELECTOR } },
          3: { name: 'maxUnavailable', kind: 'intOrString' },
          4: { name: 'unhealthyPodEvictionPolicy', kind: 'string' },
        },
      },
    },
    3: { name: 'status', kind: 'ignored' },
  },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    1: metadata,
    2: {
      name: 'spec',
      kind: {
        message: {
          1: {
            name: 'scaleTargetRef',
            kind: {
              message: {
                1: { name: 'kind', kind: 'string' },
                2: { name: 'name', kind: 'string' },
                3: { name: 'apiVersion', kind: 'string' },
              },
            },
          },
          2: { name: 'minReplicas', kind: 'int', keepZero: true },
          3: { name: 'maxReplicas', kind: 'int', keepZero: true },
          4: {
            name: 'metrics',
            repeated: true,
            kind: {
              message: {
                1: { name: 'type', kind: 'string' },
                4: {
                  name: 'resource',
                  kind: {
                    message: {
                      1: { name: 'name', kind: 'string' },
                      2: {
                        name: 'target',
                        kind: {
                          message: {
                            1: { name: 'type', kind: 'string' },
                            2: { name: 'value', kind: 'quantity' },
                            3: { name: 'averageValue', kind: 'quantity' },
                            4: { name: 'averageUtilization', kind: 'int', keepZero: true },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    3: { name: 'status', kind: 'ignored' },
  },
  'rbac.authorization.k8s.io/v1/Role': ROLE,
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    ...ROLE,
    3: {
      name: 'aggregationRule',
      kind: { message: { 1: { name: 'clusterRoleSelectors', kind: { message: LABEL_SELECTOR }, repeated: true } } },
    },
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': ROLE_BINDING,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ROLE_BINDING,
  'v1/Service': {
    1: metadata,
    2: {
      name: 'spec',
      kind: {
        message: {
          1: {
            name: 'ports',
            repeated: true,
            kind: {
              message: {
                1: { name: 'name', kind: 'string' },
                2: { name: 'protocol', kind: 'string' },
                3: { name: 'port', kind: 'int' },
                4: { name: 'targetPort', kind: 'intOrString' },
                5: { name: 'nodePort', kind: 'int' },
              },
            },
          },
          2: { name: 'selector', kind: { map: 'string' } },
          3: { name: 'clusterIP', kind: 'string' },
          4: { name: 'type', kind: 'string' },
          10: { name: 'externalName', kind: 'string' },
        },
      },
    },
    3: { name: 'status', kind: 'ignored' },
  },
};

const UNKNOWN_ENVELOPE: MessageSchema = {
  1: {
    name: 'typeMeta',
    kind: { message: { 1: { name: 'apiVersion', kind: 'string' }, 2: { name: 'kind', kind: 'string' } } },
  },
  2: { name: 'raw', kind: 'bytes' },
};

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}
  get done(): boolean {
    return this.offset >= this.buffer.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.buffer[this.offset++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const length = Number(this.varint());
    const slice = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
  /**
   * Skips a field, telling whether it was empty: a zero varint, zero-length bytes, or a nested message of
   * empty fields only (Go encodes unset structs such as a Namespace's status that way).
   */
  skipEmpty(wireType: number): boolean {
    if (wireType === 0) return this.varint() === 0n;
    if (wireType !== 2) return false;
    const nested = new Reader(this.bytes());
    try {
      while (!nested.done) {
        const tag = Number(nested.varint());
        if (!nested.skipEmpty(tag & 7)) return false;
      }
      return true;
    } catch {
      return false;
    }
  }
}

function decodeMessage(buffer: Buffer, schema: MessageSchema): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const reader = new Reader(buffer);
  while (!reader.done) {
    const tag = Number(reader.varint());
    const [fieldNumber, wireType] = [tag >>> 3, tag & 7];
    const field = schema[fieldNumber];
    if (!field) {
      // A field without a table entry is only safe to skip when it carries nothing; otherwise refuse the
      // request rather than silently lose part of the object.
      if (!reader.skipEmpty(wireType))
        throw unsupportedMediaType(PROTOBUF_CONTENT_TYPE, ['application/json', 'application/yaml']);
      continue;
    }
    const { kind } = field;
    let value: unknown;
    if (kind === 'ignored') {
      reader.bytes();
      continue;
    }
    if (kind === 'int') value = Number(BigInt.asIntN(64, reader.varint()));
    else if (kind === 'bool') value = reader.varint() !== 0n;
    else if (kind === 'string') value = reader.bytes().toString('utf8');
    else if (kind === 'bytes') value = reader.bytes().toString('base64');
    else if (kind === 'intOrString') {
      const union = decodeMessage(reader.bytes(), INT_OR_STRING) as { type?: number; intVal?: number; strVal?: string };
      value = union.type === 1 ? (union.strVal ?? '') : (union.intVal ?? 0);
    } else if (kind === 'quantity') {
      value =
        (decodeMessage(reader.bytes(), { 1: { name: 'string', kind: 'string' } }) as { string?: string }).string ?? '0';
    } else if (kind === 'time') {
      const time = decodeMessage(reader.bytes(), TIME) as { seconds?: number };
      value = new Date((time.seconds ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    } else if ('message' in kind) value = decodeMessage(reader.bytes(), kind.message);
    else {
      const entry = decodeMessage(reader.bytes(), {
        1: { name: 'key', kind: 'string' },
        2: { name: 'value', kind: kind.map },
      });
      const map = (result[field.name] ??= {}) as Record<string, unknown>;
      map[String(entry.key ?? '')] = entry.value ?? '';
      continue;
    }
    // Go omits empty scalars from JSON (omitempty), and protobuf carries them; drop them the same way.
    if (!field.repeated && !field.keepZero && (value === '' || value === 0 || value === false)) continue;
    if (field.repeated) ((result[field.name] ??= []) as unknown[]).push(value);
    else result[field.name] = value;
  }
  return result;
}

/** Decodes a protobuf request body into the JSON form of the object, or refuses a kind it has no table for. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (!body.subarray(0, 4).equals(MAGIC))
    throw unsupportedMediaType(PROTOBUF_CONTENT_TYPE, ['application/json', 'application/yaml']);
  const envelope = decodeMessage(body.subarray(4), UNKNOWN_ENVELOPE) as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: string;
  };
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  const schema = KIND_SCHEMAS[`${apiVersion}/${kind}`];
  if (!schema) throw unsupportedMediaType(PROTOBUF_CONTENT_TYPE, ['application/json', 'application/yaml']);
  return { apiVersion, kind, ...decodeMessage(Buffer.from(envelope.raw ?? '', 'base64'), schema) };
}

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

function encodeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let remaining = value;
  while (remaining > 0x7f) {
    bytes.push((remaining & 0x7f) | 0x80);
    remaining >>>= 7;
  }
  bytes.push(remaining);
  return Buffer.from(bytes);
}

function lengthDelimited(fieldNumber: number, payload: Buffer): Buffer {
  return Buffer.concat([encodeVarint((fieldNumber << 3) | 2), encodeVarint(payload.length), payload]);
}

/**
 * The OpenAPI v2 document in the gnostic protobuf form kubectl insists on for `/openapi/v2` (it falls back to
 * v2 client-side validation only for kinds the v3 documents do not describe, i.e. kinds this server does not
 * serve). It carries no definitions, so that validation passes the object through to the server, which then
 * answers as it would for any unknown kind; every served kind is validated server-side via v3's fieldValidation.
 */
export function encodeOpenApiV2Skeleton(version: string): Buffer {
  const info = Buffer.concat([lengthDelimited(1, Buffer.from('Kubernetes')), lengthDelimited(2, Buffer.from(version))]);
  return Buffer.concat([
    lengthDelimited(1, Buffer.from('2.0')),
    lengthDelimited(2, info),
    lengthDelimited(8, Buffer.alloc(0)),
  ]);
}
