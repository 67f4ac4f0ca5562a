// The runtime's namespace globals, found without the sandbox's own code (sandbox/per_run_global.ts
// derives its list, NAMESPACE_GLOBALS, with its own predicate): tests compare the two, so that a
// namespace a new runtime adds cannot slip through as a shared object.

const { getOwnPropertyDescriptor, getPrototypeOf, ownKeys } = Reflect;

/**
 * Whether a value is a plain non-callable object: its prototype is `Object.prototype` or `null`,
 * or, as Node's and Deno's `console`, an object that is itself plain and no class's prototype (it
 * has no `constructor` of its own).
 */
export function isPlainNamespace(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const prototype = getPrototypeOf(value);
  if (prototype === null || prototype === Object.prototype) return true;
  return !Object.hasOwn(prototype, "constructor") && isPlainNamespace(prototype);
}

/**
 * Every own property of the host's global object (data or getter; getters are called) whose value
 * is a plain namespace, by key, except references to the global object itself.
 */
export function runtimeNamespaceGlobals(): Map<PropertyKey, object> {
  const found = new Map<PropertyKey, object>();
  for (const key of ownKeys(globalThis)) {
    const descriptor = getOwnPropertyDescriptor(globalThis, key)!;
    let value: unknown;
    try {
      value = descriptor.get ? descriptor.get.call(globalThis) : descriptor.value;
    } catch {
      continue; // a getter that throws on the host (a runtime without the feature)
    }
    if (value !== globalThis && isPlainNamespace(value)) found.set(key, value);
  }
  return found;
}
