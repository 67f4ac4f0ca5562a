/**
 * The npm compatibility corpus: popular packages, each used by a workflow for a deterministic
 * computation. tests/compat_test.ts writes every entry as four workflow files (`.ts`, `.js`, `.mjs`,
 * `.cjs`, see tests/compat/generate.ts), runs each three times in one sandboxed runner per file
 * kind, and compares every run with the same workflow run natively. docs/compatibility.md is
 * generated from the last run on each runtime.
 *
 * Each entry is reviewed data: the exact version (the one tests/compat/package-lock.json installs),
 * how the package is published, why it is here, whether its use is deterministic and why, which
 * host APIs it reaches (`touches`), and what the sandbox is expected to do with it:
 * - no `restricted` and no `knownBugs`: every run of every file kind equals the native run;
 * - `restricted`: the default runner stops the workflow with RestrictedWorkflowAccessError for that
 *   API at that file:line; the test fails when it no longer does (the entry must then go), and the
 *   same workflow in a runner without restrictions must give the native result;
 * - `knownBugs` (and EVERY_PACKAGE_BUGS): the sandbox differs from native for a reason that is a
 *   bug of the sandbox, with a minimal reproduction; the test asserts that every difference is the
 *   recorded one and that it still happens (a fix fails the test until the entry goes).
 *
 * `touches` is review data, not checked: what the strict rules reported for the package's use
 * before the default policy gave packages deterministic values.
 *
 * The reviewed list was frozen first (tests/compat/package.json pins the same versions; the test
 * checks both agree with what is installed); an entry changes with its package.json line.
 *
 * Conventions for `esm`, `cjs` and `body`: `esm` is the import declarations of the `.ts`, `.js` and
 * `.mjs` files, `cjs` the `require` statements of the `.cjs` file, `body` the statements of the
 * workflow's async function (plain JavaScript, also valid TypeScript); it returns plain data
 * (JSON values, no functions, no class instances) so that a result compares by value.
 * @module
 */

/** The four kinds of workflow file each entry is written as. */
export type Kind = "ts" | "js" | "mjs" | "cjs";
export const KINDS: readonly Kind[] = ["ts", "js", "mjs", "cjs"];

/**
 * How the package is published, for Node's resolution (a `module` field alone does not count):
 * - `esm-only`: `import` and `require` both reach ES modules (`require` is require(esm));
 * - `cjs-only`: both reach CommonJS;
 * - `dual`: `import` reaches ES modules and `require` CommonJS (exports conditions, or an ES
 *   wrapper around the CommonJS build).
 * tests/compat_test.ts checks it against the files the runtime resolves.
 */
export type Format = "esm-only" | "cjs-only" | "dual";

/** What the package brings to the corpus (the breadth the issue asks for). */
export type Feature =
  | "exports-conditions" // package.json `exports` with import/require/node/... conditions
  | "subpath-exports" // imported through a subpath (`pkg/sub`)
  | "package-imports" // package.json `imports` (`#internal` specifiers)
  | "nested-package-json" // a subfolder with its own package.json `main`
  | "json-require" // requires a .json file
  | "require-esm" // CommonJS code requires an ES module (besides the .cjs workflow of an ESM-only package)
  | "module-sync" // the `module-sync` exports condition
  | "esmodule-flag" // TypeScript or Babel output with `__esModule`
  | "umd" // a UMD (or UMD-like) bundle
  | "bundled" // a single bundled or minified file
  | "esm-wraps-cjs" // an ES module entry that imports the CommonJS build
  | "shadows-global" // top-level bindings named like a global (Map, Symbol, escape, BigInt, ...)
  | "instanceof-across-modules" // classes created in one module, checked with instanceof in another
  | "symbol-for" // Symbol.for registries
  | "global-polyfill" // writes to the global object or a global namespace object
  | "code-generation" // new Function / eval of generated code
  | "node-builtins" // requires Node built-in modules
  | "process-branch" // reads process (env, version, platform) to pick its code path
  | "many-modules"; // hundreds of modules per run

/**
 * A host API the package reaches in this workflow (clock, randomness, environment, host facts),
 * as the strict rules reported it (RestrictedWorkflowAccessError, 2026-12-07, Node 24 and Deno
 * 2.9.6; `at` for the `import` build on Node). Review data: under the default policy, which gives
 * packages deterministic values, most of these no longer stop the workflow (see `restricted`).
 */
export interface Touch {
  /** The rule path (`globalThis.Math.random.__call__`); ` (write)` for a refused write. */
  readonly api: string;
  /** `file:line` below tests/compat/node_modules. */
  readonly at: string;
  /** What the access is for. */
  readonly note: string;
}

/** The restricted API a workflow is expected to stop at under the default runner, and where. */
export interface RestrictedOutcome {
  /** The qualified name RestrictedWorkflowAccessError reports (`globalThis.Date.now.__call__`). */
  readonly api: string;
  /**
   * Where, as RestrictedWorkflowAccessError's location names it: `file:line` below
   * tests/compat/node_modules, or `(workflow body):N` (line N of `body`) and `(workflow import)`
   * when it names the workflow file. One for the files `import` reaches (`.ts`, `.js`, `.mjs`
   * workflows), one for the files `require` reaches (`.cjs`). A runtime whose location differs
   * has its own entry.
   */
  readonly at: { readonly import: string; readonly require: string };
  readonly deno?: { readonly import: string; readonly require: string };
  /** What the access is, and why the location is what it is when it is not the package's own line. */
  readonly note: string;
}

/** A difference from native that is a bug of the sandbox, kept visible until it is fixed. */
export interface KnownBug {
  /** The file kinds it happens in. */
  readonly kinds: readonly Kind[];
  /** The runtimes it happens on: `node`, `deno`, or a name of the matrix (`node22.15`); all when absent. */
  readonly runtimes?: readonly string[];
  /** A substring of the sandboxed outcome (its error message, or its JSON) that shows the bug. */
  readonly actual: string;
  /** What native gives, in words. */
  readonly expected: string;
  /** A minimal reproduction, without the package. */
  readonly repro: string;
  /**
   * For a bug of the host's own import that leaves the runtime's module loader broken for the rest
   * of the process (every later import of the same modules fails, or the process exits): the test
   * does not import the workflow on the host, and checks that the bug is still there by running
   * `repro` as `repro.mjs` beside `files` in a child process, whose output must contain `output`.
   */
  readonly breaksHost?: { readonly files: Readonly<Record<string, string>>; readonly output: string };
}

export interface CorpusPackage {
  readonly name: string;
  /** Exact version, equal to tests/compat/package.json and its lockfile. */
  readonly version: string;
  readonly format: Format;
  readonly features: readonly Feature[];
  /** Why it is in the corpus. */
  readonly why: string;
  /** Whether the package's use in this workflow is deterministic (same inputs, same result, anywhere). */
  readonly deterministic: boolean;
  /** Why (what it reads from the host, if anything). */
  readonly determinism: string;
  /** The host APIs it reaches in this use (none when absent). */
  readonly touches?: readonly Touch[];
  /** Set when the default runner stops the workflow with RestrictedWorkflowAccessError (checked by the test). */
  readonly restricted?: RestrictedOutcome;
  readonly knownBugs?: readonly KnownBug[];
  readonly esm: string;
  readonly cjs: string;
  readonly body: string;
}

const js = String.raw;

/** Why a location names another line on Deno (a sandbox bug, reported with issue 12's corpus). */
const DENO_LOCATION = "on Deno the sandboxed stack lacks the frames of a CommonJS module that another CommonJS module " +
  "required, so the location is the nearest caller left: debug's node.js and common.js are both required by another " +
  "of its modules, so it is the workflow's own call";

// The host-import bugs that issue 12's corpus found (Deno 2.9.6: a required .json file parsed as
// JavaScript, a required ES module without its imports; Node 22.15: an imported CommonJS file whose
// require() cannot link an ES module importing CommonJS) are runtime bugs of module.registerHooks
// that loader/hooks.ts works around: docs/runtime-bugs.md, tests/runtime_bug_workarounds_test.ts.

/** Bugs of the workflow files themselves, which every package of the corpus shows. */
export const EVERY_PACKAGE_BUGS: readonly KnownBug[] = [];

export const CORPUS: readonly CorpusPackage[] = [
  // ---------------------------------------------------------------- the packages issue 12 names
  {
    name: "ms",
    version: "2.1.3",
    format: "cjs-only",
    features: [],
    why: "The smallest CommonJS package there is: a default import of module.exports (issue 12, B1).",
    deterministic: true,
    determinism: "Pure string and number formatting.",
    esm: js`import ms from "ms";`,
    cjs: js`const ms = require("ms");`,
    body: js`return { twoDays: ms("2 days"), short: ms(60000), long: ms(3600000 * 5, { long: true }), invalid: ms("x") ?? null };`,
  },
  {
    name: "effect",
    version: "4.1.5",
    format: "esm-only",
    features: ["shadows-global", "symbol-for", "global-polyfill", "many-modules", "instanceof-across-modules"],
    why: "A large ESM-only library: `export const BigInt = ...`-style names, `export { _await as await }` " +
      "(issue 12, B2 and B3), Symbol.for keys and a registry kept on globalThis.",
    deterministic: true,
    determinism: "Pure data structures and a synchronous Effect program; the random salt of its hashes (touches) changes no result.",
    touches: [{ api: "globalThis.Math.random.__call__", at: "effect/dist/Hash.js:169", note: "Hash.random salts the hash of Data values and HashMap keys with Math.random(), once per object." }],
    esm: js`import { Effect, Option, Array as Arr, pipe, Data, Equal, HashMap } from "effect";`,
    cjs: js`const { Effect, Option, Array: Arr, pipe, Data, Equal, HashMap } = require("effect");`,
    body: js`const option = pipe(Option.some(20), Option.map((n) => n + 1), Option.getOrElse(() => 0));
const grouped = Arr.groupBy([1, 2, 3, 4, 5], (n) => (n % 2 === 0 ? "even" : "odd"));
class Point extends Data.Class {}
const equal = Equal.equals(new Point({ x: 1, y: 2 }), new Point({ x: 1, y: 2 }));
const map = HashMap.fromIterable([["a", 1], ["b", 2]]);
const program = Effect.succeed(20).pipe(Effect.map((n) => n * 2), Effect.flatMap((n) => Effect.succeed(n + 2)));
return { option, grouped, equal, size: HashMap.size(map), result: Effect.runSync(program) };`,
  },
  {
    name: "ramda",
    version: "0.32.0",
    format: "dual",
    features: ["exports-conditions", "many-modules"],
    why: "Dual through exports conditions (es/ and src/); its placeholder module es/__.js names esbuild's " +
      "export object `__exports` (issue 12, B4).",
    deterministic: true,
    determinism: "Pure functions.",
    esm: js`import * as R from "ramda";`,
    cjs: js`const R = require("ramda");`,
    body: js`const minus10 = R.subtract(R.__, 10);
const pipeline = R.pipe(R.map(R.multiply(2)), R.filter((n) => n > 4), R.sum);
return {
  minus10: minus10(25),
  pipeline: pipeline([1, 2, 3, 4]),
  grouped: R.groupBy((w) => String(w.length), ["a", "bb", "cc", "ddd"]),
  path: R.path(["a", "b", 1], { a: { b: [10, 20] } }),
  sorted: R.sortBy(R.prop("n"), [{ n: 3 }, { n: 1 }, { n: 2 }]),
};`,
  },
  {
    name: "ajv",
    version: "8.20.0",
    format: "cjs-only",
    features: ["esmodule-flag", "json-require", "code-generation", "instanceof-across-modules"],
    why: "TypeScript output with `__esModule` and `exports.default`, JSON meta-schemas by require(), " +
      "validators compiled with new Function, codegen classes checked with instanceof in other modules.",
    deterministic: true,
    determinism: "Schema compilation and validation are pure.",
    esm: js`import Ajv from "ajv";`,
    cjs: js`const Ajv = require("ajv");`,
    body: js`const ajv = new Ajv({ allErrors: true });
const validate = ajv.compile({
  type: "object",
  properties: { id: { type: "integer", minimum: 1 }, tags: { type: "array", items: { type: "string" }, maxItems: 2 } },
  required: ["id"],
  additionalProperties: false,
});
const good = validate({ id: 3, tags: ["a"] });
const bad = validate({ id: 0, tags: ["a", 1, "c"], extra: true });
return { good, bad, errors: (validate.errors ?? []).map((e) => [e.instancePath, e.keyword, e.message]) };`,
  },
  {
    name: "joi",
    version: "18.3.2",
    format: "cjs-only",
    features: ["many-modules", "instanceof-across-modules"],
    why: "A CommonJS validator over the @hapi packages; its errors are classes checked across modules.",
    deterministic: true,
    determinism: "Validation of given values; no date defaults are used.",
    esm: js`import Joi from "joi";`,
    cjs: js`const Joi = require("joi");`,
    body: js`const schema = Joi.object({
  name: Joi.string().min(2).required(),
  age: Joi.number().integer().min(18),
  email: Joi.string().email({ tlds: { allow: false } }),
});
const ok = schema.validate({ name: "Ada", age: 36, email: "ada@example.com" });
const bad = schema.validate({ name: "A", age: 12 }, { abortEarly: false });
return { ok: ok.value, okError: ok.error ?? null, bad: bad.error.details.map((d) => [d.path.join("."), d.type]) };`,
  },
  {
    name: "qs",
    version: "6.17.1",
    format: "cjs-only",
    features: ["require-esm", "module-sync"],
    why: "CommonJS whose dependency chain (side-channel, get-intrinsic) requires ES modules through the " +
      "`module-sync` condition (issue 12: Deno's hooks failed there).",
    deterministic: true,
    determinism: "Pure parsing and formatting.",
    esm: js`import qs from "qs";`,
    cjs: js`const qs = require("qs");`,
    body: js`return {
  parsed: qs.parse("a[b][c]=1&list[]=x&list[]=y&n=2"),
  stringified: qs.stringify({ a: { b: [1, 2] }, s: "x y" }, { encodeValuesOnly: true }),
};`,
  },
  {
    name: "deep-equal",
    version: "2.2.3",
    format: "cjs-only",
    features: ["require-esm", "module-sync", "many-modules"],
    why: "Node's assert semantics in CommonJS, through ljharb's many small packages (get-intrinsic, " +
      "which-boxed-primitive, ...), some required as ES modules.",
    deterministic: true,
    determinism: "Pure comparisons.",
    esm: js`import deepEqual from "deep-equal";`,
    cjs: js`const deepEqual = require("deep-equal");`,
    body: js`return {
  same: deepEqual({ a: [1, { b: 2 }], m: new Map([[1, 2]]) }, { a: [1, { b: 2 }], m: new Map([[1, 2]]) }),
  loose: deepEqual(1, "1"),
  strict: deepEqual(1, "1", { strict: true }),
  dates: deepEqual(new Date(0), new Date(0)),
  sets: deepEqual(new Set([1, 2]), new Set([2, 3])),
};`,
  },
  {
    name: "get-intrinsic",
    version: "1.3.1",
    format: "cjs-only",
    features: ["require-esm", "module-sync"],
    why: "Requires async-function and friends, whose `module-sync` entry is an ES module with a " +
      "\"module.exports\" export (issue 12, B5).",
    deterministic: true,
    determinism: "Reads the realm's intrinsics.",
    esm: js`import GetIntrinsic from "get-intrinsic";`,
    cjs: js`const GetIntrinsic = require("get-intrinsic");`,
    body: js`return {
  push: GetIntrinsic("%Array.prototype.push%") === Array.prototype.push,
  asyncFunction: typeof GetIntrinsic("%AsyncFunction%"),
  asyncFunctionName: GetIntrinsic("%AsyncFunction%").name,
  generator: GetIntrinsic("%GeneratorFunction%").name,
  json: GetIntrinsic("%JSON.stringify%")({ a: 1 }),
  missing: GetIntrinsic("%Array.prototype.noSuchMethod%", true) === undefined,
};`,
  },
  {
    name: "zod",
    version: "4.6.7",
    format: "dual",
    features: ["exports-conditions", "symbol-for", "instanceof-across-modules"],
    why: "The most used schema library; dual through exports conditions; the README's example.",
    deterministic: true,
    determinism: "Parsing of given values.",
    esm: js`import { z } from "zod";`,
    cjs: js`const { z } = require("zod");`,
    body: js`const Order = z.object({ id: z.string().min(1), amount: z.number().positive(), tags: z.array(z.string()).default([]) });
const ok = Order.safeParse({ id: "o1", amount: 5 });
const bad = Order.safeParse({ id: "", amount: -1 });
return { ok: ok.data, bad: bad.success, issues: bad.error.issues.map((i) => [i.path.join("."), i.code]) };`,
  },
  {
    name: "lodash",
    version: "4.18.1",
    format: "cjs-only",
    features: ["umd", "bundled", "code-generation", "shadows-global"],
    why: "One 17k-line UMD-style file that detects module, exports and the global object itself; " +
      "`_.template` compiles with Function.",
    deterministic: true,
    determinism: "Pure collection functions; _.now and _.random are not called, and the clock reading of its hot-function " +
      "detection (touches) changes no result.",
    touches: [{ api: "globalThis.Date.now.__call__", at: "lodash/lodash.js:6783", note: "shortOut (hot-function detection) calls Date.now() while lodash defines its functions, when loaded." }],
    esm: js`import _ from "lodash";`,
    cjs: js`const _ = require("lodash");`,
    body: js`return {
  chunk: _.chunk([1, 2, 3, 4, 5], 2),
  grouped: _.groupBy(["one", "two", "three"], "length"),
  merged: _.merge({ a: { b: 1 } }, { a: { c: 2 } }),
  template: _.template("Hello <%= name %>!")({ name: "Ada" }),
  escaped: _.escape("<a href='x'>&</a>"),
  chain: _.chain([3, 1, 2]).sortBy().map((n) => n * 10).value(),
};`,
  },
  {
    name: "lodash-es",
    version: "4.18.1",
    format: "esm-only",
    features: ["shadows-global", "many-modules"],
    why: "Over 600 ES modules, many with top-level names of globals (`var Map`, `var Symbol`, " +
      "`function escape`, `function isFinite`, `function toString`).",
    deterministic: true,
    determinism: "Pure functions; now() and random() are not called, and the clock reading of its hot-function detection " +
      "(touches) changes no result.",
    touches: [{ api: "globalThis.Date.now.__call__", at: "lodash-es/_shortOut.js:22", note: "_shortOut.js (hot-function detection) calls Date.now() while the modules are loaded." }],
    esm: js`import { groupBy, escape, isFinite, sortBy, uniqBy, debounce, memoize, toString } from "lodash-es";`,
    cjs: js`const { groupBy, escape, isFinite, sortBy, uniqBy, debounce, memoize, toString } = require("lodash-es");`,
    body: js`const square = memoize((n) => n * n);
return {
  grouped: groupBy([1.2, 1.4, 2.1], Math.floor),
  escaped: escape("<b>&</b>"),
  finite: [isFinite(3), isFinite("3"), isFinite(Infinity)],
  sorted: sortBy([{ n: "b" }, { n: "a" }], "n"),
  unique: uniqBy([{ id: 1 }, { id: 1 }, { id: 2 }], "id").length,
  debounceIsFunction: typeof debounce,
  squares: [square(4), square(4)],
  strings: [toString(null), toString([1, 2]), toString(-0)],
};`,
  },
  {
    name: "immutable",
    version: "5.2.1",
    format: "cjs-only",
    features: ["umd", "bundled"],
    why: "Resolved to its UMD bundle by Node (no exports; `module` is for bundlers).",
    deterministic: true,
    determinism: "Pure persistent data structures; the random seed of its collision hash (touches) changes no result.",
    touches: [{ api: "globalThis.Math.random.__call__", at: "immutable/dist/immutable.js:868", note: "A per-process seed for the collision hash, drawn with Math.random() when loaded." }],
    esm: js`import { Map, List, fromJS, is } from "immutable";`,
    cjs: js`const { Map, List, fromJS, is } = require("immutable");`,
    body: js`const a = Map({ x: 1, y: List([1, 2]) });
const b = a.set("x", 2).updateIn(["y"], (l) => l.push(3));
return {
  a: a.toJS(),
  b: b.toJS(),
  equal: is(fromJS({ x: 1, y: [1, 2] }), a),
  sum: List([1, 2, 3]).map((n) => n * 2).reduce((s, n) => s + n, 0),
};`,
  },
  {
    name: "bignumber.js",
    version: "11.1.5",
    format: "dual",
    features: ["exports-conditions"],
    why: "Dual through exports conditions (.mjs and .cjs files); a dotted package name.",
    deterministic: true,
    determinism: "Arbitrary-precision arithmetic; BigNumber.random is not called, and the probe of Math.random when loaded " +
      "(touches) changes no result.",
    touches: [{ api: "globalThis.Math.random.__call__", at: "bignumber.js/dist/bignumber.mjs:696", note: "random53bitInt probes Math.random() when the constructor is created, when loaded." }],
    esm: js`import BigNumber from "bignumber.js";`,
    cjs: js`const BigNumber = require("bignumber.js");`,
    body: js`const x = new BigNumber("0.1").plus("0.2");
return {
  sum: x.toString(),
  equals: x.isEqualTo(0.3),
  power: new BigNumber(2).exponentiatedBy(100).toFixed(),
  division: new BigNumber(1).dividedBy(3).toFixed(30),
  isBigNumber: BigNumber.isBigNumber(x),
};`,
  },
  {
    name: "mathjs",
    version: "15.2.0",
    format: "dual",
    features: ["exports-conditions", "many-modules", "instanceof-across-modules"],
    why: "Hundreds of factory modules over decimal.js, fraction.js, complex.js and typed-function.",
    deterministic: true,
    determinism: "Expression evaluation; random functions are not called, and the entropy seedrandom mixes in when loaded " +
      "(touches) changes no result.",
    touches: [{ api: "globalThis.Math.random.__call__", at: "seedrandom/seedrandom.js:226", note: "mathjs loads seedrandom, which mixes Math.random() into its pool when loaded." }],
    esm: js`import { evaluate, fraction, format, multiply, matrix, bignumber, add } from "mathjs";`,
    cjs: js`const { evaluate, fraction, format, multiply, matrix, bignumber, add } = require("mathjs");`,
    body: js`return {
  hypot: evaluate("sqrt(3^2 + 4^2)"),
  units: evaluate("5.08 cm to inch").toString(),
  fraction: format(add(fraction(1, 3), fraction(1, 6))),
  matrix: multiply(matrix([[1, 2], [3, 4]]), matrix([[5], [6]])).toArray(),
  big: bignumber("0.1").plus(bignumber("0.2")).toString(),
};`,
  },
  {
    name: "luxon",
    version: "3.7.2",
    format: "dual",
    features: ["exports-conditions"],
    why: "Dates and zones; dual through exports conditions; its Settings read the clock and the host zone.",
    deterministic: true,
    determinism: "Fixed instants in UTC; Luxon may still ask for the current time while building a DateTime.",
    touches: [{ api: "globalThis.Date.now.__call__", at: "luxon/build/es6/luxon.mjs:1513", note: "DateTime.fromObject asks Settings.now() for the current time even when every field is given." }],
    esm: js`import { DateTime, Duration, Interval } from "luxon";`,
    cjs: js`const { DateTime, Duration, Interval } = require("luxon");`,
    body: js`const start = DateTime.fromISO("2024-02-28T10:00:00Z", { zone: "utc" });
const end = start.plus({ days: 2, hours: 3 });
return {
  end: end.toISO(),
  weekday: end.weekdayLong,
  duration: Duration.fromObject({ hours: 51 }).shiftTo("days", "hours").toObject(),
  days: Interval.fromDateTimes(start, end).length("days"),
};`,
  },
  {
    name: "immer",
    version: "11.2.14",
    format: "dual",
    features: ["exports-conditions", "symbol-for", "process-branch"],
    why: "Symbol.for('immer-nothing'), draftable and state symbols; the CommonJS entry picks its build from " +
      "process.env.NODE_ENV.",
    deterministic: true,
    determinism: "Structural sharing of given values; its development checks read NODE_ENV (touches).",
    touches: [{ api: "globalThis.process.env.NODE_ENV", at: "immer/dist/immer.mjs:697", note: "Development checks read process.env.NODE_ENV in produce()." }],
    esm: js`import { produce, nothing, isDraftable } from "immer";`,
    cjs: js`const { produce, nothing, isDraftable } = require("immer");`,
    body: js`const base = { todos: [{ id: 1, done: false }, { id: 2, done: false }], meta: { n: 2 } };
const next = produce(base, (draft) => {
  draft.todos[0].done = true;
  draft.todos.push({ id: 3, done: false });
});
return {
  next,
  sharedMeta: next.meta === base.meta,
  sharedSecond: next.todos[1] === base.todos[1],
  frozen: Object.isFrozen(next),
  removed: produce({ a: 1 }, () => nothing) === undefined,
  draftable: isDraftable({}),
};`,
  },
  {
    name: "yaml",
    version: "2.9.1",
    format: "cjs-only",
    features: ["exports-conditions", "symbol-for", "instanceof-across-modules"],
    why: "Exports conditions (`node` then `default`); node kinds are Symbol.for keys.",
    deterministic: true,
    determinism: "Pure parsing and formatting; the parser reads the LOG_TOKENS variable (touches), which only adds logging.",
    touches: [{ api: "process.env.LOG_TOKENS", at: "yaml/dist/parse/parser.js:178", note: "The parser reads process.env.LOG_TOKENS for every document." }],
    esm: js`import { parse, stringify, parseDocument, isMap, isSeq } from "yaml";`,
    cjs: js`const { parse, stringify, parseDocument, isMap, isSeq } = require("yaml");`,
    body: js`const doc = parseDocument("a: 1\nlist: [x, y]\nanchor: &a { k: v }\nref: *a\n");
return {
  parsed: parse("name: Ada\nlangs:\n  - en\n  - fr\n"),
  json: doc.toJS(),
  kinds: [isMap(doc.contents), isSeq(doc.get("list"))],
  dumped: stringify({ b: [1, 2], a: { c: "d" } }),
};`,
  },
  {
    name: "cron-parser",
    version: "5.10.7",
    format: "cjs-only",
    features: ["esmodule-flag", "many-modules"],
    why: "TypeScript output with `__esModule` over luxon.",
    deterministic: true,
    determinism: "Next occurrences from a fixed currentDate in UTC, with a fixed hashSeed (without one it draws a " +
      "Math.random() seed for H expressions); Luxon may still read the clock.",
    esm: js`import { CronExpressionParser } from "cron-parser";`,
    cjs: js`const { CronExpressionParser } = require("cron-parser");`,
    body: js`const expression = CronExpressionParser.parse("*/15 9-10 * * 1-5", { currentDate: new Date(Date.UTC(2024, 0, 5, 10, 50)), tz: "UTC", hashSeed: "workflow" });
return { next: expression.take(3).map((d) => d.toISOString()), text: expression.stringify() };`,
  },
  {
    name: "dayjs",
    version: "1.11.23",
    format: "cjs-only",
    features: ["umd", "bundled", "subpath-exports"],
    why: "A minified UMD bundle, with plugins loaded by subpath (`dayjs/plugin/utc`).",
    deterministic: true,
    determinism: "Fixed instants in UTC.",
    esm: js`import dayjs from "dayjs";
import utc from "dayjs/plugin/utc.js";`,
    cjs: js`const dayjs = require("dayjs");
const utc = require("dayjs/plugin/utc.js");`,
    body: js`dayjs.extend(utc);
const d = dayjs.utc("2024-01-31T12:00:00Z");
return {
  plusMonth: d.add(1, "month").format("YYYY-MM-DD"),
  startOfWeek: d.startOf("week").toISOString(),
  diff: dayjs.utc("2024-03-01").diff(d, "day"),
  valid: dayjs.utc("not a date").isValid(),
};`,
  },
  {
    name: "uuid",
    version: "14.0.3",
    format: "esm-only",
    features: ["exports-conditions", "node-builtins"],
    why: "ESM-only with a `node` condition; v5 hashes with node:crypto.",
    deterministic: true,
    determinism: "v5 (name-based, SHA-1) and parse/validate are deterministic; v4 is not called.",
    esm: js`import { v5, validate, version, parse, stringify, NIL } from "uuid";`,
    cjs: js`const { v5, validate, version, parse, stringify, NIL } = require("uuid");`,
    body: js`const id = v5("workflow-sandbox", v5.URL);
return { id, valid: validate(id), version: version(id), roundTrip: stringify(parse(id)) === id, nil: NIL };`,
  },
  {
    name: "nanoid",
    version: "5.1.16",
    format: "esm-only",
    features: ["exports-conditions", "node-builtins"],
    why: "ESM-only; its whole API draws random bytes.",
    deterministic: false,
    determinism: "Ids are random (crypto.getRandomValues); the workflow only checks their shape, which a " +
      "deterministic mode with seeded randomness would keep.",
    touches: [{ api: "crypto.webcrypto.getRandomValues", at: "nanoid/index.js:15", note: "Its ids are random bytes from node:crypto's webcrypto.getRandomValues." }],
    esm: js`import { nanoid, customAlphabet } from "nanoid";`,
    cjs: js`const { nanoid, customAlphabet } = require("nanoid");`,
    body: js`const id = nanoid();
const hex = customAlphabet("0123456789abcdef", 8)();
return { length: id.length, urlSafe: /^[A-Za-z0-9_-]+$/.test(id), hexLength: hex.length, hex: /^[0-9a-f]+$/.test(hex) };`,
  },
  {
    name: "date-fns",
    version: "4.4.0",
    format: "dual",
    features: ["exports-conditions", "many-modules"],
    why: "Dual through exports conditions; the root entry re-exports some 250 functions (hundreds of modules per run).",
    deterministic: true,
    determinism: "Fixed instants; formatting uses the host time zone, the same natively and sandboxed in one process.",
    esm: js`import { addDays, differenceInCalendarDays, isLeapYear, formatISO9075, parseISO, eachDayOfInterval } from "date-fns";`,
    cjs: js`const { addDays, differenceInCalendarDays, isLeapYear, formatISO9075, parseISO, eachDayOfInterval } = require("date-fns");`,
    body: js`const start = new Date(2024, 1, 27);
const end = addDays(start, 3);
return {
  end: formatISO9075(end),
  days: differenceInCalendarDays(end, start),
  leap: isLeapYear(start),
  parsed: parseISO("2024-05-06").getDate(),
  range: eachDayOfInterval({ start, end }).map((d) => d.getDate()),
};`,
  },
  // ---------------------------------------------------------------- dates and numbers
  {
    name: "moment",
    version: "2.31.0",
    format: "cjs-only",
    features: ["umd", "bundled"],
    why: "The classic UMD date library.",
    deterministic: true,
    determinism: "Fixed instants in UTC, with every date part given (moment reads the current time only to fill missing ones).",
    esm: js`import moment from "moment";`,
    cjs: js`const moment = require("moment");`,
    body: js`const m = moment.utc("2024-01-31T12:00:00Z");
return { plusMonth: m.clone().add(1, "month").format("YYYY-MM-DD"), iso: m.toISOString(), weekday: m.format("dddd") };`,
  },
  {
    name: "decimal.js",
    version: "10.6.0",
    format: "dual",
    features: ["exports-conditions", "umd"],
    why: "An .mjs build for import and a UMD-style file `(function (globalScope) {...})(this)` for require.",
    deterministic: true,
    determinism: "Arbitrary-precision arithmetic; Decimal.random is not called.",
    esm: js`import Decimal from "decimal.js";`,
    cjs: js`const Decimal = require("decimal.js");`,
    body: js`return {
  sum: new Decimal(0.1).plus(0.2).toString(),
  sqrt2: Decimal.sqrt(2).toSignificantDigits(25).toString(),
  pow: new Decimal(1.0001).pow(10000).toFixed(10),
  isDecimal: Decimal.isDecimal(new Decimal(1)),
};`,
  },
  {
    name: "big.js",
    version: "7.0.1",
    format: "dual",
    features: ["exports-conditions", "umd"],
    why: "A .mjs build and a UMD-style .js file, selected by exports conditions.",
    deterministic: true,
    determinism: "Arbitrary-precision arithmetic.",
    esm: js`import Big from "big.js";`,
    cjs: js`const Big = require("big.js");`,
    body: js`return { sum: new Big(0.1).plus(0.2).toString(), div: new Big(2).div(3).toFixed(20), cmp: new Big("1e30").gt("9e29") };`,
  },
  {
    name: "bn.js",
    version: "5.2.5",
    format: "cjs-only",
    features: ["umd", "node-builtins"],
    why: "`(function (module, exports) {...})(typeof module === 'undefined' || module, this)`, with an " +
      "optional require('buffer') in a try.",
    deterministic: true,
    determinism: "Big-integer arithmetic.",
    esm: js`import BN from "bn.js";`,
    cjs: js`const BN = require("bn.js");`,
    body: js`const a = new BN("123456789012345678901234567890");
return { hex: a.mul(new BN(7)).toString(16), mod: a.mod(new BN(97)).toNumber(), isBN: BN.isBN(a), bytes: a.toArray("be", 16).length };`,
  },
  {
    name: "long",
    version: "5.3.2",
    format: "dual",
    features: ["exports-conditions", "umd"],
    why: "ESM first (type: module) with a UMD build for require.",
    deterministic: true,
    determinism: "64-bit integer arithmetic.",
    esm: js`import Long from "long";`,
    cjs: js`const Long = require("long");`,
    body: js`const max = Long.fromString("9223372036854775807");
return { wrapped: max.add(1).toString(), unsigned: Long.fromString("18446744073709551615", true).toString(16), high: max.getHighBits() };`,
  },
  // ---------------------------------------------------------------- functional utilities
  {
    name: "underscore",
    version: "1.13.8",
    format: "dual",
    features: ["exports-conditions", "umd", "esm-wraps-cjs"],
    why: "Nested exports conditions (import/node, module, browser/production) and a UMD main.",
    deterministic: true,
    determinism: "Pure collection functions; _.now and _.random are not called.",
    esm: js`import _ from "underscore";`,
    cjs: js`const _ = require("underscore");`,
    body: js`return {
  sorted: _.sortBy([{ n: 3 }, { n: 1 }], "n"),
  grouped: _.groupBy([1.3, 2.1, 2.4], Math.floor),
  template: _.template("<%- who %> & co")({ who: "<Ada>" }),
  chain: _.chain([1, 2, 3]).map((n) => n * 3).filter((n) => n > 3).value(),
};`,
  },
  {
    name: "fp-ts",
    version: "2.16.11",
    format: "cjs-only",
    features: ["esmodule-flag", "subpath-exports", "nested-package-json"],
    why: "TypeScript output with `__esModule`, imported by subpath; for require, `fp-ts/Option` is a folder " +
      "with its own package.json main (an ES import needs the file, `fp-ts/lib/Option.js`).",
    deterministic: true,
    determinism: "Pure functions.",
    esm: js`import { pipe } from "fp-ts/lib/function.js";
import * as O from "fp-ts/lib/Option.js";
import * as A from "fp-ts/lib/Array.js";
import * as N from "fp-ts/lib/number.js";
import * as E from "fp-ts/lib/Either.js";`,
    cjs: js`const { pipe } = require("fp-ts/function");
const O = require("fp-ts/Option");
const A = require("fp-ts/Array");
const N = require("fp-ts/number");
const E = require("fp-ts/Either");`,
    body: js`return {
  option: pipe(O.some(2), O.map((n) => n * 3), O.getOrElse(() => 0)),
  none: pipe(O.none, O.getOrElse(() => -1)),
  sorted: A.sort(N.Ord)([3, 1, 2]),
  either: pipe(E.right(1), E.chain((n) => (n > 0 ? E.right(n + 1) : E.left("neg"))), E.fold((e) => e, (n) => String(n))),
};`,
  },
  {
    name: "rxjs",
    version: "7.8.2",
    format: "cjs-only",
    features: ["exports-conditions", "esmodule-flag", "instanceof-across-modules", "many-modules"],
    why: "Exports conditions put `node` before `es2015`, so Node imports its TypeScript CommonJS output; " +
      "Subscriber and Subscription are checked with instanceof across modules.",
    deterministic: true,
    determinism: "Synchronous observables; no scheduler is used.",
    esm: js`import { of, from, map, filter, toArray, scan, reduce, lastValueFrom } from "rxjs";`,
    cjs: js`const { of, from, map, filter, toArray, scan, reduce, lastValueFrom } = require("rxjs");`,
    body: js`let collected = [];
of(1, 2, 3, 4).pipe(map((n) => n * 10), filter((n) => n > 10), toArray()).subscribe((v) => { collected = v; });
const running = [];
from([1, 2, 3]).pipe(scan((s, n) => s + n, 0)).subscribe((v) => running.push(v));
const total = await lastValueFrom(from([5, 6]).pipe(reduce((s, n) => s + n, 0)));
return { collected, running, total };`,
  },
  {
    name: "eventemitter3",
    version: "5.0.4",
    format: "dual",
    features: ["exports-conditions", "esm-wraps-cjs", "umd"],
    why: "Its `import` entry is a small ES module that imports the CommonJS build.",
    deterministic: true,
    determinism: "Synchronous events.",
    esm: js`import EventEmitter from "eventemitter3";`,
    cjs: js`const EventEmitter = require("eventemitter3");`,
    body: js`const emitter = new EventEmitter();
const seen = [];
emitter.on("x", (a, b) => seen.push(["on", a, b]));
emitter.once("x", (a) => seen.push(["once", a]));
emitter.emit("x", 1, 2);
emitter.emit("x", 3);
return { seen, count: emitter.listenerCount("x"), names: emitter.eventNames() };`,
  },
  {
    name: "tslib",
    version: "2.9.1",
    format: "dual",
    features: ["exports-conditions", "esm-wraps-cjs", "umd", "global-polyfill"],
    why: "Nested exports conditions; the ES entry imports the UMD tslib.js, which also writes its helpers " +
      "(__extends, __assign, ...) to the global object.",
    deterministic: true,
    determinism: "Pure helpers.",
    esm: js`import { __assign, __rest, __spreadArray, __extends } from "tslib";`,
    cjs: js`const { __assign, __rest, __spreadArray, __extends } = require("tslib");`,
    body: js`function Base() { this.kind = "base"; }
Base.prototype.hello = function () { return "hello from " + this.kind; };
function Child() { Base.call(this); this.kind = "child"; }
__extends(Child, Base);
const rest = __rest({ a: 1, b: 2, c: 3 }, ["a"]);
return {
  assigned: __assign({ a: 1 }, { b: 2 }),
  rest,
  spread: __spreadArray([1], [2, 3], false),
  hello: new Child().hello(),
  instance: new Child() instanceof Base,
  globalHelper: typeof globalThis.__extends,
};`,
  },
  {
    name: "p-map",
    version: "7.1.2",
    format: "esm-only",
    features: [],
    why: "ESM-only and asynchronous: concurrency over the workflow's own promises.",
    deterministic: true,
    determinism: "Results are ordered by input, whatever the completion order.",
    esm: js`import pMap from "p-map";`,
    cjs: js`const pMap = require("p-map").default;`,
    body: js`const order = [];
const result = await pMap([3, 1, 2], async (n) => { order.push(n); await null; return n * 2; }, { concurrency: 2 });
return { result, order };`,
  },
  // ---------------------------------------------------------------- validation and schemas
  {
    name: "yup",
    version: "1.7.1",
    format: "cjs-only",
    features: ["instanceof-across-modules"],
    why: "CommonJS main beside an ESM `module` Node ignores; ValidationError checked with instanceof.",
    deterministic: true,
    determinism: "Validation of given values.",
    esm: js`import { object, string, number, array, ValidationError } from "yup";`,
    cjs: js`const { object, string, number, array, ValidationError } = require("yup");`,
    body: js`const schema = object({ name: string().required().min(2), age: number().integer().min(18), tags: array(string()).default([]) });
let errors = null;
try {
  schema.validateSync({ name: "A", age: 12.5 }, { abortEarly: false });
} catch (error) {
  errors = { isValidationError: error instanceof ValidationError, messages: error.errors };
}
return { cast: schema.cast({ name: "Ada", age: "36" }), errors };`,
  },
  {
    name: "superstruct",
    version: "2.0.2",
    format: "cjs-only",
    features: ["instanceof-across-modules"],
    why: "A `module` field Node ignores, a .cjs main; StructError is a class.",
    deterministic: true,
    determinism: "Validation of given values.",
    esm: js`import { object, string, number, array, validate, is, StructError } from "superstruct";`,
    cjs: js`const { object, string, number, array, validate, is, StructError } = require("superstruct");`,
    body: js`const User = object({ id: number(), name: string(), tags: array(string()) });
const [error, value] = validate({ id: "1", name: "Ada", tags: [] }, User);
return { ok: is({ id: 1, name: "Ada", tags: ["x"] }, User), isStructError: error instanceof StructError, path: error.path, type: error.type, value: value ?? null };`,
  },
  {
    name: "valibot",
    version: "1.5.0",
    format: "dual",
    features: ["exports-conditions"],
    why: "A modular schema library, dual through exports conditions.",
    deterministic: true,
    determinism: "Validation of given values.",
    esm: js`import * as v from "valibot";`,
    cjs: js`const v = require("valibot");`,
    body: js`const Schema = v.object({ email: v.pipe(v.string(), v.email()), age: v.pipe(v.number(), v.minValue(18)) });
const ok = v.safeParse(Schema, { email: "ada@example.com", age: 36 });
const bad = v.safeParse(Schema, { email: "nope", age: 3 });
return { ok: ok.output, bad: bad.issues.map((i) => [i.kind, i.type, i.expected]) };`,
  },
  {
    name: "superjson",
    version: "2.2.7",
    format: "esm-only",
    features: ["instanceof-across-modules"],
    why: "ESM-only; serializes Date, Map, Set, BigInt and RegExp, recognised with instanceof.",
    deterministic: true,
    determinism: "Pure serialization of given values.",
    esm: js`import superjson from "superjson";`,
    cjs: js`const superjson = require("superjson").default;`,
    body: js`const value = { at: new Date(0), map: new Map([["a", 1]]), set: new Set([1, 2]), big: 10n, re: /x+/gi, undef: undefined };
const text = superjson.stringify(value);
const back = superjson.parse(text);
return {
  text,
  back: [back.at.toISOString(), [...back.map], [...back.set], String(back.big), String(back.re), "undef" in back],
};`,
  },
  {
    name: "validator",
    version: "13.15.35",
    format: "cjs-only",
    features: ["esmodule-flag", "many-modules", "shadows-global"],
    why: "Babel output with `__esModule` and `module.exports = exports.default`; a module per validator, " +
      "one of them `function escape`.",
    deterministic: true,
    determinism: "Pure string checks.",
    esm: js`import validator from "validator";`,
    cjs: js`const validator = require("validator");`,
    body: js`return {
  email: [validator.isEmail("ada@example.com"), validator.isEmail("ada@")],
  url: validator.isURL("https://example.com/a?b=c"),
  normalized: validator.normalizeEmail("Ada.Lovelace+x@GMAIL.com"),
  escaped: validator.escape("<a>&'\"</a>"),
  uuid: validator.isUUID("4b1b5f2c-6d0a-4e4e-9a1b-2c3d4e5f6a7b", 4),
};`,
  },
  {
    name: "graphql",
    version: "16.15.0",
    format: "cjs-only",
    features: ["instanceof-across-modules", "process-branch", "many-modules"],
    why: "Its instanceOf guard throws on classes from another copy and reads process.env.NODE_ENV when loaded; " +
      "no exports field, so Node takes the CommonJS main for import too.",
    deterministic: true,
    determinism: "Executing a query against a fixed root value.",
    esm: js`import { buildSchema, graphqlSync, parse, print } from "graphql";`,
    cjs: js`const { buildSchema, graphqlSync, parse, print } = require("graphql");`,
    body: js`const schema = buildSchema("type Query { hello(name: String): String, n: Int }");
const result = graphqlSync({ schema, source: "{ hello(name: \"Ada\") n }", rootValue: { hello: ({ name }) => "Hello " + name, n: 42 } });
return { data: JSON.parse(JSON.stringify(result.data)), printed: print(parse("query Q { a { b } }")) };`,
  },
  // ---------------------------------------------------------------- text formats
  {
    name: "js-yaml",
    version: "5.5.0",
    format: "dual",
    features: ["exports-conditions", "bundled"],
    why: "Dual through exports conditions, bundled .mjs and .cjs.js files.",
    deterministic: true,
    determinism: "Pure parsing and formatting.",
    esm: js`import { load, dump } from "js-yaml";`,
    cjs: js`const { load, dump } = require("js-yaml");`,
    body: js`return { loaded: load("a: 1\nb: [x, y]\nc: { d: true }\n"), dumped: dump({ z: [1, 2], y: "text" }) };`,
  },
  {
    name: "smol-toml",
    version: "1.9.1",
    format: "dual",
    features: ["exports-conditions"],
    why: "A TOML parser, dual through exports conditions.",
    deterministic: true,
    determinism: "Pure parsing and formatting.",
    esm: js`import { parse, stringify } from "smol-toml";`,
    cjs: js`const { parse, stringify } = require("smol-toml");`,
    body: js`const parsed = parse("title = \"x\"\n[owner]\nname = \"Ada\"\n[[items]]\nn = 1\n[[items]]\nn = 2\n");
return { parsed, text: stringify({ a: 1, b: { c: [1, 2] } }) };`,
  },
  {
    name: "ini",
    version: "6.0.0",
    format: "cjs-only",
    features: [],
    why: "A small CommonJS parser, from npm's own tooling.",
    deterministic: false,
    determinism: "stringify() ends lines by the host platform (CRLF on Windows) unless the `platform` option is given; " +
      "the workflow calls it as most code does, without it.",
    touches: [{ api: "globalThis.process.platform", at: "ini/lib/ini.js:13", note: "encode() picks its line ending from process.platform unless the `platform` option is given." }],
    restricted: {
      api: "globalThis.process.platform",
      at: { import: "ini/lib/ini.js:13", require: "ini/lib/ini.js:13" },
      note: "The host platform is not a source the deterministic mode substitutes.",
    },
    esm: js`import ini from "ini";`,
    cjs: js`const ini = require("ini");`,
    body: js`return { parsed: ini.parse("a=1\n[section]\nb=two\nlist[]=x\nlist[]=y\n"), text: ini.stringify({ top: "1", s: { k: "v" } }) };`,
  },
  {
    name: "json5",
    version: "2.2.3",
    format: "cjs-only",
    features: [],
    why: "CommonJS main with an ESM `module` Node ignores; used by many build tools.",
    deterministic: true,
    determinism: "Pure parsing and formatting.",
    esm: js`import JSON5 from "json5";`,
    cjs: js`const JSON5 = require("json5");`,
    body: js`return { parsed: JSON5.parse("{ a: 1, b: 'two', c: [3,], /* note */ d: +Infinity, e: 0x10 }", (k, v) => (v === Infinity ? "inf" : v)), text: JSON5.stringify({ a: 1, "b-c": [2] }) };`,
  },
  {
    name: "fast-xml-parser",
    version: "5.12.1",
    format: "dual",
    features: ["exports-conditions"],
    why: "ESM source for import, a bundled CommonJS build for require.",
    deterministic: true,
    determinism: "Pure parsing and formatting.",
    esm: js`import { XMLParser, XMLBuilder, XMLValidator } from "fast-xml-parser";`,
    cjs: js`const { XMLParser, XMLBuilder, XMLValidator } = require("fast-xml-parser");`,
    body: js`const xml = "<root a=\"1\"><item>x</item><item>y</item><n>3</n></root>";
const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml);
return { parsed, valid: XMLValidator.validate(xml), built: new XMLBuilder({}).build({ a: { b: [1, 2] } }) };`,
  },
  {
    name: "papaparse",
    version: "5.7.1",
    format: "cjs-only",
    features: ["umd", "bundled"],
    why: "A UMD bundle that probes for a DOM, workers and the global object when loaded.",
    deterministic: true,
    determinism: "Pure CSV parsing and formatting (no worker, no file).",
    esm: js`import Papa from "papaparse";`,
    cjs: js`const Papa = require("papaparse");`,
    body: js`const result = Papa.parse("name,age\nAda,36\nAlan,41\n", { header: true, dynamicTyping: true, skipEmptyLines: true });
return { data: result.data, errors: result.errors, fields: result.meta.fields, text: Papa.unparse([{ a: 1, b: "x,y" }]) };`,
  },
  {
    name: "marked",
    version: "18.3.0",
    format: "esm-only",
    features: ["exports-conditions"],
    why: "A Markdown compiler shipped as one ES module file.",
    deterministic: true,
    determinism: "Pure text transformation.",
    esm: js`import { marked } from "marked";`,
    cjs: js`const { marked } = require("marked");`,
    body: js`return { html: marked.parse("# Title\n\nSome *emphasis* and a [link](https://example.com).\n\n- a\n- b\n", { async: false }) };`,
  },
  {
    name: "markdown-it",
    version: "15.0.3",
    format: "dual",
    features: ["exports-conditions", "bundled"],
    why: "Dual through exports conditions, over linkify-it, mdurl, punycode.js, entities and uc.micro.",
    deterministic: true,
    determinism: "Pure text transformation.",
    esm: js`import MarkdownIt from "markdown-it";`,
    cjs: js`const MarkdownIt = require("markdown-it");`,
    body: js`const md = new MarkdownIt({ linkify: true, typographer: true });
return { html: md.render("# Hi\n\nVisit example.com -- \"quoted\" (c)\n\n1. one\n2. two\n") };`,
  },
  {
    name: "he",
    version: "1.2.0",
    format: "cjs-only",
    features: ["umd"],
    why: "A UMD file (`(function(root) {...}(this))`) that looks for exports, module and define.",
    deterministic: true,
    determinism: "Pure text transformation.",
    esm: js`import he from "he";`,
    cjs: js`const he = require("he");`,
    body: js`return { encoded: he.encode("foo © bar ≠ baz 𝌆 <qux>"), decoded: he.decode("&lt;a&gt; &amp;&copy;&#x1D306;"), escaped: he.escape("<img src='x'>") };`,
  },
  {
    name: "entities",
    version: "9.0.0",
    format: "esm-only",
    features: ["exports-conditions", "shadows-global"],
    why: "ESM-only TypeScript output with large decoding tables; exports `escape`.",
    deterministic: true,
    determinism: "Pure text transformation.",
    esm: js`import { encodeHTML, decodeHTML, escape, decodeXML } from "entities";`,
    cjs: js`const { encodeHTML, decodeHTML, escape, decodeXML } = require("entities");`,
    body: js`return { encoded: encodeHTML("<a> & é"), decoded: decodeHTML("&lt;b&gt;&amp;&eacute;&nbsp;"), escaped: escape("<x y=\"1\">"), xml: decodeXML("&apos;&#65;") };`,
  },
  {
    name: "escape-html",
    version: "1.0.3",
    format: "cjs-only",
    features: [],
    why: "A tiny CommonJS file, used by Express.",
    deterministic: true,
    determinism: "Pure text transformation.",
    esm: js`import escapeHtml from "escape-html";`,
    cjs: js`const escapeHtml = require("escape-html");`,
    body: js`return { escaped: escapeHtml("<script>alert(\"x\" + 'y')</script>&") };`,
  },
  {
    name: "handlebars",
    version: "4.7.10",
    format: "cjs-only",
    features: ["esmodule-flag", "code-generation", "many-modules"],
    why: "Babel output with `__esModule`; templates compiled with new Function; its entry registers a " +
      "`.handlebars` extension in require.extensions.",
    deterministic: true,
    determinism: "Template rendering of given values.",
    esm: js`import Handlebars from "handlebars";`,
    cjs: js`const Handlebars = require("handlebars");`,
    body: js`const hb = Handlebars.create();
hb.registerHelper("upper", (s) => String(s).toUpperCase());
const template = hb.compile("Hello {{upper name}}! {{#each items}}[{{this}}]{{/each}} {{#if admin}}admin{{else}}user{{/if}}");
return { html: template({ name: "<Ada>", items: [1, 2], admin: false }) };`,
  },
  {
    name: "mustache",
    version: "4.2.0",
    format: "dual",
    features: ["exports-conditions", "umd"],
    why: "A .mjs file for import and a UMD file for require.",
    deterministic: true,
    determinism: "Template rendering of given values.",
    esm: js`import Mustache from "mustache";`,
    cjs: js`const Mustache = require("mustache");`,
    body: js`return { html: Mustache.render("Hi {{name}} {{#list}}<{{.}}>{{/list}} {{{raw}}} {{esc}}", { name: "Ada", list: [1, 2], raw: "<b>", esc: "<i>" }) };`,
  },
  {
    name: "ejs",
    version: "7.0.2",
    format: "dual",
    features: ["exports-conditions", "code-generation", "node-builtins"],
    why: "Dual through exports conditions; requires node:fs and node:path when loaded; templates compiled " +
      "with new Function.",
    deterministic: true,
    determinism: "Rendering a template string (no file is read).",
    esm: js`import ejs from "ejs";`,
    cjs: js`const ejs = require("ejs");`,
    body: js`return { html: ejs.render("<ul><% for (const i of items) { %><li><%= i %></li><% } %></ul><%- raw %>", { items: ["a", "<b>"], raw: "<hr>" }) };`,
  },
  // ---------------------------------------------------------------- web and strings
  {
    name: "query-string",
    version: "9.5.1",
    format: "esm-only",
    features: [],
    why: "ESM-only, over decode-uri-component, split-on-first and filter-obj.",
    deterministic: true,
    determinism: "Pure parsing and formatting.",
    esm: js`import queryString from "query-string";`,
    cjs: js`const queryString = require("query-string").default;`,
    body: js`return {
  parsed: queryString.parse("?a=1&b=2&b=3&c", { parseNumbers: true }),
  text: queryString.stringify({ z: 1, a: [2, 3], s: "x y" }),
  url: queryString.parseUrl("https://x.test/p?q=1#h"),
};`,
  },
  {
    name: "cookie",
    version: "1.1.1",
    format: "cjs-only",
    features: ["esmodule-flag"],
    why: "TypeScript output with `__esModule`, used by every web framework.",
    deterministic: true,
    determinism: "Pure parsing and formatting (no expiry computed from now).",
    esm: js`import { parse, serialize } from "cookie";`,
    cjs: js`const { parse, serialize } = require("cookie");`,
    body: js`return { parsed: parse("a=1; b=hello%20world; c=\"q\""), text: serialize("session", "a b", { httpOnly: true, maxAge: 60, path: "/" }) };`,
  },
  {
    name: "path-to-regexp",
    version: "9.0.0",
    format: "esm-only",
    features: [],
    why: "Express's router matcher; ESM-only TypeScript output since version 9.",
    deterministic: true,
    determinism: "Pure parsing and matching.",
    esm: js`import { match, compile, pathToRegexp } from "path-to-regexp";`,
    cjs: js`const { match, compile, pathToRegexp } = require("path-to-regexp");`,
    body: js`const m = match("/users/:id{/:tab}")("/users/42/posts");
return { matched: m && { path: m.path, params: { ...m.params } }, compiled: compile("/files/*path")({ path: ["a", "b.txt"] }), source: pathToRegexp("/a/:b").regexp.source };`,
  },
  {
    name: "mime-types",
    version: "3.0.2",
    format: "cjs-only",
    features: ["json-require", "node-builtins"],
    why: "Requires mime-db's 200 KB db.json.",
    deterministic: true,
    determinism: "Lookups in a fixed table.",
    esm: js`import mime from "mime-types";`,
    cjs: js`const mime = require("mime-types");`,
    body: js`return { json: mime.lookup("data.json"), type: mime.contentType("markdown"), ext: mime.extension("text/html"), charset: mime.charset("text/plain") };`,
  },
  {
    name: "mime",
    version: "4.1.2",
    format: "esm-only",
    features: [],
    why: "ESM-only, with its type tables as ES modules.",
    deterministic: true,
    determinism: "Lookups in a fixed table.",
    esm: js`import mime from "mime";`,
    cjs: js`const mime = require("mime").default;`,
    body: js`return { txt: mime.getType("notes.txt"), ext: mime.getExtension("image/png"), all: [...mime.getAllExtensions("image/jpeg")].sort() };`,
  },
  {
    name: "statuses",
    version: "2.0.2",
    format: "cjs-only",
    features: ["json-require"],
    why: "Requires its codes.json.",
    deterministic: true,
    determinism: "Lookups in a fixed table.",
    esm: js`import status from "statuses";`,
    cjs: js`const status = require("statuses");`,
    body: js`return { code: status("Not Found"), message: status.message[418], redirect: status.redirect[301], retry: status.retry[503] };`,
  },
  {
    name: "bytes",
    version: "3.1.2",
    format: "cjs-only",
    features: [],
    why: "A tiny CommonJS utility of Express.",
    deterministic: true,
    determinism: "Pure formatting.",
    esm: js`import bytes from "bytes";`,
    cjs: js`const bytes = require("bytes");`,
    body: js`return { format: bytes(1024 * 1024 * 3.5), parse: bytes("1.5kb"), sep: bytes(1000000000, { thousandsSeparator: "," , unit: "B" }) };`,
  },
  {
    name: "pretty-bytes",
    version: "7.2.0",
    format: "esm-only",
    features: [],
    why: "ESM-only, from the sindresorhus family.",
    deterministic: true,
    determinism: "Pure formatting (no locale option).",
    esm: js`import prettyBytes from "pretty-bytes";`,
    cjs: js`const prettyBytes = require("pretty-bytes").default;`,
    body: js`return { a: prettyBytes(1337), b: prettyBytes(1e12, { bits: true }), c: prettyBytes(-42, { signed: true }) };`,
  },
  {
    name: "camelcase",
    version: "9.0.0",
    format: "esm-only",
    features: [],
    why: "ESM-only with a default export.",
    deterministic: true,
    determinism: "Pure text transformation (locale: false, so the host locale is not used).",
    esm: js`import camelCase from "camelcase";`,
    cjs: js`const camelCase = require("camelcase").default;`,
    body: js`return { a: camelCase("foo-bar_baz", { locale: false }), b: camelCase(["Foo", "BAR"], { pascalCase: true, locale: false }) };`,
  },
  {
    name: "change-case",
    version: "5.4.4",
    format: "esm-only",
    features: [],
    why: "ESM-only with named exports.",
    deterministic: true,
    determinism: "Pure text transformation.",
    esm: js`import { camelCase, snakeCase, kebabCase, capitalCase } from "change-case";`,
    cjs: js`const { camelCase, snakeCase, kebabCase, capitalCase } = require("change-case");`,
    body: js`const s = "Hello sandboxed World2";
return { camel: camelCase(s), snake: snakeCase(s), kebab: kebabCase(s), capital: capitalCase(s) };`,
  },
  {
    name: "string-width",
    version: "8.3.0",
    format: "esm-only",
    features: [],
    why: "ESM-only over strip-ansi and get-east-asian-width; builds an Intl.Segmenter when loaded.",
    deterministic: true,
    determinism: "Widths from Unicode tables; grapheme segmentation does not depend on the locale.",
    esm: js`import stringWidth from "string-width";`,
    cjs: js`const stringWidth = require("string-width").default;`,
    body: js`return { ascii: stringWidth("abc"), wide: stringWidth("古池や"), ansi: stringWidth("\u001B[1mabc\u001B[22m"), emoji: stringWidth("👩‍👩‍👧") };`,
  },
  {
    name: "escape-string-regexp",
    version: "5.0.0",
    format: "esm-only",
    features: [],
    why: "A one-function ESM-only package.",
    deterministic: true,
    determinism: "Pure text transformation.",
    esm: js`import escapeStringRegexp from "escape-string-regexp";`,
    cjs: js`const escapeStringRegexp = require("escape-string-regexp").default;`,
    body: js`const pattern = escapeStringRegexp("How much $ for a 🦄? (a.b)");
return { pattern, matches: new RegExp(pattern).test("How much $ for a 🦄? (a.b)") };`,
  },
  {
    name: "slugify",
    version: "1.6.9",
    format: "cjs-only",
    features: ["umd"],
    why: "A UMD file with its character map inlined.",
    deterministic: true,
    determinism: "Pure text transformation.",
    esm: js`import slugify from "slugify";`,
    cjs: js`const slugify = require("slugify");`,
    body: js`return { a: slugify("Hello World! ♥ & Ünïcödé", { lower: true, strict: true }), b: slugify("some string", "_") };`,
  },
  {
    name: "pluralize",
    version: "8.0.0",
    format: "cjs-only",
    features: ["umd"],
    why: "A UMD file `(function (root, pluralize) {...})(this, ...)`.",
    deterministic: true,
    determinism: "Pure text transformation.",
    esm: js`import pluralize from "pluralize";`,
    cjs: js`const pluralize = require("pluralize");`,
    body: js`return { people: pluralize("person"), geese: pluralize.singular("geese"), count: pluralize("test", 5, true), isPlural: pluralize.isPlural("mice") };`,
  },
  {
    name: "iconv-lite",
    version: "0.7.3",
    format: "cjs-only",
    features: ["json-require", "node-builtins", "process-branch"],
    why: "Requires its code-page tables (.json) on demand; checks the Node version when loaded.",
    deterministic: true,
    determinism: "Pure transcoding.",
    esm: js`import iconv from "iconv-lite";`,
    cjs: js`const iconv = require("iconv-lite");`,
    body: js`return {
  win1251: Array.from(iconv.encode("Привет", "win1251")),
  sjis: iconv.decode(Uint8Array.from([0x82, 0xa0, 0x82, 0xa2]), "shift_jis"),
  gbk: Array.from(iconv.encode("中文", "gbk")),
  exists: iconv.encodingExists("latin1"),
};`,
  },
  {
    name: "tinycolor2",
    version: "1.6.0",
    format: "dual",
    features: ["exports-conditions"],
    why: "Dual through exports conditions (esm/ and cjs/ folders).",
    deterministic: true,
    determinism: "Pure colour arithmetic; tinycolor.random is not called.",
    esm: js`import tinycolor from "tinycolor2";`,
    cjs: js`const tinycolor = require("tinycolor2");`,
    body: js`const red = tinycolor("#ff0000");
return { lighter: red.lighten(20).toHexString(), hsl: red.toHslString(), mix: tinycolor.mix("red", "blue", 50).toHexString(), readable: tinycolor.isReadable("#000", "#fff") };`,
  },
  {
    name: "crypto-js",
    version: "4.2.0",
    format: "cjs-only",
    features: ["umd", "many-modules", "node-builtins"],
    why: "One UMD file per algorithm; its core looks for a crypto object on window, self, global, then require('crypto').",
    deterministic: true,
    determinism: "Hashes and encodings of given values (no random salt).",
    esm: js`import CryptoJS from "crypto-js";`,
    cjs: js`const CryptoJS = require("crypto-js");`,
    body: js`return {
  sha256: CryptoJS.SHA256("abc").toString(),
  hmac: CryptoJS.HmacSHA1("message", "key").toString(CryptoJS.enc.Base64),
  md5: CryptoJS.MD5("x").toString(),
  base64: CryptoJS.enc.Base64.stringify(CryptoJS.enc.Utf8.parse("héllo")),
};`,
  },
  // ---------------------------------------------------------------- comparison and hashing
  {
    name: "fast-deep-equal",
    version: "3.1.3",
    format: "cjs-only",
    features: ["subpath-exports"],
    why: "Tiny CommonJS, with an ES2015 variant by subpath (`fast-deep-equal/es6`).",
    deterministic: true,
    determinism: "Pure comparisons.",
    esm: js`import equal from "fast-deep-equal";
import equalEs6 from "fast-deep-equal/es6/index.js";`,
    cjs: js`const equal = require("fast-deep-equal");
const equalEs6 = require("fast-deep-equal/es6/index.js");`,
    body: js`return {
  same: equal({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }),
  diff: equal({ a: 1 }, { a: "1" }),
  maps: equalEs6(new Map([[1, { x: 1 }]]), new Map([[1, { x: 1 }]])),
  typed: equalEs6(new Uint8Array([1, 2]), new Uint8Array([1, 3])),
};`,
  },
  {
    name: "deepmerge",
    version: "4.3.1",
    format: "cjs-only",
    features: ["bundled"],
    why: "A rollup CommonJS build (dist/cjs.js).",
    deterministic: true,
    determinism: "Pure merging.",
    esm: js`import deepmerge from "deepmerge";`,
    cjs: js`const deepmerge = require("deepmerge");`,
    body: js`return {
  merged: deepmerge({ a: [1], b: { c: 1 } }, { a: [2], b: { d: 2 } }),
  all: deepmerge.all([{ x: 1 }, { y: 2 }, { x: 3 }]),
  overwrite: deepmerge({ a: [1, 2] }, { a: [3] }, { arrayMerge: (_d, s) => s }),
};`,
  },
  {
    name: "fast-json-stable-stringify",
    version: "2.1.0",
    format: "cjs-only",
    features: [],
    why: "Deterministic JSON, a dependency of ajv's ecosystem.",
    deterministic: true,
    determinism: "Pure serialization.",
    esm: js`import stringify from "fast-json-stable-stringify";`,
    cjs: js`const stringify = require("fast-json-stable-stringify");`,
    body: js`return { text: stringify({ b: 1, a: [3, { d: 1, c: 2 }], u: undefined }), cmp: stringify({ b: 1, a: 2 }, { cmp: (x, y) => (x.key < y.key ? 1 : -1) }) };`,
  },
  {
    name: "object-hash",
    version: "3.0.0",
    format: "cjs-only",
    features: ["node-builtins"],
    why: "Hashes any value with node:crypto's createHash.",
    deterministic: true,
    determinism: "Hashes of given values.",
    esm: js`import hash from "object-hash";`,
    cjs: js`const hash = require("object-hash");`,
    body: js`return {
  sha1: hash({ b: 1, a: [1, 2] }),
  unordered: hash({ a: 1, b: 2 }) === hash({ b: 2, a: 1 }),
  md5: hash.MD5("x"),
  keys: hash.keys({ z: 1, y: 2 }),
};`,
  },
  {
    name: "clsx",
    version: "2.1.1",
    format: "dual",
    features: ["exports-conditions"],
    why: "Tiny and dual through exports conditions (`import` and `default`).",
    deterministic: true,
    determinism: "Pure string building.",
    esm: js`import clsx from "clsx";`,
    cjs: js`const clsx = require("clsx");`,
    body: js`return { cls: clsx("a", { b: true, c: false }, ["d", ["e"]], null, 0, "f") };`,
  },
  {
    name: "classnames",
    version: "2.5.1",
    format: "cjs-only",
    features: ["umd", "subpath-exports"],
    why: "UMD-style files, with variants by subpath (`classnames/dedupe`).",
    deterministic: true,
    determinism: "Pure string building.",
    esm: js`import classNames from "classnames";
import dedupe from "classnames/dedupe.js";`,
    cjs: js`const classNames = require("classnames");
const dedupe = require("classnames/dedupe.js");`,
    body: js`return { cls: classNames("a", { b: true, c: false }, ["d"]), dedupe: dedupe("a b", { a: false, c: true }, "c") };`,
  },
  {
    name: "semver",
    version: "7.8.6",
    format: "cjs-only",
    features: ["instanceof-across-modules", "many-modules", "process-branch"],
    why: "Fifty CommonJS modules; SemVer, Range and Comparator are checked with instanceof in the modules " +
      "that receive them; its debug helper reads process.env.NODE_DEBUG when loaded.",
    deterministic: true,
    determinism: "Pure version arithmetic.",
    esm: js`import semver from "semver";`,
    cjs: js`const semver = require("semver");`,
    body: js`const v = new semver.SemVer("1.2.3-beta.1");
return {
  satisfies: semver.satisfies("1.4.0", "^1.2.0 <1.5.0"),
  max: semver.maxSatisfying(["1.2.3", "1.4.0", "2.0.0"], "~1.2 || ~1.4"),
  inc: semver.inc(v, "prerelease"),
  coerce: semver.coerce("v3.2").version,
  sorted: semver.sort(["1.10.0", "1.2.0", "1.9.9"]),
  range: new semver.Range(">=1.0.0 <2").intersects(new semver.Range("^1.5")),
  instance: semver.parse("2.0.0") instanceof semver.SemVer,
};`,
  },
  {
    name: "reflect-metadata",
    version: "0.2.2",
    format: "cjs-only",
    features: ["global-polyfill", "symbol-for"],
    why: "A polyfill: it writes its functions to the global Reflect object and keeps a registry under " +
      "Symbol.for('@reflect-metadata:registry') on the global object.",
    deterministic: true,
    determinism: "Metadata set and read by the workflow itself.",
    esm: js`import "reflect-metadata";`,
    cjs: js`require("reflect-metadata");`,
    body: js`class Service {}
Reflect.defineMetadata("role", "admin", Service);
Reflect.defineMetadata("role", "method", Service.prototype, "run");
return {
  role: Reflect.getMetadata("role", Service),
  method: Reflect.getMetadata("role", Service.prototype, "run"),
  keys: Reflect.getMetadataKeys(Service),
  has: Reflect.hasOwnMetadata("missing", Service),
};`,
  },
  // ---------------------------------------------------------------- frameworks and the host
  {
    name: "react",
    version: "19.3.1",
    format: "cjs-only",
    features: ["process-branch", "symbol-for"],
    why: "Picks its build from process.env.NODE_ENV when loaded; elements are tagged with " +
      "Symbol.for('react.transitional.element').",
    deterministic: true,
    determinism: "Building an element tree; the build chosen depends on the host's NODE_ENV.",
    esm: js`import React from "react";`,
    cjs: js`const React = require("react");`,
    body: js`const el = React.createElement("ul", { id: "list" }, React.createElement("li", { key: "a" }, "one"), React.createElement("li", { key: "b" }, "two"));
return {
  type: el.type,
  id: el.props.id,
  children: React.Children.count(el.props.children),
  valid: React.isValidElement(el),
  tag: String(el.$$typeof),
};`,
  },
  {
    name: "redux",
    version: "5.0.1",
    format: "dual",
    features: ["exports-conditions", "symbol-for"],
    why: "Dual through exports conditions; its action types are suffixed with Math.random() when loaded.",
    deterministic: true,
    determinism: "Reducers over given actions; the random suffix only names internal actions.",
    touches: [{ api: "globalThis.Math.random.__call__", at: "redux/dist/redux.mjs:11", note: "Its internal action types end in Math.random() digits, drawn when loaded." }],
    esm: js`import { legacy_createStore, combineReducers } from "redux";`,
    cjs: js`const { legacy_createStore, combineReducers } = require("redux");`,
    body: js`const counter = (state = 0, action) => (action.type === "inc" ? state + 1 : state);
const log = (state = [], action) => (action.type.startsWith("@@") ? state : [...state, action.type]);
const store = legacy_createStore(combineReducers({ counter, log }));
store.dispatch({ type: "inc" });
store.dispatch({ type: "inc" });
return store.getState();`,
  },
  {
    name: "debug",
    version: "4.4.3",
    format: "cjs-only",
    features: ["process-branch", "node-builtins"],
    why: "Chooses its node or browser build from `process` and reads DEBUG and DEBUG_* variables and the TTY when loaded.",
    deterministic: false,
    determinism: "Whether a namespace is enabled comes from the host's DEBUG variable.",
    touches: [
      { api: "tty.isatty.__call__", at: "debug/src/node.js:158", note: "useColors() asks whether stderr is a terminal, when loaded." },
      { api: "globalThis.process.env.DEBUG (write)", at: "debug/src/node.js:209", note: "enable() writes the enabled namespaces back to process.env.DEBUG when loaded, a write the sandbox refuses." },
    ],
    restricted: {
      api: "tty.isatty.__call__",
      at: { import: "debug/src/node.js:158", require: "debug/src/node.js:158" },
      deno: { import: "(workflow body):1", require: "(workflow body):1" },
      note: "Terminal detection is not a source the deterministic mode substitutes; " + DENO_LOCATION + ".",
    },
    esm: js`import createDebug from "debug";`,
    cjs: js`const createDebug = require("debug");`,
    body: js`const log = createDebug("workflow:compat");
return { namespace: log.namespace, enabledType: typeof log.enabled };`,
  },
  {
    name: "chalk",
    version: "5.6.2",
    format: "esm-only",
    features: ["package-imports", "process-branch", "node-builtins"],
    why: "ESM-only with package.json `imports` (#ansi-styles, #supports-color); reads the environment, argv " +
      "and the TTY to decide on colours.",
    deterministic: false,
    determinism: "The colour level depends on the host's terminal and environment.",
    esm: js`import chalk from "chalk";`,
    cjs: js`const chalk = require("chalk").default;`,
    body: js`return { levelType: typeof chalk.level, text: new chalk.constructor({ level: 1 }).red("x") };`,
  },
  {
    name: "seedrandom",
    version: "3.0.5",
    format: "cjs-only",
    features: ["umd", "many-modules"],
    why: "A seeded generator: deterministic in use, but it mixes Math.random() into its pool when loaded.",
    deterministic: true,
    determinism: "A given seed gives the same sequence; only the unused autoseed reads Math.random.",
    touches: [{ api: "globalThis.Math.random.__call__", at: "seedrandom/seedrandom.js:226", note: "It mixes Math.random() into its entropy pool when loaded, even if only seeded generators are used." }],
    esm: js`import seedrandom from "seedrandom";`,
    cjs: js`const seedrandom = require("seedrandom");`,
    body: js`const rng = seedrandom("workflow");
return { values: [rng(), rng(), rng()], int: seedrandom.alea("x").int32() };`,
  },
  {
    name: "jsonwebtoken",
    version: "9.0.3",
    format: "cjs-only",
    features: ["node-builtins", "process-branch", "many-modules"],
    why: "HMAC signing through jws and jwa; checks the Node version with semver when loaded.",
    deterministic: true,
    determinism: "HMAC over a fixed payload, verified at a fixed clock; sign() still reads the current time (touches), " +
      "which noTimestamp leaves out of the token.",
    touches: [{ api: "globalThis.Date.now.__call__", at: "jsonwebtoken/sign.js:185", note: "sign() computes the current timestamp even with noTimestamp." }],
    esm: js`import jwt from "jsonwebtoken";`,
    cjs: js`const jwt = require("jsonwebtoken");`,
    body: js`const token = jwt.sign({ sub: "42", role: "admin" }, "secret", { algorithm: "HS256", noTimestamp: true });
return { token, decoded: jwt.decode(token, { complete: true }), verified: jwt.verify(token, "secret", { clockTimestamp: 1 }) };`,
  },
  {
    name: "minimist",
    version: "1.2.8",
    format: "cjs-only",
    features: [],
    why: "The classic argument parser, one CommonJS file.",
    deterministic: true,
    determinism: "Parses the given array, not process.argv.",
    esm: js`import minimist from "minimist";`,
    cjs: js`const minimist = require("minimist");`,
    body: js`return { args: minimist(["-x", "3", "--name=Ada", "--no-color", "file.txt"], { string: ["name"] }) };`,
  },
  {
    name: "yargs-parser",
    version: "22.0.0",
    format: "esm-only",
    features: ["exports-conditions", "require-esm", "process-branch"],
    why: "ESM-only whose exports fall back to the same ES file for require, which names what require() " +
      "returns with a \"module.exports\" export; checks the Node version and YARGS_MIN_NODE_VERSION when loaded.",
    deterministic: true,
    determinism: "Parses the given array; environment options are not used.",
    touches: [{ api: "module.createRequire.__call__", at: "yargs-parser/build/lib/index.js:30", note: "It creates a require() with module.createRequire when loaded (to read config files), which the default rules deny." }],
    restricted: {
      api: "module.createRequire.__call__",
      at: { import: "yargs-parser/build/lib/index.js:30", require: "yargs-parser/build/lib/index.js:30" },
      note: "module.createRequire is denied outright (it reaches the host's own module loader), in every policy.",
    },
    esm: js`import yargsParser from "yargs-parser";`,
    cjs: js`const yargsParser = require("yargs-parser");`,
    body: js`return { args: yargsParser(["--foo", "bar", "-n", "3", "--no-x", "rest"], { number: ["n"] }) };`,
  },
  {
    name: "picomatch",
    version: "4.0.7",
    format: "cjs-only",
    features: ["process-branch"],
    why: "Glob matching in CommonJS; it asks navigator.platform or process.platform unless `windows` is given.",
    deterministic: true,
    determinism: "Matching with an explicit `windows: false`, so the host platform is not read.",
    esm: js`import picomatch from "picomatch";`,
    cjs: js`const picomatch = require("picomatch");`,
    body: js`const isMatch = picomatch(["src/**/*.ts", "!**/*.test.ts"], { windows: false });
return { matches: ["src/a/b.ts", "src/a.test.ts", "lib/c.ts"].map((p) => isMatch(p)), source: picomatch.makeRe("*.js", { windows: false }).source };`,
  },
  {
    name: "minimatch",
    version: "11.0.10",
    format: "dual",
    features: ["exports-conditions", "esmodule-flag", "process-branch"],
    why: "Dual TypeScript output through exports conditions; its default platform comes from process when loaded.",
    deterministic: true,
    determinism: "Matching with an explicit platform.",
    touches: [{ api: "globalThis.Math.random.__call__", at: "brace-expansion/dist/esm/index.js:2", note: "Its dependency brace-expansion builds escape markers from Math.random() when loaded." }],
    esm: js`import { minimatch, Minimatch } from "minimatch";`,
    cjs: js`const { minimatch, Minimatch } = require("minimatch");`,
    body: js`return {
  matches: ["a/b.js", "a/b/c.js", "x.ts"].map((p) => minimatch(p, "a/**/*.js", { platform: "linux" })),
  braces: minimatch.braceExpand("file.{js,ts}"),
  negated: new Minimatch("!*.md", { platform: "linux" }).negate,
  filtered: minimatch.match(["a.md", "b.txt", "c.md"], "*.md", { platform: "linux" }),
};`,
  },
  {
    name: "lru-cache",
    version: "11.5.4",
    format: "dual",
    features: ["exports-conditions", "esmodule-flag"],
    why: "Deep exports conditions (import/require, browser, react-native); picks performance or Date for its clock when loaded.",
    deterministic: true,
    determinism: "No TTL, so no clock is read.",
    esm: js`import { LRUCache } from "lru-cache";`,
    cjs: js`const { LRUCache } = require("lru-cache");`,
    body: js`const cache = new LRUCache({ max: 2 });
cache.set("a", 1);
cache.set("b", 2);
cache.get("a");
cache.set("c", 3);
return { keys: [...cache.keys()], hasB: cache.has("b"), size: cache.size };`,
  },
  {
    name: "dotenv",
    version: "18.0.10",
    format: "cjs-only",
    features: ["exports-conditions", "node-builtins", "bundled"],
    why: "A minified CommonJS bundle that requires node:fs, node:os and node:path when loaded.",
    deterministic: true,
    determinism: "parse() of a given string; config() (which reads files and process.env) is not called.",
    esm: js`import dotenv from "dotenv";`,
    cjs: js`const dotenv = require("dotenv");`,
    body: js`return { parsed: dotenv.parse("A=1\nB=\"two words\"\n# comment\nC='x' # trailing\nexport D=4\n") };`,
  },
];
