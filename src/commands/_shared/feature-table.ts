/**
 * `-o table` for features: az's automatic table would show only Name, since the state sits under
 * `properties`; a person needs both.
 */
interface FeatureRow {
  name?: string;
  properties?: { state?: string };
}

export function featureTable(result: unknown): unknown {
  const row = (feature: FeatureRow) => ({ Name: feature.name, State: feature.properties?.state });
  return Array.isArray(result) ? (result as FeatureRow[]).map(row) : row(result as FeatureRow);
}
