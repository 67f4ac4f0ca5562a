/**
 * The escape catalog, as data: one row per way workflow code might reach something the restrictions
 * mean to deny, named after the attack (SES names its confinement tests the same way). Each row states
 * today's behaviour, and `tests/escape_catalog_test.ts` asserts it in a sandboxed run, so fixing a
 * known limit flips its row's test. `scripts/generate_docs.mjs` renders the rows marked `"escapes"`
 * and `"differs"` as `docs/known-limits.md` and README's "Known limits" list.
 *
 * `code` is the body of an async function run by `tests/fixtures/restrictions/run_code.ts` with a
 * direct `eval`, so it sees the run's globals and these names: `mods` (namespaces of built-ins),
 * `importModule(specifier)` (a computed `import()` compiled by the sandbox), `requireModule(id)` (a
 * CommonJS `require`), `sloppyThis()` (a sloppy-mode CommonJS function returning `this`), `stampNow()`
 * (a passed-through module calling `Date.now()`), `readUndeclared()` (a sloppy-mode CommonJS function
 * reading an undeclared name), and `workflow` (the authoring API).
 *
 * Expectations:
 * - `"caught"`: the attack throws a `RestrictedWorkflowAccessError` with exactly `qualifiedName` (or
 *   the error named by `error`), and the hit is reported;
 * - `"warns"`: the code runs, returns `true`, and reports exactly the `warnings` rules;
 * - `"allowed"`: the code runs and returns `true` with no report, on purpose (the row says why);
 * - `"escapes"`: the code runs and returns `true` with no report: the attack reached what the rules
 *   deny. A known limit;
 * - `"differs"`: the code runs and returns `true`: a sandboxed run behaves differently from a native
 *   one (an isolation artifact rather than an escape). A known limit.
 *
 * @module
 */

/** What happens today when the attack runs in a sandboxed workflow. */
export type EscapeExpectation = "caught" | "warns" | "allowed" | "escapes" | "differs";

/** One attack. */
export interface EscapeAttack {
  /** The attack, as a reader would recognise it in code. */
  readonly name: string;
  /** The body of an async function; returns `true` when the attack had its effect. */
  readonly code: string;
  readonly expected: EscapeExpectation;
  /** For `"caught"`: the exact `qualifiedName` of the `RestrictedWorkflowAccessError`. */
  readonly qualifiedName?: string;
  /** For `"caught"` by another error than `RestrictedWorkflowAccessError`: its `name`. */
  readonly error?: string;
  /** For `"warns"`: the rules reported, in order. */
  readonly warnings?: readonly string[];
  /** Why the row behaves as it does; for a known limit, what a fix would need. One or two sentences. */
  readonly explanation: string;
}

const NOW = "globalThis.Date.now.__call__";

/**
 * Every attack, grouped: the clock through other names, code evaluated outside the run, modules,
 * the host process, timers and memory, time zone and locale, and the sandbox's own state.
 *
 * @example
 * ```ts
 * import { ESCAPE_CATALOG } from "./escape_catalog.ts";
 * ESCAPE_CATALOG.filter((row) => row.expected === "escapes").map((row) => row.name);
 * ```
 */
export const ESCAPE_CATALOG: readonly EscapeAttack[] = Object.freeze([
  // --- The clock through other names -----------------------------------------------------------------
  {
    name: "globalThis.Date.now()",
    code: "return globalThis.Date.now();",
    expected: "caught",
    qualifiedName: NOW,
    explanation: "`globalThis` is the run's global object, whose `Date` is the run's restricted `Date`.",
  },
  {
    name: `Reflect.get(globalThis, "Date").now()`,
    code: `return Reflect.get(globalThis, "Date").now();`,
    expected: "caught",
    qualifiedName: NOW,
    explanation: "Reflection reads the same property of the run's global object.",
  },
  {
    name: `Object.getOwnPropertyDescriptor(globalThis, "Date").value.now()`,
    code: `return Object.getOwnPropertyDescriptor(globalThis, "Date").value.now();`,
    expected: "caught",
    qualifiedName: NOW,
    explanation: "The run's global object holds the restricted `Date` as a plain data property.",
  },
  {
    name: "(new Date(0)).constructor.now()",
    code: "return (new Date(0)).constructor.now();",
    expected: "caught",
    qualifiedName: NOW,
    explanation: "Dates made by the run inherit from a per-run prototype whose `constructor` is the run's `Date`.",
  },
  {
    name: "Date.prototype.constructor.now()",
    code: `return typeof Date.prototype.constructor.now() === "number";`,
    expected: "escapes",
    explanation: "`Date.prototype` must be the real prototype (a Proxy invariant), and its `constructor` is the " +
      "host's `Date`; restricting it would mean patching the host's prototype for every caller.",
  },
  {
    name: "class extends Date constructed without arguments",
    code: "return new (class Stamp extends Date {})();",
    expected: "caught",
    qualifiedName: "globalThis.Date.__new__.(no arguments)",
    explanation: "`super()` constructs through the restricted `Date`, whose construct trap sees no arguments.",
  },
  {
    name: "Reflect.construct(Date, [], Object)",
    code: "return Reflect.construct(Date, [], Object);",
    expected: "caught",
    qualifiedName: "globalThis.Date.__new__.(no arguments)",
    explanation: "Any `new.target` still goes through the construct trap.",
  },
  {
    name: "Date.bind(null)()",
    code: "return Date.bind(null)();",
    expected: "caught",
    qualifiedName: "globalThis.Date.__call__",
    explanation: "A bound function calls its target, the restricted `Date`, through its apply trap.",
  },
  {
    name: "Reflect.apply(Date.now, null, [])",
    code: "return Reflect.apply(Date.now, null, []);",
    expected: "caught",
    qualifiedName: NOW,
    explanation: "`Date.now` is a restricted function; every way of calling it reaches the apply trap.",
  },
  {
    name: `Object.getOwnPropertyDescriptor(Math, "random").value()`,
    code: `return Object.getOwnPropertyDescriptor(Math, "random").value();`,
    expected: "caught",
    qualifiedName: "globalThis.Math.random.__call__",
    explanation: "`Math` is a per-run copy whose `random` member is restricted.",
  },
  {
    name: "Math.random = () => 0.5 (a run's own replacement)",
    code: "Math.random = () => 0.5; return Math.random() === 0.5;",
    expected: "allowed",
    explanation: "`Math` is the run's own copy: the replacement stays in the run and the host's `Math` is untouched.",
  },
  {
    name: "JSON.probe = 1 (writing to a namespace global: JSON, Reflect, console, ...)",
    code: `JSON.probe = 1;
      Reflect.probe = 1;
      console.probe = 1;
      const host = Function("return this")();
      return JSON.probe === 1 && Reflect.probe === 1 && console.probe === 1 &&
        host.JSON.probe === undefined && host.Reflect.probe === undefined && host.console.probe === undefined;`,
    expected: "allowed",
    explanation: "Every namespace global the runtime has (`JSON`, `Math`, `Reflect`, `Atomics`, `Intl`, `console`, " +
      "`WebAssembly`, `Temporal`) is the run's own copy, so the write stays in the run; Deno's `Deno` refuses writes.",
  },
  {
    name: `Object.defineProperty(Date, "now", ...) (patching the shared Date)`,
    code: `Object.defineProperty(Date, "now", { value: () => 0 }); return true;`,
    expected: "caught",
    error: "TypeError",
    explanation: "The restricted `Date` refuses writes: the host object behind it is shared by every run.",
  },
  {
    name: "Date.prototype.toISOString = ... (patching a built-in prototype)",
    code: `const original = Date.prototype.toISOString;
      try {
        Date.prototype.toISOString = function () { return "patched"; };
        return new Date(0).toISOString() === "patched";
      } finally {
        Date.prototype.toISOString = original;
      }`,
    expected: "escapes",
    explanation: "Built-in prototypes are the host's own, shared by every run and the host; the mutation report " +
      "(`mutationReport`) names such writes, but nothing prevents them.",
  },
  {
    name: `eval("Date.now()") (direct eval)`,
    code: `return eval("Date.now()");`,
    expected: "caught",
    qualifiedName: NOW,
    explanation: "A direct eval runs in the calling scope, which resolves names to the run's globals.",
  },
  // --- Code evaluated outside the run ----------------------------------------------------------------
  {
    name: `(0, eval)("Date.now()")`,
    code: `return typeof (0, eval)("Date.now()") === "number";`,
    expected: "escapes",
    explanation: "An indirect eval evaluates in the realm's global scope, the host's: the sandbox shares the host " +
      "realm and cannot give a run its own `eval` without a separate realm (ShadowRealm or `vm`).",
  },
  {
    name: `Function("return Date.now()")()`,
    code: `return typeof Function("return Date.now()")() === "number";`,
    expected: "escapes",
    explanation: "Code compiled by `Function` runs in the host's global scope, like an indirect eval.",
  },
  {
    name: `Function("return this")() is the host's global object`,
    code: `const host = Function("return this")(); return host !== globalThis && typeof host.Date.now() === "number";`,
    expected: "escapes",
    explanation: "The host's global object, with every unrestricted host global, is one `Function` call away.",
  },
  {
    name: `({}).constructor.constructor("return Date.now()")()`,
    code: `return typeof ({}).constructor.constructor("return Date.now()")() === "number";`,
    expected: "escapes",
    explanation: "Every function's constructor chain leads to the realm's `Function`; the sandbox shares the realm.",
  },
  {
    name: `(async () => {}).constructor("return Date.now()")()`,
    code: `return typeof await (async () => {}).constructor("return Date.now()")() === "number";`,
    expected: "escapes",
    explanation: "`AsyncFunction` (and `GeneratorFunction`) compile in the host's global scope too.",
  },
  {
    name: "sloppy this in a CommonJS function: (function () { return this })()",
    code: `const host = sloppyThis(); return host !== globalThis && typeof host.Date.now() === "number";`,
    expected: "escapes",
    explanation: "In sloppy mode a plain call's `this` is the realm's global object, the host's; CommonJS modules " +
      "keep sloppy mode because strict mode would change their meaning.",
  },
  {
    name: "Object.getPrototypeOf(globalThis) (globalThis.__proto__)",
    code: "const proto = Object.getPrototypeOf(globalThis); const host = Object.getPrototypeOf(proto); " +
      "return Object.isFrozen(proto) && Object.isFrozen(host) && !(\"Date\" in proto) && !(\"Math\" in proto) && " +
      "!Object.hasOwn(host, \"fetch\") && proto.fetch === globalThis.fetch && Object.getPrototypeOf(host) === Object.prototype;",
    expected: "allowed",
    explanation: "The run's global object inherits from a frozen layer of the runner's restricted globals, which " +
      "resolves each name to the running workflow's restricted value, over a frozen layer of the host's unrestricted " +
      "globals without those names; restricted ECMAScript globals are own properties of the run's object. The chain " +
      "leads nowhere restricted and cannot be written.",
  },
  {
    name: "delete globalThis.fetch, then fetch (falling through to the host global)",
    code: `delete globalThis.fetch; return fetch("https://example.com/");`,
    expected: "caught",
    qualifiedName: "globalThis.fetch.__call__",
    explanation: "A restricted global that is not an ECMAScript one is inherited from the runner's frozen layer, " +
      "not an own property: deleting it deletes nothing, and the name still resolves to the restricted value.",
  },
  {
    name: "Error.prepareStackTrace = ... (stack frames of the host)",
    code: `const saved = Object.getOwnPropertyDescriptor(Error, "prepareStackTrace");
      try {
        Error.prepareStackTrace = (_error, frames) => frames;
        const frames = new Error("probe").stack;
        return Array.isArray(frames) && typeof frames[0].getFileName === "function";
      } finally {
        if (saved) Object.defineProperty(Error, "prepareStackTrace", saved);
        else delete Error.prepareStackTrace;
      }`,
    expected: "escapes",
    explanation: "`Error` is the host's constructor, so the assignment changes stack formatting for the whole " +
      "process and hands the workflow V8's CallSite objects.",
  },
  // --- Modules ---------------------------------------------------------------------------------------
  {
    name: `import("node:" + "fs") then a read`,
    code: `const fs = await importModule("node:" + "fs"); return fs.readFileSync("/dev/null");`,
    expected: "caught",
    qualifiedName: "fs.readFileSync.__call__",
    explanation: "A computed `import()` in compiled workflow code goes through the run's registry, which hands out " +
      "the restricted namespace.",
  },
  {
    name: `import() inside eval'd code`,
    code: `const os = await eval('import("node:" + "os")'); return typeof os.hostname() === "string";`,
    expected: "escapes",
    explanation: "The sandbox routes `import()` by rewriting compiled modules; code evaluated at run time is never " +
      "compiled by it, so its `import()` is the host's and returns unrestricted namespaces.",
  },
  {
    name: `Object.getOwnPropertyDescriptor(await import("node:os"), "hostname").get()()`,
    code: `const os = await importModule("node:os");
      return typeof Object.getOwnPropertyDescriptor(os, "hostname").get()() === "string";`,
    expected: "caught",
    qualifiedName: "os.hostname.__call__",
    explanation: "A restricted namespace wraps a copy of the module view with configurable members, so describing a " +
      "member gives a getter that checks when called.",
  },
  {
    name: `"getBuiltinModule" in process (feature detection)`,
    code: `return "getBuiltinModule" in process;`,
    expected: "caught",
    qualifiedName: "globalThis.process.getBuiltinModule",
    explanation: "An access rule also covers `in`: libraries that feature-detect `process.getBuiltinModule` at " +
      "import time fail there and need the name allowed or their module passed through.",
  },
  {
    name: `require("node:fs") in CommonJS, then a read`,
    code: `return requireModule("node:fs").readFileSync("/dev/null");`,
    expected: "caught",
    qualifiedName: "fs.readFileSync.__call__",
    explanation: "A CommonJS module's `require` is the run's and returns the restricted module.",
  },
  {
    name: "createRequire from node:module",
    code: `const { createRequire } = await importModule("node:module"); return createRequire("/")("node:fs");`,
    expected: "caught",
    qualifiedName: "module.createRequire.__call__",
    explanation: "A `require` made by `createRequire` would load host modules past the run's registry.",
  },
  {
    name: `require("node:timers").setTimeout`,
    code: `return requireModule("node:timers").setTimeout(() => {}, 0);`,
    expected: "caught",
    qualifiedName: "timers.setTimeout.__call__",
    explanation: "The timers module is restricted as a whole, like the global timers.",
  },
  {
    name: `import("node:timers/promises").setTimeout`,
    code: `return (await importModule("node:timers/promises")).setTimeout(0);`,
    expected: "caught",
    qualifiedName: "timers/promises.setTimeout.__call__",
    explanation: "The promise-based timers are restricted like the callback ones.",
  },
  {
    name: "os.cpus()",
    code: `return (await importModule("node:os")).cpus();`,
    expected: "caught",
    qualifiedName: "os.cpus.__call__",
    explanation: "Machine facts are restricted at run time.",
  },
  {
    name: "child_process.execSync",
    code: `return (await importModule("node:child_process")).execSync("true");`,
    expected: "caught",
    qualifiedName: "child_process.execSync.__call__",
    explanation: "Processes run outside the workflow's deterministic order.",
  },
  {
    name: "a passed-through module calling Date.now() internally",
    code: `return typeof stampNow() === "number";`,
    expected: "escapes",
    explanation: "A passed-through module is the host's instance and reads the host's globals; pass through only " +
      "modules that are deterministic, or call them from an activity.",
  },
  // --- The host process ------------------------------------------------------------------------------
  {
    name: `process.binding("fs")`,
    code: `return process.binding("fs");`,
    expected: "caught",
    qualifiedName: "globalThis.process.binding",
    explanation: "Internal bindings would reach host modules past every rule; even reading the name fails.",
  },
  {
    name: `process.getBuiltinModule("node:fs")`,
    code: `return process.getBuiltinModule("node:fs");`,
    expected: "caught",
    qualifiedName: "globalThis.process.getBuiltinModule",
    explanation: "It would load a built-in without the run's registry; import the module instead.",
  },
  {
    name: "process.env read",
    code: "return process.env.HOME;",
    expected: "caught",
    qualifiedName: "globalThis.process.env.HOME",
    explanation: "Environment variables differ between workers; pass the value as workflow input.",
  },
  {
    name: "Object.keys(process.env)",
    code: `return JSON.stringify(Object.keys(process.env)) === '["NODE_ENV"]';`,
    expected: "allowed",
    explanation: "process.env is the run's own object of the worker's constants (NODE_ENV and the declared names, " +
      "docs/determinism.md): listing it shows those, never the host's environment.",
  },
  {
    name: "process.hrtime.bigint()",
    code: "return process.hrtime.bigint();",
    expected: "caught",
    qualifiedName: "globalThis.process.hrtime.bigint",
    explanation: "Reading anything below `process.hrtime` is a use of the clock.",
  },
  {
    name: "process.nextTick",
    code: `return await new Promise((resolve) => process.nextTick(() => resolve(true)));`,
    expected: "allowed",
    explanation: "Allowed on purpose: the callback runs inside the activation, in a deterministic order.",
  },
  // --- Timers, scheduling and memory -----------------------------------------------------------------
  {
    name: "setTimeout",
    code: "return setTimeout(() => {}, 0);",
    expected: "caught",
    qualifiedName: "globalThis.setTimeout.__call__",
    explanation: "Host timers fire in host timing; use `workflow.sleep()`.",
  },
  {
    name: `globalThis["set" + "Timeout"]`,
    code: `return globalThis["set" + "Timeout"](() => {}, 0);`,
    expected: "caught",
    qualifiedName: "globalThis.setTimeout.__call__",
    explanation: "A computed name reaches the same restricted property of the run's global object.",
  },
  {
    name: "queueMicrotask",
    code: `return await new Promise((resolve) => queueMicrotask(() => resolve(true)));`,
    expected: "allowed",
    explanation: "Allowed on purpose: microtasks run inside the activation, in the order the workflow queued them.",
  },
  {
    name: "WeakRef",
    code: "return new WeakRef({});",
    expected: "caught",
    qualifiedName: "globalThis.WeakRef.__new__",
    explanation: "What a weak reference observes depends on when the garbage collector runs.",
  },
  {
    name: "FinalizationRegistry",
    code: "return new FinalizationRegistry(() => {});",
    expected: "caught",
    qualifiedName: "globalThis.FinalizationRegistry.__new__",
    explanation: "Cleanup callbacks run when the garbage collector decides.",
  },
  {
    name: "SharedArrayBuffer + Atomics.wait",
    code: "return Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0);",
    expected: "caught",
    qualifiedName: "globalThis.Atomics.wait.__call__",
    explanation: "Waiting depends on another thread or a timeout; shared memory itself stays usable.",
  },
  {
    name: "structuredClone",
    code: "const copy = structuredClone({ at: new Date(0) }); return copy.at.getTime() === 0;",
    expected: "allowed",
    explanation: "Allowed on purpose: it copies values in memory, including the run's dates.",
  },
  {
    name: "Buffer.allocUnsafe (uninitialised memory)",
    code: "return Buffer.allocUnsafe(16).length === 16;",
    expected: "escapes",
    explanation: "Allowed on purpose for speed, but bytes read before they are written come from the host's " +
      "memory pool and differ on replay; use `Buffer.alloc`.",
  },
  {
    name: "performance.now()",
    code: "return performance.now();",
    expected: "caught",
    qualifiedName: "globalThis.performance.now.__call__",
    explanation: "A high-resolution host clock.",
  },
  {
    name: "fetch",
    code: `return fetch("https://example.com/");`,
    expected: "caught",
    qualifiedName: "globalThis.fetch.__call__",
    explanation: "Network I/O belongs in an activity.",
  },
  {
    name: "workflow.unsafe.sandboxUnrestricted(() => Date.now())",
    code: `return typeof workflow.unsafe.sandboxUnrestricted(() => Date.now()) === "number";`,
    expected: "allowed",
    explanation: "The documented escape hatch: restrictions are off inside the callback, and nothing is reported.",
  },
  // --- Time zone and locale --------------------------------------------------------------------------
  {
    name: "new Intl.DateTimeFormat().resolvedOptions().timeZone",
    code: `return typeof new Intl.DateTimeFormat().resolvedOptions().timeZone === "string";`,
    expected: "warns",
    warnings: [
      "globalThis.Intl.DateTimeFormat.__new__.(default locale)",
      "globalThis.Intl.DateTimeFormat.__new__.(default time zone)",
    ],
    explanation: "The host's time zone and locale only matter when a worker differs from another, so the call " +
      "goes on with a warning.",
  },
  {
    name: "`${new Date(0)}` (implicit toString)",
    code: "return `${new Date(0)}`.length > 0;",
    expected: "warns",
    warnings: ["globalThis.Date.prototype.toString.__call__"],
    explanation: "String conversion calls the date's `toString`, which the run's dates check.",
  },
  {
    name: "Date.prototype.getHours.call(date)",
    code: `return typeof Date.prototype.getHours.call(new Date(0)) === "number";`,
    expected: "escapes",
    explanation: "`Date.prototype` is the real prototype, so its methods are the host's; only calls through the " +
      "run's dates (`date.getHours()`) reach the per-run prototype that warns.",
  },
  {
    name: `new Intl.DateTimeFormat("en-US", { timeZone: "UTC" }).format() (no date: now)`,
    code: `const format = new Intl.DateTimeFormat("en-US", { timeZone: "UTC", timeStyle: "full" });
      return format.format() !== format.format(0);`,
    expected: "escapes",
    explanation: "`format()` and `formatToParts()` without a date format the host's current time; `Intl` " +
      "formatters are not restricted by argument.",
  },
  {
    name: `"a".localeCompare("b")`,
    code: `return typeof "a".localeCompare("b") === "number";`,
    expected: "escapes",
    explanation: "Primitives use the realm's prototypes, which the sandbox does not patch (a process-wide patch slows " +
      "host code); the row of `String.prototype.localeCompare` is documentation only.",
  },
  {
    name: "(1234.5).toLocaleString()",
    code: `return typeof (1234.5).toLocaleString() === "string";`,
    expected: "escapes",
    explanation: "Number, BigInt, Array and String locale methods use the host's default locale unrestricted, for " +
      "the same reason.",
  },
  // --- The sandbox's own state -----------------------------------------------------------------------
  {
    name: `globalThis[Symbol.for("workflow-sandbox.current-run")] (turning restrictions off)`,
    code: `const slot = globalThis[Symbol.for("workflow-sandbox.current-run")];
      slot.current.unrestrictedDepth++;
      try {
        return typeof Date.now() === "number";
      } finally {
        slot.current.unrestrictedDepth--;
      }`,
    expected: "caught",
    error: "TypeError",
    explanation: "The run's global object leaves out the sandbox's own registered symbols, so the current-run slot " +
      "is not reachable from workflow code (reading it gives undefined).",
  },
  // --- Isolation differences ---------------------------------------------------------------------------
  {
    name: "globalThis.Math = {...} (replacing an ECMAScript global)",
    code: `try {
        globalThis.Math = { max: () => 0 };
        return false;
      } catch (error) {
        return error instanceof TypeError;
      }`,
    expected: "differs",
    explanation: "Reassigning an ECMAScript global inside a run throws a `TypeError`, because compiled modules " +
      "receive those globals as constants; replace one member instead (`Math.max = ...`).",
  },
  {
    name: "Object.keys(JSON) lists its members (a run's copy of a namespace global)",
    code: `return Object.keys(JSON).includes("parse") && Object.getOwnPropertyDescriptor(Math, "PI").writable;`,
    expected: "differs",
    explanation: "A run's copy of a namespace global holds the host's members as plain data properties, enumerable " +
      "and writable; the native attributes would take one `defineProperty` per member, over 10 µs a run.",
  },
  {
    name: "a sandboxed module namespace is an ordinary object",
    code: `const ns = await importModule("./counter_box.ts");
      return Object.prototype.toString.call(ns) === "[object Object]" && Object.getPrototypeOf(ns) !== null;`,
    expected: "differs",
    explanation: "Modules run as functors, not as ES module records, so a namespace is an object of exports in " +
      "export order, not tagged `Module`, and an ambiguous `export *` name resolves to its first source instead " +
      "of being left out.",
  },
  {
    name: "writing through a module namespace (ns.CounterBox = ...)",
    code: `const ns = await importModule("./counter_box.ts");
      "use strict";
      try {
        ns.CounterBox = null;
        return ns.CounterBox === null;
      } catch {
        return false;
      }`,
    expected: "differs",
    explanation: "A sandboxed module's `const`, class and function exports are plain data properties of its " +
      "namespace outside import cycles (getters cost about 1 µs each per run), so the write succeeds, in this run " +
      "only, where natively it throws a `TypeError`.",
  },
  {
    name: "an undeclared name in sloppy CommonJS",
    code: "return readUndeclared() === undefined;",
    expected: "differs",
    explanation: "Reading an undeclared name in a sloppy-mode CommonJS module gives `undefined` instead of a " +
      "`ReferenceError`, because the run claims every name the host did not define.",
  },
]);

/**
 * A case the deadlock guard (sandbox/deadlock_guard.ts) cannot interrupt, or interrupts with a side
 * effect, on some runtime. Rendered as the "Deadlock guard" section of docs/known-limits.md;
 * tests/worker_deadlock_test.ts asserts what each row says of today's runtimes where a test can.
 */
export interface GuardLimit {
  /** The case, as a reader would recognise it. */
  readonly name: string;
  /** Where it holds. */
  readonly runtimes: string;
  /** What happens today. */
  readonly today: string;
  /** Why, and what a fix would need. One or two sentences. */
  readonly explanation: string;
  /** The request in docs/upstream-requests.md that would lift it, by its heading. */
  readonly upstream?: string;
}

/**
 * Every known limit of the deadlock guard.
 *
 * @example
 * ```ts
 * import { GUARD_LIMITS } from "./escape_catalog.ts";
 * GUARD_LIMITS.map((row) => row.name);
 * ```
 */
export const GUARD_LIMITS: readonly GuardLimit[] = Object.freeze([
  {
    name: "a loop after an await or in a microtask, on Deno",
    runtimes: "Deno",
    today: "interrupted, through Deno's internal `Deno[Deno.internal].core.runMicrotasks()`; on a Deno release " +
      "without it, not interrupted (the process hangs)",
    explanation: "The guard drains a workflow's microtasks inside its guarded `vm` call; Deno has no public way to " +
      "run them synchronously, and no inspector interruption from another thread. loader/runtime.ts " +
      "(`drainMicrotasks`) detects the API, and without it the guard interrupts synchronous code only.",
    upstream: "Deno: a synchronous microtask checkpoint",
  },
  {
    name: "where the interrupted code was, on Deno",
    runtimes: "Deno",
    today: "the DeadlockError names the workflow, not the file:line",
    explanation: "A `vm` timeout unwinds the stack before anything can read it; on Node the watchdog reads the stack " +
      "through the inspector first.",
    upstream: "Deno: a synchronous microtask checkpoint",
  },
  {
    name: "an interrupted promise callback while Node's async hooks are on",
    runtimes: "Node",
    today: "interrupted; the guard throws one error out of its callback for Node to reset its async context stack, " +
      "which `uncaughtExceptionMonitor` listeners see",
    explanation: "A terminated reaction never runs its `after` hook, and Node aborts on the unbalanced stack at the " +
      "next callback; Node's handling of an uncaught exception is the only public way to reset it.",
    upstream: "Node: resetting the async context stack after a termination",
  },
  {
    name: "a loop in a workflows module's top-level code outside the sandbox (discovery, `sandboxed: false`)",
    runtimes: "every runtime",
    today: "not interrupted: `Worker.create` hangs",
    explanation: "Discovery imports `workflowsPath` natively to find the workflows, and an unsandboxed workflow's " +
      "modules are the host's, evaluated by the runtime's module loader outside any guarded stretch. The same loop " +
      "in the sandbox (the validation run, a run's instantiation, a dynamic import) is interrupted.",
  },
  {
    name: "module state of an interrupted unsandboxed workflow (`sandboxed: false`)",
    runtimes: "every runtime",
    today: "the run is replayed in a fresh instance, but module-level state keeps what the interrupted code wrote",
    explanation: "An unsandboxed workflow's modules are the host's own instances, shared by every run; only a " +
      "sandboxed run gets fresh modules.",
  },
  {
    name: "a loop after an await or in a microtask of a workflow run by the Temporal adapter",
    runtimes: "every runtime",
    today: "not interrupted: the process hangs",
    explanation: "The adapter follows the Temporal SDK's call pattern and guards its synchronous calls with a `vm` " +
      "timeout; moving it to the guarded stretches of the reference worker's runners is not done yet.",
  },
]);
