/**
 * The global object a workflow run sees. Every own key of the host's global object is bound per
 * run (the list is read from the runtime, so Deno's `Deno`, `self` and `navigator` and Node's
 * `global` and `process` are all present); references to the host global itself (`globalThis`,
 * `global`, `self`, `window`) point to the run's object. Writes, additions and deletions stay in
 * the run. Values are the host's own objects unless the run's restrictions replace them.
 * @module
 */
import { ECMASCRIPT_GLOBALS } from "./ecmascript_globals.ts";
import {
  create,
  defineProperty,
  getOwnPropertyDescriptor,
  hasOwn,
  hostGlobal,
  ownKeys,
  reflectSet,
} from "./host_intrinsics.ts";

/** A run's global object and the values its functors receive as constants. */
export interface PerRunGlobal {
  readonly global: Record<PropertyKey, unknown>;
  /** `ECMASCRIPT_GLOBALS` in order, read from `global`. */
  readonly constants: readonly unknown[];
  /** The scope for CommonJS (sloppy) modules: implicit global assignments land on `global`. */
  readonly sloppyScope: object;
  /**
   * The scope for ES modules: `global`, plus the names the host global gained after the sandbox
   * captured it, which resolve to the run (as absent) instead of the host's values.
   */
  readonly strictScope: object;
}

const ECMASCRIPT = new Set(ECMASCRIPT_GLOBALS);

// The host global's keys, read once: the template, the captured set and the self references all
// come from this one snapshot (reading descriptors can make a runtime define more globals lazily).
// The sandbox's own registered symbols (the current-run slot, the activation queue) are left out: a
// run that reached the slot could switch its own restrictions off.
const HOST_KEYS: readonly PropertyKey[] = ownKeys(hostGlobal).filter((key) =>
  typeof key !== "symbol" || Symbol.keyFor(key)?.startsWith("workflow-sandbox.") !== true
);

// Captured once, at first evaluation, before any workflow code exists.
const TEMPLATE: PropertyDescriptorMap = (() => {
  const descriptors: PropertyDescriptorMap = {};
  for (const key of HOST_KEYS) {
    const descriptor = getOwnPropertyDescriptor(hostGlobal, key)!;
    if (descriptor.get || descriptor.set) {
      // Host accessors (Node's lazy `crypto`, `navigator`) run against the host global, lazily,
      // so capturing them has no side effect; a write replaces the accessor within the run only.
      const getter = descriptor.get;
      descriptors[key as string] = {
        configurable: true,
        enumerable: descriptor.enumerable,
        get: getter ? () => getter.call(hostGlobal) : undefined,
        set(this: object, value: unknown) {
          defineProperty(this, key, { value, writable: true, configurable: true, enumerable: true });
        },
      };
      continue;
    }
    if (descriptor.value === hostGlobal) continue; // self references are bound per run below
    if (typeof key === "string" && ECMASCRIPT.has(key)) {
      // These are also passed to functors as constants; a write could not reach those, so it
      // fails loudly instead of being silently ignored. (Configurable, so that a run's
      // restricted values can replace them.)
      descriptors[key] = { ...descriptor, writable: false, configurable: true };
    } else {
      descriptors[key as string] = descriptor;
    }
  }
  return descriptors;
})();

// The host's global names when the sandbox captured it: a name the host gains later (a native
// run's `globalThis.x = 1`, a library's lazy polyfill) is not the run's.
export const CAPTURED_KEYS: ReadonlySet<PropertyKey> = new Set(HOST_KEYS);
const isLateHostName = (key: PropertyKey): boolean => key in hostGlobal && !CAPTURED_KEYS.has(key);

// Names that browsers and Deno define as getters returning the global itself (Deno's `self` is
// one); calling these getters once has no side effect, unlike arbitrary host getters.
const SELF_GETTER_NAMES = new Set(["self", "window", "global", "globalThis", "frames", "parent", "top"]);

const SELF_KEYS: readonly PropertyKey[] = HOST_KEYS.filter((key) => {
  const descriptor = getOwnPropertyDescriptor(hostGlobal, key)!;
  if (descriptor.get) return SELF_GETTER_NAMES.has(key as string) && descriptor.get.call(hostGlobal) === hostGlobal;
  return descriptor.value === hostGlobal;
});

/** Replacement properties for one run (restricted `Date`, per-run `Math`, checked getters). */
export type GlobalOverrides = Readonly<Record<string, PropertyDescriptor>>;

/**
 * Creates a run's global object.
 *
 * @example
 * ```ts
 * import { createPerRunGlobal } from "./per_run_global.ts";
 * const run = createPerRunGlobal({});
 * run.global.globalThis === run.global; // true
 * (run.global as any).x = 1;            // the host global is untouched
 * ```
 */
export function createPerRunGlobal(overrides: GlobalOverrides): PerRunGlobal {
  const global = create(Object.prototype, TEMPLATE) as Record<PropertyKey, unknown>;
  for (const key of SELF_KEYS) {
    defineProperty(global, key, { value: global, writable: true, configurable: true, enumerable: false });
  }
  for (const name in overrides) {
    const descriptor = overrides[name];
    const existing = getOwnPropertyDescriptor(global, name);
    if ("value" in descriptor && existing && "value" in existing) {
      // Keep the attributes the template gave the name (ECMAScript globals are read-only).
      defineProperty(global, name, { ...existing, value: descriptor.value });
    } else {
      defineProperty(global, name, descriptor);
    }
  }
  // Constants are read without running getters: a checked getter runs when code reads the name.
  const constants = ECMASCRIPT_GLOBALS.map((name) => {
    if (name === "globalThis") return global;
    const descriptor = getOwnPropertyDescriptor(global, name);
    return descriptor === undefined ? undefined : "value" in descriptor ? descriptor.value : descriptor.get?.call(global);
  });
  return { global, constants, sloppyScope: createSloppyScope(global), strictScope: createStrictScope(global) };
}

function createSloppyScope(global: Record<PropertyKey, unknown>): object {
  return new Proxy(global, {
    // Names the host did not define when captured are claimed by the run, so that `x = 1` in
    // sloppy code creates a run global rather than a host global. Captured host names the run
    // deleted fall through.
    has: (target, key) => typeof key === "string" && (key in target || !CAPTURED_KEYS.has(key)),
    get: (target, key) => (key === Symbol.unscopables ? undefined : target[key]),
  });
}

function createStrictScope(global: Record<PropertyKey, unknown>): object {
  return new Proxy(global, {
    // A late host name would otherwise fall through the `with` to the host global: reads would
    // see the host's value and strict assignments would write it.
    has: (target, key) => key in target || isLateHostName(key),
    get: (target, key) => (key === Symbol.unscopables ? undefined : target[key]),
    // Strict code assigning a name the run does not have: a ReferenceError, as in a fresh process.
    set: (target, key, value) => {
      if (!(key in target)) throw new ReferenceError(`${String(key)} is not defined`);
      return reflectSet(target, key, value);
    },
  });
}

/** Whether a key exists on the host global (used by tests and the escape catalog). */
export const isHostGlobalKey = (key: PropertyKey): boolean => hasOwn(hostGlobal, key);
