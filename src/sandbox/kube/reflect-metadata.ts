/**
 * @peculiar/x509 2.x resolves its services through tsyringe, which needs the Reflect metadata API and expects
 * the application to provide it (the usual polyfill packages are not in our dependencies). This is the small
 * subset tsyringe calls: metadata stored per target and property key, looked up along the prototype chain.
 */
type MetadataTarget = object;
type PropertyKey = string | symbol | undefined;

const store = new WeakMap<MetadataTarget, Map<PropertyKey, Map<unknown, unknown>>>();

function ownMap(target: MetadataTarget, property: PropertyKey, create: boolean): Map<unknown, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    store.set(target, (byProperty = new Map()));
  }
  let metadata = byProperty.get(property);
  if (!metadata && create) byProperty.set(property, (metadata = new Map()));
  return metadata;
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  const getOwnMetadata = (key: unknown, target: MetadataTarget, property?: PropertyKey) =>
    ownMap(target, property, false)?.get(key);
  const getMetadata = (key: unknown, target: MetadataTarget, property?: PropertyKey): unknown => {
    for (
      let current: MetadataTarget | null = target;
      current;
      current = Object.getPrototypeOf(current) as MetadataTarget | null
    ) {
      const map = ownMap(current, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
  const defineMetadata = (key: unknown, value: unknown, target: MetadataTarget, property?: PropertyKey): void => {
    ownMap(target, property, true)!.set(key, value);
  };
  Object.assign(reflect, {
    getOwnMetadata,
    getMetadata,
    defineMetadata,
    hasMetadata: (key: unknown, target: MetadataTarget, property?: PropertyKey) =>
      getMetadata(key, target, property) !== undefined,
    hasOwnMetadata: (key: unknown, target: MetadataTarget, property?: PropertyKey) =>
      ownMap(target, property, false)?.has(key) ?? false,
    metadata: (key: unknown, value: unknown) => (target: MetadataTarget, property?: PropertyKey) =>
      defineMetadata(key, value, target, property),
  });
}
