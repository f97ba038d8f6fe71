/**
 * The extension as az prints it: the SDK model with `properties` flattened, every attribute present (null
 * when ARM left it out), `resourceGroup` from the id, and `installState`, which api-versions since 2022-03-01
 * no longer return but users (and the Arc docs) still read. Protected settings show their keys only.
 */
import type { Extension } from '@azure/arm-kubernetesconfiguration';
import { resourceGroupOf } from '../output/az-result.js';

export type InstallState = 'Pending' | 'Installed' | 'Failed';

export interface ExtensionView {
  aksAssignedIdentity: unknown;
  autoUpgradeMinorVersion: boolean | null;
  configurationProtectedSettings: Record<string, null>;
  configurationSettings: Record<string, string>;
  currentVersion: string | null;
  customLocationSettings: Record<string, string> | null;
  errorInfo: unknown;
  extensionType: string | null;
  id: string | null;
  identity: unknown;
  installState: InstallState;
  isSystemExtension: boolean | null;
  name: string | null;
  packageUri: string | null;
  plan: unknown;
  provisioningState: string | null;
  releaseTrain: string | null;
  /** Also added by the CLI's output path; set here so library callers, who never go through it, have it too. */
  resourceGroup: string | null;
  scope: unknown;
  statuses: unknown[];
  systemData: unknown;
  type: string | null;
  version: string | null;
}

/** An extension as the SDK returns it, plus `installState`, which only old api-versions send. */
export type ExtensionResource = Extension & { installState?: string };

/**
 * Failed when ARM or the agent reported failure; Installed once the agent reported running the requested
 * version after a successful operation; Pending otherwise (the Arc docs: "Until this deployment happens, installState
 * remains Pending"). A server-sent installState wins.
 */
export function deriveInstallState(extension: ExtensionResource): InstallState {
  const sent = extension.installState;
  if (sent === 'Pending' || sent === 'Installed' || sent === 'Failed') return sent;
  const errorStatus = (extension.statuses ?? []).some(
    (status) => status.level === 'Error' || /fail/i.test(status.code ?? ''),
  );
  if (extension.provisioningState === 'Failed' || errorStatus) return 'Failed';
  // A pinned version the agent has not reached yet (an upgrade in flight) is still pending.
  const upgrading = Boolean(
    extension.version && extension.currentVersion && extension.version !== extension.currentVersion,
  );
  if (extension.provisioningState === 'Succeeded' && extension.currentVersion && !upgrading) return 'Installed';
  return 'Pending';
}

/** az prints both scope kinds, the unused one as null. */
function plainScope(scope: Extension['scope']): unknown {
  if (!scope) return null;
  return { cluster: scope.cluster ?? null, namespace: scope.namespace ?? null };
}

export function extensionView(extension: ExtensionResource): ExtensionView {
  return {
    aksAssignedIdentity: extension.aksAssignedIdentity ?? null,
    autoUpgradeMinorVersion: extension.autoUpgradeMinorVersion ?? null,
    // Never a value: ARM answers null for each, and anything else would be a leak we refuse to pass on.
    configurationProtectedSettings: Object.fromEntries(
      Object.keys(extension.configurationProtectedSettings ?? {}).map((key) => [key, null]),
    ),
    configurationSettings: extension.configurationSettings ?? {},
    currentVersion: extension.currentVersion ?? null,
    customLocationSettings: extension.customLocationSettings ?? null,
    errorInfo: extension.errorInfo ?? null,
    extensionType: extension.extensionType ?? null,
    id: extension.id ?? null,
    identity: extension.identity ?? null,
    installState: deriveInstallState(extension),
    isSystemExtension: extension.isSystemExtension ?? null,
    name: extension.name ?? null,
    packageUri: extension.packageUri ?? null,
    plan: extension.plan ?? null,
    provisioningState: extension.provisioningState ?? null,
    releaseTrain: extension.releaseTrain ?? null,
    resourceGroup: resourceGroupOf(extension.id),
    scope: plainScope(extension.scope),
    statuses: extension.statuses ?? [],
    // Dates stay Dates: the output path prints them as az does (src/lib/output/az-result.ts).
    systemData: extension.systemData ?? null,
    type: extension.type ?? null,
    version: extension.version ?? null,
  };
}

/** `-o table`: the columns a person checks after each step. */
export function extensionTable(result: unknown): unknown {
  const row = (view: Partial<ExtensionView>) => ({
    Name: view.name,
    ExtensionType: view.extensionType,
    Version: view.version ?? view.currentVersion,
    ReleaseTrain: view.releaseTrain,
    ProvisioningState: view.provisioningState,
    InstallState: view.installState,
  });
  return Array.isArray(result) ? (result as Partial<ExtensionView>[]).map(row) : row(result as Partial<ExtensionView>);
}
