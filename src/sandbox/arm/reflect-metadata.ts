/**
 * The part of the Reflect metadata API that @peculiar/x509's dependency tsyringe requires at load time
 * (it refuses to load without `Reflect.getMetadata`). The `reflect-metadata` package is the usual
 * polyfill but is not among our dependencies; x509 only needs get/define/getOwn on plain objects.
 * Imported for its side effect before @peculiar/x509; leaves an existing polyfill alone.
 */
type MetadataKey = unknown;
type Target = object;

const store = new WeakMap<Target, Map<string | symbol | undefined, Map<MetadataKey, unknown>>>();

function ownMap(
  target: Target,
  property: string | symbol | undefined,
  create: boolean,
): Map<MetadataKey, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let metadata = byProperty.get(property);
  if (!metadata && create) {
    metadata = new Map();
    byProperty.set(property, metadata);
  }
  return metadata;
}

interface ReflectMetadata {
  getMetadata?: unknown;
}

if (!(Reflect as ReflectMetadata).getMetadata) {
  const getOwnMetadata = (key: MetadataKey, target: Target, property?: string | symbol) =>
    ownMap(target, property, false)?.get(key);
  const hasOwnMetadata = (key: MetadataKey, target: Target, property?: string | symbol) =>
    ownMap(target, property, false)?.has(key) ?? false;
  const getMetadata = (key: MetadataKey, target: Target, property?: string | symbol): unknown => {
    for (let current: Target | null = target; current; current = Object.getPrototypeOf(current) as Target | null) {
      if (hasOwnMetadata(key, current, property)) return getOwnMetadata(key, current, property);
    }
    return undefined;
  };
  const defineMetadata = (key: MetadataKey, value: unknown, target: Target, property?: string | symbol) => {
    ownMap(target, property, true)?.set(key, value);
  };
  Object.assign(Reflect, {
    getOwnMetadata,
    hasOwnMetadata,
    getMetadata,
    hasMetadata: (key: MetadataKey, target: Target, property?: string | symbol) =>
      getMetadata(key, target, property) !== undefined,
    defineMetadata,
    metadata: (key: MetadataKey, value: unknown) => (target: Target, property?: string | symbol) =>
      defineMetadata(key, value, target, property),
  });
}
