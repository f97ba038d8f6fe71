/**
 * Envoy's stats for what the stand-in really tracks, under Envoy's names, and their three renderings: `/stats`
 * (`name: value`, sorted), `/stats?format=json`, and `/stats/prometheus` with Envoy's default tag extraction
 * (`cluster.<name>.` → envoy_cluster_name, `http.<prefix>.` → envoy_http_conn_manager_prefix,
 * `….rds.<route>.` → envoy_rds_route_config) and its name sanitising.
 */

export interface Stat {
  name: string;
  value: number;
  type: 'counter' | 'gauge';
}

export function statsText(stats: readonly Stat[], filter?: RegExp): string {
  return sorted(stats)
    .filter((stat) => !filter || filter.test(stat.name))
    .map((stat) => `${stat.name}: ${stat.value}\n`)
    .join('');
}

export function statsJson(stats: readonly Stat[], filter?: RegExp): { stats: { name: string; value: number }[] } {
  return {
    stats: sorted(stats)
      .filter((stat) => !filter || filter.test(stat.name))
      .map(({ name, value }) => ({ name, value })),
  };
}

interface Extracted {
  name: string;
  labels: [string, string][];
}

// Envoy's well-known tag extractors (source/common/config/well_known_names.cc), in the order it applies them.
const EXTRACTORS: { label: string; pattern: RegExp }[] = [
  { label: 'envoy_rds_route_config', pattern: /^http(?=\.).*?\.rds\.((.*?)\.)\w+?$/ },
  { label: 'envoy_http_conn_manager_prefix', pattern: /^http\.((.*?)\.)/ },
  { label: 'envoy_cluster_name', pattern: /^cluster\.((.*?)\.)/ },
];

/** A stat name as Prometheus shows it: tags taken out of the name, the rest sanitised, `envoy_` in front. */
export function prometheusName(stat: string): Extracted {
  let name = stat;
  const labels: [string, string][] = [];
  for (const { label, pattern } of EXTRACTORS) {
    const match = pattern.exec(name);
    if (!match) continue;
    const [, whole, value] = match;
    const start = match.index + match[0].indexOf(whole!);
    name = name.slice(0, start) + name.slice(start + whole!.length);
    labels.push([label, value!]);
  }
  return { name: `envoy_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`, labels };
}

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function statsPrometheus(stats: readonly Stat[]): string {
  const families = new Map<string, { type: Stat['type']; lines: string[] }>();
  for (const type of ['counter', 'gauge'] as const) {
    for (const stat of sorted(stats).filter((candidate) => candidate.type === type)) {
      const { name, labels } = prometheusName(stat.name);
      const family = families.get(name) ?? { type, lines: [] };
      families.set(name, family);
      const tags = labels.map(([label, value]) => `${label}="${escapeLabel(value)}"`).join(',');
      family.lines.push(`${name}{${tags}} ${stat.value}`);
    }
  }
  return [...families.entries()]
    .map(([name, family]) => `# TYPE ${name} ${family.type}\n${family.lines.join('\n')}\n`)
    .join('');
}

function sorted(stats: readonly Stat[]): Stat[] {
  return [...stats].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
