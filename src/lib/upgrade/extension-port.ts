/**
 * The upgrade's ReleasePort for the Arc (or AKS) cluster extension: the extension as ARM shows it, the versions
 * its release train offers (the extension-types API), and the move to a version as `extension update` makes it:
 * one long-running PATCH carrying every existing setting with the overrides on top, then waiting until the
 * extension manager reports the new version Installed.
 */
import type { OperationContext } from '../context.js';
import { ArcmeshError, failedError, timeoutError } from '../errors.js';
import type { ExtensionRef } from '../extension/cluster.js';
import { checkExtensionUpdate, createExtension, showExtension, updateExtension } from '../extension/extension.js';
import type { ExtensionUpdateSpec } from '../extension/plan.js';
import type { ExtensionView } from '../extension/view.js';
import { listExtensionTypeVersions } from '../extension/extension-types.js';
import { OSM_EXTENSION_TYPE } from '../extension/osm.js';
import { deadlineAfter, nextPollDelayMs, sleep } from '../polling.js';
import type { InstalledRelease, ReleasePort } from './engine.js';
import { targetCrds } from './target-crds.js';

export interface ExtensionPortOptions {
  ref: ExtensionRef;
  /** `--release-train`: move to another train; default the extension's own. */
  releaseTrain?: string | undefined;
  /** `--crds DIR`: the target version's CRDs when arcmesh does not ship them. */
  crdsDir?: string | undefined;
  /** How long the extension manager may take to install the new version. */
  installTimeoutSeconds: number;
}

const releaseNamespaceOf = (extension: ExtensionView) =>
  (extension.scope as { cluster?: { releaseNamespace?: string } } | null)?.cluster?.releaseNamespace;

export function extensionReleasePort(ctx: OperationContext, options: ExtensionPortOptions): ReleasePort {
  const { ref } = options;
  /** The PATCH `moveTo` sends, and `checkOverrides` checks ahead of time. */
  const updateTo = (version: string, overrides: Record<string, string>): ExtensionUpdateSpec => ({
    ...ref,
    version,
    releaseTrain: options.releaseTrain,
    autoUpgradeMinorVersion: false,
    configurationSettings: Object.keys(overrides).length > 0 ? overrides : undefined,
  });

  /**
   * An update that ended Failed already records the new version, so a PATCH would change nothing and start no
   * operation. Arc's way to retry is to apply the extension again (seed 001 re-runs `create`): a PUT of what it
   * holds. A PUT replaces protected settings, which cannot be read back, so then the user must re-send them.
   */
  const retryFailed = async (current: ExtensionView, overrides: Record<string, string>) => {
    if (Object.keys(current.configurationProtectedSettings).length > 0) {
      throw failedError(
        `Extension '${ref.name}' ended Failed at ${current.version}, and applying it again would drop its protected settings, which cannot be read back.`,
        `Put the old version back with --rollback, or apply it yourself with \`arcmesh extension create\` and its --config-protected-settings, then --resume.`,
      );
    }
    ctx.reporter.warn(`Extension '${ref.name}' ended Failed at ${current.version}; applying it again.`);
    await createExtension(ctx, {
      ...ref,
      extensionType: current.extensionType ?? OSM_EXTENSION_TYPE,
      releaseTrain: current.releaseTrain ?? undefined,
      version: current.version ?? undefined,
      autoUpgradeMinorVersion: false,
      releaseNamespace: releaseNamespaceOf(current),
      configurationSettings: { ...current.configurationSettings, ...overrides },
      noWait: false,
    });
  };

  return {
    label: `extension '${ref.name}' on ${ref.clusterType}/${ref.clusterName}`,

    async describe(): Promise<InstalledRelease> {
      const extension = await showExtension(ctx, ref);
      const train = options.releaseTrain ?? extension.releaseTrain ?? 'stable';
      let catalogue: InstalledRelease['catalogue'];
      try {
        const [offer] = await listExtensionTypeVersions(ctx, {
          cluster: ref,
          extensionType: extension.extensionType ?? OSM_EXTENSION_TYPE,
          releaseTrain: train,
        });
        catalogue = offer && offer.versions.length > 0 ? { train, versions: offer.versions } : undefined;
      } catch (error) {
        // The service's word for a train it does not know; the plan refuses it with the path rules' message.
        if (!(error instanceof ArcmeshError && error.kind === 'usage')) throw error;
      }
      const version = extension.currentVersion ?? extension.version;
      if (!version) {
        throw new ArcmeshError(
          'usage',
          `Extension '${ref.name}' follows its release train without a pinned version, and reports none installed yet.`,
          'Wait until it is Installed (`arcmesh extension wait --updated`), then upgrade.',
        );
      }
      return {
        version,
        train,
        catalogue,
        settings: extension.configurationSettings,
        namespace: releaseNamespaceOf(extension),
      };
    },

    targetCrds: (version) => targetCrds(version, options.crdsDir),

    async checkOverrides(version, overrides) {
      await checkExtensionUpdate(ctx, updateTo(version, overrides));
    },

    async moveTo(version, overrides) {
      const current = await showExtension(ctx, ref);
      if (current.provisioningState === 'Failed' && current.version === version) await retryFailed(current, overrides);
      else {
        await updateExtension(ctx, { ...updateTo(version, overrides), noWait: false });
      }
      const deadline = deadlineAfter(options.installTimeoutSeconds);
      for (let attempt = 0; ; attempt++) {
        const extension = await showExtension(ctx, ref);
        if (extension.installState === 'Installed' && extension.currentVersion === version) return;
        if (extension.installState === 'Failed') {
          const reason = (extension.errorInfo as { message?: string } | null)?.message;
          throw failedError(
            `Extension '${ref.name}' did not install ${version}: installState Failed${reason ? ` (${reason})` : ''}.`,
            'See its statuses with `arcmesh extension show`.',
          );
        }
        if (deadline.expired()) {
          throw timeoutError(
            `Extension '${ref.name}' was not Installed at ${version} within ${options.installTimeoutSeconds} s (installState ${extension.installState}).`,
            'The extension manager goes on; see `arcmesh extension show`.',
          );
        }
        ctx.reporter.progress(`Waiting for extension '${ref.name}' to install ${version}: ${extension.installState}`);
        await sleep(
          nextPollDelayMs(
            attempt,
            ctx.target.sandbox
              ? { initialDelayMs: 100, maxDelayMs: 1_000 }
              : { initialDelayMs: 5_000, maxDelayMs: 15_000 },
          ),
          ctx.signal,
        );
      }
    },
  };
}
