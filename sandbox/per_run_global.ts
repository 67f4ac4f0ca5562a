/**
 * The global object a workflow run sees. Every own key of the host's global object is bound per
 * run (the list is read from the runtime, so Deno's `Deno`, `self` and `navigator` and Node's
 * `global` and `process` are all present); references to the host global itself (`globalThis`,
 * `global`, `self`, `window`) point to the run's object. Writes, additions and deletions stay in
 * the run. Values are the host's own objects unless the run's restrictions replace them.
 * @module
 */
import { codedError } from "./coded_error.ts";
import { ECMASCRIPT_GLOBALS } from "./ecmascript_globals.ts";
import {
  create,
  defineProperty,
  freeze,
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

/**
 * What assigning an inherited global does in a run: an own property of the run's object, as a
 * plain `x = 1` creates on a global object, shadowing the layer's.
 *
 * @example
 * ```ts
 * import { createPerRunGlobal, defineOwnGlobal } from "./per_run_global.ts";
 * const { global } = createPerRunGlobal({});
 * defineOwnGlobal(global, "fetch", () => "polyfill");
 * ```
 */
export function defineOwnGlobal(global: object, key: PropertyKey, value: unknown): void {
  defineProperty(global, key, { value, writable: true, configurable: true, enumerable: true });
}

// The host global's keys, read once: the template, the captured set and the self references all
// come from this one snapshot (reading descriptors can make a runtime define more globals lazily).
// The sandbox's own registered symbols (the current-run slot, the activation queue) are left out: a
// run that reached the slot could switch its own restrictions off.
const HOST_KEYS: readonly PropertyKey[] = ownKeys(hostGlobal).filter((key) =>
  typeof key !== "symbol" || Symbol.keyFor(key)?.startsWith("workflow-sandbox.") !== true
);

// The shared layer every run's global object inherits from, built once at first evaluation,
// before any workflow code exists. A run's own object then costs one Object.create plus its few
// own properties (measured: defining all ~130 host keys per run cost about 60 µs on Node 20, 150 µs
// on Deno, most of a run's fixed cost). The layer is frozen, so no run can change it for the
// others; its properties are accessors whose setter defines an own property on the run's object,
// so `globalThis.fetch = polyfill` still works within the run (an inherited frozen data property
// would refuse the assignment). ECMAScript globals stay plain read-only data: a write to them
// fails, as it must (functors read them as constants).
const LAYER_DESCRIPTORS: Map<PropertyKey, PropertyDescriptor> = (() => {
  const layer = new Map<PropertyKey, PropertyDescriptor>();
  // Writes into the map; `setOwn` below must reach the real defineProperty (a local of that name
  // once made `globalThis.fetch = x` in a run land in this map, leaking into layers built later).
  const record = (key: PropertyKey, descriptor: PropertyDescriptor) => layer.set(key, descriptor);
  for (const key of HOST_KEYS) {
    const descriptor = getOwnPropertyDescriptor(hostGlobal, key)!;
    if (!descriptor.get && !descriptor.set && descriptor.value === hostGlobal) continue; // self references are own
    const setOwn = function (this: object, value: unknown) {
      defineOwnGlobal(this, key, value);
    };
    if (descriptor.get || descriptor.set) {
      // Host accessors (Node's lazy `crypto`, `navigator`) run against the host global, lazily, so
      // capturing them has no side effect.
      const getter = descriptor.get;
      record(key, {
        configurable: false,
        enumerable: descriptor.enumerable,
        get: getter ? () => getter.call(hostGlobal) : undefined,
        set: setOwn,
      });
    } else if (typeof key === "string" && ECMASCRIPT.has(key)) {
      record(key, { value: descriptor.value, writable: false, enumerable: descriptor.enumerable, configurable: false });
    } else {
      const value = descriptor.value;
      record(key, { configurable: false, enumerable: descriptor.enumerable, get: () => value, set: setOwn });
    }
  }
  return layer;
})();

/**
 * The frozen layer without the names a runner restricts: those are own properties of each run's
 * object (non-configurable, so a run cannot delete them and reach the host's through the scope),
 * and the layer must not hold the host's unrestricted value behind them
 * (`Object.getPrototypeOf(globalThis).Date` would be an escape). One layer per set of names.
 */
const layers = new Map<string, object>();

function layerWithout(names: readonly string[]): object {
  const key = names.join("\0");
  let layer = layers.get(key);
  if (layer === undefined) {
    const excluded = new Set<PropertyKey>(names);
    const built = create(Object.prototype) as object;
    const self = new Set(SELF_KEYS);
    for (const [name, descriptor] of LAYER_DESCRIPTORS) {
      // Deno's `self` is a host getter: its layer entry gives way to the self reference below.
      if (!excluded.has(name) && !self.has(name)) defineProperty(built, name, descriptor);
    }
    // Self references (`globalThis`, `global`, Deno's `self`) answer the object they are read on,
    // the run's global, instead of being two own properties defined in every run; assigning one
    // defines it on the run, as other host names do.
    for (const name of SELF_KEYS) {
      defineProperty(built, name, {
        configurable: false,
        enumerable: false,
        get(this: object) {
          return this;
        },
        set(this: object, value: unknown) {
          defineOwnGlobal(this, name, value);
        },
      });
    }
    layer = freeze(built);
    layers.set(key, layer);
  }
  return layer;
}

// Each ECMAScript global's value in the layer, in functor parameter order ("globalThis" is the run's).
const BASE_CONSTANTS: readonly unknown[] = ECMASCRIPT_GLOBALS.map((name) => {
  const descriptor = LAYER_DESCRIPTORS.get(name);
  return name === "globalThis" || descriptor === undefined ? undefined : descriptor.value;
});
const CONSTANT_INDEX = new Map(ECMASCRIPT_GLOBALS.map((name, i) => [name, i]));
const GLOBAL_THIS_INDEX = CONSTANT_INDEX.get("globalThis")!;

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
 * Replacement properties shared by every run of a runner: accessors that find the run's own value
 * from `this`, the run's global object (see restriction_layer.ts). They sit on a frozen layer made
 * once per runner between the run's object and the host layer, so a run pays nothing for the names
 * it never reads. Names must not be ECMAScript globals (those are constants, set per run).
 */
export interface SharedGlobals {
  readonly descriptors: Readonly<Record<string, PropertyDescriptor>>;
}

const sharedLayers = new WeakMap<SharedGlobals, { names: string; layer: object }>();

function layerWithShared(shared: SharedGlobals, overrideNames: readonly string[]): object {
  const names = overrideNames.join("\0");
  const known = sharedLayers.get(shared);
  if (known !== undefined && known.names === names) return known.layer;
  const sharedNames = Object.keys(shared.descriptors);
  const layer = create(layerWithout([...overrideNames, ...sharedNames])) as object;
  for (const name of sharedNames) {
    if (CONSTANT_INDEX.has(name)) {
      throw codedError(Error, {
        code: "WFS_INTERNAL",
        message: `A shared global cannot be an ECMAScript global: '${name}'`,
        hint: "Pass ECMAScript globals as per-run overrides (createPerRunGlobal's first argument), not as shared " +
          "globals; if the sandbox did this, report the bug with the whole error and your runtime's version",
      });
    }
    defineProperty(layer, name, { ...shared.descriptors[name], configurable: false });
  }
  freeze(layer);
  sharedLayers.set(shared, { names, layer });
  return layer;
}

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
export function createPerRunGlobal(overrides: GlobalOverrides, shared?: SharedGlobals): PerRunGlobal {
  const names = Object.keys(overrides);
  const global = create(shared ? layerWithShared(shared, names) : layerWithout(names)) as Record<PropertyKey, unknown>;
  const constants = BASE_CONSTANTS.slice();
  constants[GLOBAL_THIS_INDEX] = global;
  for (const name in overrides) {
    const descriptor = overrides[name];
    const index = CONSTANT_INDEX.get(name);
    if (index !== undefined && "value" in descriptor) {
      // Read-only, as the layer's ECMAScript globals are.
      defineProperty(global, name, { value: descriptor.value, writable: false, enumerable: false, configurable: false });
      constants[index] = descriptor.value;
    } else {
      defineProperty(global, name, { ...descriptor, configurable: false });
      // Constants are read without running getters: a checked getter runs when code reads the name.
      if (index !== undefined) constants[index] = descriptor.get?.call(global);
    }
  }
  let sloppy: object | undefined;
  let strict: object | undefined;
  return {
    global,
    constants,
    // Made on first use: most runs instantiate ES modules only, and a run with none needs neither.
    get sloppyScope() {
      return sloppy ??= createSloppyScope(global);
    },
    get strictScope() {
      return strict ??= createStrictScope(global);
    },
  };
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
      if (!(key in target)) {
        throw codedError(ReferenceError, {
          code: "WFS_UNDECLARED_GLOBAL",
          message: `${String(key)} is not defined`,
          hint: `Declare it (let ${String(key)}) or create the global first (globalThis.${String(key)} = ...)`,
        });
      }
      return reflectSet(target, key, value);
    },
  });
}

/** Whether a key exists on the host global (used by tests and the escape catalog). */
export const isHostGlobalKey = (key: PropertyKey): boolean => hasOwn(hostGlobal, key);
