/** One conversion of one kind from one API version to the next, as a pure function of the object. */
import { ArcmeshError } from '../../errors.js';
import { objectKey, type CustomObject } from '../objects.js';

export interface ConversionStep {
  group: string;
  kind: string;
  from: string;
  to: string;
  /** Receives a private copy (it may change it) whose apiVersion the registry has already set to `to`. */
  convert(object: CustomObject): CustomObject;
}

/** A step that only renames the version: the two versions share one schema. */
export const renameOnly = (group: string, kind: string, from: string, to: string): ConversionStep => ({
  group,
  kind,
  from,
  to,
  convert: (object) => object,
});

/** An object a step cannot convert without losing or guessing content. */
export function unconvertible(step: ConversionStep, object: CustomObject, why: string, fix: string): ArcmeshError {
  return new ArcmeshError(
    'failed',
    `Cannot convert ${step.kind} ${objectKey(object)} from ${step.group}/${step.from} to ${step.to}: ${why}`,
    fix,
  );
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The object's spec, created empty when absent so steps can move fields into it. */
export function specOf(object: CustomObject): Record<string, unknown> {
  if (!isRecord(object.spec)) object.spec = {};
  return object.spec as Record<string, unknown>;
}
