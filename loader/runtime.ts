/**
 * What the runtime this process runs on can do: the one place that looks at `globalThis.Deno`,
 * `process.versions` or a built-in's shape. Every other file asks here, by capability, never
 * inline (tsx keeps its runtime checks the same way, in `utils/node-features.ts`:
 * https://github.com/privatenumber/tsx/blob/master/src/utils/node-features.ts).
 * tests/runtime_test.ts fails when another file of the package inspects the runtime itself.
 *
 * Supported: Node.js 22.15 and later (the first 22.x with in-thread `module.registerHooks`,
 * https://nodejs.org/api/module.html#moduleregisterhooksoptions) and Deno 2.9 and later.
 * @module
 */
import * as nodeModule from "node:module";
import process from "node:process";
import { codedError } from "../sandbox/coded_error.ts";

type DenoGlobal = { version: { deno: string } };
const deno = (globalThis as { Deno?: DenoGlobal }).Deno;

/** The lowest supported versions, as `[major, minor, patch]`. */
export const RUNTIME_FLOOR = Object.freeze({
  node: Object.freeze([22, 15, 0] as const),
  deno: Object.freeze([2, 9, 0] as const),
});

/** Whether this process is Deno (which also answers `process.versions.node`, for compatibility). */
export const isDeno: boolean = deno !== undefined;

/** Deno's version (`"2.9.6"`), or undefined on Node. */
export const denoVersion: string | undefined = deno?.version.deno;

/** Node's version without the `v` (`"24.21.0"`); on Deno, the Node version it emulates. */
export const nodeVersion: string = process.versions.node;

/** The runtime and its version as a person reads it: `"Node.js v24.21.0"`, `"Deno 2.9.6"`. */
export const runtimeName: string = isDeno ? `Deno ${denoVersion}` : `Node.js v${nodeVersion}`;

/** `module.registerHooks`: in-thread, synchronous resolve and load hooks (Node 22.15+, Deno 2.9+). */
export const registerHooks: ((hooks: object) => { deregister(): void }) | undefined =
  (nodeModule as { registerHooks?: (hooks: object) => { deregister(): void } }).registerHooks;

/**
 * Plain CommonJS files can be compiled verbatim (Node's own wrapper parameters, no esbuild). Deno
 * reads the `require()` calls of a file it loads and loads their targets natively
 * (loader/verbatim_commonjs.ts), so there every functor takes esbuild's form.
 */
export const verbatimCommonJs: boolean = !isDeno;

/**
 * esbuild's asynchronous API may be used: Deno's test sanitizers report the service it leaves
 * running, so on Deno only the synchronous API is used.
 */
export const asyncEsbuild: boolean = !isDeno;

/**
 * The runtime transpiles TypeScript itself (Deno): the sandbox compiles exactly what it would run,
 * and applies no import map of its own (deno.json applies natively).
 */
export const transpilesTypeScript: boolean = isDeno;

/**
 * Stack positions of a file below `node_modules` are mapped through its source map. Deno treats
 * such files as npm package code and does not map them (measured with Deno 2.9 and
 * `nodeModulesDir`), so on Deno caches live in the user's cache folder.
 */
export const mapsNodeModulesSources: boolean = !isDeno;

/**
 * `process.setSourceMapsEnabled(true)` is how stack positions get mapped (Node). Deno always maps
 * the modules it loaded, and the call switches it to Node's map cache, which knows none of them.
 */
export const needsSourceMapsSwitch: boolean = !isDeno;

/**
 * Functor files are loaded with `import()` rather than `require()`: Deno maps stack positions only
 * for modules it loaded through its module graph (a computed `require()` is not).
 */
export const loadsFunctorsByImport: boolean = isDeno;

/** Temporal's native core (`@temporalio/core-bridge`) loads: Node only. */
export const loadsTemporalCore: boolean = !isDeno;

/**
 * Runs the microtask queue to empty, synchronously, when called from a macrotask (a timer or
 * `setImmediate` callback; inside a microtask V8 makes it a no-op), or `undefined` where the
 * runtime has no way to. The deadlock guard drains a workflow's microtasks inside its guarded
 * stretch with it, so a loop after an `await` or in a microtask is interrupted like a synchronous
 * one (sandbox/deadlock_guard.ts).
 *
 * - Node: `process._tickCallback()` (the nextTick queue, then V8's microtask checkpoint; kept for
 *   compatibility and documentation-deprecated as DEP0134, present in 22, 24 and 26).
 * - Deno: its internal `Deno[Deno.internal].core.runMicrotasks()` (what its `node:process`
 *   polyfill calls); Deno has no public API for it (docs/upstream-requests.md).
 *   When a Deno release drops it, this is `undefined` and the guard falls back to interrupting
 *   synchronous code only (docs/known-limits.md, "Deadlock guard").
 */
export const drainMicrotasks: (() => void) | undefined = (() => {
  if (isDeno) {
    const internal = (deno as unknown as { internal?: symbol } & Record<symbol, unknown>);
    const core = internal.internal === undefined
      ? undefined
      : (internal[internal.internal] as { core?: { runMicrotasks?: unknown } } | undefined)?.core;
    const run = core?.runMicrotasks;
    return typeof run === "function" ? () => (run as () => void).call(core) : undefined;
  }
  const tick = (process as unknown as { _tickCallback?: unknown })._tickCallback;
  return typeof tick === "function" ? () => (tick as () => void).call(process) : undefined;
})();

/**
 * A thread of this process can interrupt the main thread's JavaScript: Node's inspector, from a
 * worker thread (`inspector.Session#connectToMainThread()`, `Runtime.terminateExecution`). The
 * deadlock guard's watchdog uses it, at a heartbeat's cost per guarded stretch instead of a
 * `vm` timeout's thread. Deno has neither `connectToMainThread` nor `Runtime.terminateExecution`.
 */
export const interruptsFromThread: boolean = !isDeno;

/**
 * Interrupting JavaScript inside a promise reaction while promise hooks are on (Node:
 * `async_hooks.createHook`, or `AsyncLocalStorage` on Node 22) leaves Node's async context stack
 * with the reaction's entry, which Node then reports as corrupted and aborts on; the guard restores
 * it (sandbox/deadlock_guard.ts). Deno keeps no such stack (measured on 2.9 with both).
 */
export const terminationUnbalancesAsyncContext: boolean = !isDeno;

/**
 * What `SqliteHistoryStore` uses of `node:sqlite`. `backup` is `undefined` where the runtime lacks
 * it: Node added `sqlite.backup()` in 22.16 and 23.8 (https://nodejs.org/api/sqlite.html#sqlitebackupsourcedb-path-options),
 * so Node 22.15, the floor, has none and the store backs up with `VACUUM INTO` there; Deno 2.9
 * and Node 24 and 26 have it.
 */
export interface SqliteModule {
  readonly DatabaseSync: typeof import("node:sqlite").DatabaseSync;
  readonly backup: typeof import("node:sqlite").backup | undefined;
}

/**
 * Loads `node:sqlite` (Node 22.13+ without a flag, Deno 2.9) on first use, not when the package is
 * imported: on Node 22 loading it prints "ExperimentalWarning: SQLite is an experimental feature"
 * (measured on 22.15.0 and 22.23.3; not on 24, 26 nor Deno), which a user of the other stores
 * must never see.
 *
 * @example
 * ```ts
 * import { loadSqlite } from "./runtime.ts";
 * const { DatabaseSync, backup } = await loadSqlite();
 * const db = new DatabaseSync(":memory:");
 * console.log(db.prepare("SELECT sqlite_version() AS version").get(), backup === undefined ? "VACUUM INTO" : "backup()");
 * db.close();
 * ```
 */
export async function loadSqlite(): Promise<SqliteModule> {
  const sqlite = await import("node:sqlite");
  return { DatabaseSync: sqlite.DatabaseSync, backup: typeof sqlite.backup === "function" ? sqlite.backup : undefined };
}

/** Whether this module is the program's entry point, where the runtime says so (`import.meta.main`, Deno). */
export function isMainModule(meta: ImportMeta): boolean {
  return isDeno && (meta as { main?: boolean }).main === true;
}

/** An id of the runtime's TypeScript transpiler, part of the cache key of what it produced. */
export const runtimeTranspilerId: string = isDeno ? `deno@${denoVersion}` : `node@${nodeVersion}`;

/**
 * Compares dotted versions: negative, zero or positive as `a` is below, equal to or above `b`.
 *
 * @example
 * ```ts
 * import { compareVersions } from "./runtime.ts";
 * compareVersions("22.14.0", [22, 15, 0]) < 0; // true
 * ```
 */
export function compareVersions(a: string, b: readonly number[]): number {
  const parts = a.replace(/^v/, "").split(/[.-]/).map((part) => Number.parseInt(part, 10));
  for (let index = 0; index < b.length; index++) {
    const difference = (Number.isFinite(parts[index]) ? parts[index]! : 0) - b[index]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * Whether `version` of `runtime` is at or above the floor.
 *
 * @example
 * ```ts
 * import { meetsFloor } from "./runtime.ts";
 * meetsFloor("node", "20.20.2"); // false
 * meetsFloor("deno", "2.9.6"); // true
 * ```
 */
export function meetsFloor(runtime: "node" | "deno", version: string): boolean {
  return compareVersions(version, RUNTIME_FLOOR[runtime]) >= 0;
}

/**
 * The runtime facts the floor is checked against (this process's by default).
 *
 * @example
 * ```ts
 * import type { RuntimeFacts } from "./runtime.ts";
 * const node20: RuntimeFacts = { kind: "node", version: "20.20.2", hasRegisterHooks: false };
 * ```
 */
export interface RuntimeFacts {
  readonly kind: "node" | "deno";
  /** Without the `v`. */
  readonly version: string;
  /** Whether `module.registerHooks` exists. */
  readonly hasRegisterHooks: boolean;
}

const CURRENT: RuntimeFacts = {
  kind: isDeno ? "deno" : "node",
  version: isDeno ? denoVersion! : nodeVersion,
  hasRegisterHooks: registerHooks !== undefined,
};

/**
 * The `WFS_UNSUPPORTED_RUNTIME` error for a runtime below the floor, naming its version and the
 * floor; undefined for a supported one.
 *
 * @example
 * ```ts
 * import { unsupportedRuntime } from "./runtime.ts";
 * unsupportedRuntime({ kind: "node", version: "20.20.2", hasRegisterHooks: false })?.code; // "WFS_UNSUPPORTED_RUNTIME"
 * unsupportedRuntime({ kind: "deno", version: "2.9.6", hasRegisterHooks: true }); // undefined
 * ```
 */
export function unsupportedRuntime(facts: RuntimeFacts = CURRENT): Error | undefined {
  const aboveFloor = meetsFloor(facts.kind, facts.version);
  if (aboveFloor && facts.hasRegisterHooks) return undefined;
  const name = facts.kind === "deno" ? "Deno" : "Node.js";
  const shown = facts.kind === "deno" ? `Deno ${facts.version}` : `Node.js v${facts.version}`;
  const floor = RUNTIME_FLOOR[facts.kind].join(".");
  return codedError(Error, {
    code: "WFS_UNSUPPORTED_RUNTIME",
    message: `workflow-sandbox needs ${name} ${floor} or later, and this is ${shown}` +
      (aboveFloor ? ", which has no module.registerHooks() to load workflow code with" : ""),
    hint: facts.kind === "deno"
      ? "Upgrade Deno ('deno upgrade'); the supported versions are Deno 2.9 and later"
      : "Upgrade Node.js to 22.15 or later (a current, active or maintenance LTS line: 22, 24 or 26). " +
        "Node 20 reached its end of life in April 2026",
  }, { runtime: shown, floor });
}

/**
 * Throws {@link unsupportedRuntime}'s error on a runtime below the floor. Called by `register()`
 * and the command line, before anything else of the package runs.
 *
 * @example
 * ```ts
 * import { assertSupportedRuntime } from "./runtime.ts";
 * assertSupportedRuntime(); // throws on Node 20, returns on Node 22.15+ and Deno 2.9+
 * ```
 */
export function assertSupportedRuntime(): void {
  const error = unsupportedRuntime();
  if (error) throw error;
}

/**
 * Deno's `require()` of an ES module whose source a `module.registerHooks` load hook returned
 * compiles that source alone (no module graph), so the module's own imports fail with
 * `Cannot resolve module "./value.js"`; with a `null` source Deno loads the file natively, imports
 * and all. The same for a `.js` ES module of a `"type": "module"` package whose path a resolve
 * hook answered. Measured on Deno 2.9.6 (docs/runtime-bugs.md); loader/hooks.ts lets Deno resolve
 * and load such a module itself when no hook changed it. Node requires a URL from every resolve
 * step and a source from every load step, so this stays off there.
 */
export const requiredEsmNeedsNativeLoad: boolean = isDeno;

/**
 * Node 22.15's ES module loader runs a CommonJS file imported under `module.registerHooks` with a
 * `require` of its own, which cannot link an ES module that imports CommonJS ("request for
 * './value.js' is not in cache"): a `.cjs` workflow requiring the workflow API fails. Later 22.x
 * reload such a file through the CommonJS loader (`shouldBeReloadedByCJSLoader`, and the FIXME
 * citing https://github.com/nodejs/node/issues/59666 in its translators); loader/hooks.ts asks for
 * that translator (format `"commonjs-sync"`). Measured: 22.15.0 has the bug, 22.23.3 not (the
 * versions between were not measured; the workaround matches what 22.23 does, so it is harmless
 * there). docs/runtime-bugs.md.
 */
export const importedCommonJsNeedsCjsLoader: boolean = !isDeno &&
  compareVersions(nodeVersion, [22, 15, 0]) >= 0 && compareVersions(nodeVersion, [22, 23, 0]) < 0;

/** Where a runtime says V8 placed a `SyntaxError`: the script's name, 1-based line and column. */
export interface SyntaxErrorPosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

// Node's decoration: `<file>:<line>`, the source line, then spaces (a tab under a tab) and a `^`
// under every character of the error's range.
const NODE_ARROW = /^(.+):(\d+)\n[^\n]*\n([ \t]*)\^/;

/**
 * The position a runtime gives a `SyntaxError` thrown while compiling a script, or undefined
 * where it gives none.
 *
 * - Node decorates the stack of such an error with `<file>:<line>`, the source line and a
 *   `^^^` underline starting at the error's column (`GetErrorSource` in
 *   https://github.com/nodejs/node/blob/main/src/node_errors.cc, for CommonJS loading and `vm`);
 *   the underline stops after about 1,000 characters, so a column beyond gives none.
 * - Deno does not: its stack starts at the caller's frames. Its internal `core.destructureError`
 *   (deno_core `JsError::from_v8_exception`) reports V8's own position of the error when the error
 *   has no stack frames, so the caller compiles with `Error.stackTraceLimit = 0`; with frames, or
 *   when a Deno release drops that function, undefined. Measured on Deno 2.9.6.
 *
 * @example
 * ```ts
 * import vm from "node:vm";
 * import { syntaxErrorPosition } from "./runtime.ts";
 * const limit = Error.stackTraceLimit;
 * Error.stackTraceLimit = 0;
 * try {
 *   new vm.Script("let a;\nconst r = /(?<n>x)(?<n>y)/;", { filename: "f.js" });
 * } catch (error) {
 *   syntaxErrorPosition(error); // { file: "f.js", line: 2, column: 11 }
 * } finally {
 *   Error.stackTraceLimit = limit;
 * }
 * ```
 */
export function syntaxErrorPosition(error: unknown): SyntaxErrorPosition | undefined {
  if (!(error instanceof SyntaxError)) return undefined;
  const stack = typeof error.stack === "string" ? error.stack : "";
  const arrow = NODE_ARROW.exec(stack);
  if (arrow) return { file: arrow[1]!, line: Number(arrow[2]), column: arrow[3]!.length + 1 };
  if (!isDeno || /\n\s+at /.test(stack)) return undefined;
  const internal = deno as unknown as { internal?: symbol } & Record<symbol, unknown>;
  const core = internal.internal === undefined
    ? undefined
    : (internal[internal.internal] as { core?: { destructureError?: unknown } } | undefined)?.core;
  if (typeof core?.destructureError !== "function") return undefined;
  try {
    type Frame = { fileName?: unknown; lineNumber?: unknown; columnNumber?: unknown };
    const frames = (core.destructureError as (error: unknown) => { frames?: Frame[] }).call(core, error).frames;
    const frame = frames?.length === 1 ? frames[0]! : undefined;
    if (typeof frame?.fileName !== "string" || typeof frame.lineNumber !== "number" || typeof frame.columnNumber !== "number") {
      return undefined;
    }
    return { file: frame.fileName, line: frame.lineNumber, column: frame.columnNumber };
  } catch {
    return undefined;
  }
}

/**
 * Whether one `crypto.hash()` call over a buffer built for it beats
 * `createHash().update()...digest()` (worker/_sqlite_checksum.ts). On Node it is one call into the
 * runtime instead of five and no Hash object: per event checksum 2.1 against 6.7 µs on Node 24,
 * measured for issue 16 on a loaded 2-core machine (a short workflow takes 14 digests). Deno
 * 2.9's `hash()` over bytes took 20 µs against 11 for the updates (over a string it is as fast as
 * them), so Deno keeps the updates for the chained event checksum. Either way the digest covers
 * the same bytes.
 */
export const oneShotHashOverBytesIsFaster: boolean = !isDeno;
