/**
 * The resolve and load hooks. They resolve, transform and wrap; they carry no passthrough policy
 * (each runner decides that per run). Factories over explicit state, never module singletons
 * (tsx: `export const resolve = createResolve(data)`), synchronous, for `module.registerHooks`
 * (Node >= 22.15, Deno >= 2.9).
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createPackageScopes } from "./package_scope.ts";
import { decodeResolveRequest } from "./resolve_marker.ts";
import { importedCommonJsNeedsCjsLoader, requiredEsmNeedsNativeLoad } from "./runtime.ts";

/** What the hooks need, passed in so that tests can stub it. */
export interface HookState {
  /** Transforms a TypeScript file for the host loader; undefined on Deno, which does it itself. */
  readonly transformTs?: (filePath: string, source: string, format: "esm" | "cjs") => string;
  /** deno.json `imports`/`scopes` on Node; undefined on Deno, which applies them itself. */
  readonly importMap?: { resolve(specifier: string, parentURL: string): string | undefined };
  /** Opt-in bundler-style resolution (extensionless, `.js` to `.ts`, directory index). */
  readonly bundler?: { resolve(specifier: string, parentURL: string): string | undefined };
  /**
   * Where marker resolutions are reported when the runtime cannot return them from
   * `import.meta.resolve` (Deno): the hook stores the result and serves an empty module.
   */
  readonly markerResults?: Map<string, { url?: string; error?: unknown }>;
  /**
   * Where the runtime's own transpiled output of a file is reported (Deno): the sandbox compiles
   * exactly what Deno would run, so TypeScript emit (decorator order, class fields) matches.
   */
  readonly transpiled?: Map<string, { source?: string; error?: unknown }>;
  /** The URL of the empty module served for markers. */
  readonly emptyModuleUrl: string;
  /**
   * Runtime bugs the hooks work around (docs/runtime-bugs.md); this runtime's by default
   * (loader/runtime.ts). Tests set them to check each workaround on any runtime.
   */
  readonly runtimeBugs?: RuntimeBugs;
}

/** Runtime bugs of `module.registerHooks` that the hooks work around. */
export interface RuntimeBugs {
  /**
   * Deno: a required ES module given as source, or resolved by a hook, loses its imports; the
   * hooks let the runtime resolve and load it itself.
   */
  readonly requiredEsmNeedsNativeLoad: boolean;
  /** Node 22.15: an imported CommonJS file must go through the CommonJS loader (`"commonjs-sync"`). */
  readonly importedCommonJsNeedsCjsLoader: boolean;
}

/** Prefix of a request for the runtime's transpiled output of a file URL (Deno only). */
export const SOURCE_PREFIX = "workflow-sandbox-source:";

type Context = {
  parentURL?: string;
  // An array, or a Set in Node 22.15's require() path.
  conditions?: readonly string[] | ReadonlySet<string>;
  [key: string]: unknown;
};
type ResolveResult = { url: string; format?: string | null; shortCircuit?: boolean };
type LoadResult = { format: string; source?: string | ArrayBuffer | Uint8Array | null; shortCircuit?: boolean };
type NextResolveSync = (specifier: string, context?: Context) => ResolveResult;
type NextLoadSync = (url: string, context?: Context) => LoadResult;

const TS_FILE = /\.(ts|mts|cts|tsx)$/;

/** Resolved to `node:path` by the synchronous hooks: `register()` requires it to prove they run. */
export const PROBE_SPECIFIER = "workflow-sandbox-probe:hooks";

/**
 * Creates synchronous hooks for `module.registerHooks`.
 *
 * @example
 * ```ts
 * import { createSyncHooks } from "./hooks.ts";
 * const hooks = createSyncHooks({ emptyModuleUrl: "file:///empty.mjs" });
 * hooks.resolve("./a.ts", { parentURL: "file:///app/main.ts" }, (s) => ({ url: new URL(s, "file:///app/").href }));
 * ```
 */
export function createSyncHooks(state: HookState): {
  resolve(specifier: string, context: Context, next: NextResolveSync): ResolveResult;
  load(url: string, context: Context, next: NextLoadSync): LoadResult;
} {
  const bugs = state.runtimeBugs ?? { requiredEsmNeedsNativeLoad, importedCommonJsNeedsCjsLoader };
  const scopes = bugs.requiredEsmNeedsNativeLoad ? createPackageScopes() : undefined;
  const ordinary = (specifier: string, context: Context, next: NextResolveSync, marker = false): ResolveResult => {
    const mapped = mapSpecifier(state, specifier, context);
    try {
      const result = schemeOnlyBuiltin(mapped, next(mapped, context));
      // Deno answers a relative specifier with a URL whether or not the file exists, and fails
      // only when loading it; bundler resolution must step in before that.
      if (state.bundler && isMissingFile(result.url)) {
        const fallback = bundlerFallback(state, mapped, context);
        if (fallback) return fallback;
      }
      if (scopes && !marker && mapped === specifier && isScopedEsm(scopes, result.url, context)) return runtimeResolves();
      return withFormat(result);
    } catch (error) {
      const fallback = notFound(error) ? bundlerFallback(state, mapped, context) : undefined;
      if (fallback) return fallback;
      throw error;
    }
  };
  return {
    resolve(specifier, context, next) {
      if (specifier === PROBE_SPECIFIER) return { url: "node:path", shortCircuit: true };
      if (specifier.startsWith(SOURCE_PREFIX) && state.transpiled) {
        // One tiny empty module per request (the request carries a counter): Deno caches a
        // module it loaded once and would not call the load hook for the same URL again.
        return { url: `${state.emptyModuleUrl}?source=${encodeURIComponent(specifier)}`, format: "module", shortCircuit: true };
      }
      const request = decodeResolveRequest(specifier);
      if (!request) return ordinary(specifier, context, next);
      const inner = { ...context, parentURL: request.parentURL };
      if (!state.markerResults) return { ...ordinary(request.specifier, inner, next, true), shortCircuit: true };
      try {
        state.markerResults.set(specifier, { url: ordinary(request.specifier, inner, next, true).url });
      } catch (error) {
        state.markerResults.set(specifier, { error });
      }
      return { url: state.emptyModuleUrl, format: "module", shortCircuit: true };
    },
    load(url, context, next) {
      if (state.transpiled && url.startsWith(`${state.emptyModuleUrl}?source=`)) {
        const request = decodeURIComponent(url.slice(state.emptyModuleUrl.length + "?source=".length));
        const target = request.slice(SOURCE_PREFIX.length).replace(/#\d+$/, "");
        try {
          const { source } = next(target, { ...context, format: undefined });
          // Deno answers a file it cannot transpile (a syntax error) with a null source: no
          // runtime output then, and esbuild's compile reports the error at its place.
          state.transpiled.set(request, {
            source: source == null ? undefined : typeof source === "string" ? source : new TextDecoder().decode(source as Uint8Array),
          });
        } catch (error) {
          state.transpiled.set(request, { error });
        }
        return { format: "module", source: "", shortCircuit: true };
      }
      const own = loadOwn(state, url);
      if (own) return commonJsThroughCjsLoader(bugs, url, context, own);
      let result = jsonByFormat(url, context, nextLoad(url, context, next));
      if (scopes) result = requiredEsmNatively(scopes, url, context, result);
      return commonJsThroughCjsLoader(bugs, url, context, result);
    },
  };
}

// Node 22.15.0's default resolve answers `require("node:sqlite")` (and the other built-ins that
// exist only with the `node:` scheme: node:test, node:test/reporters, node:sea) with the URL
// "sqlite", which its load step then rejects ("Expected a string ... for the source ... but got
// null"): with resolve and load hooks registered, even ones that pass through, the host's own
// `require("node:sqlite")` fails. Later 22.x answer "node:sqlite". Reproduction and versions:
// docs/runtime-bugs.md.
function schemeOnlyBuiltin(specifier: string, result: ResolveResult): ResolveResult {
  return specifier.startsWith("node:") && result.url === specifier.slice(5)
    ? { ...result, url: specifier, format: "builtin" }
    : result;
}

// Node 22.15.0 validates the result of every step of the in-thread load chain, and rejects the
// `source: null` that the off-thread chain (`module.register` hooks such as import-in-the-middle's
// on 22.15, and Node's own step) gives for a CommonJS file: "Expected a string ... for the
// "source" from the "load" hook but got null". Reading the file is what Node does next for such a
// result. Later versions accept it. Reproduction: docs/runtime-bugs.md.
function nextLoad(url: string, context: Context, next: NextLoadSync): LoadResult {
  try {
    return next(url, context);
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_INVALID_RETURN_PROPERTY_VALUE" || !url.startsWith("file:")) throw error;
    return { format: "commonjs", source: readFileSync(fileURLToPath(url)), shortCircuit: true };
  }
}

function hasCondition(context: Context, name: string): boolean {
  const conditions = context.conditions;
  if (!conditions) return false;
  return Array.isArray(conditions) ? conditions.includes(name) : (conditions as ReadonlySet<string>).has(name);
}

// Deno 2.9.6 answers the load of a required .json file with no format, and its require() then
// compiles the text as JavaScript ("SyntaxError: Unexpected token ':'"; iconv-lite's tables give
// "require(...).concat is not a function"). A .json file is JSON to require() on every runtime
// (Node answers "json" itself), so the format is filled in. Reproduction: docs/runtime-bugs.md.
function jsonByFormat(url: string, context: Context, result: LoadResult): LoadResult {
  if (result.format != null || !url.startsWith("file:") || !hasCondition(context, "require")) return result;
  return new URL(url).pathname.endsWith(".json") ? { ...result, format: "json" } : result;
}

const ESM_FILE = /\.m[jt]s$/;
const SCOPED_FILE = /\.(js|ts|jsx|tsx)$/;

// The same Deno bug as requiredEsmNatively() below, for a .js (.ts, ...) ES module of a
// `"type": "module"` package: Deno's require() compiles even the source it read itself alone when
// the file's path came from a resolve hook (it keeps such paths apart to honour hook sources). A
// resolve step that called next may answer no URL, and Deno then resolves the specifier itself,
// to the file next gave. Only for require() and a specifier no hook mapped.
function isScopedEsm(scopes: ReturnType<typeof createPackageScopes>, url: string, context: Context): boolean {
  if (!url.startsWith("file:") || !hasCondition(context, "require")) return false;
  const path = fileURLToPath(url);
  return SCOPED_FILE.test(path) && scopes.of(path)?.type === "module";
}

// No URL: Deno's require() resolves the specifier itself (not in the type: Node requires a URL,
// and this answer is only given on Deno).
function runtimeResolves(): ResolveResult {
  return { url: null } as unknown as ResolveResult;
}

// Deno 2.9.6's require() of an ES module whose source a load hook returned compiles that source
// alone, so its imports are not in the module graph: `Cannot resolve module "./value.js"` (qs,
// deep-equal and get-intrinsic reach async-function's require.mjs so). With a null source Deno
// loads the file itself, graph and all, as without hooks. Only when the source is the file's own
// text (no hook changed it), and without shortCircuit: Deno checks the source of a step that
// short-circuits, not of one that called next. Reproduction: docs/runtime-bugs.md.
function requiredEsmNatively(
  scopes: ReturnType<typeof createPackageScopes>,
  url: string,
  context: Context,
  result: LoadResult,
): LoadResult {
  if (result.source == null || !url.startsWith("file:") || !hasCondition(context, "require")) return result;
  if (result.format !== undefined && result.format !== "module") return result;
  const path = fileURLToPath(url);
  const esm = result.format === "module" || ESM_FILE.test(path) || (SCOPED_FILE.test(path) && scopes.of(path)?.type === "module");
  if (!esm) return result;
  const source = typeof result.source === "string" ? result.source : new TextDecoder().decode(result.source as Uint8Array);
  let own: string;
  try {
    own = readFileSync(path, "utf8");
  } catch {
    return result;
  }
  return source === own ? { format: result.format, source: null } : result;
}

// Node 22.15 runs a CommonJS file that the ES module loader imports under registerHooks with a
// require() of that loader's own, which cannot link an ES module importing CommonJS: "request for
// './value.js' is not in cache", and a .cjs workflow requiring the workflow API fails. Later 22.x
// hand such a file to the CommonJS loader (https://github.com/nodejs/node/issues/59666 tracks the
// re-invented require); "commonjs-sync" is 22.15's translator that does so, the one its require(esm)
// uses for CommonJS. The CommonJS loader then loads the file through the hooks again, as require().
// Reproduction: docs/runtime-bugs.md.
function commonJsThroughCjsLoader(bugs: RuntimeBugs, url: string, context: Context, result: LoadResult): LoadResult {
  if (!bugs.importedCommonJsNeedsCjsLoader || result.format !== "commonjs" || !url.startsWith("file:")) return result;
  return hasCondition(context, "import") ? { ...result, format: "commonjs-sync" } : result;
}

function mapSpecifier(state: HookState, specifier: string, context: Context): string {
  if (!state.importMap || !context.parentURL?.startsWith("file:")) return specifier;
  return state.importMap.resolve(specifier, context.parentURL) ?? specifier;
}

function isMissingFile(url: string): boolean {
  if (!url.startsWith("file:")) return false;
  try {
    return !statSync(fileURLToPath(url)).isFile();
  } catch {
    return true;
  }
}

// Only a module that does not exist falls back (docs/resolution.md): a package that exists but
// fails to resolve for another reason must keep its own error.
function notFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "ERR_UNSUPPORTED_DIR_IMPORT" || code === "MODULE_NOT_FOUND";
}

function bundlerFallback(state: HookState, specifier: string, context: Context): ResolveResult | undefined {
  if (!state.bundler || !context.parentURL) return undefined;
  const url = state.bundler.resolve(specifier, context.parentURL);
  return url ? withFormat({ url, shortCircuit: true }) : undefined;
}

function withFormat(result: ResolveResult): ResolveResult {
  // Node >= 22.18 answers "module-typescript" for .ts files; the load hook below transforms them
  // itself (enums and decorators need more than type stripping), so ask for plain formats.
  if (TS_FILE.test(result.url.split("?")[0])) {
    return { ...result, format: result.url.split("?")[0].endsWith(".cts") ? "commonjs" : "module" };
  }
  return result;
}

function loadOwn(state: HookState, url: string): LoadResult | undefined {
  if (url === state.emptyModuleUrl) return { format: "module", source: "", shortCircuit: true };
  if (!state.transformTs || !url.startsWith("file:")) return undefined;
  const path = fileURLToPath(url);
  if (!TS_FILE.test(path)) return undefined;
  const format = path.endsWith(".cts") ? "cjs" : "esm";
  const source = state.transformTs(path, readFileSync(path, "utf8"), format);
  return { format: format === "esm" ? "module" : "commonjs", source, shortCircuit: true };
}
