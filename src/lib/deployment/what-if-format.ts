/**
 * What-if results as text, in az's layout: a legend of change symbols, the changes grouped under their
 * scope (the resource group), property deltas indented under each resource, and a count per change type.
 */
import type { WhatIfChange, WhatIfOperationResult, WhatIfPropertyChange } from '@azure/arm-resourcesdeployments';

const SYMBOLS: Record<string, string> = {
  Create: '+',
  Delete: '-',
  Modify: '~',
  Deploy: '!',
  NoChange: '=',
  Ignore: '*',
  Unsupported: 'x',
};

const VERBS: Record<string, string> = {
  Create: 'to create',
  Delete: 'to delete',
  Modify: 'to modify',
  Deploy: 'to deploy',
  NoChange: 'no change',
  Ignore: 'to ignore',
  Unsupported: 'unsupported',
};

function formatValue(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function propertyLines(changes: WhatIfPropertyChange[], indent: string): string[] {
  return changes.flatMap((change) => {
    const symbol = SYMBOLS[change.propertyChangeType] ?? '?';
    if (change.children && change.children.length > 0)
      return [`${indent}${symbol} ${change.path}:`, ...propertyLines(change.children, `${indent}  `)];
    if (change.propertyChangeType === 'Modify')
      return [`${indent}~ ${change.path}: ${formatValue(change.before)} => ${formatValue(change.after)}`];
    if (change.propertyChangeType === 'Create') return [`${indent}+ ${change.path}: ${formatValue(change.after)}`];
    if (change.propertyChangeType === 'Delete') return [`${indent}- ${change.path}: ${formatValue(change.before)}`];
    return [`${indent}${symbol} ${change.path}`];
  });
}

function splitScope(resourceId: string): { scope: string; relative: string } {
  const match = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+)\/providers\/(.+)$/i.exec(resourceId);
  return match
    ? { scope: match[1] as string, relative: match[2] as string }
    : { scope: resourceId, relative: resourceId };
}

function apiVersionOf(change: WhatIfChange): string {
  const payload = (change.after ?? change.before) as { apiVersion?: unknown } | undefined;
  return typeof payload?.apiVersion === 'string' ? ` [${payload.apiVersion}]` : '';
}

export function formatWhatIf(result: WhatIfOperationResult): string {
  const changes = result.changes ?? [];
  const used = [...new Set(changes.map((change) => change.changeType))];
  const lines = ['Symbols used below for resource and property changes:'];
  for (const type of used) lines.push(`  ${SYMBOLS[type] ?? '?'} ${type}`);
  lines.push('', 'Changes by scope:', '');
  const byScope = new Map<string, WhatIfChange[]>();
  for (const change of changes) {
    const { scope } = splitScope(change.resourceId ?? '');
    byScope.set(scope, [...(byScope.get(scope) ?? []), change]);
  }
  for (const [scope, scoped] of byScope) {
    lines.push(`Scope: ${scope}`, '');
    for (const change of scoped) {
      lines.push(
        `  ${SYMBOLS[change.changeType] ?? '?'} ${splitScope(change.resourceId ?? '').relative}${apiVersionOf(change)}`,
      );
      if (change.delta && change.delta.length > 0) lines.push('', ...propertyLines(change.delta, '    '));
      lines.push('');
    }
  }
  const counts = used.map(
    (type) => `${changes.filter((change) => change.changeType === type).length} ${VERBS[type] ?? type}`,
  );
  lines.push(`Resource changes: ${counts.length > 0 ? counts.join(', ') : 'none'}.`);
  return `${lines.join('\n')}\n`;
}
