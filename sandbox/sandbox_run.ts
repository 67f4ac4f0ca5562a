/**
 * One workflow run inside the sandbox: its global object, its module instances and its pending
 * dynamic imports. Instantiation is synchronous: every module was compiled by the runner's
 * `prepare`, and a functor call evaluates a module body in microseconds.
 * @module
 */
import Module, { createRequire } from "node:module";
import { FUNCTOR_PARAMS, type ModuleBody } from "../loader/functor_compiler.ts";
import { codedError } from "./coded_error.ts";
import type { ModuleGraph, ModuleRecord } from "./module_graph.ts";
import { commonJsView, jsonModuleView, namespaceView } from "./esm_interop.ts";
import { resolveImport, resolveImportSync } from "./module_resolver.ts";
import { createPerRunGlobal, type GlobalOverrides, type PerRunGlobal, type SharedGlobals } from "./per_run_global.ts";
import type { RunSlotValue } from "./current_run.ts";
import { apply, create, defineProperty, freeze, hasOwn } from "./host_intrinsics.ts";
import { VALIDATION_SEED, VALIDATION_TIME } from "./determinism_policy.ts";

/** A passed-through module as one run will see it (restrictions may replace members). */
export type HostModuleFilter = (url: string, value: unknown, view: "esm" | "cjs") => unknown;

/** A module reached by a run: the restriction layer may refuse it or warn. */
export interface ModuleEvent {
  readonly url: string;
  /** The host's instance rather than a per-run one. */
  readonly passthrough: boolean;
  /** First time this run reaches it. */
  readonly first: boolean;
  /** Reached through `import()`. */
  readonly dynamic: boolean;
  /** Reached while the run's modules are first evaluated. */
  readonly importing: boolean;
  /** "reached" before loading (an import may be refused), "instantiated" once a per-run instance exists. */
  readonly stage: "reached" | "instantiated";
}

/** What a package's modules see in one run (deterministic mode): its global view and module filter. */
export interface PackageWorld {
  /** The package's view of the run's global object, its constants and scopes. */
  readonly globals: PerRunGlobal;
  /**
   * How the package's modules see passed-through modules: its own view of the modules it has
   * substitutes in (`node:crypto`, `node:process`), the run's filter (`next`) for the others.
   */
  readonly filter: (url: string, value: unknown, view: "esm" | "cjs", next: HostModuleFilter | undefined) => unknown;
}

/**
 * How a run gives the modules of some packages their own deterministic values
 * (sandbox/restriction_layer.ts, docs/determinism.md).
 */
export interface RunPackages {
  /** The package profile of a module, or `null` when it sees the run's own globals. */
  profileOf(record: ModuleRecord): object | null;
  /** Makes what a profile's modules see in `run` (once per run and profile). */
  world(profile: object, run: SandboxRun): PackageWorld;
}

/** Options of {@link SandboxRun}. */
export interface SandboxRunOptions {
  readonly graph: ModuleGraph;
  /** Replacement globals for this run (restricted `Date`, per-run `Math`, ...). */
  readonly overrides?: GlobalOverrides;
  /** Replacement properties shared by the runner's runs (resolved per run through `attach`). */
  readonly shared?: SharedGlobals;
  /** Called with the run's global object once it exists. */
  readonly attach?: (global: object) => void;
  /** How this run sees passed-through modules; identity by default. */
  readonly hostModuleFilter?: HostModuleFilter;
  /** Host data for the worker, reachable through the current-run slot. */
  readonly host?: unknown;
  /** The workflow type, for warnings. */
  readonly workflowName?: string;
  /** Called for every module the run reaches (restrictions, import notifications). */
  readonly onModule?: (event: ModuleEvent) => void;
  /** Modules of packages that get their own deterministic values. */
  readonly packages?: RunPackages;
  /** The workflow clock while the modules are imported (ms since the epoch). */
  readonly workflowTime?: number;
  /** The run's seed, from which each package's stream is derived. */
  readonly randomnessSeed?: string;
}

/** The `module` object a CommonJS body receives: the fields of Node's `Module` that code reads. */
interface ModuleObject {
  exports: unknown;
  readonly id: string;
  readonly filename: string;
  readonly path: string;
  loaded: boolean;
  readonly children: ModuleObject[];
  readonly paths: string[];
  /** Node's `module.require(id)`: the module's own `require` (lodash reads `util.types` through it). */
  require?: (specifier: string) => unknown;
}

interface Instance {
  readonly module: ModuleObject;
  error: unknown;
  failed: boolean;
  esmView: object | undefined;
}

interface PendingImport {
  readonly record: ModuleRecord;
  readonly specifier: string;
  readonly passthrough: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * A workflow run's module world.
 *
 * @example
 * ```ts
 * import { SandboxRun } from "./sandbox_run.ts";
 * declare const graph: import("./module_graph.ts").ModuleGraph;
 * const run = new SandboxRun({ graph });
 * const namespace = run.importModule("file:///app/workflows.ts");
 * ```
 */
export class SandboxRun implements RunSlotValue {
  importing = true;
  readonly sandboxed = true;
  readonly host: unknown;
  /** Depth of `workflow.unsafe.importsPassedThrough()` calls in progress. */
  passthroughDepth = 0;
  /** Depth of `workflow.unsafe.sandboxUnrestricted()` calls in progress (synchronous part). */
  unrestrictedDepth = 0;
  readonly workflowName: string;
  readonly globals: PerRunGlobal;
  /**
   * The workflow clock in ms: the time of the current activation, given by the engine, read by the
   * deterministic values of packages (docs/determinism.md).
   */
  workflowTime: number;
  /** The run's seed, given by the engine: each package's stream is derived from it and its name. */
  readonly randomnessSeed: string;
  readonly #graph: ModuleGraph;
  readonly #instances = new Map<string, Instance>();
  // Made on first use, as the two sets below: most runs have no CommonJS module and no import().
  #requireCacheObject: Record<string, ModuleObject> | undefined;
  #pending: PendingImport[] | undefined;
  readonly #filter: HostModuleFilter | undefined;
  readonly #onModule: ((event: ModuleEvent) => void) | undefined;
  #reached: Set<string> | undefined;
  #instantiatedUrls: Set<string> | undefined;
  #args: unknown[] | undefined;
  readonly #packages: RunPackages | undefined;
  #worlds: Map<object, { readonly world: PackageWorld; args: unknown[] | undefined }> | undefined;

  constructor(options: SandboxRunOptions) {
    this.#graph = options.graph;
    this.host = options.host;
    this.#filter = options.hostModuleFilter;
    this.#onModule = options.onModule;
    this.#packages = options.packages;
    this.workflowName = options.workflowName ?? "";
    this.workflowTime = options.workflowTime ?? VALIDATION_TIME;
    this.randomnessSeed = options.randomnessSeed ?? VALIDATION_SEED;
    this.globals = createPerRunGlobal(options.overrides ?? {}, options.shared);
    options.attach?.(this.globals.global);
  }

  /** Instantiates a module of the graph (and its static imports) and returns its ESM view. */
  importModule(url: string): Record<string, unknown> {
    if (this.#graph.isPassthrough(url)) {
      return this.#hostView(url, this.#graph.hostNamespaces.get(url)!, "esm") as Record<string, unknown>;
    }
    const record = this.#graph.records.get(url);
    if (!record) {
      throw codedError(Error, {
        code: "WFS_INTERNAL",
        message: `Module '${url}' was not prepared`,
        hint: "Call runner.prepare() first; if it was called, report this bug with the whole error and your " +
          "runtime's version",
      });
    }
    try {
      return this.#esmView(record, this.#instantiate(record)) as Record<string, unknown>;
    } finally {
      this.#releaseArgs();
    }
  }

  /**
   * Drops the argument arrays once the run's modules are instantiated: a later instantiation (a
   * dynamic import, a computed require) makes them again from the constants. Kept, each cached run
   * held an array as long as its constants (0.6 KiB) and, through its slots, the last module's
   * `module` object and `require`.
   */
  #releaseArgs(): void {
    this.#args = undefined;
    if (this.#worlds !== undefined) for (const world of this.#worlds.values()) world.args = undefined;
  }

  get #requireCache(): Record<string, ModuleObject> {
    return this.#requireCacheObject ??= create(null);
  }

  /** Whether dynamic imports wait to be settled. */
  get hasPendingImports(): boolean {
    return this.#pending !== undefined && this.#pending.length > 0;
  }

  /**
   * Settles the dynamic imports requested so far, in request order. Every module is loaded
   * first and every promise settled afterwards, in one synchronous step, so a cached module and
   * one loaded from disk settle at the same point of the workflow's execution.
   */
  async settlePendingImports(): Promise<void> {
    (await this.loadPendingImports())();
  }

  /**
   * Loads the dynamic imports requested so far (resolution and compilation, asynchronous) and
   * returns the synchronous step that instantiates them (their top-level code runs there) and
   * settles their promises, in request order: the deadlock guard runs that step as a guarded
   * stretch.
   */
  async loadPendingImports(): Promise<() => void> {
    const batch = this.#pending?.splice(0) ?? [];
    const steps: (() => unknown)[] = [];
    for (const request of batch) {
      try {
        steps.push(await this.#loadDynamic(request));
      } catch (error) {
        steps.push(() => {
          throw error;
        });
      }
    }
    return () => {
      const outcomes: Outcome[] = steps.map((step) => {
        try {
          return { ok: true, value: step() };
        } catch (error) {
          return { ok: false, error };
        }
      });
      this.#releaseArgs();
      batch.forEach((request, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) request.resolve(outcome.value);
        else request.reject(outcome.error);
      });
    };
  }

  #instantiate(record: ModuleRecord): Instance {
    const existing = this.#instances.get(record.url);
    if (existing) {
      if (existing.failed) throw existing.error;
      return existing; // a cycle, or a second import: the same instance, as natively
    }
    const cjs = record.kind === "cjs";
    const module: ModuleObject = {
      exports: {},
      id: record.path,
      filename: record.path,
      path: record.dir,
      loaded: false,
      children: cjs ? [] : NO_MODULES,
      paths: cjs ? nodeModulePaths(record.dir).slice() : NO_PATHS,
    };
    const instance: Instance = { module, error: undefined, failed: false, esmView: undefined };
    // `require.cache` holds CommonJS and JSON modules, as Node's does: an ES module never reads it.
    if (record.kind !== "esm") this.#requireCache[record.path] = module;
    this.#instances.set(record.url, instance);
    if (record.kind === "json") {
      try {
        instance.module.exports = JSON.parse(record.json!);
      } catch (error) {
        instance.failed = true;
        throw instance.error = codedError(SyntaxError, {
          code: "WFS_COMPILE",
          message: `Cannot parse JSON module '${record.path}': ${(error as Error).message}`,
          hint: "Fix the JSON at that position",
          cause: error,
        });
      }
      return instance;
    }
    const functor = record.functor ??= record.compiled!.load();
    const meta = record.compiled!.meta;
    const esm = record.kind === "esm";
    const require = this.#requireFor(record);
    if (cjs) module.require = require;
    // One argument array per run (FUNCTOR_PARAMS after the globals), and one per package that
    // gets its own values: `apply` copies it before the body runs, so a nested instantiation may
    // rewrite it.
    const world = this.#packages === undefined ? undefined : this.#worldOf(record);
    const globals = world === undefined ? this.globals : world.world.globals;
    const args = world === undefined
      ? this.#args ??= this.globals.constants.concat(PARAM_SLOTS)
      : world.args ??= globals.constants.concat(PARAM_SLOTS);
    let at = args.length - PARAM_SLOTS.length;
    args[at++] = meta.usesImportMeta ? this.#importMeta(record) : undefined;
    args[at++] = meta.usesDynamicImport ? (specifier: unknown) => this.#dynamicImport(record, specifier) : undefined;
    args[at++] = functor.helpers;
    args[at++] = record.cyclic;
    args[at++] = module.exports;
    args[at++] = require;
    args[at++] = module;
    args[at++] = record.path;
    args[at] = record.dir;
    try {
      if (esm) {
        apply(functor(globals.strictScope), undefined, args);
      } else {
        const body = apply(functor(globals.sloppyScope), undefined, args) as ModuleBody;
        body.call(module.exports, module.exports, require, module, record.path, record.dir);
      }
    } catch (error) {
      instance.failed = true;
      instance.error = error;
      throw error;
    }
    instance.module.loaded = true;
    return instance;
  }

  /** The world of a module's package in this run, or `undefined` when it sees the run's own globals. */
  #worldOf(record: ModuleRecord): { readonly world: PackageWorld; args: unknown[] | undefined } | undefined {
    const profile = this.#packages!.profileOf(record);
    if (profile === null) return undefined;
    const worlds = this.#worlds ??= new Map();
    let world = worlds.get(profile);
    if (world === undefined) worlds.set(profile, world = { world: this.#packages!.world(profile, this), args: undefined });
    return world;
  }

  #requireFor(record: ModuleRecord): (specifier: string) => unknown {
    const require = (specifier: string) => this.#require(record, specifier);
    if (record.kind === "cjs") {
      // The run's own modules by path, as Node's `require.cache` holds the process's.
      defineProperty(require, "cache", { value: this.#requireCache });
      defineProperty(require, "main", { value: undefined });
      // CommonJS code also calls require.resolve (to locate data files, mostly).
      defineProperty(require, "resolve", {
        value: (specifier: string) => {
          const url = this.#graph.resolveRequire(record, specifier);
          return url.startsWith("file:") ? new URL(url).pathname : url.replace(/^node:/, "");
        },
      });
    }
    return require;
  }

  #require(record: ModuleRecord, specifier: string): unknown {
    const esm = record.kind === "esm";
    let target = record.targets.get(specifier);
    if (target === undefined || this.passthroughDepth > 0) {
      let url = record.deps.get(specifier);
      if (url === undefined) {
        if (record.depErrors.has(specifier)) throw record.depErrors.get(specifier);
        url = this.#graph.resolveRequire(record, specifier);
      }
      const passthrough = this.passthroughDepth > 0 || this.#graph.isPassthrough(url, record);
      target = { url, record: passthrough ? undefined : this.#graph.compileSync(url) };
      // Inside importsPassedThrough() the answer is this call's only: everything passes through.
      if (this.passthroughDepth === 0) record.targets.set(specifier, target);
    }
    const { url } = target;
    this.#notify(url, target.record === undefined, false);
    if (target.record === undefined) {
      if (esm) {
        const namespace = this.#graph.hostNamespaces.get(url);
        if (namespace) return this.#hostView(url, namespace, "esm", record);
      }
      return this.#hostView(url, hostRequire(record)(specifier), esm ? "esm-from-cjs" : "cjs", record);
    }
    const fresh = this.#onModule !== undefined && !this.#instances.has(url); // only for the module events
    const instance = this.#instantiate(target.record);
    if (fresh) this.#notify(url, false, false, "instantiated");
    if (esm) return this.#esmView(target.record, instance);
    const exports = instance.module.exports;
    // require() of an ES module returns its "module.exports" export when it has one, its namespace
    // otherwise, as every Node and Deno this package supports does natively (tested against the
    // native require): https://nodejs.org/api/modules.html#loading-ecmascript-modules-using-require
    if (target.record.kind === "esm" && hasOwn(exports as object, "module.exports")) {
      return (exports as Record<string, unknown>)["module.exports"];
    }
    return exports;
  }

  #notify(url: string, passthrough: boolean, dynamic: boolean, stage: ModuleEvent["stage"] = "reached"): void {
    if (!this.#onModule) return;
    const seen = stage === "reached" ? (this.#reached ??= new Set()) : (this.#instantiatedUrls ??= new Set());
    const first = !seen.has(url);
    if (first) seen.add(url);
    this.#onModule({ url, passthrough, first, dynamic, importing: this.importing, stage });
  }

  #hostView(url: string, value: unknown, kind: "esm" | "cjs" | "esm-from-cjs", from?: ModuleRecord): unknown {
    const view = kind === "esm"
      ? namespaceView(value as object)
      : kind === "esm-from-cjs"
      ? commonJsView(value)
      : value;
    const as = kind === "cjs" ? "cjs" : "esm";
    // A package with its own values sees node:crypto and node:process through its own filter.
    const world = from === undefined || this.#packages === undefined ? undefined : this.#worldOf(from);
    if (world !== undefined) return world.world.filter(url, view, as, this.#filter);
    return this.#filter ? this.#filter(url, view, as) : view;
  }

  #esmView(record: ModuleRecord, instance: Instance): object {
    if (instance.esmView) return instance.esmView;
    const exports = instance.module.exports;
    instance.esmView = record.kind === "esm"
      ? exports as object
      : record.kind === "json"
      ? jsonModuleView(exports)
      : commonJsView(exports);
    return instance.esmView;
  }

  #importMeta(record: ModuleRecord): object {
    const meta = create(null);
    meta.url = record.url;
    meta.filename = record.path;
    meta.dirname = record.dir;
    meta.main = false;
    meta.resolve = (specifier: string) => {
      const known = record.deps.get(specifier);
      if (known !== undefined) return known;
      // A relative or absolute URL resolves against the module; a bare specifier (a package, an
      // import-map entry) needs the runtime's resolver, as natively.
      if (/^(\.{0,2}\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier)) return new URL(specifier, record.url).href;
      return resolveImportSync(specifier, record.url);
    };
    return freeze(meta);
  }

  #dynamicImport(record: ModuleRecord, specifier: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      (this.#pending ??= []).push({
        record,
        specifier: String(specifier),
        passthrough: this.passthroughDepth > 0,
        resolve,
        reject,
      });
    });
  }

  /** Loads a dynamic import; the returned step instantiates it (top-level code) and returns its view. */
  async #loadDynamic(request: PendingImport): Promise<() => unknown> {
    const { record, specifier } = request;
    let url = record.deps.get(specifier);
    if (url === undefined) {
      if (record.depErrors.has(specifier)) throw record.depErrors.get(specifier);
      url = record.kind === "esm" ? await resolveImport(specifier, record.url) : this.#graph.resolveRequire(record, specifier);
      record.deps.set(specifier, url);
    }
    const passthrough = request.passthrough || this.#graph.isPassthrough(url, record);
    this.#notify(url, passthrough, true);
    if (passthrough) {
      const view = this.#hostView(url, await this.#graph.loadHost(url), "esm", record);
      return () => view;
    }
    await this.#graph.load(url);
    const target = this.#graph.compileSync(url);
    const resolved = url;
    return () => {
      const fresh = this.#onModule !== undefined && !this.#instances.has(resolved); // only for the module events
      const instance = this.#instantiate(target);
      if (fresh) this.#notify(resolved, false, true, "instantiated");
      return this.#esmView(target, instance);
    };
  }
}

// The slots after the globals in a run's functor arguments, filled per module.
const PARAM_SLOTS: readonly unknown[] = FUNCTOR_PARAMS.map(() => undefined);

// An ES module's body never sees its `module` object (esbuild's output only assigns its exports).
const NO_MODULES = freeze([]) as unknown as ModuleObject[];
const NO_PATHS = freeze([]) as unknown as string[];

const hostRequires = new WeakMap<ModuleRecord, NodeJS.Require>();

function hostRequire(record: ModuleRecord): NodeJS.Require {
  let require = hostRequires.get(record);
  if (!require) hostRequires.set(record, require = createRequire(record.path));
  return require;
}

// Node's own list of node_modules folders above a directory (Module._nodeModulePaths), once per
// folder: each run copies it (code may edit its own module.paths).
const modulePathsByDir = new Map<string, string[]>();
const nodeModulePaths = (dir: string): string[] => {
  let paths = modulePathsByDir.get(dir);
  if (!paths) {
    paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dir);
    modulePathsByDir.set(dir, paths);
  }
  return paths;
};
