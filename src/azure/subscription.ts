/**
 * Which subscription a real-Azure command acts on: `--subscription` (an id, or a subscription name from the az
 * profile, as `az --subscription` takes it), then AZURE_SUBSCRIPTION_ID (a convention of azd and the Azure SDK
 * samples; az itself ignores it), then the profile's default (the one `az account set` chose). The profile is
 * `$AZURE_CONFIG_DIR/azureProfile.json`, `~/.azure/` by default.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../lib/errors.js';

export interface ProfileSubscription {
  id: string;
  name?: string;
  isDefault?: boolean;
}

/**
 * The az profile as read: its subscriptions (none when there is no profile file), or why it could not be read.
 * An unreadable profile matters only when the subscription has to be looked up in it.
 */
export type AzureProfile =
  { file: string; subscriptions: ProfileSubscription[] } | { file: string; unreadable: string };

const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function azureProfileFile(env: NodeJS.ProcessEnv): string {
  return join(env.AZURE_CONFIG_DIR || join(env.HOME || homedir(), '.azure'), 'azureProfile.json');
}

/** The subscriptions `az login` stored; none when the file does not exist. */
export async function readAzureProfile(file: string): Promise<AzureProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file, subscriptions: [] };
    return { file, unreadable: (error as Error).message };
  }
  try {
    return { file, subscriptions: profileSubscriptions(JSON.parse(text.replace(/^\uFEFF/, ''))) };
  } catch (error) {
    return { file, unreadable: (error as Error).message };
  }
}

/**
 * The profile's subscriptions, each id once: az lists a subscription once per tenant or user that can see it.
 * az writes the file with a byte-order mark, which the caller strips before parsing.
 */
function profileSubscriptions(profile: unknown): ProfileSubscription[] {
  const listed = (profile as { subscriptions?: unknown } | null)?.subscriptions;
  if (listed === undefined) return [];
  if (!Array.isArray(listed)) throw new Error('its "subscriptions" is not a list');
  const byId = new Map<string, ProfileSubscription>();
  for (const subscription of listed as Array<Partial<ProfileSubscription> | null>) {
    if (typeof subscription?.id !== 'string') continue;
    const id = subscription.id.toLowerCase();
    const seen = byId.get(id);
    byId.set(id, { ...subscription, id: subscription.id, isDefault: seen?.isDefault || subscription.isDefault });
  }
  return [...byId.values()];
}

function subscriptionsOf(profile: AzureProfile): ProfileSubscription[] {
  if ('subscriptions' in profile) return profile.subscriptions;
  throw usageError(
    `Cannot read the az profile ${profile.file}: ${profile.unreadable}`,
    'Run `az login` to rewrite it (or remove it), or pass --subscription <id>.',
  );
}

/** `--subscription ""` (an unset shell variable, say) is refused rather than taken as "not given". */
export function checkSubscriptionFlag(flag: string | undefined): void {
  if (flag !== undefined && !flag.trim()) {
    throw usageError('--subscription is empty.', 'Pass a subscription id or name, or leave --subscription out.');
  }
}

/**
 * The subscription id to use. A value that is not an id is looked up by name in the profile, without regard
 * to case, as `az --subscription NAME` does; an unknown or ambiguous name is a usage error.
 */
export function chooseSubscription(
  given: { flag?: string | undefined; env?: string | undefined },
  profile: AzureProfile,
): string {
  const [value, source] = given.flag
    ? [given.flag, '--subscription']
    : given.env
      ? [given.env, 'AZURE_SUBSCRIPTION_ID']
      : [undefined, undefined];
  if (value === undefined) {
    const byDefault = subscriptionsOf(profile).find((subscription) => subscription.isDefault)?.id;
    if (byDefault) return byDefault;
    throw usageError(
      `No subscription: --subscription is not given, AZURE_SUBSCRIPTION_ID is not set, and ${profile.file} names no default subscription.`,
      'Pass --subscription <id or name>, set AZURE_SUBSCRIPTION_ID, or run `az login` (and `az account set -s <id>`); use --sandbox for the local sandbox.',
    );
  }
  if (SUBSCRIPTION_ID.test(value)) return value;
  const named = subscriptionsOf(profile).filter(
    (subscription) => subscription.name?.toLowerCase() === value.toLowerCase(),
  );
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) {
    throw usageError(
      `${source} '${value}' names ${named.length} subscriptions in ${profile.file}: ${named.map((subscription) => subscription.id).join(', ')}.`,
      'Pass the subscription id instead of its name.',
    );
  }
  throw usageError(
    `${source} '${value}' is not a subscription id, and no subscription of that name is in ${profile.file}.`,
    'Pass a subscription id, or a name that `az account list -o table` shows (after `az login`).',
  );
}
