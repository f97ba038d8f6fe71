/** CustomResourceDefinition manifests for tests that define a kind of their own. */

/** A CRD of `kind` in `group`, with the usual plural, singular and list kind derived from the kind. */
export function customResourceDefinition(
  group: string,
  kind: string,
  scope: 'Namespaced' | 'Cluster',
  versions: object[],
): string {
  const singular = kind.toLowerCase();
  const plural = `${singular}s`;
  return JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: { group, scope, names: { kind, plural, singular, listKind: `${kind}List` }, versions },
  });
}
