/**
 * Which webhooks a request reaches: a webhook's rules (operations, apiGroups, apiVersions, resources with
 * subresources and `*`, scope), its namespaceSelector and its objectSelector, as the apiserver matches them.
 */
import type { KubeObject } from '../objects.js';
import { labelSelectorObjectMatches, type LabelSelectorObject } from '../selectors.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface RuleWithOperations {
  operations?: string[];
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  scope?: '*' | 'Cluster' | 'Namespaced';
}

export interface WebhookSpec {
  name: string;
  clientConfig: {
    url?: string;
    caBundle?: string;
    service?: { name: string; namespace: string; path?: string; port?: number };
  };
  rules?: RuleWithOperations[];
  failurePolicy?: 'Fail' | 'Ignore';
  namespaceSelector?: LabelSelectorObject;
  objectSelector?: LabelSelectorObject;
  sideEffects?: string;
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  /** Mutating webhooks only: `IfNeeded` asks for another call when a later webhook changes the object. */
  reinvocationPolicy?: 'Never' | 'IfNeeded';
}

/** What a request is about, for matching. */
export interface AdmissionTarget {
  operation: AdmissionOperation;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespaced: boolean;
  object?: KubeObject;
  oldObject?: KubeObject;
  /** Labels of the request's namespace (of the namespace itself when the object is one); undefined when cluster-scoped. */
  namespaceLabels?: Record<string, string>;
}

const listMatches = (list: string[] | undefined, value: string): boolean =>
  (list ?? []).some((entry) => entry === '*' || entry === value);

/** `pods` matches the resource only, `pods/status` one subresource, `*` all resources, `*\/*` everything. */
function resourceMatches(patterns: string[] | undefined, resource: string, subresource: string): boolean {
  return (patterns ?? []).some((pattern) => {
    const [patternResource, patternSub = ''] = pattern.split('/');
    const resourceOk = patternResource === '*' || patternResource === resource;
    const subresourceOk = patternSub === '*' || patternSub === subresource;
    return resourceOk && subresourceOk;
  });
}

function ruleMatches(rule: RuleWithOperations, target: AdmissionTarget): boolean {
  const scope = rule.scope ?? '*';
  if (scope === 'Cluster' && target.namespaced) return false;
  if (scope === 'Namespaced' && !target.namespaced) return false;
  return (
    listMatches(rule.operations, target.operation) &&
    listMatches(rule.apiGroups, target.group) &&
    listMatches(rule.apiVersions, target.version) &&
    resourceMatches(rule.resources, target.resource, target.subresource)
  );
}

export function webhookMatches(webhook: WebhookSpec, target: AdmissionTarget): boolean {
  if (!(webhook.rules ?? []).some((rule) => ruleMatches(rule, target))) return false;
  if (
    target.namespaceLabels !== undefined &&
    !labelSelectorObjectMatches(webhook.namespaceSelector, target.namespaceLabels)
  )
    return false;
  const labelsOf = (object: KubeObject | undefined) => object?.metadata.labels;
  const candidates = [target.object, target.oldObject].filter((object) => object !== undefined);
  return candidates.some((object) => labelSelectorObjectMatches(webhook.objectSelector, labelsOf(object)));
}
