/**
 * One workflow run inside the sandbox: its global object, its module instances and its pending
 * dynamic imports. Instantiation is synchronous: every module was compiled by the runner's
 * `prepare`, and a functor call evaluates a module body in microseconds.
 * @module
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type { ModuleGraph, ModuleRecord } from "./module_graph.ts";
import { commonJsView, namespaceView } from "./esm_interop.ts";
import { resolveImport } from "./module_resolver.ts";
import { createPerRunGlobal, type GlobalOverrides, type PerRunGlobal } from "./per_run_global.ts";
import type { RunSlotValue } from "./current_run.ts";
import { apply, create, defineProperty, freeze } from "./host_intrinsics.ts";

/** A passed-through module as one run will see it (restrictions may replace members). */
export type HostModuleFilter = (url: string, value: unknown, view: "esm" | "cjs") => unknown;

/** Options of {@link SandboxRun}. */
export interface SandboxRunOptions {
  readonly graph: ModuleGraph;
  /** Replacement globals for this run (restricted `Date`, per-run `Math`, ...). */
  readonly overrides?: GlobalOverrides;
  /** How this run sees passed-through modules; identity by default. */
  readonly hostModuleFilter?: HostModuleFilter;
  /** Host data for the worker, reachable through the current-run slot. */
  readonly host?: unknown;
}

interface Instance {
  readonly module: { exports: unknown };
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
  readonly globals: PerRunGlobal;
  readonly #graph: ModuleGraph;
  readonly #instances = new Map<string, Instance>();
  readonly #pending: PendingImport[] = [];
  readonly #filter: HostModuleFilter | undefined;

  constructor(options: SandboxRunOptions) {
    this.#graph = options.graph;
    this.host = options.host;
    this.#filter = options.hostModuleFilter;
    this.globals = createPerRunGlobal(options.overrides ?? {});
  }

  /** Instantiates a module of the graph (and its static imports) and returns its ESM view. */
  importModule(url: string): Record<string, unknown> {
    if (this.#graph.isPassthrough(url)) {
      return this.#hostView(url, this.#graph.hostNamespaces.get(url)!, "esm") as Record<string, unknown>;
    }
    const record = this.#graph.records.get(url);
    if (!record) throw new Error(`Module '${url}' was not prepared: call runner.prepare() first`);
    return this.#esmView(record, this.#instantiate(record)) as Record<string, unknown>;
  }

  /** Whether dynamic imports wait to be settled. */
  get hasPendingImports(): boolean {
    return this.#pending.length > 0;
  }

  /**
   * Settles the dynamic imports requested so far, in request order. Every module is loaded
   * first and every promise settled afterwards, in one synchronous step, so a cached module and
   * one loaded from disk settle at the same point of the workflow's execution.
   */
  async settlePendingImports(): Promise<void> {
    const batch = this.#pending.splice(0);
    const outcomes: Outcome[] = [];
    for (const request of batch) {
      try {
        outcomes.push({ ok: true, value: await this.#loadDynamic(request) });
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
    batch.forEach((request, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) request.resolve(outcome.value);
      else request.reject(outcome.error);
    });
  }

  #instantiate(record: ModuleRecord): Instance {
    const existing = this.#instances.get(record.url);
    if (existing) {
      if (existing.failed) throw existing.error;
      return existing; // a cycle, or a second import: the same instance, as natively
    }
    const instance: Instance = { module: { exports: {} }, error: undefined, failed: false, esmView: undefined };
    this.#instances.set(record.url, instance);
    if (record.kind === "json") {
      try {
        instance.module.exports = JSON.parse(record.json!);
      } catch (error) {
        instance.failed = true;
        throw instance.error = new SyntaxError(`Cannot parse JSON module '${record.path}': ${(error as Error).message}`);
      }
      return instance;
    }
    const functor = record.functor ??= record.compiled!.load();
    const esm = record.kind === "esm";
    const scope = esm ? this.globals.global : this.globals.sloppyScope;
    const require = this.#requireFor(record);
    try {
      const body = apply(functor(scope), undefined, this.globals.constants as unknown[]);
      body.call(
        esm ? undefined : instance.module.exports,
        instance.module.exports,
        require,
        instance.module,
        record.path,
        dirname(record.path),
        record.compiled!.meta.usesImportMeta ? this.#importMeta(record) : undefined,
        (specifier: unknown) => this.#dynamicImport(record, specifier),
      );
    } catch (error) {
      instance.failed = true;
      instance.error = error;
      throw error;
    }
    return instance;
  }

  #requireFor(record: ModuleRecord): (specifier: string) => unknown {
    const require = (specifier: string) => this.#require(record, specifier);
    if (record.kind === "cjs") {
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
    let url = record.deps.get(specifier);
    if (url === undefined) {
      if (record.depErrors.has(specifier)) throw record.depErrors.get(specifier);
      url = this.#graph.resolveRequire(record, specifier);
    }
    if (this.passthroughDepth > 0 || this.#graph.isPassthrough(url, record)) {
      if (esm) {
        const namespace = this.#graph.hostNamespaces.get(url);
        if (namespace) return this.#hostView(url, namespace, "esm");
      }
      return this.#hostView(url, hostRequire(record)(specifier), esm ? "esm-from-cjs" : "cjs");
    }
    const target = this.#graph.compileSync(url);
    const instance = this.#instantiate(target);
    return esm ? this.#esmView(target, instance) : instance.module.exports;
  }

  #hostView(url: string, value: unknown, kind: "esm" | "cjs" | "esm-from-cjs"): unknown {
    const view = kind === "esm"
      ? namespaceView(value as object)
      : kind === "esm-from-cjs"
      ? commonJsView(value)
      : value;
    return this.#filter ? this.#filter(url, view, kind === "cjs" ? "cjs" : "esm") : view;
  }

  #esmView(record: ModuleRecord, instance: Instance): object {
    if (instance.esmView) return instance.esmView;
    const exports = instance.module.exports;
    instance.esmView = record.kind === "esm" ? exports as object : commonJsView(exports);
    return instance.esmView;
  }

  #importMeta(record: ModuleRecord): object {
    const meta = create(null);
    meta.url = record.url;
    meta.filename = record.path;
    meta.dirname = dirname(record.path);
    meta.main = false;
    meta.resolve = (specifier: string) => record.deps.get(specifier) ?? new URL(specifier, record.url).href;
    return freeze(meta);
  }

  #dynamicImport(record: ModuleRecord, specifier: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.push({
        record,
        specifier: String(specifier),
        passthrough: this.passthroughDepth > 0,
        resolve,
        reject,
      });
    });
  }

  async #loadDynamic(request: PendingImport): Promise<unknown> {
    const { record, specifier } = request;
    let url = record.deps.get(specifier);
    if (url === undefined) {
      if (record.depErrors.has(specifier)) throw record.depErrors.get(specifier);
      url = record.kind === "esm" ? await resolveImport(specifier, record.url) : this.#graph.resolveRequire(record, specifier);
      record.deps.set(specifier, url);
    }
    if (request.passthrough || this.#graph.isPassthrough(url, record)) {
      return this.#hostView(url, await this.#graph.loadHost(url), "esm");
    }
    await this.#graph.load(url);
    const target = this.#graph.compileSync(url);
    return this.#esmView(target, this.#instantiate(target));
  }
}

const hostRequires = new WeakMap<ModuleRecord, NodeJS.Require>();

function hostRequire(record: ModuleRecord): NodeJS.Require {
  let require = hostRequires.get(record);
  if (!require) hostRequires.set(record, require = createRequire(record.path));
  return require;
}
