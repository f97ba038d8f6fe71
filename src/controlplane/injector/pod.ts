/**
 * The slice of the Kubernetes Pod shape the injector reads and writes. Objects arrive as
 * JSON from the API server, so every field we do not name is kept as-is (index signatures) and flows through the
 * mutation untouched.
 */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  [key: string]: unknown;
}

export interface HttpGetAction {
  path?: string;
  port: number | string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
  [key: string]: unknown;
}

export interface Probe {
  httpGet?: HttpGetAction;
  tcpSocket?: { port: number | string; [key: string]: unknown };
  timeoutSeconds?: number;
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  [key: string]: unknown;
}

export interface Volume {
  name: string;
  secret?: { secretName?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  hostNetwork?: boolean;
  serviceAccountName?: string;
  nodeSelector?: Record<string, string>;
  [key: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: PodSpec;
  [key: string]: unknown;
}

/** What the injector knows of the pod's Namespace: the one in its informer cache, or none. */
export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
