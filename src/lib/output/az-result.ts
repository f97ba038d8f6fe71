/**
 * What az's invoker does to every command's result before `--query` and the formatter see it: `todict`
 * (datetimes become Python `isoformat()` strings) and the result transform that adds `resourceGroup`, parsed
 * from `id`, to every object that has one. Done here once, on the shared output path, so every ARM resource
 * arcmesh prints gets it, whichever command prints it.
 */

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * A Date as Python's `datetime.isoformat()` prints an aware UTC datetime, which is what az prints for the SDK's
 * datetimes: `+00:00` rather than `Z`, microseconds (six digits) and no fraction at all when they are zero.
 * A JS Date holds milliseconds, so the last three digits are always 0 (az keeps up to six of ARM's seven).
 */
export function pythonIsoformat(date: Date): string | null {
  if (Number.isNaN(date.getTime())) return null;
  const time =
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  const milliseconds = date.getUTCMilliseconds();
  return `${time}${milliseconds === 0 ? '' : `.${pad(milliseconds * 1000, 6)}`}+00:00`;
}

/**
 * The resource group named by an ARM id, by az's rule: the id's fourth segment is `resourceGroups` (any case)
 * and the id goes on to a resource name (a resource group's own id gets none).
 */
export function resourceGroupOf(id: unknown): string | null {
  if (typeof id !== 'string' || !id) return null;
  const parts = id.split('/');
  if (parts[3]?.toLowerCase() !== 'resourcegroups' || parts.length < 9) return null;
  return parts[4] ?? null;
}

/** todict: Dates as isoformat, undefined object members dropped (JSON has no undefined), everything else as is. */
function plainValue(value: unknown): unknown {
  if (value instanceof Date) return pythonIsoformat(value);
  if (Array.isArray(value)) return value.map(plainValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, member]) => member !== undefined)
        .map(([name, member]) => [name, plainValue(member)]),
    );
  }
  return value;
}

/** az's result transform: every object with an `id` and no resource group key (in any case) gets one, at any depth. */
function addResourceGroups(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) addResourceGroups(item);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  if (!Object.keys(record).some((name) => name.toLowerCase() === 'resourcegroup')) {
    const resourceGroup = resourceGroupOf(record.id);
    if (resourceGroup !== null) record.resourceGroup = resourceGroup;
  }
  // az leaves Key Vault references alone.
  for (const [name, member] of Object.entries(record)) if (name !== 'sourceVault') addResourceGroups(member);
}

/** A command's result as az hands it to `--query` and the formatters. */
export function azResult(value: unknown): unknown {
  const plain = plainValue(value);
  addResourceGroups(plain);
  return plain;
}
