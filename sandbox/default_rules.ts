/**
 * The default restriction tables, as data: one row per rule with its reason, its fix, and whether it
 * applies while modules are imported. `SandboxRestrictions.invalidModuleMembersDefault` is built from
 * these rows by {@link matcherFromRules}, so adding a rule means adding a row.
 *
 * Import time or run time. A module's top level runs again for every run and replay, so a value it
 * computes from the clock or randomness differs between them; those rules are `"import-and-run"`, as
 * Python's `datetime.now` and `random` rules are. Reading machine facts, files and timing is
 * `"run-only"`, as Python's `os`, `time` and `threading` rules are (python-sandbox.md §3.2): libraries
 * feature-detect and load bundled data while they are imported.
 *
 * Every own property of `globalThis` and every built-in module of Node 20-26 and Deno has at least one
 * row here, restricted or allowed on purpose; `tests/default_rules_test.ts` fails on a new one.
 *
 * @module
 */

import { posix, sep, win32 } from "node:path";
import { codedError } from "./coded_error.ts";
import { CALL, GLOBAL_ROOT, isArgumentForm, NEW, qualifiedName, type RulePath } from "./rule_path.ts";
import { SandboxMatcher } from "./sandbox_matcher.ts";

/**
 * How a rule matches its path:
 * - `"access"`: reading the member fails (a value that is itself non-deterministic, `process.pid`);
 * - `"use"`: reading is fine; calling it or reading anything below it fails (`process.env.HOME`);
 * - `"call"` / `"new"`: the path ends with `__call__` / `__new__` (and maybe an argument form);
 * - `"warn"`: like `"call"`/`"new"`, but the result only depends on the machine (time zone, locale),
 *   so the sandbox reports a warning and lets the call run.
 *
 * @example
 * ```ts
 * import type { RuleKind } from "./default_rules.ts";
 * const kind: RuleKind = "call";
 * ```
 */
export type RuleKind = "access" | "use" | "call" | "new" | "warn";

/**
 * When a rule applies: while modules are imported and while the workflow runs, or only while it runs.
 *
 * @example
 * ```ts
 * import type { RuleRuntime } from "./default_rules.ts";
 * const runtime: RuleRuntime = "run-only";
 * ```
 */
export type RuleRuntime = "import-and-run" | "run-only";

/**
 * One restriction.
 *
 * @example
 * ```ts
 * import type { RestrictionRule } from "./default_rules.ts";
 * const rule: RestrictionRule = {
 *   path: ["globalThis", "Math", "random", "__call__"],
 *   kind: "call",
 *   runtime: "import-and-run",
 *   reason: "it draws from the host's random source, so a replay sees different values",
 *   hint: "Use workflow.random() instead",
 * };
 * ```
 */
export interface RestrictionRule {
  /** The rule path (`rule_path.ts`); a `"*"` segment stands for every member. */
  readonly path: RulePath;
  readonly kind: RuleKind;
  readonly runtime: RuleRuntime;
  /** Completes "restricted by rule '…' because …". */
  readonly reason: string;
  /** The deterministic alternative, a sentence without a final period. */
  readonly hint: string;
  /**
   * Set when the sandbox cannot apply the rule, saying why; such a row documents a known limit and is
   * left out of the matcher.
   */
  readonly limit?: string;
}

/**
 * A member or module that stays usable on purpose, with the reason. Under a `"*"` rule, an allowed
 * name becomes an `exclude` of the matcher; elsewhere the row documents a decision.
 *
 * @example
 * ```ts
 * import type { AllowedRule } from "./default_rules.ts";
 * const allowed: AllowedRule = { path: ["globalThis", "Date", "UTC"], reason: "it computes from its arguments" };
 * ```
 */
export interface AllowedRule {
  readonly path: RulePath;
  readonly reason: string;
}

/**
 * The warning category of `"warn"` rules (a matcher's `leafWarning`).
 *
 * @example
 * ```ts
 * import { WARNING_CATEGORY } from "./default_rules.ts";
 * WARNING_CATEGORY; // "NondeterminismWarning"
 * ```
 */
export const WARNING_CATEGORY = "NondeterminismWarning";

// ---------------------------------------------------------------------------------------------------
// Argument forms: predicates over the arguments of a call or construction (see rule_path.ts).

/** ISO date-only strings are read as UTC by the specification (ECMA-262 Date Time String Format). */
const ISO_DATE_ONLY = /^[+-]?\d{4,6}(?:-\d{2}(?:-\d{2})?)?$/;
/** A time followed by `Z` or an offset, or a `GMT`/`UTC` zone name, fixes the instant. */
const EXPLICIT_ZONE =
  /\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)\b|\b(?:GMT|UTC|UT)\b|Z$/;
/** A Windows path that does not depend on the current drive or directory (`C:\x`, `\\server\share`). */
const WIN32_FULL_PATH = /^(?:[A-Za-z]:[\\/]|[\\/]{2}[^\\/])/;

function isStringWithoutOffset(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const text = value.trim();
  return !ISO_DATE_ONLY.test(text) && !EXPLICIT_ZONE.test(text);
}

function isDefaultLocale(locales: unknown): boolean {
  return locales === undefined || (Array.isArray(locales) && locales.length === 0);
}

function hasNoTimeZone(options: unknown): boolean {
  return typeof options !== "object" || options === null ||
    (options as { timeZone?: unknown }).timeZone === undefined;
}

function strings(args: readonly unknown[]): string[] {
  return args.filter((arg): arg is string => typeof arg === "string");
}

/**
 * Argument forms and the predicate that decides whether a call's arguments have that form. A rule
 * path may end with `__call__` or `__new__` and one of these names.
 *
 * @example
 * ```ts
 * import { ARGUMENT_FORMS } from "./default_rules.ts";
 * ARGUMENT_FORMS["(no arguments)"]([]); // true: new Date() reads the clock
 * ARGUMENT_FORMS["(string without offset)"](["2024-05-01T10:00"]); // true
 * ARGUMENT_FORMS["(string without offset)"](["2024-05-01T10:00Z"]); // false
 * ```
 */
export const ARGUMENT_FORMS: Readonly<Record<string, (args: readonly unknown[]) => boolean>> = Object
  .freeze({
    "(no arguments)": (args) => args.length === 0,
    // new Date(year, month, ...) reads its fields in the host time zone.
    "(local date fields)": (args) => args.length >= 2,
    "(string without offset)": (args) => args.length === 1 && isStringWithoutOffset(args[0]),
    "(default locale)": (args) => isDefaultLocale(args[0]),
    "(default time zone)": (args) => hasNoTimeZone(args[1]),
    // path.resolve uses the working directory only when no argument is absolute.
    "(no absolute path)": (args) => !strings(args).some((arg) => posix.isAbsolute(arg)),
    "(a relative path)": (args) => strings(args).some((arg) => !posix.isAbsolute(arg)),
    "(no absolute win32 path)": (args) => !strings(args).some((arg) => WIN32_FULL_PATH.test(arg)),
    "(a relative win32 path)": (args) => strings(args).some((arg) => !WIN32_FULL_PATH.test(arg)),
  });

// ---------------------------------------------------------------------------------------------------
// Reasons and hints shared by many rows.

const G = GLOBAL_ROOT;
const CLOCK = "it reads the host clock, so a replay sees a different time";
const RANDOM = "it draws from the host's random source, so a replay sees different values";
const KEYS = "it generates keys from the host's random source, so a replay gets different keys";
const TIMER = "it schedules work on the host event loop, which fires in a different order on replay";
const NETWORK = "it performs network I/O, whose results and timing differ on replay";
const FILES = "it reads or writes the host file system, which differs between workers and over time";
const MACHINE = "it reads facts about the host machine or process, which differ between workers";
const THREADS = "it runs code on another thread or process, outside the workflow's deterministic order";
const MESSAGES = "it delivers messages as host macrotasks, in host timing";
const ESCAPE = "it runs code outside the sandbox, where no rule applies";
const POOL = "it settles on the host thread pool, in host timing";
const GC = "what it observes depends on when the garbage collector runs";
const EXIT = "it ends or signals the host process, which also runs other workflows";
const TIME_ZONE = "its result depends on the host time zone";
const LOCALE = "its result depends on the host's default locale";
const ENV = "it reads the host's environment variables, which differ between workers";
const CWD = "it resolves against the host's working directory";
const LISTENER = "it registers a host-wide listener that outlives the run and fires in host timing";

const USE_NOW = "Use workflow.now() instead";
const USE_RANDOM = "Use workflow.random() instead";
const USE_UUID = "Use workflow.uuid4() instead";
const USE_SLEEP = "Use workflow.sleep() instead";
const IN_ACTIVITY = "Do this in an activity";
const AS_INPUT = "Pass the value as workflow input, or read it in an activity";
const ENV_FIX = "Declare it in the worker's determinism option (determinism: { environment: { NAME: 'value' } }, a " +
  "constant for every run), or pass the value as workflow input";
const THROW = "Throw an error to fail the workflow instead";
const SYNC = "Use the Sync variant, or do this in an activity";
const ABSOLUTE = "Pass an absolute path (from workflow input) instead";
const LOCALE_FIX = "Pass an explicit locale";
const TIME_ZONE_FIX = "Pass an explicit timeZone option";
const NO_NOW_FIX = "Pass an explicit time from workflow.now()";

/**
 * Primitives and array literals use the realm's own prototypes, which the sandbox does not patch:
 * a process-wide patch would slow host code, as Python's `isinstance` patch did (sdk-python#1755).
 */
const PRIMITIVE_LIMIT =
  "not enforced: primitives and array literals use the realm's prototypes, which the sandbox " +
  "does not patch because a process-wide patch slows host code (temporalio/sdk-python#1755)";

function row(
  path: RulePath,
  kind: RuleKind,
  runtime: RuleRuntime,
  reason: string,
  hint: string,
  limit?: string,
): RestrictionRule {
  return Object.freeze(
    limit === undefined
      ? { path: Object.freeze([...path]), kind, runtime, reason, hint }
      : { path: Object.freeze([...path]), kind, runtime, reason, hint, limit },
  );
}

/** Rows for whole modules: every member may be read, none may be used. */
function wholeModules(
  ids: readonly string[],
  runtime: RuleRuntime,
  reason: string,
  hint: string,
): RestrictionRule[] {
  return ids.map((id) => row([id, "*"], "use", runtime, reason, hint));
}

/** The same rows for `globalThis.process` and the `process` module (`node:process` is the same object). */
function processRows(root: RulePath): RestrictionRule[] {
  const at = (...members: string[]) => [...root, ...members];
  return [
    row(at("env"), "use", "run-only", ENV, ENV_FIX),
    row(at("hrtime"), "use", "run-only", CLOCK, USE_NOW),
    row(at("uptime", CALL), "call", "run-only", CLOCK, USE_NOW),
    row(at("memoryUsage"), "use", "run-only", MACHINE, IN_ACTIVITY),
    ...["cpuUsage", "threadCpuUsage", "resourceUsage", "constrainedMemory", "availableMemory"].map(
      (name) => row(at(name, CALL), "call", "run-only", MACHINE, IN_ACTIVITY),
    ),
    ...["exit", "reallyExit", "abort", "kill"].map((name) =>
      row(at(name, CALL), "call", "import-and-run", EXIT, THROW)
    ),
    row(at("cwd", CALL), "call", "run-only", CWD, AS_INPUT),
    row(at("chdir", CALL), "call", "import-and-run", "it changes the working directory of every run", ABSOLUTE),
    row(at("umask", CALL), "call", "run-only", MACHINE, AS_INPUT),
    ...["on", "once", "addListener", "prependListener", "prependOnceListener"].map((name) =>
      row(at(name, CALL), "call", "import-and-run", LISTENER, "Handle the condition inside the workflow")
    ),
    ...["platform", "arch", "pid", "ppid", "argv0", "execPath", "title", "version", "debugPort"].map(
      (name) => row(at(name), "access", "run-only", MACHINE, AS_INPUT),
    ),
    ...["binding", "_linkedBinding", "dlopen", "getBuiltinModule"].map((name) =>
      row(at(name), "access", "import-and-run", ESCAPE, "Import the module so its rules apply")
    ),
    row(at("*"), "use", "run-only", MACHINE, AS_INPUT),
  ];
}

/** `path.resolve`-style rows of one path module for the working-directory argument forms. */
function pathRows(root: RulePath, flavour: "posix" | "win32"): RestrictionRule[] {
  const none = flavour === "posix" ? "(no absolute path)" : "(no absolute win32 path)";
  const some = flavour === "posix" ? "(a relative path)" : "(a relative win32 path)";
  return [
    row([...root, "resolve", CALL, none], "call", "run-only", CWD, ABSOLUTE),
    row([...root, "relative", CALL, some], "call", "run-only", CWD, ABSOLUTE),
    ...(flavour === "win32"
      ? [row([...root, "toNamespacedPath", CALL, none], "call", "run-only", CWD, ABSOLUTE)]
      : []),
  ];
}

/** Date methods that read or write the local (host time zone) fields, with their UTC alternative. */
const LOCAL_DATE_METHODS: Readonly<Record<string, string>> = {
  getDate: "Use getUTCDate() instead",
  getDay: "Use getUTCDay() instead",
  getFullYear: "Use getUTCFullYear() instead",
  getHours: "Use getUTCHours() instead",
  getMinutes: "Use getUTCMinutes() instead",
  getMonth: "Use getUTCMonth() instead",
  getSeconds: "Use getUTCSeconds() instead",
  getYear: "Use getUTCFullYear() instead",
  getTimezoneOffset: "Pass the time zone as workflow input",
  setDate: "Use setUTCDate() instead",
  setFullYear: "Use setUTCFullYear() instead",
  setHours: "Use setUTCHours() instead",
  setMilliseconds: "Use setUTCMilliseconds() instead",
  setMinutes: "Use setUTCMinutes() instead",
  setMonth: "Use setUTCMonth() instead",
  setSeconds: "Use setUTCSeconds() instead",
  setYear: "Use setUTCFullYear() instead",
  toString: "Use toISOString() or toUTCString() instead",
  toDateString: "Use toISOString() instead",
  toTimeString: "Use toISOString() instead",
};

/**
 * Intl constructors that fall back to the host's default locale.
 *
 * @example
 * ```ts
 * import { INTL_CONSTRUCTORS } from "./default_rules.ts";
 * INTL_CONSTRUCTORS.includes("DateTimeFormat"); // true
 * ```
 */
export const INTL_CONSTRUCTORS: readonly string[] = [
  "Collator",
  "DateTimeFormat",
  "DisplayNames",
  "DurationFormat",
  "ListFormat",
  "NumberFormat",
  "PluralRules",
  "RelativeTimeFormat",
  "Segmenter",
];
/** The Intl constructors that may also be called without `new`. */
const INTL_CALLABLE = ["Collator", "DateTimeFormat", "NumberFormat"];

/** zlib functions and streams that compress on the thread pool; their Sync variants stay allowed. */
const ZLIB_ASYNC = [
  "brotliCompress",
  "brotliDecompress",
  "deflate",
  "deflateRaw",
  "gunzip",
  "gzip",
  "inflate",
  "inflateRaw",
  "unzip",
  "zstdCompress",
  "zstdDecompress",
];
const ZLIB_STREAMS = [
  "BrotliCompress",
  "BrotliDecompress",
  "Deflate",
  "DeflateRaw",
  "Gunzip",
  "Gzip",
  "Inflate",
  "InflateRaw",
  "Unzip",
  "ZstdCompress",
  "ZstdDecompress",
];

const PATH_FLAVOUR = sep === "/" ? "posix" : "win32";

/**
 * Every default restriction, one row per rule.
 *
 * @example
 * ```ts
 * import { RESTRICTED_RULES } from "./default_rules.ts";
 * RESTRICTED_RULES.find((rule) => rule.path.join(".") === "globalThis.Math.random.__call__")?.hint;
 * // "Use workflow.random() instead"
 * ```
 */
export const RESTRICTED_RULES: readonly RestrictionRule[] = Object.freeze([
  // --- Time -----------------------------------------------------------------------------------------
  row([G, "Date", CALL], "call", "import-and-run",
    "called without new it ignores its arguments and returns the current time", USE_NOW),
  row([G, "Date", "now", CALL], "call", "import-and-run", CLOCK, USE_NOW),
  row([G, "Date", NEW, "(no arguments)"], "new", "import-and-run", CLOCK, USE_NOW),
  row([G, "Date", NEW, "(local date fields)"], "warn", "import-and-run",
    "it reads the year, month and other fields in the host time zone",
    "Use new Date(Date.UTC(year, month, ...)) instead"),
  row([G, "Date", NEW, "(string without offset)"], "warn", "import-and-run",
    "a date-time string without an offset is read in the host time zone",
    "Add an offset such as 'Z' or '+02:00' to the string"),
  row([G, "Date", "parse", CALL, "(string without offset)"], "warn", "import-and-run",
    "a date-time string without an offset is read in the host time zone",
    "Add an offset such as 'Z' or '+02:00' to the string"),
  ...Object.entries(LOCAL_DATE_METHODS).map(([name, hint]) =>
    row([G, "Date", "prototype", name, CALL], "warn", "import-and-run", TIME_ZONE, hint)
  ),
  ...["toLocaleString", "toLocaleDateString", "toLocaleTimeString"].flatMap((name) => [
    row([G, "Date", "prototype", name, CALL, "(default locale)"], "warn", "import-and-run", LOCALE,
      LOCALE_FIX),
    row([G, "Date", "prototype", name, CALL, "(default time zone)"], "warn", "import-and-run",
      TIME_ZONE, TIME_ZONE_FIX),
  ]),
  row([G, "performance", "now", CALL], "call", "run-only", CLOCK, USE_NOW),
  row([G, "performance", "timeOrigin"], "access", "run-only", CLOCK, USE_NOW),
  row([G, "performance", "*"], "use", "run-only", "it measures host timing", USE_NOW),
  row([G, "PerformanceMark", NEW], "new", "run-only", CLOCK, USE_NOW),
  row([G, "PerformanceObserver", NEW], "new", "run-only", "it observes host timing entries", USE_NOW),
  row([G, "Temporal", "Now"], "use", "import-and-run", CLOCK, USE_NOW),
  // --- Randomness -----------------------------------------------------------------------------------
  row([G, "Math", "random", CALL], "call", "import-and-run", RANDOM, USE_RANDOM),
  row([G, "crypto", "randomUUID", CALL], "call", "import-and-run", RANDOM, USE_UUID),
  row([G, "crypto", "getRandomValues", CALL], "call", "import-and-run", RANDOM, USE_RANDOM),
  row([G, "crypto", "subtle"], "use", "import-and-run", `${POOL}, and it generates random keys`,
    "Hash with createHash from node:crypto, or do this in an activity"),
  // --- Timers and scheduling ------------------------------------------------------------------------
  ...["setTimeout", "setInterval", "setImmediate"].map((name) =>
    row([G, name, CALL], "call", "import-and-run", TIMER, USE_SLEEP)
  ),
  ...["clearTimeout", "clearInterval", "clearImmediate"].map((name) =>
    row([G, name, CALL], "call", "import-and-run", "it cancels a host timer", USE_SLEEP)
  ),
  row([G, "AbortSignal", "timeout", CALL], "call", "import-and-run", TIMER, USE_SLEEP),
  row([G, "Atomics", "wait", CALL], "call", "import-and-run",
    "it blocks until another thread signals or a timeout passes", USE_SLEEP),
  row([G, "Atomics", "waitAsync", CALL], "call", "import-and-run",
    "it settles when another thread signals or a timeout passes", USE_SLEEP),
  // --- Garbage collection ---------------------------------------------------------------------------
  row([G, "WeakRef", NEW], "new", "import-and-run", GC, "Keep a strong reference instead"),
  row([G, "FinalizationRegistry", NEW], "new", "import-and-run", GC,
    "Release resources explicitly instead"),
  // --- Network, threads, messaging ------------------------------------------------------------------
  row([G, "fetch", CALL], "call", "import-and-run", NETWORK, IN_ACTIVITY),
  ...["WebSocket", "EventSource", "XMLHttpRequest"].map((name) =>
    row([G, name, NEW], "new", "import-and-run", NETWORK, IN_ACTIVITY)
  ),
  ...["MessageChannel", "BroadcastChannel"].map((name) =>
    row([G, name, NEW], "new", "import-and-run", MESSAGES, "Use workflow signals or an activity")
  ),
  row([G, "Worker", NEW], "new", "import-and-run", THREADS, IN_ACTIVITY),
  // --- Async work on the thread pool ----------------------------------------------------------------
  ...["compile", "instantiate", "compileStreaming", "instantiateStreaming"].map((name) =>
    row([G, "WebAssembly", name, CALL], "call", "import-and-run", `it compiles off-thread and ${POOL}`,
      "Use new WebAssembly.Module(bytes) and new WebAssembly.Instance(module, imports)")
  ),
  ...["CompressionStream", "DecompressionStream"].map((name) =>
    row([G, name, NEW], "new", "import-and-run", POOL, "Use zlib.gzipSync() or an activity")
  ),
  row([G, "createImageBitmap", CALL], "call", "import-and-run", POOL, IN_ACTIVITY),
  // --- The host: process, navigator, Deno, storage, terminal ----------------------------------------
  ...processRows([G, "process"]),
  row([G, "navigator"], "use", "run-only", MACHINE, AS_INPUT),
  row([G, "Deno"], "use", "run-only", "it is Deno's host API: files, environment, network, processes",
    IN_ACTIVITY),
  row([G, "nodeBootstrap"], "access", "import-and-run", "it is an internal of the Deno runtime",
    IN_ACTIVITY),
  ...["localStorage", "sessionStorage", "caches"].map((name) =>
    row([G, name], "use", "import-and-run", "it reads and writes storage shared by every run on the host",
      IN_ACTIVITY)
  ),
  row([G, "location"], "use", "run-only", "it comes from the host's --location flag", AS_INPUT),
  ...["alert", "confirm", "prompt"].map((name) =>
    row([G, name, CALL], "call", "import-and-run", "it waits for input on the host terminal", AS_INPUT)
  ),
  row([G, "close", CALL], "call", "import-and-run", EXIT, THROW),
  row([G, "reportError", CALL], "call", "run-only", "it reports to the host-wide error handlers", THROW),
  ...["onload", "onunload", "onbeforeunload", "onerror", "onunhandledrejection"].map((name) =>
    row([G, name], "access", "run-only", "it is a host-wide event handler", "Handle errors inside the workflow")
  ),
  // --- Machine-dependent locale and time zone (warnings) --------------------------------------------
  ...INTL_CONSTRUCTORS.map((name) =>
    row([G, "Intl", name, NEW, "(default locale)"], "warn", "import-and-run", LOCALE, LOCALE_FIX)
  ),
  ...INTL_CALLABLE.map((name) =>
    row([G, "Intl", name, CALL, "(default locale)"], "warn", "import-and-run", LOCALE, LOCALE_FIX)
  ),
  row([G, "Intl", "DateTimeFormat", NEW, "(default time zone)"], "warn", "import-and-run", TIME_ZONE,
    TIME_ZONE_FIX),
  row([G, "Intl", "DateTimeFormat", CALL, "(default time zone)"], "warn", "import-and-run", TIME_ZONE,
    TIME_ZONE_FIX),
  row([G, "String", "prototype", "localeCompare", CALL], "warn", "import-and-run",
    `without a locales argument ${LOCALE}`, LOCALE_FIX, PRIMITIVE_LIMIT),
  ...["toLocaleUpperCase", "toLocaleLowerCase"].map((name) =>
    row([G, "String", "prototype", name, CALL], "warn", "import-and-run", LOCALE,
      "Use toUpperCase() / toLowerCase(), or pass an explicit locale", PRIMITIVE_LIMIT)
  ),
  ...["Number", "BigInt", "Array"].map((name) =>
    row([G, name, "prototype", "toLocaleString", CALL], "warn", "import-and-run", LOCALE, LOCALE_FIX,
      PRIMITIVE_LIMIT)
  ),

  // === Built-in modules =============================================================================
  ...processRows(["process"]),
  ...wholeModules(["fs", "fs/promises"], "run-only", FILES, IN_ACTIVITY),
  ...wholeModules(["child_process", "cluster", "worker_threads"], "import-and-run", THREADS, IN_ACTIVITY),
  ...wholeModules(
    [
      "net",
      "http",
      "https",
      "http2",
      "dgram",
      "dns",
      "dns/promises",
      "tls",
      "_http_agent",
      "_http_client",
      "_http_common",
      "_http_incoming",
      "_http_outgoing",
      "_http_server",
      "_tls_common",
      "_tls_wrap",
      "_stream_wrap",
    ],
    "import-and-run",
    NETWORK,
    IN_ACTIVITY,
  ),
  ...wholeModules(["os", "tty"], "run-only", MACHINE, AS_INPUT),
  ...wholeModules(["timers", "timers/promises"], "import-and-run", TIMER, USE_SLEEP),
  ...wholeModules(["perf_hooks"], "run-only", CLOCK, USE_NOW),
  ...wholeModules(["readline", "readline/promises"], "import-and-run", "it reads the host terminal",
    AS_INPUT),
  ...wholeModules(["repl"], "import-and-run", ESCAPE, IN_ACTIVITY),
  ...wholeModules(["v8"], "run-only", `${MACHINE}, or changes the engine's flags for every run`,
    IN_ACTIVITY),
  ...wholeModules(["vm", "inspector", "inspector/promises", "node:ffi"], "import-and-run", ESCAPE,
    "Import the code as a module of the workflow, or do this in an activity"),
  ...wholeModules(["trace_events"], "run-only", "it records host tracing for every run", IN_ACTIVITY),
  ...wholeModules(["wasi"], "import-and-run", `${FILES}, through a WASI instance`, IN_ACTIVITY),
  ...wholeModules(["node:sqlite"], "import-and-run", "it reads and writes a database", IN_ACTIVITY),
  ...wholeModules(["node:test", "node:test/reporters"], "import-and-run",
    "it runs the host test runner, with its timers and processes", IN_ACTIVITY),
  ...wholeModules(["node:sea"], "run-only", "it reads assets of the host executable", AS_INPUT),
  row(["module", "createRequire", CALL], "call", "import-and-run",
    "a require() created here loads host modules past the sandbox's module registry",
    "Use import or the workflow module's own require"),
  ...["register", "registerHooks"].map((name) =>
    row(["module", name, CALL], "call", "import-and-run",
      "it installs module hooks for the whole host process", "Register hooks in the host, not in a workflow")
  ),
  row(["module", "*"], "use", "run-only", "it reads or changes the host's module loader state",
    "Import modules instead"),
  // crypto: randomness, key generation, and callbacks settled on the thread pool.
  ...["randomBytes", "randomFill", "randomFillSync", "randomInt", "getRandomValues", "pseudoRandomBytes",
    "prng", "rng"].map((name) => row(["crypto", name, CALL], "call", "import-and-run", RANDOM, USE_RANDOM)),
  ...["randomUUID", "randomUUIDv7"].map((name) =>
    row(["crypto", name, CALL], "call", "import-and-run", RANDOM, USE_UUID)
  ),
  ...["generateKey", "generateKeySync", "generateKeyPair", "generateKeyPairSync", "generatePrime",
    "generatePrimeSync", "createDiffieHellman", "createDiffieHellmanGroup", "getDiffieHellman",
    "createECDH", "encapsulate"].map((name) =>
      row(["crypto", name, CALL], "call", "import-and-run", KEYS,
        "Generate keys in an activity and pass them to the workflow")
    ),
  ...["checkPrime", "pbkdf2", "scrypt", "hkdf", "argon2"].map((name) =>
    row(["crypto", name, CALL], "call", "import-and-run", POOL, SYNC)
  ),
  ...["webcrypto", "subtle"].map((name) =>
    row(["crypto", name], "use", "import-and-run", `${POOL}, and it generates random keys`,
      "Hash with createHash, or do this in an activity")
  ),
  // path: working-directory-dependent calls. `path` is the host platform's flavour.
  ...pathRows(["path"], PATH_FLAVOUR),
  ...pathRows(["path", "posix"], "posix"),
  ...pathRows(["path", "win32"], "win32"),
  ...pathRows(["path/posix"], "posix"),
  ...pathRows(["path/win32"], "win32"),
  row(["url", "pathToFileURL", CALL, PATH_FLAVOUR === "posix" ? "(a relative path)" : "(a relative win32 path)"],
    "call", "run-only", CWD, ABSOLUTE),
  // async_hooks: ids count every async resource of the host; hooks see every run.
  ...["executionAsyncId", "triggerAsyncId", "executionAsyncResource"].map((name) =>
    row(["async_hooks", name, CALL], "call", "run-only",
      "async ids count every async resource of the host, so they differ on replay",
      "Keep your own counter in the workflow")
  ),
  row(["async_hooks", "createHook", CALL], "call", "import-and-run",
    "it installs a hook that sees every async resource of the host", IN_ACTIVITY),
  // util (and its alias sys): the timer-based helpers.
  ...["util", "sys"].flatMap((id) =>
    ["debounce", "throttle"].map((name) => row([id, name, CALL], "call", "import-and-run", TIMER, USE_SLEEP))
  ),
  // zlib and stream/web: compression on the thread pool.
  ...ZLIB_ASYNC.map((name) => row(["zlib", name, CALL], "call", "import-and-run", POOL, SYNC)),
  ...ZLIB_STREAMS.map((name) => row(["zlib", `create${name}`, CALL], "call", "import-and-run", POOL, SYNC)),
  ...ZLIB_STREAMS.map((name) => row(["zlib", name, NEW], "new", "import-and-run", POOL, SYNC)),
  ...["CompressionStream", "DecompressionStream"].map((name) =>
    row(["stream/web", name, NEW], "new", "import-and-run", POOL, "Use zlib.gzipSync() or an activity")
  ),
]);

// ---------------------------------------------------------------------------------------------------
// Allowed on purpose.

function allow(root: RulePath, reason: string, names: readonly string[]): AllowedRule[] {
  return names.map((name) => Object.freeze({ path: Object.freeze([...root, name]), reason }));
}

const INTRINSIC = "an ECMAScript intrinsic whose result depends only on its arguments";
const WEB_DATA = "a web data type: it works on values in memory, with no host input";
const INTERFACE =
  "an interface object: instances only come from the global that creates them, which has its own rule";
const PURE_MODULE = "it works on values in memory, with no host input";

/**
 * Globals, modules and members that stay usable on purpose, with the reason. Includes the
 * deterministic neighbours of restricted calls (`new Date(0)`, `Date.UTC`, `createHash`, `path.join`).
 *
 * @example
 * ```ts
 * import { ALLOWED_RULES } from "./default_rules.ts";
 * ALLOWED_RULES.some((rule) => rule.path.join(".") === "globalThis.queueMicrotask"); // true
 * ```
 */
export const ALLOWED_RULES: readonly AllowedRule[] = Object.freeze([
  ...allow([G], INTRINSIC, [
    "AggregateError", "Array", "ArrayBuffer", "AsyncDisposableStack", "BigInt", "BigInt64Array",
    "BigUint64Array", "Boolean", "DataView", "DisposableStack", "Error", "EvalError", "Float16Array",
    "Float32Array", "Float64Array", "Infinity", "Int16Array", "Int32Array", "Int8Array", "Iterator",
    "JSON", "Map", "NaN", "Number", "Object", "Promise", "Proxy", "RangeError", "ReferenceError",
    "Reflect", "RegExp", "Set", "SharedArrayBuffer", "String", "SuppressedError", "Symbol",
    "SyntaxError", "TypeError", "URIError", "Uint16Array", "Uint32Array", "Uint8Array",
    "Uint8ClampedArray", "WeakMap", "WeakSet", "decodeURI", "decodeURIComponent", "encodeURI",
    "encodeURIComponent", "escape", "isFinite", "isNaN", "parseFloat", "parseInt", "undefined",
    "unescape", "atob", "btoa",
  ]),
  ...allow([G], "an alias or constant of the global object", [
    "globalThis", "global", "self", "name", "closed",
  ]),
  ...allow([G], "an ECMAScript intrinsic; code it compiles runs against the host global object, " +
    "a limit tracked by the escape catalog", ["eval", "Function"]),
  ...allow([G], "microtasks run in a fixed order inside an activation", ["queueMicrotask"]),
  ...allow([G], "it copies values in memory", ["structuredClone"]),
  ...allow([G], "output only: repeated on replay, it never feeds a value back into the workflow", [
    "console",
  ]),
  ...allow([G], "Node's byte array; allocUnsafe returns uninitialised memory that correct code " +
    "overwrites before reading", ["Buffer"]),
  ...allow([G], WEB_DATA, [
    "AbortController", "AbortSignal", "Blob", "ByteLengthQueuingStrategy", "CountQueuingStrategy",
    "CustomEvent", "DOMException", "Event", "EventTarget", "File", "FileReader", "FormData", "Headers",
    "ReadableByteStreamController", "ReadableStream", "ReadableStreamBYOBReader",
    "ReadableStreamBYOBRequest", "ReadableStreamDefaultController", "ReadableStreamDefaultReader",
    "Request", "Response", "TextDecoder", "TextDecoderStream", "TextEncoder", "TextEncoderStream",
    "TransformStream", "TransformStreamDefaultController", "URL", "URLPattern", "URLSearchParams",
    "WritableStream", "WritableStreamDefaultController", "WritableStreamDefaultWriter", "MessageEvent",
    "ErrorEvent", "CloseEvent", "ProgressEvent", "PromiseRejectionEvent", "QuotaExceededError",
    "DOMMatrix", "DOMMatrixReadOnly", "DOMPoint", "DOMPointReadOnly", "DOMQuad", "DOMRect",
    "DOMRectReadOnly", "ImageData", "ImageBitmap", "ImageBitmapRenderingContext", "OffscreenCanvas",
  ]),
  ...allow([G], INTERFACE, [
    "Crypto", "CryptoKey", "SubtleCrypto", "Performance", "PerformanceEntry", "PerformanceMeasure",
    "PerformanceObserverEntryList", "PerformanceResourceTiming", "Navigator", "NavigatorUAData",
    "Storage", "Cache", "CacheStorage", "Location", "Lock", "LockManager", "Window", "MessagePort",
    "GPU", "GPUAdapter", "GPUAdapterInfo", "GPUBindGroup", "GPUBindGroupLayout", "GPUBuffer",
    "GPUBufferUsage", "GPUCanvasContext", "GPUColorWrite", "GPUCommandBuffer", "GPUCommandEncoder",
    "GPUCompilationInfo", "GPUCompilationMessage", "GPUComputePassEncoder", "GPUComputePipeline",
    "GPUDevice", "GPUDeviceLostInfo", "GPUError", "GPUInternalError", "GPUMapMode",
    "GPUOutOfMemoryError", "GPUPipelineError", "GPUPipelineLayout", "GPUQuerySet", "GPUQueue",
    "GPURenderBundle", "GPURenderBundleEncoder", "GPURenderPassEncoder", "GPURenderPipeline",
    "GPUSampler", "GPUShaderModule", "GPUShaderStage", "GPUSupportedFeatures", "GPUSupportedLimits",
    "GPUTexture", "GPUTextureUsage", "GPUTextureView", "GPUUncapturedErrorEvent", "GPUValidationError",
  ]),
  // Deterministic neighbours of restricted members.
  ...allow([G, "Date"], "it computes from its arguments", ["UTC"]),
  ...allow([G, "Date", NEW],
    "new Date(ms), new Date(date) and strings with an offset build the instant from their arguments",
    ["(timestamp)"]),
  ...allow([G, "Date", "prototype"], "it reads or writes the UTC fields", [
    "getTime", "getUTCDate", "getUTCDay", "getUTCFullYear", "getUTCHours", "getUTCMilliseconds",
    "getUTCMinutes", "getUTCMonth", "getUTCSeconds", "setTime", "setUTCDate", "setUTCFullYear",
    "setUTCHours", "setUTCMilliseconds", "setUTCMinutes", "setUTCMonth", "setUTCSeconds", "toISOString",
    "toJSON", "toUTCString", "toGMTString", "valueOf", "getMilliseconds",
  ]),
  ...allow([G, "Temporal"], "its types take explicit time zones; only Temporal.Now reads the clock", [
    "PlainDate", "PlainTime", "PlainDateTime", "ZonedDateTime", "Duration", "Instant", "PlainYearMonth",
    "PlainMonthDay",
  ]),
  ...allow([G, "WebAssembly"], "it compiles synchronously from bytes in memory", [
    "Module", "Instance", "validate",
  ]),
  ...allow([G, "Atomics"], "it works on shared memory without waiting", ["load", "store", "add", "notify"]),
  ...allow([G, "AbortSignal"], "it is settled by workflow code, not by time", ["abort", "any"]),
  ...allow([G, "process"], "it queues a callback in the activation's deterministic order", ["nextTick"]),
  // Libraries read it to detect their platform at run time (zod's `allowsEval` looks for
  // Cloudflare); it names the runtime, not the machine, and is the same for one worker release.
  ...allow([G, "navigator"], "it names the runtime and its version, not the machine", ["userAgent"]),
  ...allow([G, "process"], "output only, like console", ["emitWarning", "stdout", "stderr"]),
  ...allow(["process"], "it queues a callback in the activation's deterministic order", ["nextTick"]),
  ...allow(["process"], "output only, like console", ["emitWarning", "stdout", "stderr"]),
  ...allow(["crypto"], "it is deterministic for its inputs", [
    "createHash", "createHmac", "hash", "hkdfSync", "pbkdf2Sync", "scryptSync", "timingSafeEqual",
    "createCipheriv", "createDecipheriv", "KeyObject", "createSecretKey", "createPublicKey",
    "createPrivateKey", "getHashes", "getCiphers", "constants",
  ]),
  ...allow(["path"], PURE_MODULE, [
    "join", "normalize", "isAbsolute", "dirname", "basename", "extname", "format", "parse", "sep",
    "delimiter", "matchesGlob",
  ]),
  ...allow(["async_hooks"], "it carries values along the workflow's own async calls", [
    "AsyncLocalStorage", "AsyncResource", "asyncWrapProviders",
  ]),
  ...allow(["module"], "it describes the runtime's built-ins", ["isBuiltin", "builtinModules"]),
  ...allow(["v8"], "structured serialization of values in memory", [
    "serialize", "deserialize", "Serializer", "Deserializer", "DefaultSerializer", "DefaultDeserializer",
  ]),
  ...allow(["http"], "constant tables", ["STATUS_CODES", "METHODS"]),
  ...allow(["zlib"], "it compresses synchronously", [
    "gzipSync", "gunzipSync", "deflateSync", "inflateSync", "deflateRawSync", "inflateRawSync",
    "unzipSync", "brotliCompressSync", "brotliDecompressSync", "crc32", "constants",
  ]),
  ...allow([], PURE_MODULE, [
    "assert", "assert/strict", "buffer", "console", "constants", "diagnostics_channel", "domain",
    "events", "punycode", "querystring", "stream", "stream/consumers", "stream/promises", "stream/web",
    "string_decoder", "url", "util", "sys", "util/types", "path", "path/posix", "path/win32", "crypto",
    "zlib", "async_hooks", "_stream_duplex", "_stream_passthrough", "_stream_readable",
    "_stream_transform", "_stream_writable",
  ]),
]);

// ---------------------------------------------------------------------------------------------------
// From rows to a matcher.

interface Node {
  readonly children: Map<string, Node>;
  readonly allowed: Set<string>;
  rule?: RestrictionRule;
}

function node(): Node {
  return { children: new Map(), allowed: new Set() };
}

const OPERATIONS: Readonly<Record<RuleKind, readonly string[]>> = {
  access: [],
  use: [],
  call: [CALL],
  new: [NEW],
  warn: [CALL, NEW],
};

/** The `TypeError` of rule rows that do not make a tree. */
function invalidRules(message: string, hint: string): TypeError {
  return codedError(TypeError, { code: "WFS_INVALID_OPTION", message, hint });
}

/** Checks that a row's path fits its kind (the operation at the end, known argument forms). */
function checkRule(rule: RestrictionRule): void {
  const path = rule.path;
  const last = path[path.length - 1];
  const form = last !== undefined && isArgumentForm(last) ? last : undefined;
  const operation = path[path.length - (form === undefined ? 1 : 2)];
  const fail = (problem: string, hint: string) => {
    throw invalidRules(`Cannot build the rule tree as rule '${qualifiedName(path)}' ${problem}`, hint);
  };
  if (path.length < 2) fail("has no member", "Name a module or global and a member");
  if (form !== undefined && !(form in ARGUMENT_FORMS)) {
    fail(`uses the unknown argument form '${form}'`, "Add it to ARGUMENT_FORMS");
  }
  const operations = OPERATIONS[rule.kind];
  if (operations.length === 0 && (form !== undefined || operation === CALL || operation === NEW)) {
    fail(`is a '${rule.kind}' rule ending with an operation`, "Use 'call', 'new' or 'warn'");
  }
  if (operations.length > 0 && !operations.includes(operation)) {
    const ends = operations.map((op) => `'${op}'`).join(" or ");
    fail(
      `is a '${rule.kind}' rule: its path must end with ${ends}`,
      `End the path with ${ends}, or give the row the kind its path fits`,
    );
  }
}

function toMatcher(at: Node): SandboxMatcher {
  const rule = at.rule;
  if (rule !== undefined) {
    if (at.children.size > 0) {
      throw invalidRules(
        `Cannot build the rule tree as rule '${qualifiedName(rule.path)}' hides the rules below it`,
        "Remove them or make the rule narrower",
      );
    }
    const onlyRuntime = rule.runtime === "run-only";
    const exclude = [...at.allowed];
    if (rule.kind === "use") return new SandboxMatcher({ access: ["*"], onlyRuntime, exclude });
    if (rule.kind === "warn") {
      return new SandboxMatcher({
        matchSelf: true,
        onlyRuntime,
        exclude,
        leafWarning: WARNING_CATEGORY,
        leafMessage: `'${qualifiedName(rule.path)}' may not replay identically because ${rule.reason}. ` +
          rule.hint,
      });
    }
    return new SandboxMatcher({ matchSelf: true, onlyRuntime, exclude });
  }
  const children = new Map([...at.children].map(([name, child]) => [name, toMatcher(child)]));
  // Under a "*" rule, an allowed name must be excluded or the wildcard would match it.
  const exclude = children.has("*") ? [...at.allowed].filter((name) => !children.has(name)) : [];
  return new SandboxMatcher({ children, exclude });
}

/**
 * Builds a matcher from rule rows: each row becomes its own matcher at its path, so rows under one
 * parent may differ in `runtime`. `"access"`, `"call"` and `"new"` rows become `matchSelf` matchers,
 * `"warn"` rows add `leafWarning` and `leafMessage`, and `"use"` rows become `{ access: ["*"] }`
 * (reading the name is fine, anything below it is not). Allowed rows under a `"*"` row become
 * `exclude` entries. Rows with a `limit` are documentation and are skipped. Throws a `TypeError`
 * naming the row when two rows share a path, a row hides the rows below it, or a path does not fit its
 * kind.
 *
 * @example
 * ```ts
 * import { matcherFromRules } from "./default_rules.ts";
 * const matcher = matcherFromRules([{
 *   path: ["globalThis", "Math", "random", "__call__"],
 *   kind: "call",
 *   runtime: "import-and-run",
 *   reason: "it draws from the host's random source",
 *   hint: "Use workflow.random() instead",
 * }]);
 * matcher.matchAccess({ isRuntime: false }, ["globalThis", "Math", "random", "__call__"]); // true
 * ```
 */
export function matcherFromRules(
  rules: readonly RestrictionRule[],
  allowed: readonly AllowedRule[] = [],
): SandboxMatcher {
  const root = node();
  for (const rule of rules) {
    if (rule.limit !== undefined) continue;
    checkRule(rule);
    let at = root;
    for (const name of rule.path) {
      let child = at.children.get(name);
      if (child === undefined) at.children.set(name, child = node());
      at = child;
    }
    if (at.rule !== undefined) {
      throw invalidRules(`Cannot build the rule tree as rule '${qualifiedName(rule.path)}' appears twice`, "Keep one row");
    }
    at.rule = rule;
  }
  for (const entry of allowed) {
    let at: Node | undefined = root;
    for (const name of entry.path.slice(0, -1)) at = at?.children.get(name);
    const name = entry.path[entry.path.length - 1];
    if (at?.children.get(name)?.rule !== undefined) {
      throw invalidRules(
        `Cannot build the rule tree as '${qualifiedName(entry.path)}' is both restricted and allowed`,
        "Keep one row",
      );
    }
    at?.allowed.add(name);
  }
  return toMatcher(root);
}

/** A rule's key as the location `SandboxMatcher.restrictionOf` reports for it. */
function locationKey(location: RulePath): string {
  return location.join("\0");
}

const RULES_BY_LOCATION: ReadonlyMap<string, RestrictionRule> = new Map(
  RESTRICTED_RULES.filter((rule) => rule.limit === undefined).map((rule) => [
    locationKey(rule.kind === "use" ? [...rule.path, "*"] : rule.path),
    rule,
  ]),
);

/**
 * The default rule behind a location reported by `SandboxMatcher.restrictionOf` for a matcher built
 * by {@link matcherFromRules} from {@link RESTRICTED_RULES}, or `undefined` (a custom rule).
 *
 * @example
 * ```ts
 * import { findDefaultRule } from "./default_rules.ts";
 * findDefaultRule(["fs", "*", "*"])?.path; // ["fs", "*"]: the whole-module rule
 * ```
 */
export function findDefaultRule(location: RulePath): RestrictionRule | undefined {
  return RULES_BY_LOCATION.get(locationKey(location));
}
