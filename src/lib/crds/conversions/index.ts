/**
 * The conversion registry: moves a custom object from its stored API version to another by chaining one-version
 * steps (v1alpha1 → v1alpha2 → …). Only upgrades are known; anything else is refused before a write.
 */
import { ArcmeshError } from '../../errors.js';
import { portableObject, splitApiVersion, type CustomObject } from '../objects.js';
import { HTTP_ROUTE_GROUP_STEPS } from './http-route-group.js';
import { MESH_CONFIG_STEPS } from './mesh-config.js';
import type { ConversionStep } from './step.js';
import { TCP_ROUTE_STEPS } from './tcp-route.js';
import { TRAFFIC_SPLIT_STEPS } from './traffic-split.js';
import { TRAFFIC_TARGET_STEPS } from './traffic-target.js';

export const CONVERSION_STEPS: readonly ConversionStep[] = [
  ...HTTP_ROUTE_GROUP_STEPS,
  ...MESH_CONFIG_STEPS,
  ...TCP_ROUTE_STEPS,
  ...TRAFFIC_SPLIT_STEPS,
  ...TRAFFIC_TARGET_STEPS,
];

/** The steps from one version to another (empty when they are equal), or undefined when there is no path. */
export function conversionPath(
  group: string,
  kind: string,
  from: string,
  to: string,
  steps: readonly ConversionStep[] = CONVERSION_STEPS,
): ConversionStep[] | undefined {
  const path: ConversionStep[] = [];
  let version = from;
  const seen = new Set([from]);
  while (version !== to) {
    const next = steps.find((step) => step.group === group && step.kind === kind && step.from === version);
    if (!next || seen.has(next.to)) return undefined;
    path.push(next);
    seen.add(next.to);
    version = next.to;
  }
  return path;
}

export function requireConversionPath(group: string, kind: string, from: string, to: string): ConversionStep[] {
  const path = conversionPath(group, kind, from, to);
  if (path) return path;
  const known = CONVERSION_STEPS.filter((step) => step.group === group && step.kind === kind);
  throw new ArcmeshError(
    'usage',
    `arcmesh cannot convert ${kind} (${group}) from ${from} to ${to}.`,
    known.length
      ? `It converts ${kind} along ${known.map((step) => `${step.from} → ${step.to}`).join(', ')} only; apply a CRD that serves ${from} or a later version it can reach.`
      : `It knows no conversions for ${kind}; apply a CRD that stores ${from}, as the backup does.`,
  );
}

/**
 * The object at `targetApiVersion`, without server-set fields. The input is not changed. Throws a usage error
 * for an unknown path and a failed error when an object's content cannot be carried over.
 */
export function convert(object: CustomObject, targetApiVersion: string): CustomObject {
  const source = splitApiVersion(object.apiVersion);
  const target = splitApiVersion(targetApiVersion);
  if (source.group !== target.group) {
    throw new ArcmeshError(
      'usage',
      `Cannot convert ${object.kind} from ${object.apiVersion} to ${targetApiVersion}: the API groups differ.`,
      'A conversion changes the version within one API group only.',
    );
  }
  let converted = portableObject(object);
  for (const step of requireConversionPath(source.group, object.kind, source.version, target.version)) {
    converted.apiVersion = `${step.group}/${step.to}`;
    converted = step.convert(converted);
  }
  return converted;
}
