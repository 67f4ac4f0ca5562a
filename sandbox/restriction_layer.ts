/**
 * Applies a runner's `SandboxRestrictions` to each run: the run's global object gets restricted
 * values (rule tables in sandbox/default_rules.ts, values from sandbox/restricted_values.ts),
 * passed-through built-ins are seen through restricted namespaces, `invalidModules` refuses
 * imports, and the import notification policy warns or raises.
 *
 * Deterministic mode (docs/determinism.md): the restrictions' `DeterminismPolicy` says which
 * packages get deterministic values instead of refusals. A module's package is where its code is
 * written (the nearest named package.json), decided once per runner and module; a package with
 * substitutions gets, per run, its own view of the run's global object, its own `Date`, `Math` and
 * `Intl` constants and its own views of `crypto`, `performance`, `process` and `node:crypto`
 * (sandbox/deterministic_values.ts), all made on its first module's instantiation in the run. A
 * run whose modules all see the run's own globals pays nothing for it.
 * @module
 */
import { relative } from "node:path";
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
  hostNow,
  isFrozen,
  ownKeys,
} from "./host_intrinsics.ts";
import { hasImportNotificationFlag, SandboxImportNotificationPolicy } from "./import_notification_policy.ts";
import {
  CAPTURED_KEYS,
  createPackageGlobal,
  defineOwnGlobal,
  type GlobalOverrides,
  type SharedGlobals,
  Stamp,
} from "./per_run_global.ts";
import { ECMASCRIPT_GLOBALS } from "./ecmascript_globals.ts";
import { findDefaultRule } from "./default_rules.ts";
import { DETERMINISM_SOURCES, type DeterminismSource } from "./deterministic_rules.ts";
import { type DeterministicContext, fixedZone, type PackageState, substitutesFor, workflowClock } from "./deterministic_values.ts";
import {
  restrictedAccessError,
  type RestrictionContext,
  type RestrictionHit,
  RunRestrictions,
  SharedRestrictions,
  type Substitutes,
} from "./restricted_values.ts";
import { canonicalModuleId, GLOBAL_ROOT, type RulePath } from "./rule_path.ts";
import type { SandboxRestrictions } from "./sandbox_restrictions.ts";
import type { HostModuleFilter, ModuleEvent, PackageWorld, RunPackages, SandboxRun } from "./sandbox_run.ts";
import type { ModuleRecord } from "./module_graph.ts";
import type { SandboxWarning } from "./sandbox_warning.ts";
import { createRandom } from "./seeded_random.ts";
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
  /** Packages whose modules get their own deterministic values (docs/determinism.md). */
  readonly packages: RunPackages;
}

/** The restriction layer of one runner. */
export interface RestrictionLayer {
  /** Makes what one run gets. */
  createRun(): RunLayer;
  /**
   * Declares a module that defines workflows: its package is the workflow's own (strict by
   * default). Call it before the run that instantiates the module is created.
   */
  addWorkflowModule(path: string): void;
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
  /**
   * The sources this runner may substitute; the others stay as the rules say. The Temporal adapter
   * keeps the SDK's own clock and PRNG and passes only `"environment"`.
   * @default every source
   */
  readonly sources?: ReadonlySet<DeterminismSource>;
}

/** What the layer says about one package: its state across runs and its substitutes. */
interface PackageProfile {
  readonly state: PackageState;
  readonly name: string | undefined;
  readonly substitutes: Substitutes;
  /** ECMAScript globals with substitutes below them (`Date`, `Math`, `Intl`). */
  readonly constants: readonly string[];
  /** Other host globals with substitutes below them (`crypto`, `performance`, `process`). */
  readonly lazy: readonly string[];
  /** Built-in module ids with substitutes below them (`crypto`, `process`). */
  readonly modules: ReadonlySet<string>;
}

/** Epochs of the layers' package decisions: unique across layers, so a record never mixes two. */
let epochs = 0;

/** The words of a package's report: "read the clock ... and got workflow time". */
const REPORTS: Readonly<Record<DeterminismSource, { readonly did: string; readonly got: string }>> = {
  clock: { did: "read the clock", got: "workflow time" },
  random: { did: "drew random values", got: "values from its own seeded stream" },
  locale: { did: "used the default time zone or locale", got: "the worker's fixed ones" },
  environment: { did: "read process.env", got: "the worker's constants" },
};

/** A run's restriction state, stamped on its global object (found from the object a getter is read on). */
class LayerStamp extends Stamp {
  #state: LayerRunState;

  constructor(global: object, state: LayerRunState) {
    super(global);
    this.#state = state;
  }

  static of(value: unknown): LayerRunState | undefined {
    return typeof value === "object" && value !== null && #state in value ? (value as LayerStamp).#state : undefined;
  }
}

interface LayerRunState {
  readonly run: RunRestrictions;
  /** The shared globals the run has read, made on its first read (most runs read none). */
  values: Map<string, PropertyDescriptor> | undefined;
}

/** The context of one package's modules in one run: the layer's, plus the run's clock and the package's stream. */
class PackageRunContext implements DeterministicContext {
  readonly package: PackageState;
  readonly environment: Readonly<Record<string, string>>;
  readonly #base: RestrictionContext;
  readonly #run: SandboxRun;
  #random: (() => number) | undefined;

  constructor(base: RestrictionContext, pkg: PackageState, run: SandboxRun, environment: Readonly<Record<string, string>>) {
    this.#base = base;
    this.package = pkg;
    this.#run = run;
    this.environment = environment;
  }

  get isRuntime(): boolean {
    return this.#base.isRuntime;
  }

  get unrestricted(): boolean {
    return this.#base.unrestricted;
  }

  report(hit: RestrictionHit): void {
    this.#base.report(hit);
  }

  locate(): string | undefined {
    return this.#base.locate();
  }

  now(): number {
    return this.#run.workflowTime;
  }

  random(): number {
    // The package's stream: derived from the run's seed and the package's name, so neither the
    // workflow's own workflow.random() nor another package's values shift when this one changes.
    return (this.#random ??= createRandom(`${this.#run.randomnessSeed}\u0000package:${this.package.name ?? ""}`))();
  }
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
export function createRestrictionLayer(options: RestrictionLayerOptions): RestrictionLayer {
  const { restrictions } = options;
  const root = restrictions.invalidModuleMembers;
  const determinism = restrictions.determinism;
  const sources = options.sources ?? new Set(DETERMINISM_SOURCES);
  const environment = determinism.environment;
  const runOf = () => currentRun() as SandboxRun | undefined;
  const ctx: DeterministicContext = {
    environment,
    package: undefined,
    now: workflowClock,
    random: () => 0,
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

  // The workflow's own modules in strict mode: the rules, and the environment's constants.
  const strictSubstitutes = substitutesFor([]);
  // The restricted functions of the runner's runs (restricted_values.ts): a run's own state is
  // found from the executing run's stamp.
  const sharedFunctions = new SharedRestrictions(root, ctx, strictSubstitutes, () => {
    const run = runOf();
    return run?.sandboxed ? LayerStamp.of(run.globals?.global)?.run : undefined;
  });

  // Which host globals have rules: found once per runner with a probe run.
  const probe = new RunRestrictions(root, ctx, strictSubstitutes);
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
  // Each with its rule path made once (frozen: the plans remember the member of a frozen path) and,
  // once a run has made it, the descriptor itself when its value is a shared restricted function
  // (`Date`, `WeakRef`, `FinalizationRegistry` under the default rules): the same for every run.
  const eager = restrictedGlobals.filter(([key]) => ECMASCRIPT.has(key)).map(([key, descriptor]) => ({
    key,
    descriptor,
    path: Object.freeze([GLOBAL_ROOT, key]) as RulePath,
    shared: undefined as PropertyDescriptor | undefined,
  }));
  const lazy = restrictedGlobals.filter(([key]) => !ECMASCRIPT.has(key));
  // A run's state is a private field stamped on its global object: a WeakMap entry per run kept
  // every run's objects alive through young-generation GCs (docs/design.md, "Runs").
  const stateOf = (self: unknown): LayerRunState | undefined => {
    const own = LayerStamp.of(self);
    if (own !== undefined) return own;
    // Read on another object (the shared layer itself, through Object.getPrototypeOf): the value of
    // the run that is executing, never the host's.
    const run = runOf();
    return run?.sandboxed ? LayerStamp.of(run.globals?.global) : undefined;
  };
  const descriptors: Record<string, PropertyDescriptor> = {};
  for (const [key, descriptor] of lazy) {
    const resolve = (self: unknown): PropertyDescriptor | undefined => {
      const state = stateOf(self);
      if (state === undefined) return undefined;
      const values = state.values ??= new Map();
      let value = values.get(key);
      if (value === undefined) {
        value = state.run.property([GLOBAL_ROOT, key], descriptor, hostGlobal);
        values.set(key, value);
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

  // --- Packages --------------------------------------------------------------------------------------
  const workflowPackages = new Set<string | undefined>();
  let epoch = ++epochs;
  const profiles = new Map<string, PackageProfile | null>();
  const zone = fixedZone(determinism.timeZone, determinism.locale);
  const hostDescriptor = (name: string) => getOwnPropertyDescriptor(hostGlobal, name);

  const packageState = (name: string | undefined, root: string | undefined): PackageState => {
    const label = name ?? "the workflow's own code";
    const reported = new Set<DeterminismSource>();
    return {
      name,
      zone,
      cache: new Map(),
      report(source, did, got) {
        if (reported.has(source)) return;
        reported.add(source);
        const location = ctx.locate();
        const file = location?.replace(/:\d+:\d+$/, "");
        const line = location?.slice(file!.length + 1).replace(/:\d+$/, "");
        const where = file === undefined ? "" : ` at ${root === undefined ? file : relative(root, file)}:${line}`;
        const words = REPORTS[source];
        options.warn({
          kind: "substituted-value",
          workflow: runOf()?.workflowName ?? "",
          message: `${label} ${did ?? words.did}${where} and got ${got ?? (source === "locale" ? `${zone.timeZone} and ${zone.locale}` : words.got)}`,
          rule: `${label}:${source}`,
          ...(location === undefined ? {} : { location }),
          module: label,
          source,
        });
      },
      refuse(rule) {
        if (ctx.unrestricted) return hostNow();
        const path = rule.split(".") as RulePath;
        const row = findDefaultRule(path);
        const location = ctx.locate();
        const error = restrictedAccessError(rule, { rule, location, reason: row?.reason, hint: row?.hint });
        ctx.report({ qualifiedName: rule, rule, warning: false, error, message: error.message, location });
        throw error;
      },
    };
  };

  /** The profile of a package: `null` when its modules see the run's own globals. */
  const profileFor = (name: string | undefined, root: string | undefined): PackageProfile | null => {
    const workflow = name === undefined || workflowPackages.has(name);
    const key = `${workflow ? "w" : "p"}\0${name ?? ""}`;
    if (profiles.has(key)) return profiles.get(key)!;
    const rows = determinism.substitutionsOf({ name, workflow }, sources);
    let profile: PackageProfile | null = null;
    if (rows.length > 0) {
      const substitutes = substitutesFor(rows);
      profile = {
        state: packageState(name, root),
        name,
        substitutes,
        constants: ECMASCRIPT_GLOBALS.filter((global) => substitutes.below([GLOBAL_ROOT, global])),
        lazy: [...CAPTURED_KEYS].filter((key): key is string =>
          typeof key === "string" && !ECMASCRIPT.has(key) && substitutes.below([GLOBAL_ROOT, key])
        ),
        modules: new Set(["crypto", "process"].filter((id) => substitutes.below([id]))),
      };
    }
    profiles.set(key, profile);
    return profile;
  };

  // One object per runner: a run's own restrictions are found from its global object's stamp.
  const packages: RunPackages = {
    profileOf(record: ModuleRecord): PackageProfile | null {
      if (record.packageEpoch === epoch) return record.packageProfile as PackageProfile | null;
      const scope = options.scopes.named(record.path);
      const profile = profileFor(scope?.name, scope?.root);
      record.packageProfile = profile;
      record.packageEpoch = epoch;
      return profile;
    },
    world(profile: object, run: SandboxRun): PackageWorld {
      const { state, substitutes, constants, lazy, modules } = profile as PackageProfile;
      const restricted = new RunRestrictions(root, new PackageRunContext(ctx, state, run, environment), substitutes);
      const valueOf = (name: string): unknown => {
        const descriptor = hostDescriptor(name);
        if (descriptor === undefined) return undefined;
        const own = restricted.property([GLOBAL_ROOT, name], descriptor, hostGlobal);
        return "value" in own ? own.value : own.get?.call(hostGlobal);
      };
      const ownConstants: Record<string, unknown> = {};
      for (const name of constants) ownConstants[name] = valueOf(name);
      const ownLazy: Record<string, () => unknown> = {};
      for (const name of lazy) ownLazy[name] = () => valueOf(name);
      const filter: PackageWorld["filter"] = (url, value, view, next) =>
        url.startsWith("node:") && modules.has(canonicalModuleId(url))
          ? restricted.namespace(url, restrictable(value as object))
          : next === undefined ? value : next(url, value, view);
      return { globals: createPackageGlobal(run.globals, { constants: ownConstants, lazy: ownLazy }), filter };
    },
  };

  // Whether `invalidModules` refuses a module id at import time and at run time: every run
  // reaches the same modules, and the matcher never changes.
  const invalidAt = [new Map<string, boolean>(), new Map<string, boolean>()] as const;
  const isInvalid = (id: string): boolean => {
    const runtime = ctx.isRuntime;
    const known = invalidAt[runtime ? 1 : 0];
    let invalid = known.get(id);
    if (invalid === undefined) known.set(id, invalid = restrictions.invalidModules.matchAccess({ isRuntime: runtime }, [id]));
    return invalid;
  };
  // One per runner: it reads nothing of the run but the event (the run executing is the current one).
  const onModule = (event: ModuleEvent): void => {
    const id = moduleId(event.url);
    if (event.stage === "reached") {
      if (id !== undefined && !ctx.unrestricted && isInvalid(id)) {
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
  };

  return {
    addWorkflowModule(path: string) {
      const name = options.scopes.named(path)?.name;
      if (workflowPackages.has(name)) return;
      workflowPackages.add(name);
      profiles.clear();
      epoch = ++epochs;
    },
    createRun() {
      const run = new RunRestrictions(root, ctx, strictSubstitutes, sharedFunctions);
      const globals: Record<string, PropertyDescriptor> = {};
      for (const entry of eager) {
        let value = entry.shared;
        if (value === undefined) {
          value = run.property(entry.path, entry.descriptor, hostGlobal);
          if ("value" in value && sharedFunctions.has(value.value)) entry.shared = Object.freeze(value);
        }
        globals[entry.key] = value;
      }
      const hostModuleFilter: HostModuleFilter = (url, value) =>
        url.startsWith("node:") ? run.namespace(url, restrictable(value as object)) : value;
      return {
        globals,
        shared,
        attach: (global: object) => new LayerStamp(global, { run, values: undefined }),
        hostModuleFilter,
        packages,
        onModule,
      };
    },
  };
}
