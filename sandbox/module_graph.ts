/**
 * A runner's module graph: every module a workflow can reach, compiled once into a functor, with
 * its imports resolved and its passed-through dependencies loaded on the host. Runs instantiate
 * from it synchronously; nothing here runs a sandboxed module's body.
 * @module
 */
import { codedError } from "./coded_error.ts";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CompiledModule, Functor, ModuleKind, RuntimeTranspiled } from "../loader/functor_compiler.ts";
import type { LoaderServices } from "../loader/loader_services.ts";
import type { PassthroughPolicy } from "./passthrough_policy.ts";
import { resolveImport, resolveRequire, runtimeTranspiled } from "./module_resolver.ts";
import { loadsFunctorsByImport, runtimeTranspilerId } from "../loader/runtime.ts";

/** The runtime's transpiler, part of the cache key of functors built from its output. */
const RUNTIME_TRANSPILER = runtimeTranspilerId;

/** A module the sandbox can instantiate. */
export interface ModuleRecord {
  readonly url: string;
  readonly path: string;
  /** `dirname(path)`, computed once: every run's instance of the module needs it. */
  readonly dir: string;
  readonly kind: ModuleKind | "json";
  readonly compiled: CompiledModule | undefined;
  /** Resolved imports (ES modules: static and literal dynamic; CommonJS: filled as required). */
  readonly deps: Map<string, string>;
  /** Imports that failed to resolve, thrown when (and if) they are used. */
  readonly depErrors: Map<string, unknown>;
  /** Targets this module passes through by its `"use passthrough: ..."` directive. */
  readonly passthroughTargets: Set<string>;
  /** Source text, for JSON modules. */
  readonly json: string | undefined;
  functor: Functor | undefined;
  /**
   * What each `require(specifier)` of this module reached, decided once per runner (the graph is
   * the runner's): every later run takes the target without resolving or matching again.
   */
  readonly targets: Map<string, RequireTarget>;
  /**
   * Whether another module can read this one's exports while it evaluates (an import cycle, or a
   * module reached by a CommonJS `require`, whose edges are known only at run time). An ES module
   * that cannot is given data properties for its fixed exports (loader/esbuild_helpers.ts).
   */
  cyclic: boolean;
  /**
   * The runner's answer to "which package's deterministic values does this module get" (opaque to
   * the graph: sandbox/restriction_layer.ts), valid while `packageEpoch` is the layer's epoch.
   */
  packageProfile: unknown;
  packageEpoch: number;
}

/** A module's file as read, before it is compiled (a JSON module is not). */
type ModuleFile = {
  readonly url: string;
  readonly path: string;
  readonly source: string;
  /** The runtime's own JavaScript of a TypeScript file (Deno). */
  readonly runtime: RuntimeTranspiled | undefined;
} & ({ readonly kind: "json" } | { readonly kind: ModuleKind });

/** A resolved `require` of a module: the host's instance, or a record to instantiate. */
export interface RequireTarget {
  readonly url: string;
  /** The record to instantiate; undefined when the target is passed through. */
  readonly record: ModuleRecord | undefined;
}

/** Where a module comes from, for the `check` command and the mutation report. */
export type ModuleOrigin = "sandboxed" | "passthrough";

/**
 * The module graph of one runner.
 *
 * @example
 * ```ts
 * import { ModuleGraph } from "./module_graph.ts";
 * import { createPassthroughPolicy } from "./passthrough_policy.ts";
 * import { sharedLoaderServices } from "../loader/loader_services.ts";
 * const services = sharedLoaderServices();
 * const graph = new ModuleGraph(services, createPassthroughPolicy({ modules: ["fs"], all: false, scopes: services.scopes }));
 * await graph.load(new URL("./workflows.ts", import.meta.url).href);
 * ```
 */
export class ModuleGraph {
  readonly records: Map<string, ModuleRecord> = new Map();
  /** Host ES module namespaces of passed-through modules, by URL. */
  readonly hostNamespaces: Map<string, object> = new Map();
  readonly #services: LoaderServices;
  readonly #policy: PassthroughPolicy;
  readonly #loading = new Map<string, Promise<Array<{ url: string; optional: boolean }>>>();

  constructor(services: LoaderServices, policy: PassthroughPolicy) {
    this.#services = services;
    this.#policy = policy;
  }

  /** Whether `url`, imported by `record`, is the host's instance rather than a per-run one. */
  isPassthrough(url: string, record?: ModuleRecord): boolean {
    if (record?.passthroughTargets.has(url)) return true;
    if (!url.startsWith("file:")) return true; // built-ins, npm: (Deno), data:
    if (url.endsWith(".node")) return true; // native addons cannot be instantiated twice
    return this.#policy.match(url) !== undefined;
  }

  /** Compiles `url` and everything its static graph and literal dynamic imports reach. */
  async load(url: string): Promise<void> {
    // Each module is loaded once (memoised); the walk remembers where it has been, so an import
    // cycle (zod has several) ends instead of waiting on itself.
    const visited = new Set<string>();
    const visit = async (next: string, optional = false): Promise<void> => {
      if (visited.has(next)) return;
      visited.add(next);
      let pending = this.#loading.get(next);
      if (!pending) {
        pending = this.#loadOne(next);
        this.#loading.set(next, pending);
      }
      try {
        await Promise.all((await pending).map((edge) => visit(edge.url, edge.optional)));
      } catch (error) {
        // A literal dynamic import that cannot load fails only when the workflow reaches it, as
        // natively: `import()` then calls load() again and gets the memoised rejection.
        if (!optional) throw error;
      }
    };
    await visit(url);
    this.#markCycles();
  }

  /**
   * Marks the ES modules of static import cycles (strongly connected components of the static
   * import graph, Tarjan's algorithm) and the modules a CommonJS module imports, whose `require`
   * calls may lead back. Everything else is acyclic: its imports have finished evaluating before it
   * runs, and nothing imports it before it has.
   */
  #markCycles(): void {
    const index = new Map<ModuleRecord, number>();
    const low = new Map<ModuleRecord, number>();
    const stack: ModuleRecord[] = [];
    const onStack = new Set<ModuleRecord>();
    const edges = (record: ModuleRecord): ModuleRecord[] => {
      if (record.kind !== "esm") return [];
      const out: ModuleRecord[] = [];
      for (const specifier of record.compiled!.meta.imports) {
        const url = record.deps.get(specifier);
        const target = url === undefined ? undefined : this.records.get(url);
        if (target && !this.isPassthrough(target.url, record)) out.push(target);
      }
      return out;
    };
    const cyclicFromCjs = new Set<ModuleRecord>();
    for (const record of this.records.values()) {
      if (record.kind === "cjs") for (const target of record.targets.values()) if (target.record) cyclicFromCjs.add(target.record);
    }
    const connect = (record: ModuleRecord): void => {
      index.set(record, index.size);
      low.set(record, index.get(record)!);
      stack.push(record);
      onStack.add(record);
      const next = edges(record);
      for (const target of next) {
        if (!index.has(target)) {
          connect(target);
          low.set(record, Math.min(low.get(record)!, low.get(target)!));
        } else if (onStack.has(target)) {
          low.set(record, Math.min(low.get(record)!, index.get(target)!));
        }
      }
      if (low.get(record) !== index.get(record)) return;
      const component: ModuleRecord[] = [];
      let member: ModuleRecord;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== record);
      const cycle = component.length > 1 || next.includes(record);
      for (const item of component) item.cyclic = item.kind !== "esm" || cycle || cyclicFromCjs.has(item);
    };
    for (const record of this.records.values()) if (!index.has(record)) connect(record);
  }

  /** Loads a passed-through module on the host (ES module view), once per runner. */
  async loadHost(url: string): Promise<object> {
    let namespace = this.hostNamespaces.get(url);
    if (!namespace) {
      namespace = (await import(url)) as object;
      this.hostNamespaces.set(url, namespace);
    }
    return namespace;
  }

  /**
   * Compiles `url` and the files its relative static imports reach, without adding them to this
   * graph: a graph that loads them later, with the same services, finds them compiled or being
   * compiled. Started before other work, it overlaps a cold compile (and esbuild's start) with
   * that work; with a warm cache it is a cache read per file. Errors are left to the load that
   * needs the module.
   */
  async precompile(url: string, seen: Set<string> = new Set()): Promise<void> {
    if (seen.has(url)) return;
    seen.add(url);
    try {
      const file = this.#read(url, await runtimeTranspiled(url));
      if (file.kind === "json") return;
      const { meta } = await this.#services.compiler.compileAsync(...this.#compileArgs(file));
      const relative = meta.imports.filter((specifier) => specifier.startsWith("./") || specifier.startsWith("../"));
      await Promise.all(relative.map(async (specifier) => this.precompile(await resolveImport(specifier, url), seen)));
    } catch {
      // reported by the load that needs the module
    }
  }

  /** Compiles a module synchronously (a CommonJS `require` reached a file `prepare` never saw). */
  compileSync(url: string): ModuleRecord {
    return this.records.get(url) ?? this.#compile(url);
  }

  /** Resolves a `require()` from a CommonJS module, caching the answer on the record. */
  resolveRequire(record: ModuleRecord, specifier: string): string {
    let url = record.deps.get(specifier);
    if (url === undefined) {
      url = resolveRequire(specifier, record.url);
      record.deps.set(specifier, url);
    }
    return url;
  }

  /** Loads one module and returns the sandboxed modules it imports (not yet loaded). */
  async #loadOne(url: string): Promise<Array<{ url: string; optional: boolean }>> {
    if (this.isPassthrough(url)) {
      await this.loadHost(url); // an entry point passed through (passthroughAllModules)
      return [];
    }
    const record = this.records.get(url) ?? await this.#compileAsync(url, await runtimeTranspiled(url));
    // Deno maps stack positions only of files it loaded through its module graph, hence import();
    // Node maps any CommonJS file, and require() skips the ES loader (and, on Node 20, its thread).
    if (record.compiled) record.functor ??= loadsFunctorsByImport ? await record.compiled.loadAsync() : record.compiled.load();
    if (record.kind !== "esm") return [];
    const next: Array<{ url: string; optional: boolean }> = [];
    const meta = record.compiled!.meta;
    for (const entry of meta.passthrough) {
      record.passthroughTargets.add(await resolveImport(entry, url));
    }
    const required = new Set(meta.imports);
    await Promise.all([...meta.imports, ...meta.dynamicImports].map(async (specifier) => {
      let target: string;
      try {
        target = await resolveImport(specifier, url);
      } catch (error) {
        // A static import that cannot resolve fails the module, as natively; a dynamic one fails
        // only if the workflow reaches it.
        if (required.has(specifier)) {
          throw codedError(Error, {
            code: "WFS_RESOLVE",
            message: `Cannot resolve '${specifier}' imported by '${record.path}': ${(error as Error).message}`,
            hint: "Install the package or fix the path; the sandbox resolves exactly as the runtime does",
            cause: error,
          });
        }
        record.depErrors.set(specifier, error);
        return;
      }
      record.deps.set(specifier, target);
      if (this.isPassthrough(target, record)) await this.loadHost(target);
      else next.push({ url: target, optional: !required.has(specifier) });
    }));
    return next;
  }

  #compile(url: string, runtimeJs?: string): ModuleRecord {
    const file = this.#read(url, runtimeJs);
    return this.#add(file, file.kind === "json" ? undefined : this.#services.compiler.compile(...this.#compileArgs(file)));
  }

  /** {@link ModuleGraph.#compile} through the compiler's asynchronous form, for `load`. */
  async #compileAsync(url: string, runtimeJs?: string): Promise<ModuleRecord> {
    const file = this.#read(url, runtimeJs);
    const compiled = file.kind === "json" ? undefined : await this.#services.compiler.compileAsync(...this.#compileArgs(file));
    // A computed `require` may have compiled the same file meanwhile: one record per URL.
    return this.records.get(url) ?? this.#add(file, compiled);
  }

  /** Reads a module's file and decides its kind. */
  #read(url: string, runtimeJs: string | undefined): ModuleFile {
    const path = fileURLToPath(url);
    let source: string;
    try {
      source = readFileSync(path, "utf8");
    } catch (error) {
      throw codedError(Error, {
        code: "WFS_RESOLVE",
        message: `Cannot read '${path}': ${(error as Error).message}`,
        hint: "Check that the file exists and is readable",
        cause: error,
      });
    }
    const runtime = runtimeJs === undefined ? undefined : { js: runtimeJs, transpiler: RUNTIME_TRANSPILER };
    return { url, path, source, kind: path.endsWith(".json") ? "json" : this.#kindOf(path), runtime };
  }

  #compileArgs(file: ModuleFile & { kind: ModuleKind }): Parameters<LoaderServices["compiler"]["compile"]> {
    return [file.path, file.source, file.kind, this.#services.tsSettings.forFile(file.path), file.runtime];
  }

  #add(file: ModuleFile, compiled: CompiledModule | undefined): ModuleRecord {
    const record: ModuleRecord = {
      url: file.url,
      path: file.path,
      dir: dirname(file.path),
      kind: file.kind,
      compiled,
      deps: new Map(),
      depErrors: new Map(),
      passthroughTargets: new Set<string>(),
      json: file.kind === "json" ? file.source : undefined,
      functor: undefined,
      targets: new Map(),
      cyclic: true,
      packageProfile: null,
      packageEpoch: -1,
    };
    this.records.set(file.url, record);
    return record;
  }

  #kindOf(path: string): ModuleKind {
    if (/\.(mjs|mts|ts|tsx|jsx)$/.test(path)) return "esm";
    if (/\.(cjs|cts)$/.test(path)) return "cjs";
    return this.#services.scopes.of(path)?.type === "module" ? "esm" : "cjs";
  }
}

/** The file URL of a path (exported for runners). */
export const fileUrl = (path: string): string => pathToFileURL(path).href;
