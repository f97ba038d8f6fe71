/**
 * A template + parameter values → the resources to PUT, in dependency order, and the outputs: ARM's
 * template validation and expansion, without I/O. Parameters are checked (presence, type, allowed values,
 * bounds), variables and expressions evaluated, copy loops expanded, `condition: false` resources dropped,
 * extension resources placed under their `scope`, and `dependsOn` sorted topologically.
 */
import {
  DeferredReference,
  EXPRESSIONS_HELP,
  ExpressionError,
  PARAMETER_FILE_HELP,
  RESOURCES_HELP,
  TemplateError,
  validationFailed,
} from './errors.js';
import { LocatedExpressionError, evaluateValue } from './evaluate.js';
import type { DeploymentScope, FunctionContext } from './functions.js';
import {
  checkCount,
  checkJsonDepth,
  checkResourceSize,
  checkTemplateSize,
  invalidCopyCount,
  isValidCopyCount,
  measure,
} from './limits.js';
import { armToString, armTypeName, isPlainObject, setOwn } from './values.js';

export interface PlannedResource {
  id: string;
  type: string;
  name: string;
  apiVersion: string;
  /** The request body of the resource's PUT (location, tags, properties, identity, sku, kind…). */
  body: Record<string, unknown>;
  /** Ids of the resources this one waits for. */
  dependsOn: string[];
}

export interface DeploymentPlan {
  /** Each parameter with its canonical type; secure values are left out, as ARM leaves them out. */
  parameters: Record<string, { type: string; value?: unknown }>;
  resources: PlannedResource[];
  outputs: Record<string, { type: string; value: unknown }>;
  /** Resources whose state outputs need (reference()) and the lookup did not have: evaluate again with them. */
  pendingReferences: Array<{ id: string; apiVersion: string }>;
}

/** A deployed resource's GET body by id and api-version; undefined when not fetched yet, null when it does not exist. */
export type ReferenceLookup = (id: string, apiVersion: string) => Record<string, unknown> | null | undefined;

/** The canonical spelling of each parameter/output type and the JSON type its value must have. */
const PARAMETER_TYPES: Record<string, { canonical: string; valueType: string; secure: boolean }> = {
  string: { canonical: 'String', valueType: 'String', secure: false },
  securestring: { canonical: 'SecureString', valueType: 'String', secure: true },
  int: { canonical: 'Int', valueType: 'Integer', secure: false },
  bool: { canonical: 'Bool', valueType: 'Boolean', secure: false },
  object: { canonical: 'Object', valueType: 'Object', secure: false },
  secureobject: { canonical: 'SecureObject', valueType: 'Object', secure: true },
  array: { canonical: 'Array', valueType: 'Array', secure: false },
};

/** Resource properties that steer the deployment rather than go to the resource provider. */
const TEMPLATE_ONLY_KEYS = new Set([
  'type',
  'apiversion',
  'name',
  'dependson',
  'copy',
  'condition',
  'scope',
  'comments',
  'metadata',
]);

function findKey(record: Record<string, unknown>, name: string): string | undefined {
  return Object.keys(record).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
}

function typeOf(kind: string, name: string, declared: unknown) {
  const type =
    typeof declared === 'string' && Object.hasOwn(PARAMETER_TYPES, declared.toLowerCase())
      ? PARAMETER_TYPES[declared.toLowerCase()]
      : undefined;
  if (!type) {
    throw validationFailed(
      `The template ${kind} '${name}' has type '${armToString(declared)}', which is not valid. Use one of: string, securestring, int, bool, object, secureobject, array. ${PARAMETER_FILE_HELP}`,
    );
  }
  return type;
}

/** How much of an expression a message quotes: enough to find it, not all of a 24,576-character one. */
const QUOTED_EXPRESSION_LENGTH = 200;

function expressionFailure(subject: string, error: unknown): TemplateError {
  if (error instanceof LocatedExpressionError) {
    const text =
      error.expressionText.length > QUOTED_EXPRESSION_LENGTH
        ? `${error.expressionText.slice(0, QUOTED_EXPRESSION_LENGTH)}…`
        : error.expressionText;
    return validationFailed(`${subject} is not valid: ${error.reason} Expression: '${text}'. ${EXPRESSIONS_HELP}`);
  }
  throw error;
}

function checkParameterValue(name: string, definition: Record<string, unknown>, value: unknown): void {
  const type = typeOf('parameter', name, definition.type);
  const actual = armTypeName(value);
  if (actual !== type.valueType) {
    throw validationFailed(
      `The provided value for the template parameter '${name}' is not valid. Expected a value of type '${type.valueType}', but received a value of type '${actual}'. ${PARAMETER_FILE_HELP}`,
    );
  }
  const shown = type.secure ? '' : ` '${armToString(value)}'`;
  if (Array.isArray(definition.allowedValues)) {
    const allowed = definition.allowedValues;
    const ok = Array.isArray(value)
      ? value.every((item) => allowed.some((candidate) => JSON.stringify(candidate) === JSON.stringify(item)))
      : allowed.some((candidate) => JSON.stringify(candidate) === JSON.stringify(value));
    if (!ok) {
      throw validationFailed(
        `The provided value${shown} for the template parameter '${name}' is not valid. The parameter value is not part of the allowed value(s): '${allowed.map(armToString).join(',')}'.`,
      );
    }
  }
  if (typeof value === 'number') {
    if (typeof definition.minValue === 'number' && value < definition.minValue)
      throw validationFailed(
        `The provided value${shown} for the template parameter '${name}' is not valid. The value must be at least '${definition.minValue}'.`,
      );
    if (typeof definition.maxValue === 'number' && value > definition.maxValue)
      throw validationFailed(
        `The provided value${shown} for the template parameter '${name}' is not valid. The value must be at most '${definition.maxValue}'.`,
      );
  }
  if (typeof value === 'string' || Array.isArray(value)) {
    if (typeof definition.minLength === 'number' && value.length < definition.minLength)
      throw validationFailed(
        `The provided value for the template parameter '${name}' is not valid. Its length must be at least '${definition.minLength}'.`,
      );
    if (typeof definition.maxLength === 'number' && value.length > definition.maxLength)
      throw validationFailed(
        `The provided value for the template parameter '${name}' is not valid. Its length must be at most '${definition.maxLength}'.`,
      );
  }
}

interface ResourceInstance {
  id: string;
  /** The id ARM would compute with `resourceId(type, name)` in the deployment's group, scope or not. */
  groupLevelId: string;
  type: string;
  name: string;
  copyName: string | undefined;
  resource: PlannedResource;
  rawDependsOn: string[];
  /** Its condition was false: not deployed, and a dependency on it is satisfied, as ARM skips it. */
  skipped: boolean;
}

function resourceIdFor(
  scope: DeploymentScope,
  type: string,
  name: string,
  resourceScope: string | undefined,
): { id: string; groupLevelId: string } {
  const groupId = `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`;
  const [namespace, ...types] = type.split('/');
  const names = name.split('/');
  if (!namespace || types.length === 0 || types.length !== names.length) {
    throw validationFailed(
      `The template resource '${name}' for type '${type}' has an incorrect segment length. A nested resource type must have identical number of segments as its resource name. ${RESOURCES_HELP}`,
    );
  }
  const path = `${namespace}/${types.map((segment, index) => `${segment}/${names[index]}`).join('/')}`;
  const groupLevelId = `${groupId}/providers/${path}`;
  if (resourceScope === undefined || resourceScope === '') return { id: groupLevelId, groupLevelId };
  // `scope` is a full id, or (the seed's form) a type/name path relative to the deployment's group.
  const scopeId = resourceScope.startsWith('/')
    ? resourceScope.replace(/\/$/, '')
    : `${groupId}/providers/${resourceScope}`;
  return { id: `${scopeId}/providers/${path}`, groupLevelId };
}

export function planDeployment(
  template: unknown,
  given: unknown,
  scope: DeploymentScope,
  lookup: ReferenceLookup = () => undefined,
): DeploymentPlan {
  if (!isPlainObject(template)) throw validationFailed('The template must be a JSON object.');
  if (!Array.isArray(template.resources)) {
    throw validationFailed(
      `The template must have a 'resources' array (symbolic-name templates are not supported by the sandbox). ${RESOURCES_HELP}`,
    );
  }
  if (Array.isArray(template.functions) && template.functions.length > 0) {
    throw validationFailed(
      `User-defined template functions are not supported by the sandbox; inline them. ${EXPRESSIONS_HELP}`,
    );
  }
  // Limits first: nothing below may walk a structure deeper, or build one larger, than ARM would take.
  checkJsonDepth(template, 'The template');
  checkJsonDepth(given, 'The parameters');
  checkTemplateSize(measure(template).bytes, 'The template');
  checkTemplateSize(measure(given).bytes, 'The parameter file');
  const declared = isPlainObject(template.parameters) ? template.parameters : {};
  const supplied = isPlainObject(given) ? given : {};
  // `variables.copy` declares array variables built by a loop, one per entry (ARM's variable iteration).
  const { copy: variableLoops, ...variables } = isPlainObject(template.variables) ? template.variables : {};
  const loopList = Array.isArray(variableLoops) ? variableLoops.filter(isPlainObject) : [];
  for (const loop of loopList) if (typeof loop.name === 'string') setOwn(variables, loop.name, { copy: [loop] });
  const loopNames = new Set(loopList.map((loop) => loop.name));
  const declaredOutputs = isPlainObject(template.outputs) ? template.outputs : {};
  checkCount('parameters', Object.keys(declared).length);
  checkCount('variables', Object.keys(variables).length);
  checkCount('outputs', Object.keys(declaredOutputs).length);
  checkCount('resources', template.resources.length);

  const unknownParameters = Object.keys(supplied).filter((name) => findKey(declared, name) === undefined);
  if (unknownParameters.length > 0) {
    throw validationFailed(
      `The template parameters '${unknownParameters.join(', ')}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are '${Object.keys(declared).join(', ')}'. ${PARAMETER_FILE_HELP}`,
    );
  }

  const instances: ResourceInstance[] = [];
  const pendingReferences: DeploymentPlan['pendingReferences'] = [];
  const parameterValues = new Map<string, unknown>();
  const variableValues = new Map<string, unknown>();
  const evaluating = new Set<string>();

  const context: FunctionContext = {
    scope,
    parameter(name) {
      const declaredName = findKey(declared, name);
      if (declaredName === undefined)
        throw new ExpressionError(
          `The template parameter '${name}' is not found. Declared parameters: '${Object.keys(declared).join(', ')}'.`,
        );
      return resolveParameter(declaredName);
    },
    variable(name) {
      const declaredName = findKey(variables, name);
      if (declaredName === undefined)
        throw new ExpressionError(
          `The template variable '${name}' is not found. Declared variables: '${Object.keys(variables).join(', ')}'.`,
        );
      return resolveVariable(declaredName);
    },
    reference(target, apiVersion, full) {
      const own = instances.find((instance) =>
        target.startsWith('/')
          ? instance.id.toLowerCase() === target.toLowerCase()
          : instance.name.toLowerCase() === target.toLowerCase(),
      );
      const id = own?.id ?? target;
      if (!id.startsWith('/'))
        throw new ExpressionError(
          `The resource '${target}' referenced by reference() is not defined in the template; pass its resource id.`,
        );
      const version = apiVersion ?? own?.resource.apiVersion;
      if (!version)
        throw new ExpressionError(
          `reference('${target}') needs an api-version: the resource is not deployed by this template.`,
        );
      const body = lookup(id, version);
      if (body === undefined) {
        pendingReferences.push({ id, apiVersion: version });
        throw new DeferredReference(id, version);
      }
      if (body === null) throw new ExpressionError(`The Resource '${id}' was not found.`);
      return full ? body : (body.properties ?? {});
    },
    copyIndex() {
      throw new ExpressionError(
        "The template function 'copyIndex' is not expected at this location: only inside a copy loop.",
      );
    },
  };

  function resolveParameter(name: string): unknown {
    if (parameterValues.has(name)) return parameterValues.get(name);
    const definition = declared[name];
    if (!isPlainObject(definition))
      throw validationFailed(`The template parameter '${name}' must be an object with a 'type'.`);
    typeOf('parameter', name, definition.type);
    const suppliedName = findKey(supplied, name);
    let value: unknown;
    if (suppliedName !== undefined) {
      const entry = supplied[suppliedName];
      if (!isPlainObject(entry) || !('value' in entry)) {
        if (isPlainObject(entry) && 'reference' in entry)
          throw new TemplateError(
            'InvalidTemplateDeployment',
            `The parameter '${name}' uses a Key Vault reference, which the sandbox cannot resolve. Pass the value directly.`,
          );
        throw validationFailed(
          `The value of the template parameter '${name}' must be given as {"value": …}. ${PARAMETER_FILE_HELP}`,
        );
      }
      value = entry.value;
    } else if ('defaultValue' in definition) {
      if (evaluating.has(`parameter:${name}`))
        throw validationFailed(`The default value of the template parameter '${name}' refers to itself.`);
      evaluating.add(`parameter:${name}`);
      try {
        value = evaluateValue(definition.defaultValue, context);
      } catch (error) {
        throw expressionFailure(`The template parameter '${name}'`, error);
      } finally {
        evaluating.delete(`parameter:${name}`);
      }
    } else {
      throw validationFailed(`The value for the template parameter '${name}' is not provided. ${PARAMETER_FILE_HELP}`);
    }
    checkParameterValue(name, definition, value);
    parameterValues.set(name, value);
    return value;
  }

  function resolveVariable(name: string): unknown {
    if (variableValues.has(name)) return variableValues.get(name);
    if (evaluating.has(`variable:${name}`)) throw validationFailed(`The template variable '${name}' refers to itself.`);
    evaluating.add(`variable:${name}`);
    try {
      const value = loopNames.has(name)
        ? (evaluateValue(variables[name], context, true) as Record<string, unknown>)[name]
        : evaluateValue(variables[name], context);
      variableValues.set(name, value);
      return value;
    } catch (error) {
      throw expressionFailure(`The template variable '${name}'`, error);
    } finally {
      evaluating.delete(`variable:${name}`);
    }
  }

  const parameters: DeploymentPlan['parameters'] = {};
  for (const name of Object.keys(declared)) {
    const value = resolveParameter(name);
    const type = typeOf('parameter', name, (declared[name] as Record<string, unknown>).type);
    setOwn(parameters, name, type.secure ? { type: type.canonical } : { type: type.canonical, value });
  }

  // Every copy count is known before any resource is expanded, so that the 800 resources ARM allows are counted
  // with their copies first.
  const loops = template.resources.map((raw, position) => {
    if (!isPlainObject(raw))
      throw validationFailed(`The template resource at position '${position}' must be an object. ${RESOURCES_HELP}`);
    const label = typeof raw.name === 'string' ? raw.name : `#${position}`;
    const subject = `The template resource '${label}'`;
    if (Array.isArray(raw.resources) && raw.resources.length > 0) {
      throw validationFailed(
        `${subject} has nested child resources, which the sandbox does not support; declare them at the top level with a full type and name. ${RESOURCES_HELP}`,
      );
    }
    const copy = isPlainObject(raw.copy) ? raw.copy : undefined;
    let count: unknown = 1;
    try {
      if (copy) count = evaluateValue(copy.count, context);
    } catch (error) {
      throw expressionFailure(subject, error);
    }
    if (!isValidCopyCount(count)) throw invalidCopyCount(`resource '${label}'`, armToString(count));
    return { raw, label, subject, copy, count };
  });
  checkCount(
    'resources',
    loops.reduce((total, loop) => total + loop.count, 0),
  );

  let finalBytes = 0;
  for (const { raw, label, subject, copy, count } of loops) {
    try {
      const copyName = copy && typeof copy.name === 'string' ? copy.name : undefined;
      for (let index = 0; index < count; index += 1) {
        const instanceContext: FunctionContext = copy
          ? {
              ...context,
              copyIndex: (loopName) => {
                if (loopName === undefined || loopName.toLowerCase() === copyName?.toLowerCase()) return index;
                return context.copyIndex(loopName);
              },
            }
          : context;
        const instance = planInstance(raw, instanceContext, subject, copyName);
        finalBytes += checkResourceSize(instance.name || label, instance.resource.body);
        checkTemplateSize(finalBytes);
        instances.push(instance);
      }
    } catch (error) {
      throw expressionFailure(subject, error);
    }
  }

  function planInstance(
    raw: Record<string, unknown>,
    instanceContext: FunctionContext,
    subject: string,
    copyName: string | undefined,
  ): ResourceInstance {
    let skipped = false;
    if ('condition' in raw) {
      const condition = evaluateValue(raw.condition, instanceContext);
      if (typeof condition !== 'boolean') {
        throw validationFailed(
          `${subject} is not valid: its condition must be a boolean, not a value of type '${armTypeName(condition)}'. ${RESOURCES_HELP}`,
        );
      }
      skipped = !condition;
    }
    const type = evaluateValue(raw.type, instanceContext);
    const name = evaluateValue(raw.name, instanceContext);
    const apiVersion = evaluateValue(raw.apiVersion, instanceContext);
    for (const [field, value] of [
      ['type', type],
      ['name', name],
      ['apiVersion', apiVersion],
    ] as const) {
      if (typeof value !== 'string' || value === '')
        throw validationFailed(`${subject} is not valid: '${field}' must be a non-empty string. ${RESOURCES_HELP}`);
    }
    const resourceScope = 'scope' in raw ? evaluateValue(raw.scope, instanceContext) : undefined;
    if (resourceScope !== undefined && typeof resourceScope !== 'string')
      throw validationFailed(`${subject} is not valid: 'scope' must be a string resource id. ${RESOURCES_HELP}`);
    const { id, groupLevelId } = resourceIdFor(scope, type as string, name as string, resourceScope);
    // A resource whose condition is false keeps its identity (others may depend on it) but is not deployed.
    if (skipped) {
      const resource = {
        id,
        type: type as string,
        name: name as string,
        apiVersion: apiVersion as string,
        body: {},
        dependsOn: [],
      };
      return {
        id,
        groupLevelId,
        type: type as string,
        name: name as string,
        copyName,
        rawDependsOn: [],
        resource,
        skipped,
      };
    }
    const body: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(raw)) {
      if (TEMPLATE_ONLY_KEYS.has(field.toLowerCase())) continue;
      setOwn(body, field, evaluateValue(value, instanceContext, field === 'properties'));
    }
    const dependsOn = Array.isArray(raw.dependsOn)
      ? raw.dependsOn.map((entry) => armToString(evaluateValue(entry, instanceContext)))
      : [];
    return {
      id,
      groupLevelId,
      type: type as string,
      name: name as string,
      copyName,
      rawDependsOn: dependsOn,
      skipped,
      resource: {
        id,
        type: type as string,
        name: name as string,
        apiVersion: apiVersion as string,
        body,
        dependsOn: [],
      },
    };
  }

  const resources = orderByDependencies(instances);

  const outputs: DeploymentPlan['outputs'] = {};
  for (const [name, definition] of Object.entries(declaredOutputs)) {
    if (!isPlainObject(definition))
      throw validationFailed(`The template output '${name}' must be an object with 'type' and 'value'.`);
    const type = typeOf('output', name, definition.type);
    try {
      if ('condition' in definition && evaluateValue(definition.condition, context) !== true) continue;
      const value = evaluateValue(definition.value, context);
      if (armTypeName(value) !== type.valueType) {
        throw validationFailed(
          `The template output '${name}' is not valid: Template output JToken type is not valid. Expected '${type.valueType}'. Actual '${armTypeName(value)}'.`,
        );
      }
      finalBytes += measure(value).bytes;
      checkTemplateSize(finalBytes);
      setOwn(outputs, name, { type: type.canonical, value });
    } catch (error) {
      if (error instanceof LocatedExpressionError && error.inner instanceof DeferredReference) continue;
      throw expressionFailure(`The template output '${name}'`, error);
    }
  }
  return { parameters, resources, outputs, pendingReferences };
}

/** Resolves each `dependsOn` entry (an id, `type/name`, a name, or a copy loop's name) and sorts topologically. */
function orderByDependencies(all: ResourceInstance[]): PlannedResource[] {
  const instances = all.filter((instance) => !instance.skipped);
  const matches = (instance: ResourceInstance, reference: string): boolean => {
    const wanted = reference.toLowerCase();
    return (
      instance.id.toLowerCase() === wanted ||
      instance.groupLevelId.toLowerCase() === wanted ||
      `${instance.type}/${instance.name}`.toLowerCase() === wanted ||
      instance.name.toLowerCase() === wanted ||
      instance.copyName?.toLowerCase() === wanted
    );
  };
  for (const instance of instances) {
    const ids = new Set<string>();
    for (const reference of instance.rawDependsOn) {
      const found = instances.filter((candidate) => matches(candidate, reference));
      if (found.length === 0 && !all.some((candidate) => candidate.skipped && matches(candidate, reference)))
        throw validationFailed(`The resource '${reference}' is not defined in the template. ${RESOURCES_HELP}`);
      for (const dependency of found) if (dependency !== instance) ids.add(dependency.id);
    }
    instance.resource.dependsOn = [...ids];
  }
  const ordered: PlannedResource[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const byId = new Map(instances.map((instance) => [instance.id.toLowerCase(), instance]));
  const visit = (instance: ResourceInstance) => {
    const id = instance.id.toLowerCase();
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw validationFailed(`Circular dependency detected on resource: '${instance.id}'. ${RESOURCES_HELP}`);
    state.set(id, 'visiting');
    for (const dependency of instance.resource.dependsOn) visit(byId.get(dependency.toLowerCase()) as ResourceInstance);
    state.set(id, 'done');
    ordered.push(instance.resource);
  };
  for (const instance of instances) visit(instance);
  return ordered;
}
