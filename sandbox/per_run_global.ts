/**
 * The global object a workflow run sees. Every own key of the host's global object is bound per
 * run (the list is read from the runtime, so Deno's `Deno`, `self` and `navigator` and Node's
 * `global` and `process` are all present); references to the host global itself (`globalThis`,
 * `global`, `self`, `window`) point to the run's object. Writes, additions and deletions stay in
 * the run. Values are the host's own objects unless the run's restrictions replace them.
 * @module
 */
import { codedError } from "./coded_error.ts";
import { currentRun } from "./current_run.ts";
import { ECMASCRIPT_GLOBALS } from "./ecmascript_globals.ts";
import {
  assign,
  create,
  defineProperty,
  freeze,
  fromEntries,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  hasOwn,
  hostGlobal,
  ownKeys,
  reflectGet,
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

// ---------------------------------------------------------------------------------------------------
// Namespace objects.
//
// `JSON`, `Math`, `Reflect`, `Atomics`, `Intl`, `console`, `WebAssembly`, `Temporal`, `Deno`: plain
// objects of functions and constants, reached as globals, that code writes to (reflect-metadata
// defines `Reflect.defineMetadata` and keeps its registry on `Reflect`, polyfills add to `Intl` and
// `Math`, code silences `console.warn`). Shared with the host, such a write would reach every run
// and the host; so every namespace the runtime has is found from its own globals, and a run gets
// either its own copy (writes stay in the run, as in a fresh process) or, for `Deno`, a view that
// refuses writes with a coded error. Members are the host's own values, by identity, so
// `JSON.parse === hostJSON.parse`, `instanceof Intl.DateTimeFormat` and every brand check hold.

/** What a run gets for a namespace global (see {@link NAMESPACE_GLOBALS}). */
export type NamespacePolicy = "isolate" | "refuse";

/**
 * Namespaces a run may read but not write; every other namespace is isolated. `Deno` is the host's
 * API: accessors that act on the process (`Deno.exitCode`) and non-configurable members whose
 * meaning a copy would change, 118 members that a copy would cost about 15 µs to define, and no
 * polyfill writes to it.
 */
const REFUSED_NAMESPACES: ReadonlySet<PropertyKey> = new Set(["Deno"]);

const OBJECT_PROTOTYPE: object = Object.prototype;

/**
 * Whether a value is a namespace object: an object that cannot be called and is not an instance of
 * a class, that is, no object on its prototype chain before `Object.prototype` has a `constructor`
 * of its own (`JSON` and `Math` inherit from `Object.prototype`, Node's and Deno's `console` from a
 * plain `{}`; `process`, `performance` and `navigator` are class instances). The sandbox derives
 * the namespaces of the runtime with it, and handles a host getter that returns one the same way.
 *
 * @example
 * ```ts
 * import { isNamespaceObject } from "./per_run_global.ts";
 * isNamespaceObject(JSON); // true
 * isNamespaceObject(new Map()); // false
 * ```
 */
export function isNamespaceObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  for (let proto = getPrototypeOf(value); proto !== null && proto !== OBJECT_PROTOTYPE; proto = getPrototypeOf(proto)) {
    if (hasOwn(proto, "constructor")) return false;
  }
  return true;
}

/** How to make a run's copy of a namespace, computed once per process. */
interface NamespaceTemplate {
  readonly raw: object;
  readonly name: string;
  /** Every data member in order, the raw values (a placeholder where a nested namespace goes). */
  readonly entries: Record<PropertyKey, unknown>;
  readonly nullPrototype: boolean;
  /** Members that are namespaces themselves (`Temporal.Now`): the run gets its copy of those too. */
  readonly nested: ReadonlyArray<readonly [PropertyKey, NamespaceTemplate]>;
  /**
   * Members defined on each copy: accessors (Node's `console._stdout`, which read the host's until
   * the run assigns its own) and names `Object.prototype` has.
   */
  readonly accessors: ReadonlyArray<readonly [PropertyKey, PropertyDescriptor]>;
}

const templates = new WeakMap<object, NamespaceTemplate>();

function namespaceTemplate(raw: object, name: string, ancestors: ReadonlySet<object> = new Set()): NamespaceTemplate {
  const known = templates.get(raw);
  if (known !== undefined) return known;
  const entries: [PropertyKey, unknown][] = [];
  const nested: [PropertyKey, NamespaceTemplate][] = [];
  const accessors: [PropertyKey, PropertyDescriptor][] = [];
  const within = new Set(ancestors).add(raw);
  for (const key of ownKeys(raw)) {
    const descriptor = getOwnPropertyDescriptor(raw, key)!;
    if (!("value" in descriptor)) {
      // Read the host's value through the host's getter; an assignment defines the run's own.
      const getter = descriptor.get;
      accessors.push([key, {
        enumerable: descriptor.enumerable,
        configurable: true,
        get: getter === undefined ? undefined : () => getter.call(raw),
        set(this: object, value: unknown) {
          defineProperty(this, key, { value, writable: true, enumerable: descriptor.enumerable, configurable: true });
        },
      }]);
    } else if (key === "__proto__" || (typeof key === "string" && key in OBJECT_PROTOTYPE)) {
      // Object.assign would reach `Object.prototype`'s own member of that name (the `__proto__`
      // setter): defined on the copy instead.
      accessors.push([key, { ...descriptor, writable: true, configurable: true }]);
    } else if (isNamespaceObject(descriptor.value) && !within.has(descriptor.value)) {
      entries.push([key, undefined]);
      nested.push([key, namespaceTemplate(descriptor.value, `${name}.${String(key)}`, within)]);
    } else {
      entries.push([key, descriptor.value]);
    }
  }
  // Copying this object with Object.assign is the fastest copy V8 makes (measured about 20 ns for
  // JSON, 60 ns for Math's 45 members). Object.fromEntries keeps it in fast mode.
  const template: NamespaceTemplate = {
    raw,
    name,
    entries: fromEntries(entries),
    nullPrototype: getPrototypeOf(raw) === null,
    nested,
    accessors,
  };
  // V8 tracks the type of each field: a nested copy assigned later would otherwise deprecate the
  // template's shape and slow every later copy.
  for (const [key] of nested) {
    (template.entries as Record<PropertyKey, unknown>)[key] = template.entries;
    (template.entries as Record<PropertyKey, unknown>)[key] = undefined;
  }
  templates.set(raw, template);
  return template;
}

/**
 * A run's copy of a namespace: a plain object with the same keys in the same order and the host's
 * values by identity. Its members are ordinary data properties (enumerable, writable): giving them
 * the host's attributes would take one `defineProperty` per member, 14 to 21 µs a run for the five
 * ECMAScript namespaces (measured on Node 24 and Deno 2.9), where this copy costs about 0.2 µs (see
 * the escape catalog's row).
 */
function copyNamespace(template: NamespaceTemplate): Record<PropertyKey, unknown> {
  // Object.assign, not a spread: one spread site shared by every template turns megamorphic and
  // takes V8's generic path (measured 1.5 to 1.9 µs for the five ECMAScript namespaces against 0.16
  // to 0.23 µs); Object.assign's fast path does not depend on the call site.
  const copy = assign(template.nullPrototype ? create(null) : {}, template.entries) as Record<PropertyKey, unknown>;
  for (const [key, nested] of template.nested) copy[key] = copyNamespace(nested);
  for (const [key, descriptor] of template.accessors) defineProperty(copy, key, descriptor);
  return copy;
}

/**
 * The view of a namespace a run may not write (see {@link REFUSED_NAMESPACES}), also what a read
 * of the shared layer answers when no run is executing: the host's values, through a `Proxy` that
 * refuses every write with a coded `TypeError`. One per namespace per process; nested namespaces
 * (`Deno.errors`) are views too.
 */
const refusingViews = new WeakMap<object, object>();

function refusingView(raw: object, name: string): object {
  const known = refusingViews.get(raw);
  if (known !== undefined) return known;
  const refuse = (key: PropertyKey): never => {
    throw codedError(TypeError, {
      code: "WFS_RESTRICTED",
      message: `Cannot modify '${name}.${String(key)}' from workflow code: '${name}' is the host's own object, ` +
        "shared with every run",
      hint: "Keep your own value in a variable instead",
    });
  };
  const fixed = (target: object, key: PropertyKey) => {
    const descriptor = getOwnPropertyDescriptor(target, key);
    return descriptor !== undefined && !descriptor.configurable && descriptor.writable === false;
  };
  const created: object = new Proxy(raw, {
    get(target, key) {
      // The host's `this` for host getters, as a native read of the namespace has.
      const value = reflectGet(target, key, target);
      return isNamespaceObject(value) && !fixed(target, key) ? refusingView(value, `${name}.${String(key)}`) : value;
    },
    getOwnPropertyDescriptor(target, key) {
      const descriptor = getOwnPropertyDescriptor(target, key);
      if (descriptor === undefined || !descriptor.configurable || !isNamespaceObject(descriptor.value)) {
        return descriptor;
      }
      return { ...descriptor, value: refusingView(descriptor.value, `${name}.${String(key)}`) };
    },
    set(target, key, value, receiver) {
      if (receiver === created) refuse(key);
      return reflectSet(target, key, value, receiver); // an object inheriting from the view gets its own
    },
    defineProperty: (_target, key) => refuse(key),
    deleteProperty: (_target, key) => refuse(key),
    setPrototypeOf: () => refuse("[[Prototype]]"),
    preventExtensions: () => refuse("[[Extensible]]"),
  });
  refusingViews.set(raw, created);
  return created;
}

/** What the shared layer finds for a run from its global object. */
interface RunRecord {
  /**
   * The run's own constants (see {@link ownConstant}): the run's copies of the ECMAScript
   * namespaces are among them.
   */
  readonly own: readonly unknown[];
  /** The run's copies of the other namespaces, made on first read. */
  namespaces: Map<PropertyKey, { readonly template: NamespaceTemplate; readonly copy: object }> | undefined;
}

// The record is a private field stamped on the run's global object (a base constructor returning
// its argument lets a subclass add private fields to any object): a getter of the shared layer finds
// it from `this` in a few ns, workflow code cannot see, delete or forge it, and stamping measured
// 4 ns where a WeakMap.set per run measured 100 to 130 ns.
/**
 * The base of a private-field stamp: a subclass's private fields land on the object passed in
 * (`class MyStamp extends Stamp { #state }`), so any object can carry hidden per-run state that
 * workflow code cannot see, delete or forge (restriction_layer.ts stamps its run state the same way).
 *
 * @example
 * ```ts
 * import { Stamp } from "./per_run_global.ts";
 * class Tag extends Stamp {
 *   #tag = "mine";
 *   static of(value: object): string | undefined {
 *     return #tag in value ? (value as Tag).#tag : undefined;
 *   }
 * }
 * const target = {};
 * new Tag(target);
 * Tag.of(target); // "mine"
 * ```
 */
export class Stamp {
  constructor(target: object) {
    return target;
  }
}

class RunStamp extends Stamp {
  #record: RunRecord;

  constructor(global: object, record: RunRecord) {
    super(global);
    this.#record = record;
  }

  static of(value: unknown): RunRecord | undefined {
    return typeof value === "object" && value !== null && #record in value ? (value as RunStamp).#record : undefined;
  }
}

/**
 * The record of the run whose global object a getter of the shared layer was read on, or, when it
 * was read on another object (the layer itself, through `Object.getPrototypeOf(globalThis)`), of
 * the run that is executing.
 */
function recordOf(self: unknown): RunRecord | undefined {
  return RunStamp.of(self) ??
    RunStamp.of((currentRun() as { globals?: { global?: unknown } } | undefined)?.globals?.global);
}

function isolatedNamespace(self: unknown, key: PropertyKey, template: NamespaceTemplate): object {
  const record = recordOf(self);
  if (record === undefined) return refusingView(template.raw, template.name);
  const copies = record.namespaces ??= new Map();
  const known = copies.get(key);
  if (known !== undefined && known.template === template) return known.copy;
  const copy = copyNamespace(template);
  copies.set(key, { template, copy });
  return copy;
}

const nameOf = (key: PropertyKey): string => (typeof key === "symbol" ? `globalThis[${String(key)}]` : String(key));

/**
 * Every namespace global of the runtime and what a run gets for it, derived from the host global's
 * own data properties when the sandbox was loaded (JSON, Math, Reflect, Atomics, Intl, console,
 * WebAssembly, plus Temporal, Deno and Deno's event-target record where the runtime has them). A host
 * getter that returns a namespace (none does today) is isolated the same way when a run reads it.
 *
 * @example
 * ```ts
 * import { NAMESPACE_GLOBALS } from "./per_run_global.ts";
 * NAMESPACE_GLOBALS.get("JSON"); // "isolate"
 * ```
 */
export const NAMESPACE_GLOBALS: ReadonlyMap<PropertyKey, NamespacePolicy> = new Map(
  HOST_KEYS.flatMap((key): [PropertyKey, NamespacePolicy][] => {
    const descriptor = getOwnPropertyDescriptor(hostGlobal, key)!;
    if (!("value" in descriptor) || descriptor.value === hostGlobal || !isNamespaceObject(descriptor.value)) return [];
    return [[key, REFUSED_NAMESPACES.has(key) ? "refuse" : "isolate"]];
  }),
);

// The isolated ECMAScript namespaces are functor constants: each run gets its copies when it is
// created. The others are copied on a run's first read.
const NAMESPACE_TEMPLATES = new Map<PropertyKey, NamespaceTemplate>();
for (const [key, policy] of NAMESPACE_GLOBALS) {
  if (policy === "isolate") {
    NAMESPACE_TEMPLATES.set(key, namespaceTemplate(getOwnPropertyDescriptor(hostGlobal, key)!.value, nameOf(key)));
  }
}

// The shared layer every run's global object inherits from, built once at first evaluation,
// before any workflow code exists. A run's own object then costs one Object.create plus its few
// own properties (measured: defining all ~130 host keys per run cost about 60 µs on Node 20, 150 µs
// on Deno, most of a run's fixed cost). The layer is frozen, so no run can change it for the
// others; its properties are accessors whose setter defines an own property on the run's object,
// so `globalThis.fetch = polyfill` still works within the run (an inherited frozen data property
// would refuse the assignment). ECMAScript globals stay plain read-only data: a write to them
// fails, as it must (functors read them as constants). Namespace globals answer the reading run's
// own copy, or a view that refuses writes (see NAMESPACE_GLOBALS).
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
      // One that returns a namespace is isolated as the data ones below are.
      const getter = descriptor.get;
      record(key, {
        configurable: false,
        enumerable: descriptor.enumerable,
        get: getter
          ? function (this: unknown) {
            const value = getter.call(hostGlobal);
            return isNamespaceObject(value) ? isolatedNamespace(this, key, namespaceTemplate(value, nameOf(key))) : value;
          }
          : undefined,
        set: setOwn,
      });
    } else if (NAMESPACE_GLOBALS.has(key)) {
      const template = NAMESPACE_TEMPLATES.get(key);
      const ecmascript = typeof key === "string" && ECMASCRIPT.has(key);
      const { enumerable } = descriptor;
      if (template === undefined) {
        // Refused: every run reads the same view.
        const view = refusingView(descriptor.value, nameOf(key));
        record(key, ecmascript
          ? { value: view, writable: false, enumerable, configurable: false }
          : { configurable: false, enumerable, get: () => view, set: setOwn });
      } else if (ecmascript) {
        // The run's copy is its constant; read-only like the other ECMAScript globals (no setter).
        const index = ECMASCRIPT_GLOBALS.indexOf(key);
        record(key, {
          configurable: false,
          enumerable,
          get(this: unknown) {
            const record = recordOf(this);
            return (record === undefined ? undefined : ownConstant(record.own, index)) ??
              refusingView(template.raw, template.name);
          },
        });
      } else {
        record(key, {
          configurable: false,
          enumerable,
          get(this: unknown) {
            return isolatedNamespace(this, key, template);
          },
          set: setOwn,
        });
      }
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
// The isolated ECMAScript namespaces, copied for every run that does not override them.
type EagerNamespace = { readonly name: string; readonly index: number; readonly template: NamespaceTemplate };
const EAGER_NAMESPACES: readonly EagerNamespace[] = ECMASCRIPT_GLOBALS.flatMap((name, index) => {
  const template = NAMESPACE_TEMPLATES.get(name);
  return template === undefined ? [] : [{ name, index, template }];
});

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

const sharedLayers = new WeakMap<SharedGlobals, { names: readonly string[]; layer: object }>();

/** Whether `overrides` has exactly `names`, in order (a runner's runs all have the same). */
function hasNames(overrides: GlobalOverrides, names: readonly string[]): boolean {
  let i = 0;
  for (const name in overrides) if (names[i++] !== name) return false;
  return i === names.length;
}

function layerWithShared(shared: SharedGlobals, overrides: GlobalOverrides): object {
  // Compared in place: joining the names per run was 1.5% of a trivial workflow's CPU profile.
  const known = sharedLayers.get(shared);
  if (known !== undefined && hasNames(overrides, known.names)) return known.layer;
  const overrideNames = Object.keys(overrides);
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
  sharedLayers.set(shared, { names: overrideNames, layer });
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
  const global = create(shared ? layerWithShared(shared, overrides) : layerWithout(Object.keys(overrides))) as Record<PropertyKey, unknown>;
  // The run's own constants as (index, value) pairs over BASE_CONSTANTS: the full array (69 slots)
  // is made when the run instantiates modules and dropped afterwards (sandbox_run.ts), so a cached
  // run keeps its dozen own values only (0.5 KiB less per cached run, measured on Node 24).
  const own: unknown[] = [GLOBAL_THIS_INDEX, global];
  for (const { name, index, template } of EAGER_NAMESPACES) {
    if (!hasOwn(overrides, name)) own.push(index, copyNamespace(template));
  }
  new RunStamp(global, { own, namespaces: undefined });
  for (const name in overrides) {
    const descriptor = overrides[name];
    const index = CONSTANT_INDEX.get(name);
    if (index !== undefined && "value" in descriptor) {
      // Read-only, as the layer's ECMAScript globals are. One descriptor object for every such
      // definition: defineProperty reads it before it returns, and a plain object runs no code.
      READ_ONLY.value = descriptor.value;
      defineProperty(global, name, READ_ONLY);
      READ_ONLY.value = undefined;
      own.push(index, descriptor.value);
    } else {
      defineProperty(global, name, { ...descriptor, configurable: false });
      // Constants are read without running getters: a checked getter runs when code reads the name.
      if (index !== undefined) own.push(index, descriptor.get?.call(global));
    }
  }
  return new RunGlobals(global, own);
}

/** The value at `index` of the constants whose own pairs are `own` (the last pair for it wins). */
function ownConstant(own: readonly unknown[], index: number): unknown {
  for (let i = own.length - 2; i >= 0; i -= 2) if (own[i] === index) return own[i + 1];
  return BASE_CONSTANTS[index];
}

const READ_ONLY: PropertyDescriptor = { value: undefined, writable: false, enumerable: false, configurable: false };

/**
 * A run's {@link PerRunGlobal}. A class rather than an object literal with getters: such a literal
 * gets a map of its own whose accessors close over the run's global object, and maps live in the
 * old generation, so every run's objects survived young-generation GCs and were promoted. Measured
 * on Node 24 over 2 million `createPerRunGlobal({})`: 390 MB promoted with the literal, 1.5 MB with
 * the class, 0.07 to 0.09 µs a call instead of 0.7 to 2.4 µs (Deno alike); a run of a one-module
 * workflow without restrictions went from 10 to 16 µs of CPU to 2 to 4 µs.
 */
class RunGlobals implements PerRunGlobal {
  readonly global: Record<PropertyKey, unknown>;
  /** (index, value) pairs over BASE_CONSTANTS, later pairs winning. */
  readonly #own: readonly unknown[];
  // Made on first use: most runs instantiate ES modules only, and a run with none needs neither.
  #sloppy: object | undefined;
  #strict: object | undefined;

  constructor(global: Record<PropertyKey, unknown>, own: readonly unknown[]) {
    this.global = global;
    this.#own = own;
  }

  /** A new array on every read: callers keep it only while they instantiate modules. */
  get constants(): readonly unknown[] {
    const constants = BASE_CONSTANTS.slice();
    const own = this.#own;
    for (let i = 0; i < own.length; i += 2) constants[own[i] as number] = own[i + 1];
    return constants;
  }

  /** The own pairs of a run's globals (for a package's view of them). */
  static ownOf(globals: PerRunGlobal): readonly unknown[] {
    if (#own in globals) return globals.#own;
    // Another implementation: every constant is its own.
    return globals.constants.flatMap((value, index) => [index, value]);
  }

  get sloppyScope(): object {
    return this.#sloppy ??= createSloppyScope(this.global);
  }

  get strictScope(): object {
    return this.#strict ??= createStrictScope(this.global);
  }
}

// The scopes' traps read only their arguments: one handler object each per process, so a run's
// scope is one Proxy and no closures (three closures and a handler per run were 0.3 KiB a cached run).
const SLOPPY_SCOPE: ProxyHandler<Record<PropertyKey, unknown>> = {
  // Names the host did not define when captured are claimed by the run, so that `x = 1` in
  // sloppy code creates a run global rather than a host global. Captured host names the run
  // deleted fall through.
  has: (target, key) => typeof key === "string" && (key in target || !CAPTURED_KEYS.has(key)),
  get: (target, key) => (key === Symbol.unscopables ? undefined : target[key]),
};

const STRICT_SCOPE: ProxyHandler<Record<PropertyKey, unknown>> = {
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
};

function createSloppyScope(global: Record<PropertyKey, unknown>): object {
  return new Proxy(global, SLOPPY_SCOPE);
}

function createStrictScope(global: Record<PropertyKey, unknown>): object {
  return new Proxy(global, STRICT_SCOPE);
}

// ---------------------------------------------------------------------------------------------------
// A package's view of the run's global object.

/** What a package's modules see in one run: its own global view, constants and scopes. */
export interface PackageGlobalOptions {
  /** ECMAScript globals the package sees instead of the run's (`Date`, `Math`, `Intl`). */
  readonly constants: Readonly<Record<string, unknown>>;
  /** Other globals the package sees instead of the run's (`crypto`, `process`), made on first read. */
  readonly lazy: Readonly<Record<string, () => unknown>>;
}

const reflectDeleteProperty = Reflect.deleteProperty;
const SELF_NAMES: ReadonlySet<PropertyKey> = new Set([...SELF_KEYS, "globalThis"]);

/**
 * The global object of a package's modules in one run (deterministic mode, docs/determinism.md):
 * a view of the run's global object where `constants` and `lazy` answer their names, and
 * `globalThis`, `global` and `self` the view itself (lodash's `root.Date` is the package's `Date`).
 * Every other read, and every write, goes to the run's global object, so the run has one global
 * state. The package's functors receive `constants` in place of the run's, and the view as
 * `globalThis`.
 *
 * @example
 * ```ts
 * import { createPackageGlobal, createPerRunGlobal } from "./per_run_global.ts";
 * const run = createPerRunGlobal({});
 * const fixed = Object.assign(Object.create(Math), { random: () => 0.5 });
 * const pkg = createPackageGlobal(run, { constants: { Math: fixed }, lazy: {} });
 * (pkg.global.Math as Math).random(); // 0.5
 * pkg.global.JSON === run.global.JSON; // true
 * ```
 */
export function createPackageGlobal(run: PerRunGlobal, options: PackageGlobalOptions): PerRunGlobal {
  const global = run.global;
  const values = new Map<PropertyKey, unknown>();
  const lazy = new Map<PropertyKey, () => unknown>();
  for (const name in options.constants) values.set(name, options.constants[name]);
  for (const name in options.lazy) lazy.set(name, options.lazy[name]);
  const own = (key: PropertyKey): boolean => values.has(key) || lazy.has(key);
  const read = (key: PropertyKey): unknown => {
    if (values.has(key)) return values.get(key);
    const value = lazy.get(key)!();
    values.set(key, value);
    lazy.delete(key);
    return value;
  };
  // A write to a name the package sees its own value of goes to the run, and from then on the
  // package reads the run's, as every module does.
  const forget = (key: PropertyKey) => {
    values.delete(key);
    lazy.delete(key);
  };
  // The target only mirrors what Proxy invariants need (a non-configurable property defined
  // through the view); everything else is answered from the run's global object.
  const target = {};
  const view: Record<PropertyKey, unknown> = new Proxy(target, {
    get(_target, key) {
      if (own(key)) return read(key);
      if (SELF_NAMES.has(key) && !hasOwn(global, key)) return view;
      return reflectGet(global, key, global);
    },
    set(_target, key, value) {
      forget(key);
      return reflectSet(global, key, value, global);
    },
    has(_target, key) {
      return own(key) || key in global;
    },
    deleteProperty(_target, key) {
      forget(key);
      return reflectDeleteProperty(global, key);
    },
    defineProperty(mirror, key, descriptor) {
      forget(key);
      if (!defineProperty(global, key, descriptor)) return false;
      const defined = getOwnPropertyDescriptor(global, key);
      if (defined !== undefined && !defined.configurable) defineProperty(mirror, key, defined);
      return true;
    },
    getOwnPropertyDescriptor(mirror, key) {
      if (hasOwn(mirror, key)) return getOwnPropertyDescriptor(mirror, key);
      if (own(key)) return { value: read(key), writable: true, enumerable: false, configurable: true };
      const descriptor = getOwnPropertyDescriptor(global, key);
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    ownKeys(mirror) {
      const keys = new Set<PropertyKey>(ownKeys(global));
      for (const key of ownKeys(mirror)) keys.add(key);
      return [...keys] as (string | symbol)[];
    },
    getPrototypeOf: () => getPrototypeOf(global),
    setPrototypeOf: () => false,
    preventExtensions: () => false,
  });
  const pairs = [...RunGlobals.ownOf(run), GLOBAL_THIS_INDEX, view];
  for (const name in options.constants) {
    const index = CONSTANT_INDEX.get(name);
    if (index !== undefined) pairs.push(index, options.constants[name]);
  }
  return new RunGlobals(view, pairs);
}

/** Whether a key exists on the host global (used by tests and the escape catalog). */
export const isHostGlobalKey = (key: PropertyKey): boolean => hasOwn(hostGlobal, key);
