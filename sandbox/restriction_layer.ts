/**
 * Applies a runner's `SandboxRestrictions` to each run: the run's global object gets restricted
 * values (rule tables in sandbox/default_rules.ts, values from sandbox/restricted_values.ts),
 * passed-through built-ins are seen through restricted namespaces, `invalidModules` refuses
 * imports, and the import notification policy warns or raises.
 * @module
 */
import { fileURLToPath } from "node:url";
import { codedError } from "./coded_error.ts";
import { UnintentionalPassthroughError } from "./errors.ts";
import { currentRun } from "./current_run.ts";
import {
  captureStackTrace,
  create,
  defineProperty,
  getOwnPropertyDescriptor,
  hostGlobal,
  isFrozen,
  ownKeys,
} from "./host_intrinsics.ts";
import { hasImportNotificationFlag, SandboxImportNotificationPolicy } from "./import_notification_policy.ts";
import { CAPTURED_KEYS, defineOwnGlobal, type GlobalOverrides, type SharedGlobals } from "./per_run_global.ts";
import { ECMASCRIPT_GLOBALS } from "./ecmascript_globals.ts";
import { restrictedAccessError, type RestrictionContext, type RestrictionHit, RunRestrictions } from "./restricted_values.ts";
import { canonicalModuleId, GLOBAL_ROOT } from "./rule_path.ts";
import type { SandboxRestrictions } from "./sandbox_restrictions.ts";
import type { HostModuleFilter, ModuleEvent, SandboxRun } from "./sandbox_run.ts";
import type { SandboxWarning } from "./sandbox_warning.ts";
import { isSandboxUnrestricted } from "./unsafe.ts";
import { locateInStack } from "./workflow_location.ts";
import type { createPackageScopes } from "../loader/package_scope.ts";

/** What a run gets from the layer. */
export interface RunLayer {
  /** The restricted ECMAScript globals, made per run (functors receive them as constants). */
  readonly globals: GlobalOverrides;
  /** The other restricted globals: shared accessors, resolved for a run on first read. */
  readonly shared: SharedGlobals;
  /** Binds the run's global object to this run's restricted values. */
  readonly attach: (global: object) => void;
  readonly hostModuleFilter: HostModuleFilter;
  readonly onModule: (event: ModuleEvent) => void;
}

// A frozen ES-module view (esm_interop.ts) has non-configurable getters, and a Proxy must report a
// non-configurable property as it is: `Object.getOwnPropertyDescriptor(ns, "hostname").get()` would
// hand out the host's member, and describing a checked member (esbuild's __toESM describes every key)
// could only throw. The restricted namespace wraps a copy with configurable getters instead; the
// Proxy refuses writes, so the copy stays as made. One copy per view, shared by the runs.
const restrictableViews = new WeakMap<object, object>();

const ECMASCRIPT = new Set<string>(ECMASCRIPT_GLOBALS);

function restrictable(view: object): object {
  if (!isFrozen(view)) return view;
  let copy = restrictableViews.get(view);
  if (copy === undefined) {
    copy = create(null) as object;
    for (const key of ownKeys(view)) {
      defineProperty(copy, key, { ...getOwnPropertyDescriptor(view, key)!, configurable: true });
    }
    restrictableViews.set(view, copy);
  }
  return copy;
}

/** Options of {@link createRestrictionLayer}. */
export interface RestrictionLayerOptions {
  readonly restrictions: SandboxRestrictions;
  /** Whether a file is a sandboxed module (for the workflow file:line of a hit). */
  readonly isSandboxedFile: (path: string) => boolean;
  readonly scopes: ReturnType<typeof createPackageScopes>;
  /** Where warnings go (already deduplicated by the caller). */
  readonly warn: (warning: SandboxWarning) => void;
}

/**
 * Creates the restriction layer of one runner.
 *
 * @example
 * ```ts
 * import { createRestrictionLayer } from "./restriction_layer.ts";
 * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
 * import { createPackageScopes } from "../loader/package_scope.ts";
 * const layer = createRestrictionLayer({
 *   restrictions: SandboxRestrictions.default,
 *   isSandboxedFile: () => false,
 *   scopes: createPackageScopes(),
 *   warn: console.warn,
 * });
 * const { globals } = layer.createRun();
 * ```
 */
export function createRestrictionLayer(options: RestrictionLayerOptions): { createRun(): RunLayer } {
  const { restrictions } = options;
  const root = restrictions.invalidModuleMembers;
  const runOf = () => currentRun() as SandboxRun | undefined;
  const ctx: RestrictionContext = {
    get isRuntime() {
      const run = runOf();
      return run === undefined || !run.importing;
    },
    get unrestricted() {
      return isSandboxUnrestricted();
    },
    report(hit: RestrictionHit) {
      const run = runOf();
      if (!run?.sandboxed) return;
      options.warn({
        kind: hit.warning ? "nondeterminism-warning" : "restricted-access",
        workflow: run.workflowName,
        message: hit.message,
        rule: hit.rule,
        location: hit.location,
      });
    },
    locate() {
      // A stack probe, not an error: V8's captureStackTrace writes the frames to a plain object.
      const probe: { stack?: string } = {};
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40;
      captureStackTrace?.(probe);
      Error.stackTraceLimit = limit;
      return locateInStack(probe.stack, options.isSandboxedFile);
    },
  };

  // Which host globals have rules: found once per runner with a probe run.
  const probe = new RunRestrictions(root, ctx);
  const restrictedGlobals: Array<[string, PropertyDescriptor]> = [];
  for (const key of CAPTURED_KEYS) {
    if (typeof key !== "string") continue;
    const descriptor = getOwnPropertyDescriptor(hostGlobal, key)!;
    const restricted = probe.property([GLOBAL_ROOT, key], descriptor, hostGlobal);
    const unchanged = restricted === descriptor ||
      ("value" in restricted && "value" in descriptor && restricted.value === descriptor.value);
    if (!unchanged) restrictedGlobals.push([key, descriptor]);
  }

  const policy = restrictions.importNotificationPolicy;
  const idOf = (url: string): string | undefined => {
    if (url.startsWith("node:")) return canonicalModuleId(url);
    if (url.startsWith("npm:")) return url.slice(4).replace(/^\/+/, "").replace(/@[^/]*$|@[^/]*(?=\/)/, "");
    if (!url.startsWith("file:")) return undefined;
    return options.scopes.named(fileURLToPath(url))?.name;
  };
  // Every run reaches the same modules: each URL's id is computed once per runner.
  const ids = new Map<string, string | undefined>();
  const moduleId = (url: string): string | undefined => {
    if (ids.has(url)) return ids.get(url);
    const id = idOf(url);
    ids.set(url, id);
    return id;
  };

  // The restricted ECMAScript globals are made for every run: modules receive them as constants.
  // The others (timers, fetch, process, performance, crypto, ...: most runs read few of them) are
  // accessors on a layer shared by the runner's runs, which make a run's restricted value the first
  // time that run reads the name and keep it. Measured before: 24 restricted values and 24 own
  // properties per run, half of them accessors with closures of their own, cost 55 to 80 µs a run.
  const eager = restrictedGlobals.filter(([key]) => ECMASCRIPT.has(key));
  const lazy = restrictedGlobals.filter(([key]) => !ECMASCRIPT.has(key));
  type RunState = { readonly run: RunRestrictions; readonly values: Map<string, PropertyDescriptor> };
  const states = new WeakMap<object, RunState>();
  const stateOf = (self: unknown): RunState | undefined => {
    const own = typeof self === "object" && self !== null ? states.get(self) : undefined;
    if (own !== undefined) return own;
    // Read on another object (the shared layer itself, through Object.getPrototypeOf): the value of
    // the run that is executing, never the host's.
    const run = runOf();
    return run?.sandboxed ? states.get(run.globals.global) : undefined;
  };
  const descriptors: Record<string, PropertyDescriptor> = {};
  for (const [key, descriptor] of lazy) {
    const resolve = (self: unknown): PropertyDescriptor | undefined => {
      const state = stateOf(self);
      if (state === undefined) return undefined;
      let value = state.values.get(key);
      if (value === undefined) {
        value = state.run.property([GLOBAL_ROOT, key], descriptor, hostGlobal);
        state.values.set(key, value);
      }
      return value;
    };
    descriptors[key] = {
      enumerable: descriptor.enumerable,
      get(this: unknown) {
        const value = resolve(this);
        return value === undefined ? undefined : "value" in value ? value.value : value.get?.call(this);
      },
      set(this: object, assigned: unknown) {
        const value = resolve(this);
        if (value?.set) value.set.call(this, assigned);
        else defineOwnGlobal(this, key, assigned);
      },
    };
  }
  const shared: SharedGlobals = { descriptors };

  return {
    createRun() {
      const run = new RunRestrictions(root, ctx);
      const globals: Record<string, PropertyDescriptor> = {};
      for (const [key, descriptor] of eager) {
        globals[key] = run.property([GLOBAL_ROOT, key], descriptor, hostGlobal);
      }
      return {
        globals,
        shared,
        attach: (global: object) => states.set(global, { run, values: new Map() }),
        hostModuleFilter: (url, value) => (url.startsWith("node:") ? run.namespace(url, restrictable(value as object)) : value),
        onModule(event) {
          const id = moduleId(event.url);
          if (event.stage === "reached") {
            if (id !== undefined && !ctx.unrestricted && restrictions.invalidModules.matchAccess(ctx, [id])) {
              throw restrictedAccessError(id, { rule: `invalidModules.${id}`, location: ctx.locate() });
            }
            return;
          }
          if (event.passthrough || !event.first) return;
          const workflow = runOf()?.workflowName ?? "";
          if (event.dynamic && !event.importing && hasImportNotificationFlag(policy, SandboxImportNotificationPolicy.WARN_ON_DYNAMIC_IMPORT)) {
            const name = event.url.startsWith("file:") ? fileURLToPath(event.url) : event.url;
            options.warn({ kind: "dynamic-import", workflow, rule: event.url, message: `Module ${name} was imported after initial workflow load.` });
          }
          // A third-party package instantiated per run was probably meant to be passed through.
          const packaged = event.url.startsWith("file:") && /\/node_modules\//.test(event.url) && id !== undefined;
          if (!packaged) return;
          if (hasImportNotificationFlag(policy, SandboxImportNotificationPolicy.RAISE_ON_UNINTENTIONAL_PASSTHROUGH)) {
            throw codedError(UnintentionalPassthroughError, {
              code: "WFS_UNINTENTIONAL_PASSTHROUGH",
              message: UnintentionalPassthroughError.what(id),
              hint: UnintentionalPassthroughError.HINT,
            }, { qualifiedName: id });
          }
          if (hasImportNotificationFlag(policy, SandboxImportNotificationPolicy.WARN_ON_UNINTENTIONAL_PASSTHROUGH)) {
            options.warn({ kind: "unintentional-passthrough", workflow, rule: id, message: `Module ${id} was not intentionally passed through to the sandbox.` });
          }
        },
      };
    },
  };
}
