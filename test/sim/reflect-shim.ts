// Test tooling (Node): the smallest Reflect metadata API that @peculiar/x509's tsyringe needs, since no polyfill package is installed.

type MetadataKey = string | symbol;
type MetadataTarget = object;

interface ReflectMetadataApi {
  getMetadata?: (key: MetadataKey, target: MetadataTarget) => unknown;
  getOwnMetadata?: (key: MetadataKey, target: MetadataTarget) => unknown;
  defineMetadata?: (key: MetadataKey, value: unknown, target: MetadataTarget) => void;
}

const store = new WeakMap<MetadataTarget, Map<MetadataKey, unknown>>();

function getOwnMetadata(key: MetadataKey, target: MetadataTarget): unknown {
  return store.get(target)?.get(key);
}

function getMetadata(key: MetadataKey, target: MetadataTarget): unknown {
  // Metadata is inherited along the prototype chain, as reflect-metadata does.
  for (let current: MetadataTarget | null = target; current; current = Object.getPrototypeOf(current) as MetadataTarget | null) {
    const found = store.get(current);
    if (found?.has(key)) return found.get(key);
  }
  return undefined;
}

function defineMetadata(key: MetadataKey, value: unknown, target: MetadataTarget): void {
  let entries = store.get(target);
  if (!entries) {
    entries = new Map();
    store.set(target, entries);
  }
  entries.set(key, value);
}

/** Installs the shim unless a real polyfill (reflect-metadata, core-js) is already loaded. */
export function installReflectMetadata(): void {
  const api = Reflect as unknown as ReflectMetadataApi;
  if (typeof api.getMetadata === 'function') return;
  api.getMetadata = getMetadata;
  api.getOwnMetadata = getOwnMetadata;
  api.defineMetadata = defineMetadata;
}
