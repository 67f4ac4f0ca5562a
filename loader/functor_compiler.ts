/**
 * Compiles a module once into a functor: a CommonJS file that returns the module body as a
 * function, to be instantiated afresh for every workflow run (docs/design.md, "Functors").
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import Module, { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parse as lexModule } from "es-module-lexer";
import { ECMASCRIPT_GLOBALS } from "../sandbox/ecmascript_globals.ts";
import {
  CYCLIC,
  ESBUILD_HELPER_NAMES,
  functorBody,
  withOriginalNames,
  helperFactory,
  helperNamesIn,
  splitEsbuildHelpers,
  withoutHelperNames,
} from "./esbuild_helpers.ts";
import type { LoadedEsbuild } from "./esbuild_loader.ts";
import { cacheKey, type TransformCache } from "./transform_cache.ts";
import type { TsSettings } from "./ts_settings.ts";
import { compileVerbatimCommonJs } from "./verbatim_commonjs.ts";
import { verbatimCommonJs } from "./runtime.ts";
import { esbuildFailure, esbuildSyntaxError } from "./esbuild_error.ts";
import { compileErrorLocation } from "./compile_error_location.ts";

/** Bumped whenever the wrapper layout changes, so old cache entries are not reused. */
export const FUNCTOR_FORMAT = 17;

/** Whether a module is an ES module or a CommonJS module. */
export type ModuleKind = "esm" | "cjs";

/** What instantiation needs to know about a module without running it. */
export interface FunctorMeta {
  readonly format: number;
  readonly kind: ModuleKind;
  /** Static `import`/`export ... from` specifiers, in source order (TypeScript-only imports elided). */
  readonly imports: readonly string[];
  /** Dynamic `import("literal")` specifiers, precompiled by `prepare`. */
  readonly dynamicImports: readonly string[];
  readonly usesImportMeta: boolean;
  /** Whether the module calls `import()` (literal or computed). */
  readonly usesDynamicImport: boolean;
  /** Specifiers listed in a `"use passthrough: a, b"` directive at the top of the module. */
  readonly passthrough: readonly string[];
}

/** A CommonJS module body: exactly the parameters of Node's CommonJS wrapper. */
export type ModuleBody = (
  this: unknown,
  exports: unknown,
  require: (specifier: string) => unknown,
  module: { exports: unknown },
  filename: string,
  dirname: string,
) => void;

/**
 * A compiled module: call with a run's scope, then apply to the run's arguments
 * (the ECMAScript globals, then {@link FUNCTOR_PARAMS}). An ES module's body runs on that call; a CommonJS module's returns
 * its {@link ModuleBody}, called with `this === module.exports` as Node does.
 */
export type Functor = ((scope: object) => (...args: unknown[]) => ModuleBody | void) & {
  /** esbuild's helpers for this module, defined once per process (loader/esbuild_helpers.ts). */
  readonly helpers?: readonly unknown[];
};

/**
 * The parameters a functor is applied to after its scope: the ECMAScript globals
 * (sandbox/ecmascript_globals.ts), then these, in this order. One array per run serves every
 * module: the slots after the globals are rewritten before each call.
 */
export const FUNCTOR_PARAMS = [
  "__wfs_meta", "__wfsi", "__wfs_helpers", CYCLIC, "exports", "__wfs_require", "module", "__filename", "__dirname",
] as const;

/** The result of {@link FunctorCompiler.compile}. */
export interface CompiledModule {
  readonly key: string;
  readonly meta: FunctorMeta;
  /** Loads (once per process) and returns the functor, synchronously. */
  load(): Functor;
  /**
   * Loads the functor with `import()`. Deno maps stack positions only for modules it loaded
   * through its module graph (a computed `require()` is not), so `prepare` uses this form.
   */
  loadAsync(): Promise<Functor>;
}

/** The runtime's own transpiled JavaScript of a TypeScript module (Deno), with its identity. */
export interface RuntimeTranspiled {
  /** JavaScript with an inline source map to the original file. */
  readonly js: string;
  /** Which transpiler made it (for the cache key), e.g. `deno@2.9.6`. */
  readonly transpiler: string;
}

/** Compiles modules into functors, with a disk cache. */
export interface FunctorCompiler {
  /**
   * Compiles one module. `runtime` is the runtime's own JavaScript for a TypeScript module, when
   * the runtime transpiles TypeScript itself: the functor is then built from exactly what a
   * native import runs (TypeScript emit differs between transpilers, decorators for example).
   */
  compile(filePath: string, source: string, kind: ModuleKind, settings: TsSettings, runtime?: RuntimeTranspiled): CompiledModule;
  /**
   * {@link FunctorCompiler.compile} through esbuild's asynchronous API where one is given: its
   * first call starts in about 30 ms where the synchronous API's takes about 120 (a worker thread
   * that then starts the service), and the transforms of a graph run side by side.
   */
  compileAsync(
    filePath: string, source: string, kind: ModuleKind, settings: TsSettings, runtime?: RuntimeTranspiled,
  ): Promise<CompiledModule>;
}

/** Options of {@link createFunctorCompiler}. */
export interface FunctorCompilerOptions {
  readonly cache: TransformCache;
  readonly loadEsbuild: () => LoadedEsbuild;
  /** Loads esbuild for its asynchronous API; without it, `compileAsync` compiles synchronously. */
  readonly loadEsbuildAsync?: () => Promise<LoadedEsbuild>;
  /** The esbuild version that would be loaded, read without starting esbuild. */
  readonly esbuildVersion: string;
}

const TARGET = "es2022"; // Node 20's level; lowers TC39 decorators and `using`.
const DYNAMIC_IMPORT = "__wfsi"; // exactly as long as `import`, so source-map columns stay exact
// A CommonJS body's own parameters are exactly those of Node's CommonJS wrapper, so that
// `arguments` in a CommonJS module is what it is natively (length 5); the sandbox's own values
// are parameters of the enclosing per-run function. An ES module has no `arguments` (esbuild
// defines it away below), so its body takes every parameter in one function: one call less per
// module per run.
const RUN_PARAMS = FUNCTOR_PARAMS.slice(0, 4).join(", ");
const INNER_PARAMS = "exports, __wfs_require, module, __filename, __dirname";
const VERBATIM_PARAMS = {
  outer: `${ECMASCRIPT_GLOBALS.join(", ")}, ${RUN_PARAMS}`,
  inner: "exports, require, module, __filename, __dirname",
  dynamicImport: DYNAMIC_IMPORT,
};
const VERBATIM = verbatimCommonJs;

/**
 * Creates the functor compiler.
 *
 * @example
 * ```ts
 * import { createFunctorCompiler } from "./functor_compiler.ts";
 * import { createTransformCache } from "./transform_cache.ts";
 * import { createEsbuildLoader } from "./esbuild_loader.ts";
 * const compiler = createFunctorCompiler({
 *   cache: createTransformCache(),
 *   loadEsbuild: createEsbuildLoader(import.meta.url),
 *   esbuildVersion: "0.28.2",
 * });
 * const compiled = compiler.compile("/app/a.ts", "export let n: number = 1", "esm", {
 *   compilerOptions: {}, source: undefined, key: "{}",
 * });
 * compiled.meta.imports; // []
 * ```
 */
export function createFunctorCompiler(options: FunctorCompilerOptions): FunctorCompiler {
  const { cache, loadEsbuild } = options;
  const loaded = new Map<string, Functor>();
  const inFlight = new Map<string, { source: string; compiled: Promise<CompiledModule> }>();
  const requireFromHere = createRequire(import.meta.url);

  const loadFunctor = (key: string, path: string | undefined, code: string, filePath: string): Functor => {
    let functor = loaded.get(key);
    if (functor) return functor;
    try {
      if (path !== undefined) {
        // A real .cjs file: both Node and Deno map its inline source map in stack traces.
        functor = requireFromHere(path) as Functor;
      } else {
        // Read-only cache: compile from memory. Node still maps positions; Deno does not.
        const filename = `/workflow-sandbox-memory/${key}.cjs`;
        const mod = new Module(filename) as Module & { _compile(code: string, filename: string): void };
        mod.filename = filename;
        mod._compile(code, filename);
        functor = mod.exports as Functor;
      }
    } catch (error) {
      throw loadError(filePath, error, code);
    }
    loaded.set(key, functor);
    return functor;
  };

  // A plain CommonJS file needs no transform and no disk cache: V8 compiles its text in a wrapper,
  // once per process (as esbuild's form is loaded once), so runners share the functor.
  const verbatimModules = new Map<string, CompiledModule>();
  const compiledVerbatim = (filePath: string, source: string): CompiledModule | undefined => {
    const key = cacheKey(["verbatim", String(FUNCTOR_FORMAT), filePath, source]);
    const known = verbatimModules.get(key);
    if (known) return known;
    const verbatim = compileVerbatimCommonJs(filePath, source, VERBATIM_PARAMS);
    if (!verbatim) return undefined;
    const functor = verbatim.functor as Functor;
    const meta: FunctorMeta = {
      format: FUNCTOR_FORMAT,
      kind: "cjs",
      imports: [],
      dynamicImports: [],
      usesImportMeta: false,
      usesDynamicImport: verbatim.usesDynamicImport,
      passthrough: passthroughDirective(source),
    };
    const compiled: CompiledModule = { key, meta, load: () => functor, loadAsync: () => Promise.resolve(functor) };
    verbatimModules.set(key, compiled);
    return compiled;
  };

  // Everything but the esbuild calls, which `compile` makes synchronously and `compileAsync` not.
  function* compiling(
    filePath: string, source: string, kind: ModuleKind, settings: TsSettings, runtime: RuntimeTranspiled | undefined,
  ): Generator<EsbuildBatch, CompiledModule, string[]> {
    if (VERBATIM && kind === "cjs" && runtime === undefined && loaderFor(filePath) === "js") {
      const verbatim = compiledVerbatim(filePath, source);
      if (verbatim) return verbatim;
    }
    const key = cacheKey([
      "functor", String(FUNCTOR_FORMAT), TARGET, options.esbuildVersion, filePath, kind, settings.key,
      runtime?.transpiler ?? "esbuild", source,
    ]);
    const metaText = cache.read(key, "json");
    let meta: FunctorMeta;
    let code: string | undefined;
    if (metaText !== undefined && (code = cache.read(key, "cjs")) !== undefined) {
      meta = JSON.parse(metaText);
    } else {
      try {
        ({ meta, code } = yield* transform(filePath, source, kind, settings, runtime));
      } catch (error) {
        // esbuild places errors in its input, which for runtime JavaScript is not the file the
        // user wrote: compile the original to get the position there (it fails the same way).
        if (runtime) yield* transform(filePath, source, kind, settings, undefined);
        throw error;
      }
      cache.write(key, "cjs", code);
      cache.write(key, "json", JSON.stringify(meta));
    }
    const path = cache.pathOf(key, "cjs");
    const onDisk = path !== undefined && existsSync(path);
    const finalCode = code;
    return {
      key,
      meta,
      load: () => loadFunctor(key, onDisk ? path : undefined, finalCode, filePath),
      loadAsync: async () => {
        const known = loaded.get(key);
        if (known) return known;
        if (!onDisk) return loadFunctor(key, undefined, finalCode, filePath);
        let functor: Functor;
        try {
          functor = ((await import(pathToFileURL(path!).href)) as { default: Functor }).default;
        } catch (error) {
          throw loadError(filePath, error, finalCode);
        }
        loaded.set(key, functor);
        return functor;
      },
    };
  }

  return {
    compile(filePath, source, kind, settings, runtime) {
      const steps = compiling(filePath, source, kind, settings, runtime);
      let step = steps.next();
      while (!step.done) {
        const batch = step.value;
        step = call(steps, () => batch.map((request) => transformSync(loadEsbuild().esbuild, request)));
      }
      return step.value;
    },
    compileAsync(filePath, source, kind, settings, runtime) {
      const loadAsync = options.loadEsbuildAsync;
      if (!loadAsync) return Promise.resolve().then(() => this.compile(filePath, source, kind, settings, runtime));
      // One compilation per module at a time: a module compiled ahead (ModuleGraph.precompile) and
      // then loaded shares the work.
      const id = `${filePath}\0${kind}\0${settings.key}\0${runtime?.transpiler ?? ""}`;
      const known = inFlight.get(id);
      if (known && known.source === source) return known.compiled;
      const compiled = compileThrough(loadAsync, filePath, source, kind, settings, runtime);
      const entry = { source, compiled };
      inFlight.set(id, entry);
      const settle = () => {
        if (inFlight.get(id) === entry) inFlight.delete(id);
      };
      compiled.then(settle, settle);
      return compiled;
    },
  };

  async function compileThrough(
    loadAsync: () => Promise<LoadedEsbuild>,
    filePath: string, source: string, kind: ModuleKind, settings: TsSettings, runtime: RuntimeTranspiled | undefined,
  ): Promise<CompiledModule> {
    const steps = compiling(filePath, source, kind, settings, runtime);
    let step = steps.next();
    while (!step.done) {
      const batch = step.value;
      let codes: string[];
      try {
        const { esbuild } = await loadAsync();
        const settled = await Promise.allSettled(batch.map((request) => transformAsync(esbuild, request)));
        // The first failure in the batch's order, as the synchronous form reports it.
        const failed = settled.find((outcome) => outcome.status === "rejected");
        if (failed) throw failed.reason;
        codes = settled.map((outcome) => (outcome as PromiseFulfilledResult<string>).value);
      } catch (error) {
        step = steps.throw(error);
        continue;
      }
      step = steps.next(codes);
    }
    return step.value;
  }
}

/** One esbuild transform the compiler asks for. */
interface EsbuildCall {
  readonly filePath: string;
  readonly source: string;
  readonly options: Record<string, unknown>;
  /** A transform whose failure is answered with "" instead of failing the compilation. */
  readonly optional?: boolean;
}

/** Transforms that read the same input, which esbuild may run side by side. */
type EsbuildBatch = readonly EsbuildCall[];

/** Feeds a batch's results (or its error) back into the compiler's steps. */
function call<T>(steps: Generator<EsbuildBatch, T, string[]>, run: () => string[]): IteratorResult<EsbuildBatch, T> {
  let code: string[];
  try {
    code = run();
  } catch (error) {
    return steps.throw(error);
  }
  return steps.next(code);
}

function loaderFor(filePath: string): string {
  if (/\.(c|m)?ts$/.test(filePath)) return "ts";
  if (filePath.endsWith(".tsx")) return "tsx";
  if (filePath.endsWith(".jsx")) return "jsx";
  return "js";
}

function* transform(
  filePath: string,
  source: string,
  kind: ModuleKind,
  settings: TsSettings,
  runtime: RuntimeTranspiled | undefined,
): Generator<EsbuildBatch, { meta: FunctorMeta; code: string }, string[]> {
  // From the runtime's JavaScript when given: its inline source map to the original is chained by
  // esbuild through every pass below.
  const input = runtime?.js ?? source;
  const loader = runtime ? "js" : loaderFor(filePath);
  const tsconfigRaw = { compilerOptions: settings.compilerOptions };
  const imports: string[] = [];
  const dynamicImports: string[] = [];
  let usesImportMeta = false;
  const options: Record<string, unknown> = {
    loader,
    format: "cjs",
    platform: "node",
    target: TARGET,
    tsconfigRaw,
    // esbuild renames a function expression that shadows an outer binding (`const greet =
    // defn(function greet() {})` gives `greet2`); workflow names come from `.name`.
    keepNames: true,
    sourcemap: "inline",
    // An ES module has no `arguments` at top level (typeof is "undefined", a read throws); esbuild
    // replaces only unbound references, so functions keep their own.
    ...(kind === "esm" ? { define: { "import.meta": "__wfs_meta", arguments: "__wfs_noArguments" } } : {}),
  };
  const toCommonJs: EsbuildCall = { filePath, source: input, options };
  // An ES module also gets a pass to ESM: the import list after TypeScript elided type-only
  // imports. Both passes read the input, so they go to esbuild together.
  const toEsm: EsbuildCall | undefined = kind === "esm"
    ? { filePath, source: input, options: { loader, format: "esm", target: TARGET, tsconfigRaw } }
    : undefined;
  // Only esbuild's own helpers leave the body (loader/esbuild_helpers.ts). A module that mentions a
  // helper's name may declare it itself, where esbuild's helpers stand when esbuild needs none of
  // that name: the same transform of its text with those names replaced (same length) says which
  // helpers esbuild declares. Rare (esbuild's own bundles, mostly), and in the same batch.
  const mentioned = helperNamesIn(input);
  const probeInput = mentioned.length > 0 ? withoutHelperNames(input, mentioned) : undefined;
  const probe: EsbuildCall | undefined = probeInput === undefined
    ? undefined
    : { filePath, source: probeInput, options: { ...options, sourcemap: false }, optional: true };
  const batch = [toCommonJs, toEsm, probe].filter((call): call is EsbuildCall => call !== undefined);
  const results = yield batch;
  const converted = results[0];
  const esm = toEsm ? results[1] : undefined;
  let ownHelpers: ReadonlySet<string> = ESBUILD_HELPER_NAMES;
  if (mentioned.length > 0) {
    // Without the answer (no free name, or the renamed text failed), none of those names.
    const probed = probe ? results[batch.length - 1] : undefined;
    ownHelpers = probed
      ? new Set(splitEsbuildHelpers(probed).names)
      : new Set([...ESBUILD_HELPER_NAMES].filter((name) => !mentioned.includes(name)));
  }
  if (esm !== undefined) {
    const [records] = lexModule(esm);
    for (const record of records) {
      if (record.type === "import-meta") usesImportMeta = true;
      else if ((record.type === "static" || record.type === "reexport-star") && record.specifier !== undefined) {
        pushOnce(imports, record.specifier);
      }
      else if (record.type === "dynamic" && record.specifier !== undefined) pushOnce(dynamicImports, record.specifier);
    }
  }
  // esbuild's helpers move to the file level, same-name `__name` calls go, and the export object
  // becomes one literal (loader/esbuild_helpers.ts); blank lines keep the body's lines where the
  // inline source map of `converted` says they are.
  const { split, body } = functorBody(converted, ownHelpers);
  const bindHelpers = split.names.map((name, i) => `${name} = __wfs_helpers[${i}]`).join(", ");
  const helperLocals = bindHelpers ? ` const ${bindHelpers};` : "";
  // Second pass over the CommonJS form: every `require` (esbuild's own and the module's) becomes
  // the run's `__wfs_require`. Deno reads `require("...")` calls in a .cjs file it imports and
  // loads those files natively, which would run sandboxed code on the host. esbuild chains the
  // inline source map of its input, so positions still point at the original file.
  const banner = kind === "esm"
    ? `module.exports = function (wfs$scope) { with (wfs$scope) { return function (${esmParams(body)}) { "use strict";${helperLocals}`
    : `module.exports = function (wfs$scope) { with (wfs$scope) { return function (${GLOBALS}, ${RUN_PARAMS}) {${helperLocals} return function (${INNER_PARAMS}) {`;
  const close = kind === "esm" ? `\n}; } };` : `\n}; }; } };`;
  const helpers = split.names.length > 0 ? `\nmodule.exports.helpers = (${helperFactory(split)})();` : "";
  let [code] = yield [{ filePath, source: body, options: {
    loader: "js",
    target: TARGET,
    define: { require: "__wfs_require" },
    sourcemap: "inline",
    sourcesContent: true,
    banner,
    footer: close + helpers,
  } }];
  // Route dynamic import() through the run's registry: same-length rename found by a real lexer.
  const [records] = lexModule(code);
  const starts = records.filter((r) => r.type === "dynamic").map((r) => r.importStart);
  for (const start of starts.reverse()) {
    if (code.slice(start, start + 6) !== "import") continue;
    code = code.slice(0, start) + DYNAMIC_IMPORT + code.slice(start + 6);
  }
  const usesDynamicImport = starts.length > 0;
  // After the second pass, which renames a name given back before it (loader/esbuild_helpers.ts).
  code = withOriginalNames(code);
  const passthrough = passthroughDirective(source);
  return {
    meta: { format: FUNCTOR_FORMAT, kind, imports, dynamicImports, usesImportMeta, usesDynamicImport, passthrough },
    code,
  };
}

const GLOBALS = ECMASCRIPT_GLOBALS.join(", ");
const ESM_PARAMS: readonly string[] = [...ECMASCRIPT_GLOBALS, ...FUNCTOR_PARAMS];
// The parameters an ES module's own top-level declarations may shadow: the ECMAScript globals, and
// CommonJS's `__filename` and `__dirname` (`const __dirname = ...` is common ESM; esbuild renames a
// module's own `module`, `exports` and `require` itself).
const SHADOWABLE: readonly string[] = [...ECMASCRIPT_GLOBALS, "__filename", "__dirname"];
const REDECLARED = /^Identifier '([^']+)' has already been declared$/;
const HostFunction = Function;

/**
 * The parameter list of an ES module's functor. Its body sits directly in that function (one call
 * less per module per run than a nested one), so a top-level `const Map`, `class Iterator`,
 * `let escape` or `const __dirname` of the module would redeclare a parameter (a SyntaxError), and
 * `var Map;` would start as the global instead of undefined. Each name the module declares at its
 * top level takes the parameter's place under another name, unused: the module's binding is then
 * the only one in that scope, as natively, and the run's argument array stays as it is.
 *
 * Which names: V8 answers, at compile time. The body in a block that first declares every such
 * name with `let` does not compile exactly when the body declares one of them at its top level
 * (a `var` or a function declaration there, even in a nested block, clashes with an enclosing
 * block's `let`; declarations inside functions and nested lexical ones do not), and the error
 * names it; one parse per name found, plus one.
 */
function esmParams(body: string): string {
  // Without the inline source map: the runtime would not decode (and keep) it for a function never run.
  const map = body.lastIndexOf("\n//# sourceMappingURL=");
  const code = map < 0 ? body : body.slice(0, map);
  const shadowed = new Set<string>();
  for (;;) {
    const declared = SHADOWABLE.filter((name) => !shadowed.has(name));
    let name: string | undefined;
    try {
      new HostFunction(`"use strict"; { let ${declared.join(", ")};\n${code}\n}`);
    } catch (error) {
      name = error instanceof SyntaxError ? REDECLARED.exec(error.message)?.[1] : undefined;
    }
    // Any other error is the module's own: loading the functor reports it, naming the file.
    if (name === undefined || !declared.includes(name)) break;
    shadowed.add(name);
  }
  if (shadowed.size === 0) return ESM_PARAMS.join(", ");
  return ESM_PARAMS.map((name) => (shadowed.has(name) ? `__wfs_shadowed$${name}` : name)).join(", ");
}

/**
 * Reads `"use passthrough: zod, ./schemas.ts";` from the directive prologue (the string statements
 * that open a module, where `"use strict"` lives). A directive loads natively as a no-op, which is
 * why it is the static form of `workflow.unsafe.importsPassedThrough` (import attributes are
 * rejected by Node and Deno when unknown).
 */
export function passthroughDirective(source: string): string[] {
  const found: string[] = [];
  let i = source.startsWith("#!") ? source.indexOf("\n") + 1 : 0;
  for (;;) {
    for (;;) {
      while (i < source.length && /\s|;/.test(source[i])) i++;
      if (source.startsWith("//", i)) i = source.indexOf("\n", i) < 0 ? source.length : source.indexOf("\n", i);
      else if (source.startsWith("/*", i)) i = source.indexOf("*/", i) < 0 ? source.length : source.indexOf("*/", i) + 2;
      else break;
    }
    const quote = source[i];
    if (quote !== '"' && quote !== "'") return found;
    const end = source.indexOf(quote, i + 1);
    if (end < 0) return found;
    const text = source.slice(i + 1, end);
    const match = /^use passthrough:(.*)$/.exec(text);
    if (match) found.push(...match[1].split(",").map((s) => s.trim()).filter(Boolean));
    i = end + 1;
  }
}

function pushOnce(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function transformSync(esbuild: LoadedEsbuild["esbuild"], { filePath, source, options, optional }: EsbuildCall): string {
  try {
    return esbuild.transformSync(source, { sourcefile: filePath, logLevel: "silent", ...options }).code;
  } catch (error) {
    if (optional) return "";
    throw compileError(filePath, error);
  }
}

async function transformAsync(
  esbuild: LoadedEsbuild["esbuild"], { filePath, source, options, optional }: EsbuildCall,
): Promise<string> {
  try {
    return (await esbuild.transform(source, { sourcefile: filePath, logLevel: "silent", ...options })).code;
  } catch (error) {
    if (optional) return "";
    throw compileError(filePath, error);
  }
}

/**
 * A functor that V8 does not compile (a module esbuild accepts and V8 rejects, such as a
 * malformed regular expression literal): natively the module's SyntaxError, so it is one here,
 * at the module's own file:line:col rather than the functor's (loader/compile_error_location.ts),
 * or naming the file only where the position cannot be found. `code` is the functor's text, for
 * the runtimes whose error does not name the functor's file (Deno, a read-only cache).
 */
function loadError(filePath: string, error: unknown, code?: string): unknown {
  if (!(error instanceof SyntaxError)) return error;
  const where = compileErrorLocation(filePath, error, code);
  return codedError(SyntaxError, {
    code: "WFS_COMPILE",
    message: `Cannot compile ${where ?? filePath}: ${error.message}`,
    hint: where ? "Fix the syntax at that position" : "Fix the syntax in that file",
    cause: error,
  }, { location: where ?? filePath });
}

function compileError(filePath: string, error: unknown): unknown {
  const failure = esbuildFailure(filePath, error);
  if (failure && /top-level await/i.test(failure.text)) {
    return codedError(Error, {
      code: "WFS_TOP_LEVEL_AWAIT",
      message: `Top-level await at ${failure.where} cannot run in the sandbox, because a sandboxed module is ` +
        `instantiated synchronously in every run`,
      hint: "Move the await into the workflow function, or pass the module through " +
        "(SandboxRestrictions.withPassthroughModules)",
      cause: error,
    }, { location: failure.where });
  }
  return esbuildSyntaxError(filePath, error);
}
