/**
 * Which subscription a real-Azure command acts on, decided as az decides it: `--subscription` (an id, or a
 * subscription name from the az profile), then AZURE_SUBSCRIPTION_ID, then the profile's default (the one
 * `az account set` chose). The profile is `$AZURE_CONFIG_DIR/azureProfile.json`, `~/.azure/` by default.
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

const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function azureProfileFile(env: NodeJS.ProcessEnv): string {
  return join(env.AZURE_CONFIG_DIR || join(env.HOME || homedir(), '.azure'), 'azureProfile.json');
}

/** The subscriptions `az login` stored; none when there is no readable profile. */
export async function readProfileSubscriptions(profileFile: string): Promise<ProfileSubscription[]> {
  try {
    // az writes the profile with a byte-order mark.
    const profile = JSON.parse((await readFile(profileFile, 'utf8')).replace(/^\uFEFF/, '')) as {
      subscriptions?: ProfileSubscription[];
    };
    return Array.isArray(profile.subscriptions) ? profile.subscriptions : [];
  } catch {
    return [];
  }
}

/**
 * The subscription id to use. A value that is not an id is looked up by name in the profile, without regard
 * to case, as `az --subscription NAME` does; an unknown or ambiguous name is a usage error.
 */
export function chooseSubscription(
  given: { flag?: string | undefined; env?: string | undefined },
  profile: ProfileSubscription[],
  profileFile: string,
): string {
  const [value, source] = given.flag
    ? [given.flag, '--subscription']
    : given.env
      ? [given.env, 'AZURE_SUBSCRIPTION_ID']
      : [undefined, undefined];
  if (value === undefined) {
    const byDefault = profile.find((subscription) => subscription.isDefault)?.id;
    if (byDefault) return byDefault;
    throw usageError(
      `No subscription: --subscription is not given, AZURE_SUBSCRIPTION_ID is not set, and ${profileFile} names no default subscription.`,
      'Pass --subscription <id or name>, set AZURE_SUBSCRIPTION_ID, or run `az login` (and `az account set -s <id>`); use --sandbox for the local sandbox.',
    );
  }
  if (SUBSCRIPTION_ID.test(value)) return value;
  const named = profile.filter((subscription) => subscription.name?.toLowerCase() === value.toLowerCase());
  if (named.length === 1) return named[0]!.id;
  if (named.length > 1) {
    throw usageError(
      `${source} '${value}' names ${named.length} subscriptions in ${profileFile}: ${named.map((subscription) => subscription.id).join(', ')}.`,
      'Pass the subscription id instead of its name.',
    );
  }
  throw usageError(
    `${source} '${value}' is not a subscription id, and no subscription of that name is in ${profileFile}.`,
    'Pass a subscription id, or a name that `az account list -o table` shows (after `az login`).',
  );
}
