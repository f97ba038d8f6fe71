/**
 * What the rest of arcmesh may know about a running ARM sandbox. The emulator's internals stay behind this:
 * the CLI reaches it only through `SandboxEndpoints` (written to `<stateDir>/endpoints.json`) and real HTTPS.
 */

/** The well-known identities every sandbox serves; tests and the demo use these names. */
export const SANDBOX_SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';
export const SANDBOX_TENANT_ID = '72f988bf-0000-0000-0000-000000000000';
export const SANDBOX_RESOURCE_GROUP = 'arcmesh-sandbox';
export const SANDBOX_CLUSTERS = {
  arc: 'arc-cluster',
  openshift: 'arc-openshift',
  aks: 'aks-cluster',
} as const;

/** Written by `sandbox start` to `<stateDir>/endpoints.json`; read by `--sandbox`. */
export interface SandboxEndpoints {
  /** ARM base URL, e.g. https://127.0.0.1:43123 */
  armUrl: string;
  /** Authority host for @azure/identity (the same server serves `/{tenant}/oauth2/v2.0/token`). */
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  subscriptionId: string;
  /** PEM file of the CA that signed the sandbox's serving certificates. */
  caFile: string;
  /** Process id of a detached sandbox; absent for an in-process one. */
  pid?: number;
  /** Kubeconfig with one context per sandbox cluster (current context `arc-cluster`), when the Kubernetes API runs. */
  kubeconfig?: string;
}

export interface ArmSandboxOptions {
  stateDir: string;
  /** Published in endpoints.json so that clients find the Kubernetes API started beside this emulator. */
  kubeconfig?: string;
  /** 0 picks a free port. */
  port?: number;
  /** How long a long-running operation stays in progress before it completes. */
  operationDurationMs?: number;
  /** The `Retry-After` seconds sent with long-running operations (0 lets tests poll at once). */
  retryAfterSeconds?: number;
  /** How long a feature or provider stays `Registering` before it becomes `Registered`. */
  registrationDelayMs?: number;
  /** Items per page of extension lists (small by default so clients really follow `nextLink`). */
  listPageSize?: number;
  /** Put this process's pid into endpoints.json (a detached `sandbox start`; in-process sandboxes leave it out). */
  publishPid?: boolean;
}

/**
 * One injected fault, matched against incoming requests. `times` counts down; a rule is gone at 0.
 * `status` answers the request itself; `operationOutcome: 'Failed'` lets the request start a long-running
 * operation that then ends Failed.
 */
export interface FaultRule {
  method?: string;
  /** Substring or regular expression source matched against the request path (not the query). */
  path?: string;
  times?: number;
  status?: number;
  retryAfterSeconds?: number;
  operationOutcome?: 'Failed';
  errorCode?: string;
  errorMessage?: string;
}

/** What an extension agent reports about one extension (the cluster-plane issue's agent calls this). */
export interface ExtensionAgentReport {
  installState: 'Pending' | 'Installed' | 'Failed';
  currentVersion?: string | null;
  statuses?: Array<{
    code: string;
    displayStatus?: string;
    level?: 'Error' | 'Warning' | 'Information';
    message: string;
    time?: string;
  }>;
  errorInfo?: { code: string; message: string } | null;
}

/** An extension as the emulator stores it, handed to agents when it changes. */
export interface StoredExtensionEvent {
  kind: 'created' | 'updated' | 'deleted';
  /** Full ARM id of the extension. */
  id: string;
  clusterId: string;
  extension: Record<string, unknown>;
}

export interface RunningArmSandbox {
  endpoints: SandboxEndpoints;
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Every request the emulator answered since start (method, path, api-version, status): request-count benchmarks read it. */
  requestLog(): ReadonlyArray<{ method: string; path: string; apiVersion: string | null; status: number }>;
  onExtensionChange(listener: (event: StoredExtensionEvent) => void): () => void;
  /** Every extension as it is now (kind `updated`), for an agent that reconciles all of them when it starts. */
  listExtensions(): StoredExtensionEvent[];
  reportExtension(id: string, report: ExtensionAgentReport): void;
  close(): Promise<void>;
}
