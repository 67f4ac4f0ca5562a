// The default restrictions end to end, through the real SandboxedWorkflowRunner: a table-driven port
// of python-sandbox.md §5.3 item 2 (test_workflow_sandbox_restrictions) with JavaScript defaults.
//
// - Every row of RESTRICTED_RULES gets a must-fail case, generated from its path (PROBE SHAPES below),
//   at run time (run_code.ts evaluates the probe with a direct eval, so it sees the run's globals and
//   the fixture's module namespaces) and at import time (import_time.ts evaluates it at its top level
//   while `prepare` imports it): an "import-and-run" row fails both, a "run-only" row fails at run
//   time and is fine at import time (Python's `_ = os.name` at import). Warning rows report a
//   `nondeterminism-warning` instead and let the call go on. Rows with a `limit` are not enforced:
//   they are listed, and their probe asserts that they still run without a warning, so enforcing one
//   flips its test.
// - Every ALLOWED_RULES row that exists on the runtime gets a must-succeed case with no warning: a
//   call from NEIGHBOUR_CALLS whose result must equal the host's, or else a read whose value must be
//   the host's own (unrestricted paths return the raw value).
// - Customisation (withChildUnrestricted, a union adding a rule), invalidModules, the import
//   notification policy (§5.3 items 10-13), warnings, values with internal slots, sandboxUnrestricted.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { z } from "zod";
import {
  ALLOWED_RULES,
  type AllowedRule,
  CALL,
  discoverWorkflows,
  GLOBAL_ROOT,
  NEW,
  qualifiedName,
  RESTRICTED_RULES,
  RestrictedWorkflowAccessError,
  type RestrictionRule,
  type RulePath,
  SandboxedWorkflowRunner,
  SandboxImportNotificationPolicy as Policy,
  SandboxMatcher,
  SandboxRestrictions,
  type SandboxWarning,
  UnintentionalPassthroughError,
  workflow,
  WorkflowValidationError,
} from "../mod.ts";
// Not part of the public API.
import { isArgumentForm } from "../sandbox/rule_path.ts";
import { NAMESPACE_GLOBALS } from "../sandbox/per_run_global.ts";
import {
  describeOutcome,
  FIXTURE,
  fixtureDefinitions,
  Harness,
  HARNESS_RESTRICTIONS,
  hostModule,
  IMPORT_PROBE_LOCATION,
  moduleSpecifier,
  type Outcome,
  preloadQuietly,
  restrictedError,
  RUN_PROBE_LOCATION,
  runOnHost,
} from "./fixtures/restrictions/_harness.ts";
import { mods as hostMods } from "./fixtures/restrictions/modules.ts";
import { CounterBox } from "./fixtures/restrictions/counter_box.ts";
import { runtimeName } from "../loader/runtime.ts";

const RUNTIME = runtimeName;

// Built-ins that print a deprecation or experimental warning when first loaded (measured on Node 20-26
// and Deno 2): loaded once, muted, before any run reaches them.
preloadQuietly([
  "sys", "punycode", "wasi", "node:sqlite", "node:ffi", "_stream_wrap", "_tls_common", "_tls_wrap",
  "_stream_duplex", "_stream_passthrough", "_stream_readable", "_stream_transform", "_stream_writable",
]);

// ---------------------------------------------------------------------------------------------------
// Host calls that would end or block the test process if a rule failed to apply. They are replaced
// for the duration of this file: a probe that got through reaches a stub that throws, and its test
// fails cleanly instead of killing the runner. Stubs go in before the first runner is created
// (restricted globals are captured per runner).

const LETHAL_PROCESS_MEMBERS = ["exit", "reallyExit", "abort"] as const;
const LETHAL_GLOBALS = ["close", "alert", "confirm", "prompt"] as const;
const restoreStubs: Array<() => void> = [];

function stub(owner: Record<string, unknown>, key: string): void {
  if (typeof owner[key] !== "function") return;
  const original = owner[key];
  const escaped = () => {
    throw new Error(`The restricted host function '${key}' was called: its rule did not apply`);
  };
  try {
    owner[key] = escaped;
  } catch {
    return;
  }
  if (owner[key] === escaped) restoreStubs.push(() => (owner[key] = original));
}

test.before(() => {
  for (const key of LETHAL_PROCESS_MEMBERS) stub(process as unknown as Record<string, unknown>, key);
  for (const key of LETHAL_GLOBALS) stub(globalThis as unknown as Record<string, unknown>, key);
});

test.after(() => {
  for (const restore of restoreStubs.splice(0).reverse()) restore();
});

let sharedHarness: Harness | undefined;
/** The default runner (default restrictions, probe_input.ts passed through), made after the stubs. */
const harness = (): Harness => (sharedHarness ??= new Harness());

// ---------------------------------------------------------------------------------------------------
// PROBE SHAPES: how to reach each rule path from workflow code.

const q = JSON.stringify;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const member = (name: string): string => (IDENTIFIER.test(name) ? `.${name}` : `[${q(name)}]`);

/** Paths whose values are reached through an instance (the rules are on prototype methods). */
const INSTANCES: Readonly<Record<string, string>> = {
  "globalThis.Date.prototype": "new Date(0)",
};

/** The arguments that make a call have an argument form (and nothing else). */
const FORM_ARGUMENTS: Readonly<Record<string, string>> = {
  "(no arguments)": "",
  "(local date fields)": "2024, 0, 1",
  "(string without offset)": q("2024-05-01T10:00"),
  // An explicit time zone, so that only the locale form applies.
  "(default locale)": `undefined, { timeZone: "UTC" }`,
  // An explicit locale, so that only the time zone form applies.
  "(default time zone)": q("en-US"),
  "(no absolute path)": q("a"),
  "(a relative path)": `${q("/a")}, ${q("b")}`,
  "(no absolute win32 path)": q("a"),
  "(a relative win32 path)": `${q("C:\\a")}, ${q("b")}`,
};

/** Calls that need other arguments than their form's (hand-written). */
const ARGUMENT_OVERRIDES: Readonly<Record<string, string>> = {
  "globalThis.Intl.DisplayNames.__new__.(default locale)": `undefined, { type: "region" }`,
  "url.pathToFileURL.__call__.(a relative path)": q("a"),
};

/**
 * Rules whose probe must not run on the host even where the rule does not apply (run-only rows at
 * import time): `reportError()` raises an uncaught error in the host process.
 */
const UNSAFE_AT_IMPORT = new Set(["globalThis.reportError.__call__"]);

/** The member a probe reads below a `use`-restricted value: reading anything below it is the use. */
const BELOW = "length";

/** Names that have their own row (restricted or allowed) below a parent path, by qualified parent. */
const NAMED_BELOW: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const named = new Map<string, Set<string>>();
  for (const { path } of [...RESTRICTED_RULES, ...ALLOWED_RULES]) {
    for (let i = 1; i < path.length; i++) {
      const parent = qualifiedName(path.slice(0, i));
      if (!named.has(parent)) named.set(parent, new Set());
      named.get(parent)!.add(path[i]);
    }
  }
  return named;
})();

/**
 * The member a `"*"` probe uses: a function of the host value without a row of its own, own or
 * inherited (`performance.mark` lives on `Performance.prototype`).
 */
function pickWildcardMember(parent: RulePath, host: object): string | undefined {
  const own = NAMED_BELOW.get(qualifiedName(parent)) ?? new Set();
  const keys = new Set<string>();
  for (let at: object | null = host; at !== null && at !== Object.prototype && at !== Function.prototype;) {
    for (const key of Object.getOwnPropertyNames(at)) keys.add(key);
    at = Object.getPrototypeOf(at);
  }
  const candidates = [...keys]
    .filter((key) => key !== "default" && key !== "constructor" && !own.has(key) && !key.startsWith("_"))
    .sort();
  const read = (key: string) => {
    try {
      return (host as Record<string, unknown>)[key];
    } catch {
      return undefined;
    }
  };
  return candidates.find((key) => typeof read(key) === "function") ??
    candidates.find((key) => typeof read(key) === "object" && read(key) !== null);
}

/** Where a probe starts: a global name, or a module namespace. */
function rootExpression(id: string): { expr: string; host: unknown } | undefined {
  const host = hostModule(id);
  if (host === undefined) return undefined;
  if (id in hostMods) return { expr: `mods[${q(id)}]`, host };
  return { expr: `requireModule(${q(moduleSpecifier(id))})`, host };
}

interface Target {
  /** Code that evaluates to the value at the path. */
  readonly expr: string;
  /** The path with any `"*"` replaced by the member the probe uses. */
  readonly path: RulePath;
  readonly host: unknown;
}

/** Reads a host value with process warnings muted (Node 26 warns when `localStorage` is read unset). */
function readQuietly<T>(read: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return read();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** Resolves `path` (no operation segments) to an expression, or a reason it is absent here. */
function resolveTarget(path: RulePath): Target | string {
  let expr: string;
  let host: unknown;
  let start: number;
  if (path[0] === GLOBAL_ROOT) {
    const name = path[1];
    if (!Object.hasOwn(globalThis, name)) return `globalThis.${name} is absent on ${RUNTIME}`;
    try {
      host = readQuietly(() => (globalThis as Record<string, unknown>)[name]);
    } catch (error) {
      return `reading globalThis.${name} throws on ${RUNTIME} (${(error as Error).message})`;
    }
    // A getter without a value here (Node 26's localStorage without --localstorage-file, Deno's
    // location without --location) is absent for the probe.
    if (host === undefined) return `globalThis.${name} is absent on ${RUNTIME} (it reads as undefined)`;
    expr = name;
    start = 2;
  } else {
    const root = rootExpression(path[0]);
    if (root === undefined) return `module '${path[0]}' is absent on ${RUNTIME}`;
    ({ expr, host } = root);
    start = 1;
  }
  const resolved = [...path.slice(0, start)];
  for (let i = start; i < path.length; i++) {
    let name = path[i];
    if (name === "*") {
      const picked = typeof host === "object" || typeof host === "function"
        ? pickWildcardMember(path.slice(0, i), host as object)
        : undefined;
      if (picked === undefined) return `'${qualifiedName(path.slice(0, i))}' has no member to probe on ${RUNTIME}`;
      name = picked;
    }
    resolved.push(name);
    const instance = INSTANCES[qualifiedName(resolved)];
    const value = host === undefined || host === null ? undefined : (host as Record<string, unknown>)[name];
    if (value === undefined) return `'${qualifiedName(resolved)}' is absent on ${RUNTIME}`;
    expr = instance ?? `${expr}${member(name)}`;
    host = value;
  }
  return { expr, path: resolved, host };
}

interface RestrictedProbe {
  readonly rule: RestrictionRule;
  /** The row's path, qualified: the error's `rule`. */
  readonly ruleName: string;
  /** Statements that hit the rule. */
  readonly code: string;
  /** The exact `qualifiedName` of the error or warning. */
  readonly qualifiedName: string;
  /** For `use` rows: reading the member itself, which must succeed. */
  readonly readCode?: string;
}

/** The probe of one rule, or the reason it cannot run on this runtime. */
function restrictedProbe(rule: RestrictionRule): RestrictedProbe | string {
  const path = rule.path;
  const ruleName = qualifiedName(path);
  const opIndex = path.findIndex((segment) => segment === CALL || segment === NEW);
  const targetPath = opIndex < 0 ? path : path.slice(0, opIndex);
  const target = resolveTarget(targetPath);
  if (typeof target === "string") return target;
  if (rule.kind === "access") {
    return { rule, ruleName, code: `void (${target.expr});`, qualifiedName: ruleName };
  }
  if (rule.kind === "use") {
    return {
      rule,
      ruleName,
      code: `void (${target.expr})${member(BELOW)};`,
      qualifiedName: qualifiedName([...target.path, BELOW]),
      readCode: `void (${target.expr});`,
    };
  }
  const operation = path[opIndex];
  const form = path[opIndex + 1];
  const args = ARGUMENT_OVERRIDES[ruleName] ??
    (form !== undefined && isArgumentForm(form) ? FORM_ARGUMENTS[form] : "");
  if (args === undefined) throw new Error(`No arguments for the form of '${ruleName}': add it to FORM_ARGUMENTS`);
  const code = operation === NEW ? `new (${target.expr})(${args});` : `(${target.expr})(${args});`;
  return { rule, ruleName, code, qualifiedName: ruleName };
}

function assertRestricted(outcome: Outcome, probe: RestrictedProbe, location: string): void {
  const error = restrictedError(outcome);
  assert.ok(error, `'${probe.code}' should throw RestrictedWorkflowAccessError, but it ${describeOutcome(outcome)}`);
  assert.equal(error.qualifiedName, probe.qualifiedName);
  assert.equal(error.rule, probe.ruleName);
  assert.equal(error.code, "WFS_RESTRICTED");
  assert.equal(error.hint, RestrictedWorkflowAccessError.defaultHint({ hint: probe.rule.hint }));
  assert.ok(error.hint.startsWith(probe.rule.hint.replace(/\.$/, "")), error.hint);
  assert.ok(error.message.includes(probe.rule.reason), error.message);
  assert.ok(error.message.endsWith(`. ${error.hint} (WFS_RESTRICTED)`), error.message);
  assert.ok(error.location?.startsWith(location), `location '${error.location}' should start with '${location}'`);
  // Reported even though the workflow failed; once (deduplicated per workflow type and rule).
  const reported = outcome.warnings.filter((w) => w.kind === "restricted-access");
  assert.deepEqual(reported.map((w) => w.rule), [probe.ruleName]);
  assert.ok(reported[0].location?.startsWith(location));
}

function assertWarned(outcome: Outcome, probe: RestrictedProbe, location: string): void {
  assert.ok(outcome.ok, `'${probe.code}' should run with a warning, but it ${describeOutcome(outcome)}`);
  const warned = outcome.warnings.filter((w) => w.kind === "nondeterminism-warning");
  assert.deepEqual(warned.map((w) => w.rule), [probe.ruleName], describeOutcome(outcome));
  assert.ok(warned[0].message.includes(probe.rule.hint), warned[0].message);
  assert.ok(warned[0].location?.startsWith(location), `location '${warned[0].location}' should start with '${location}'`);
  assert.deepEqual(outcome.warnings.filter((w) => w.kind === "restricted-access"), []);
}

function assertUnrestricted(outcome: Outcome, code: string): void {
  assert.equal(restrictedError(outcome), undefined, `'${code}' should not be restricted, but it ${describeOutcome(outcome)}`);
  assert.deepEqual(
    outcome.warnings.filter((w) => w.kind === "restricted-access" || w.kind === "nondeterminism-warning"),
    [],
    `'${code}' should report nothing, but it ${describeOutcome(outcome)}`,
  );
}

/** At import time, only restriction errors matter: a probe's native TypeError (missing arguments) does not. */
const atImport = (code: string): string =>
  `try { ${code} } catch (error) { if (error?.name === "RestrictedWorkflowAccessError") throw error; }`;

const absentRows: Array<{ rule: string; reason: string }> = [];
const limitRows = RESTRICTED_RULES.filter((rule) => rule.limit !== undefined);

for (const rule of RESTRICTED_RULES) {
  if (rule.limit !== undefined) continue;
  const probe = restrictedProbe(rule);
  const name = qualifiedName(rule.path);
  if (typeof probe === "string") {
    absentRows.push({ rule: name, reason: probe });
    continue;
  }
  const warn = rule.kind === "warn";
  test(`${warn ? "must warn" : "must fail"} at run time: ${name} (${probe.code})`, async () => {
    const outcome = await harness().run(probe.code);
    if (warn) assertWarned(outcome, probe, RUN_PROBE_LOCATION);
    else assertRestricted(outcome, probe, RUN_PROBE_LOCATION);
    if (probe.readCode !== undefined) assertUnrestricted(await harness().run(probe.readCode), probe.readCode);
  });
  if (rule.runtime === "import-and-run") {
    test(`${warn ? "must warn" : "must fail"} at import time: ${name}`, async () => {
      const outcome = await harness().runAtImport(atImport(probe.code));
      if (warn) return assertWarned(outcome, probe, IMPORT_PROBE_LOCATION);
      assert.ok(outcome.ok === false && outcome.error instanceof WorkflowValidationError, describeOutcome(outcome));
      assertRestricted(outcome, probe, IMPORT_PROBE_LOCATION);
    });
  } else if (!UNSAFE_AT_IMPORT.has(name)) {
    test(`may run at import time (run-only): ${name}`, async () => {
      assertUnrestricted(await harness().runAtImport(atImport(probe.code)), probe.code);
    });
  }
}

test(`the ${absentRows.length} rows absent on ${RUNTIME} are really absent (no row is skipped silently)`, () => {
  for (const { rule, reason } of absentRows) {
    assert.match(reason, /is absent on|has no member to probe|throws on/, `${rule}: ${reason}`);
  }
  // Sanity: most rows run everywhere.
  const enforced = RESTRICTED_RULES.filter((rule) => rule.limit === undefined).length;
  assert.ok(absentRows.length < enforced / 4, `${absentRows.length} of ${enforced} rows absent on ${RUNTIME}`);
});

test("rows marked not enforced are exactly the primitive-prototype rows", () => {
  assert.deepEqual(limitRows.map((rule) => qualifiedName(rule.path)), [
    "globalThis.String.prototype.localeCompare.__call__",
    "globalThis.String.prototype.toLocaleUpperCase.__call__",
    "globalThis.String.prototype.toLocaleLowerCase.__call__",
    "globalThis.Number.prototype.toLocaleString.__call__",
    "globalThis.BigInt.prototype.toLocaleString.__call__",
    "globalThis.Array.prototype.toLocaleString.__call__",
  ]);
});

/** A primitive or literal of each prototype with a not-enforced row. */
const LIMIT_RECEIVERS: Readonly<Record<string, string>> = {
  "globalThis.String.prototype": `"a"`,
  "globalThis.Number.prototype": "1234.5",
  "globalThis.BigInt.prototype": "12345n",
  "globalThis.Array.prototype": "[1234.5]",
};

for (const rule of limitRows) {
  const name = qualifiedName(rule.path);
  const receiver = LIMIT_RECEIVERS[qualifiedName(rule.path.slice(0, 3))];
  const code = `return (${receiver}).${rule.path[3]}(${rule.path[3] === "localeCompare" ? `"b"` : ""});`;
  test(`not enforced (documented limit, '${rule.limit?.split(":")[0]}'): ${name} still runs without a warning`, async () => {
    const outcome = await harness().run(code);
    assert.ok(outcome.ok, describeOutcome(outcome));
    assert.deepEqual(outcome.warnings, []);
  });
}

// ---------------------------------------------------------------------------------------------------
// Allowed neighbours: must succeed, report nothing, and give the host's result.

const WASM_EMPTY = "new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])";
const SHARED_INTS = "new Int32Array(new SharedArrayBuffer(8))";
const A_DATE = "new Date(Date.UTC(2024, 4, 1, 10, 20, 30, 400))";

/** Calls that exercise an allowed neighbour; the result must deep-equal the host's. */
const NEIGHBOUR_CALLS: Readonly<Record<string, string>> = {
  "globalThis.Date.UTC": "return Date.UTC(2024, 0, 31, 12);",
  "globalThis.Date.__new__.(timestamp)": `return [new Date(0).toISOString(), new Date(1e12).getTime(),
    new Date(new Date(5)).getTime(), new Date("2024-05-01T10:00:00Z").getTime(), new Date("2024-05-01").getTime(),
    new Date("2024-05-01T10:00:00+02:00").getTime(), JSON.stringify({ at: new Date(0) })];`,
  "globalThis.WebAssembly.validate": `return WebAssembly.validate(${WASM_EMPTY});`,
  "globalThis.WebAssembly.Module": `return WebAssembly.Module.exports(new WebAssembly.Module(${WASM_EMPTY}));`,
  "globalThis.WebAssembly.Instance":
    `return Object.keys(new WebAssembly.Instance(new WebAssembly.Module(${WASM_EMPTY})).exports);`,
  "globalThis.Atomics.load": `const a = ${SHARED_INTS}; a[0] = 7; return Atomics.load(a, 0);`,
  "globalThis.Atomics.store": `const a = ${SHARED_INTS}; return [Atomics.store(a, 0, 5), a[0]];`,
  "globalThis.Atomics.add": `const a = ${SHARED_INTS}; a[0] = 1; return [Atomics.add(a, 0, 2), a[0]];`,
  "globalThis.Atomics.notify": `return Atomics.notify(${SHARED_INTS}, 0, 1);`,
  "globalThis.AbortSignal.abort": `return AbortSignal.abort("why").reason;`,
  "globalThis.AbortSignal.any": "return AbortSignal.any([AbortSignal.abort(1)]).aborted;",
  "globalThis.process.nextTick": `return await new Promise((resolve) => process.nextTick(resolve, "ticked"));`,
  "process.nextTick": `return await new Promise((resolve) => mods.process.nextTick(resolve, "ticked"));`,
  "globalThis.queueMicrotask": `return await new Promise((resolve) => queueMicrotask(() => resolve("queued")));`,
  "globalThis.structuredClone":
    "const copy = structuredClone({ when: new Date(0), map: new Map([[1, 2]]) }); return [copy.when.toISOString(), [...copy.map]];",
  "globalThis.Buffer": `return Buffer.from("hi").toString("hex");`,
  "crypto.createHash": `return mods.crypto.createHash("sha256").update("x").digest("hex");`,
  "crypto.createHmac": `return mods.crypto.createHmac("sha256", "k").update("x").digest("hex");`,
  "crypto.hash": `return mods.crypto.hash("sha1", "x");`,
  "crypto.hkdfSync": `return Buffer.from(mods.crypto.hkdfSync("sha256", "key", "salt", "info", 16)).toString("hex");`,
  "crypto.pbkdf2Sync": `return mods.crypto.pbkdf2Sync("p", "s", 1, 16, "sha256").toString("hex");`,
  "crypto.scryptSync": `return mods.crypto.scryptSync("p", "s", 16, { N: 16 }).toString("hex");`,
  "crypto.timingSafeEqual": `return mods.crypto.timingSafeEqual(Buffer.from("a"), Buffer.from("a"));`,
  "crypto.createCipheriv": `const c = mods.crypto.createCipheriv("aes-128-cbc", Buffer.alloc(16, 1), Buffer.alloc(16, 2));
    return Buffer.concat([c.update("x"), c.final()]).toString("hex");`,
  "crypto.createDecipheriv": `const key = Buffer.alloc(16, 1), iv = Buffer.alloc(16, 2);
    const c = mods.crypto.createCipheriv("aes-128-cbc", key, iv);
    const d = mods.crypto.createDecipheriv("aes-128-cbc", key, iv);
    return Buffer.concat([d.update(Buffer.concat([c.update("x"), c.final()])), d.final()]).toString();`,
  "crypto.createSecretKey": "return mods.crypto.createSecretKey(Buffer.alloc(16, 1)).symmetricKeySize;",
  "crypto.getHashes": `return mods.crypto.getHashes().includes("sha256");`,
  "crypto.getCiphers": `return mods.crypto.getCiphers().includes("aes-128-cbc");`,
  "path.join": `return mods.path.join("a", "..", "b", "c");`,
  "path.normalize": `return mods.path.normalize("/a//b/../c");`,
  "path.isAbsolute": `return [mods.path.isAbsolute("/a"), mods.path.isAbsolute("a")];`,
  "path.dirname": `return mods.path.dirname("/a/b/c.txt");`,
  "path.basename": `return mods.path.basename("/a/b/c.txt", ".txt");`,
  "path.extname": `return mods.path.extname("/a/b/c.txt");`,
  "path.format": `return mods.path.format({ dir: "/a", base: "b.txt" });`,
  "path.parse": `return mods.path.parse("/a/b.txt");`,
  "async_hooks.AsyncLocalStorage": `const als = new mods.async_hooks.AsyncLocalStorage();
    return await als.run("store", async () => { await null; return als.getStore(); });`,
  "async_hooks.AsyncResource": `return new mods.async_hooks.AsyncResource("probe").runInAsyncScope(() => "ran");`,
  "module.isBuiltin": `return [mods.module.isBuiltin("node:fs"), mods.module.isBuiltin("zod")];`,
  "module.builtinModules": `return mods.module.builtinModules.includes("fs");`,
  "v8.serialize": "return mods.v8.deserialize(mods.v8.serialize({ a: [1, 2] }));",
  "v8.deserialize": "return mods.v8.deserialize(mods.v8.serialize(new Map([[1, 2]])));",
  "http.STATUS_CODES": "return mods.http.STATUS_CODES[404];",
  "http.METHODS": `return mods.http.METHODS.includes("GET");`,
  "zlib.gzipSync": `return mods.zlib.gunzipSync(mods.zlib.gzipSync("x")).toString();`,
  "zlib.deflateSync": `return mods.zlib.inflateSync(mods.zlib.deflateSync("x")).toString();`,
  "zlib.deflateRawSync": `return mods.zlib.inflateRawSync(mods.zlib.deflateRawSync("x")).toString();`,
  "zlib.unzipSync": `return mods.zlib.unzipSync(mods.zlib.gzipSync("x")).toString();`,
  "zlib.brotliCompressSync": `return mods.zlib.brotliDecompressSync(mods.zlib.brotliCompressSync("x")).toString();`,
  "zlib.crc32": `return mods.zlib.crc32("x");`,
  "assert": `mods.assert.ok(true); return "ok";`,
  "assert/strict": `mods["assert/strict"].deepEqual({ a: 1 }, { a: 1 }); return "ok";`,
  "buffer": `return mods.buffer.Buffer.byteLength("hé");`,
  "diagnostics_channel": `return mods.diagnostics_channel.channel("probe").hasSubscribers;`,
  "events": `const e = new mods.events.EventEmitter(); let seen; e.on("x", (v) => (seen = v)); e.emit("x", 1); return seen;`,
  "punycode": `return requireModule("punycode").toASCII("mañana.com");`,
  "querystring": "return mods.querystring.stringify({ a: 1, b: [2, 3] });",
  "stream": `return await mods.stream.Readable.from(["a", "b"]).toArray();`,
  "stream/consumers": `return await mods["stream/consumers"].text(mods.stream.Readable.from(["a", "b"]));`,
  "stream/promises": `const chunks = []; await mods["stream/promises"].pipeline(mods.stream.Readable.from(["a"]),
    new mods.stream.Writable({ write(chunk, _, done) { chunks.push(String(chunk)); done(); } })); return chunks;`,
  "stream/web": `const reader = new mods["stream/web"].ReadableStream({ start(c) { c.enqueue("a"); c.close(); } }).getReader();
    return (await reader.read()).value;`,
  "string_decoder": `return new mods.string_decoder.StringDecoder("utf8").write(Buffer.from("hé"));`,
  "url": `return new mods.url.URL("https://a.example/b?c=1").searchParams.get("c");`,
  "util": `return mods.util.format("%s=%d", "a", 1);`,
  "sys": `return requireModule("sys").format("%s", "b");`,
  "util/types": "return [mods[\"util/types\"].isDate(new Date(0)), mods[\"util/types\"].isMap(new Map())];",
  "path/posix": `return mods["path/posix"].join("a", "b");`,
  "path/win32": `return mods["path/win32"].join("a", "b");`,
  "crypto": `return mods.crypto.createHash("md5").update("").digest("hex");`,
  "zlib": `return mods.zlib.inflateSync(mods.zlib.deflateSync("z")).toString();`,
};

/** Whether a default rule applies below `path`: then the run's value is a restricted proxy or copy. */
const hasRulesBelow = (path: RulePath): boolean =>
  RESTRICTED_RULES.some((rule) =>
    rule.limit === undefined && rule.path.length > path.length && path.every((segment, i) => rule.path[i] === segment)
  );

/** Allowed reads whose value is the run's own, not the host's (aliases of the run's global object). */
const RUN_OWN_VALUES = new Set(["globalThis.globalThis", "globalThis.global", "globalThis.self"]);

interface AllowedProbe {
  readonly code: string;
  /** Compare by identity (a read of a host function or object) rather than by value. */
  readonly identity: boolean;
}

function allowedProbe(entry: AllowedRule): AllowedProbe | string {
  const name = qualifiedName(entry.path);
  const call = NEIGHBOUR_CALLS[name];
  if (entry.path.length === 1) {
    // A whole module allowed on purpose.
    const root = rootExpression(entry.path[0]);
    if (root === undefined) return `module '${entry.path[0]}' is absent on ${RUNTIME}`;
    return { code: call ?? `return Object.keys(${root.expr}).sort();`, identity: false };
  }
  const opIndex = entry.path.findIndex((segment) => segment === CALL || segment === NEW);
  const target = resolveTarget(opIndex < 0 ? entry.path : entry.path.slice(0, opIndex));
  if (typeof target === "string") return target;
  if (call !== undefined) return { code: call, identity: false };
  if (qualifiedName(entry.path.slice(0, 3)) === "globalThis.Date.prototype") {
    const args = entry.path[3].startsWith("set") ? "1" : "";
    return { code: `return ${A_DATE}.${entry.path[3]}(${args});`, identity: false };
  }
  const hostValue = target.host;
  // A namespace global (JSON, Reflect, console) is the run's own copy, or a view that refuses
  // writes: the same members, never the host's object (per_run_global.ts).
  if (entry.path.length === 2 && entry.path[0] === GLOBAL_ROOT && NAMESPACE_GLOBALS.has(entry.path[1])) {
    return { code: `return Reflect.ownKeys(${target.expr}).map(String).sort();`, identity: false };
  }
  const byIdentity = (typeof hostValue === "function" || typeof hostValue === "object") && hostValue !== null &&
    !RUN_OWN_VALUES.has(name) && !hasRulesBelow(entry.path);
  return { code: byIdentity ? `return ${target.expr};` : `return typeof (${target.expr});`, identity: byIdentity };
}

const absentAllowed: string[] = [];
for (const entry of ALLOWED_RULES) {
  const name = qualifiedName(entry.path);
  const probe = allowedProbe(entry);
  if (typeof probe === "string") {
    absentAllowed.push(`${name}: ${probe}`);
    continue;
  }
  test(`must succeed (allowed: ${entry.reason.split(",")[0]}): ${name}`, async () => {
    const outcome = await harness().run(probe.code);
    assertUnrestricted(outcome, probe.code);
    assert.ok(outcome.ok, `'${probe.code}' ${describeOutcome(outcome)}`);
    const expected = await runOnHost(probe.code);
    if (probe.identity) assert.ok(outcome.value === expected, `${name} should be the host's own value`);
    else assert.deepEqual(outcome.value, expected);
  });
}

test(`the ${absentAllowed.length} allowed rows absent on ${RUNTIME} are really absent`, () => {
  for (const line of absentAllowed) assert.match(line, /is absent on/, line);
});

// ---------------------------------------------------------------------------------------------------
// Import forms of one member: every form reaches the same rule path (rule_path.ts).

test("every import form of fs.readFileSync reaches the rule 'fs.*' with the same qualified name", async () => {
  const forms = {
    namespace: "void mods.fs.readFileSync.length;",
    default: "void mods.fs.default.readFileSync.length;",
    named: "void named.readFileSync.length;",
    dynamic: `void (await importModule("node:" + "fs")).readFileSync.length;`,
    dynamicDefault: `void (await importModule("fs")).default.readFileSync.length;`,
    require: `void requireModule("fs").readFileSync.length;`,
  };
  for (const [form, code] of Object.entries(forms)) {
    const error = restrictedError(await harness().run(code));
    assert.ok(error, form);
    assert.equal(error.qualifiedName, "fs.readFileSync.length", form);
    assert.equal(error.rule, "fs.*", form);
  }
});

// ---------------------------------------------------------------------------------------------------
// Python's must-succeed list, with JavaScript names.

test("deterministic neighbours of restricted calls succeed (Python's must-succeed list)", async () => {
  const cases: Record<string, string> = {
    "reading a run-only module member": "return typeof mods.os.hostname;", // _ = os.getcwd
    "reading a restricted call": "return typeof Date.now;", // _ = glob.glob
    "a fixed date": "return new Date(Date.UTC(2001, 0, 1)).toISOString();", // datetime.date(2001, 1, 1)
    "a name-based UUID": `return mods.crypto.createHash("sha1").update("example.com").digest("hex").slice(0, 32);`,
    "importing a restricted module": `return typeof (await importModule("node:child_process")).spawn;`,
    "the date difference": "return (Date.UTC(2010, 0, 20) - Date.UTC(2010, 0, 1)) / 864e5;", // (date - date).days
  };
  for (const [what, code] of Object.entries(cases)) {
    const outcome = await harness().run(code);
    assertUnrestricted(outcome, code);
    assert.ok(outcome.ok, `${what}: ${describeOutcome(outcome)}`);
    assert.deepEqual(outcome.value, await runOnHost(code), what);
  }
});

test("a restricted call inside sandboxUnrestricted succeeds and reports nothing (Python: random.choice)", async () => {
  const outcome = await harness().run(
    "return workflow.unsafe.sandboxUnrestricted(() => [typeof Math.random(), workflow.unsafe.isSandboxUnrestricted()]);",
  );
  assert.ok(outcome.ok, describeOutcome(outcome));
  assert.deepEqual(outcome.value, ["number", true]);
  assert.deepEqual(outcome.warnings, []);
});

test("importing a module that reads the clock at import time fails, and works inside sandboxUnrestricted", async () => {
  const failing = await harness().runAtImport("const started = Date.now();");
  const error = restrictedError(failing);
  assert.ok(error && failing.ok === false && failing.error instanceof WorkflowValidationError, describeOutcome(failing));
  assert.equal(error.qualifiedName, "globalThis.Date.now.__call__");
  assert.ok(error.location?.startsWith(IMPORT_PROBE_LOCATION), `location '${error.location}'`);
  assert.ok(failing.error.message.startsWith(`Failed validating workflow "importTime#`), failing.error.message);
  const unrestricted = await harness().runAtImport("workflow.unsafe.sandboxUnrestricted(() => Date.now());");
  assert.ok(unrestricted.ok, describeOutcome(unrestricted));
});

// ---------------------------------------------------------------------------------------------------
// Customisation (Python: with_child_unrestricted, `default | SandboxMatcher(...)`).

test("withChildUnrestricted('globalThis', 'Date', 'now') re-allows Date.now() and nothing else", async () => {
  const custom = new Harness(HARNESS_RESTRICTIONS.with({
    invalidModuleMembers: SandboxRestrictions.invalidModuleMembersDefault.withChildUnrestricted("globalThis", "Date", "now"),
  }));
  const now = await custom.run("return Date.now();");
  assert.ok(now.ok, describeOutcome(now));
  assert.equal(typeof now.value, "number");
  assert.deepEqual(now.warnings, []);
  const newDate = restrictedError(await custom.run("return new Date();"));
  assert.equal(newDate?.qualifiedName, "globalThis.Date.__new__.(no arguments)");
  assert.equal(restrictedError(await custom.run("return Math.random();"))?.qualifiedName, "globalThis.Math.random.__call__");
});

test("a union that adds a rule on path.join makes a passing call fail", async () => {
  const code = `return mods.path.join("a", "b");`;
  const passing = await harness().run(code);
  assert.ok(passing.ok && passing.value === await runOnHost(code), describeOutcome(passing));
  const extra = SandboxMatcher.nestedChild(["path"], new SandboxMatcher({ use: ["join"] }));
  const custom = new Harness(HARNESS_RESTRICTIONS.with({
    invalidModuleMembers: SandboxMatcher.union(SandboxRestrictions.invalidModuleMembersDefault, extra),
  }));
  const outcome = await custom.run(code);
  const error = restrictedError(outcome);
  assert.ok(error, describeOutcome(outcome));
  assert.equal(error.qualifiedName, "path.join.__call__");
  assert.equal(error.rule, "path.join");
  assert.ok(error.location?.startsWith(RUN_PROBE_LOCATION));
  // The union keeps the default rules and the default's allowed neighbours.
  assert.equal(restrictedError(await custom.run(`return mods.path.resolve("a");`))?.qualifiedName, "path.resolve.__call__.(no absolute path)");
  const normalize = await custom.run(`return mods.path.normalize("a//b");`);
  assert.ok(normalize.ok, describeOutcome(normalize));
});

test("a union adding a rule on the Date constructor makes new Date(2001, 0, 1) fail (Python's datetime.date case)", async () => {
  const extra = SandboxMatcher.nestedChild(["globalThis", "Date", "__new__"], SandboxMatcher.all);
  const custom = new Harness(HARNESS_RESTRICTIONS.with({
    invalidModuleMembers: SandboxMatcher.union(SandboxRestrictions.invalidModuleMembersDefault, extra),
  }));
  const error = restrictedError(await custom.run("return new Date(Date.UTC(2001, 0, 1));"));
  assert.equal(error?.qualifiedName, "globalThis.Date.__new__");
  const utc = await custom.run("return Date.UTC(2001, 0, 1);");
  assert.ok(utc.ok, describeOutcome(utc));
});

test("invalidModules rejects an import outright: statically at prepare, dynamically at run time", async () => {
  const custom = new Harness(HARNESS_RESTRICTIONS.with({ invalidModules: new SandboxMatcher({ access: ["vm"] }) }));
  const failed = await custom.run("return 1;").catch((error: unknown) => ({ ok: false as const, error, warnings: [] }));
  // modules.ts imports node:vm statically, so the workflow cannot even be prepared.
  assert.ok(failed.ok === false && failed.error instanceof WorkflowValidationError, describeOutcome(failed as Outcome));
  const cause = failed.error.cause as RestrictedWorkflowAccessError;
  assert.ok(RestrictedWorkflowAccessError.is(cause), String(cause));
  assert.equal(cause.qualifiedName, "vm");
  assert.equal(cause.rule, "invalidModules.vm");
  assert.equal(cause.code, "WFS_RESTRICTED");
  assert.match(cause.message, /^Cannot access 'vm' from workflow code( at '[^']+')?: restricted by rule 'invalidModules\.vm'\. Do this in an activity\. .* \(WFS_RESTRICTED\)$/);
  assert.equal(failed.error.code, "WFS_VALIDATION");
  assert.ok(failed.error.message.endsWith(`. ${WorkflowValidationError.HINT} (WFS_VALIDATION)`), failed.error.message);
  // A module imported only dynamically: the run fails when it asks for it.
  const lazy = new Harness(HARNESS_RESTRICTIONS.with({ invalidModules: new SandboxMatcher({ access: ["node:sqlite", "zod"] }) }));
  const outcome = await lazy.run(`return await importModule("zod");`);
  const error = restrictedError(outcome);
  assert.equal(error?.qualifiedName, "zod", describeOutcome(outcome));
  assert.equal(error?.rule, "invalidModules.zod");
  const allowed = await lazy.run(`return typeof (await importModule("node:events")).once;`);
  assert.deepEqual(allowed.ok && allowed.value, "function");
});

// ---------------------------------------------------------------------------------------------------
// Import notification policy (python-sandbox.md §5.3 items 10-13, adapted).

function policyHarness(policy: number): Harness {
  return new Harness(HARNESS_RESTRICTIONS.withImportNotificationPolicy(policy));
}

const importWarnings = (warnings: readonly SandboxWarning[]) =>
  warnings.filter((w) => w.kind === "dynamic-import" || w.kind === "unintentional-passthrough");

test("the default policy warns once per workflow type on a dynamic import after load", async () => {
  const probe = new Harness();
  const { name, instance } = await probe.instance();
  const code = `return (await importModule("./lazy.ts")).lazyValue;`;
  for (let i = 0; i < 2; i++) {
    const outcome = await probe.runIn(instance, name, code);
    assert.ok(outcome.ok && outcome.value === "lazy", describeOutcome(outcome));
  }
  // A second run of the same workflow type: the warning is not repeated.
  const again = await probe.runIn(await probe.runner.createInstance({ definition: { ...(await fixtureDefinitions()).runCode, name } }), name, code);
  assert.ok(again.ok, describeOutcome(again));
  const warned = importWarnings(probe.warnings.filter((w) => w.workflow === name));
  assert.deepEqual(warned.map((w) => [w.kind, w.rule]), [["dynamic-import", FIXTURE.lazyUrl]]);
  assert.match(warned[0].message, /^Module \S*lazy\.ts was imported after initial workflow load\.$/);
  // A built-in is passed through: importing it late is not worth a warning.
  const builtin = await probe.run(`return typeof (await importModule("node:events")).once;`);
  assert.deepEqual(importWarnings(builtin.warnings), []);
});

test("RAISE_ON_UNINTENTIONAL_PASSTHROUGH raises for a third-party package instantiated per run", async () => {
  const probe = policyHarness(Policy.WARN_ON_DYNAMIC_IMPORT | Policy.RAISE_ON_UNINTENTIONAL_PASSTHROUGH);
  const outcome = await probe.run(`return typeof (await importModule("zod")).z;`);
  assert.ok(outcome.ok === false && UnintentionalPassthroughError.is(outcome.error), describeOutcome(outcome));
  assert.equal(
    (outcome.error as Error).message,
    "Module zod was not intentionally passed through to the sandbox. Pass it through " +
      "(SandboxRestrictions.withPassthroughModules) or import it inside workflow.unsafe.importsPassedThrough(), " +
      "or choose another import notification policy (WFS_UNINTENTIONAL_PASSTHROUGH)",
  );
  assert.equal((outcome.error as UnintentionalPassthroughError).qualifiedName, "zod");
  assert.equal((outcome.error as UnintentionalPassthroughError).code, "WFS_UNINTENTIONAL_PASSTHROUGH");
  assert.equal((outcome.error as UnintentionalPassthroughError).hint, UnintentionalPassthroughError.HINT);
  // Passed through on purpose, the same import is fine.
  const intended = new Harness(
    HARNESS_RESTRICTIONS.withPassthroughModules("zod")
      .withImportNotificationPolicy(Policy.WARN_ON_DYNAMIC_IMPORT | Policy.RAISE_ON_UNINTENTIONAL_PASSTHROUGH),
  );
  const ok = await intended.run(`return typeof (await importModule("zod")).z;`);
  assert.ok(ok.ok && ok.value === "object", describeOutcome(ok));
  assert.deepEqual(importWarnings(ok.warnings), []);
});

test("WARN_ON_UNINTENTIONAL_PASSTHROUGH warns once for the package, beside the dynamic-import warning", async () => {
  const probe = policyHarness(Policy.WARN_ON_DYNAMIC_IMPORT | Policy.WARN_ON_UNINTENTIONAL_PASSTHROUGH);
  const outcome = await probe.run(`return typeof (await importModule("zod")).z;`);
  assert.ok(outcome.ok && outcome.value === "object", describeOutcome(outcome));
  const warned = importWarnings(outcome.warnings);
  assert.deepEqual(
    warned.filter((w) => w.kind === "unintentional-passthrough").map((w) => w.message),
    ["Module zod was not intentionally passed through to the sandbox."],
  );
  assert.equal(warned.filter((w) => w.kind === "dynamic-import").length >= 1, true);
});

test("SILENT gives zero warnings for a lazy import and a per-run package", async () => {
  const probe = policyHarness(Policy.SILENT);
  const outcome = await probe.run(
    `return [(await importModule("./lazy.ts")).lazyValue, typeof (await importModule("zod")).z];`,
  );
  assert.ok(outcome.ok, describeOutcome(outcome));
  assert.deepEqual(outcome.value, ["lazy", "object"]);
  assert.deepEqual(outcome.warnings, []);
});

// ---------------------------------------------------------------------------------------------------
// Warnings: deduplicated per workflow type and rule; a caught restricted call is still reported.

test("a caught restricted call is still reported, once per workflow type and rule", async () => {
  const probe = new Harness();
  const { name, instance } = await probe.instance();
  const code = `const seen = [];
    for (let i = 0; i < 3; i++) {
      try { Date.now(); } catch (error) { seen.push(error.qualifiedName); }
    }
    try { Math.random(); } catch (error) { seen.push(error.qualifiedName); }
    return seen;`;
  const first = await probe.runIn(instance, name, code);
  assert.ok(first.ok, describeOutcome(first));
  assert.deepEqual(first.value, [
    "globalThis.Date.now.__call__", "globalThis.Date.now.__call__", "globalThis.Date.now.__call__",
    "globalThis.Math.random.__call__",
  ]);
  const second = await probe.runIn(instance, name, code);
  assert.ok(second.ok, describeOutcome(second));
  const reported = probe.warnings.filter((w) => w.workflow === name);
  assert.deepEqual(reported.map((w) => [w.kind, w.rule]), [
    ["restricted-access", "globalThis.Date.now.__call__"],
    ["restricted-access", "globalThis.Math.random.__call__"],
  ]);
  for (const warning of reported) {
    assert.ok(warning.location?.startsWith(RUN_PROBE_LOCATION), `location '${warning.location}'`);
  }
  assert.ok(reported[0].message.includes("Use workflow.now() instead"), reported[0].message);
  // Another workflow type reports the same rule again.
  const other = await probe.run("try { Date.now(); } catch {} return 1;");
  assert.deepEqual(other.warnings.map((w) => w.rule), ["globalThis.Date.now.__call__"]);
});

test("a warning rule reports once per workflow type even when hit with different arguments", async () => {
  const probe = new Harness();
  const { name, instance } = await probe.instance();
  const outcome = await probe.runIn(instance, name,
    "return [new Date(2024, 0, 1).getTime(), new Date(2025, 5, 6).getTime(), new Date(0).getHours()];");
  assert.ok(outcome.ok, describeOutcome(outcome));
  assert.deepEqual(outcome.warnings.map((w) => [w.kind, w.rule]), [
    ["nondeterminism-warning", "globalThis.Date.__new__.(local date fields)"],
    ["nondeterminism-warning", "globalThis.Date.prototype.getHours.__call__"],
  ]);
});

// ---------------------------------------------------------------------------------------------------
// Values with internal slots or private fields cross the boundary and keep working on both sides.

test("host values with internal slots work inside the workflow", async () => {
  const input = {
    date: new Date(Date.UTC(2024, 1, 29)),
    map: new Map([["a", 1]]),
    set: new Set([1, 2]),
    promise: Promise.resolve("resolved"),
    bytes: new Uint8Array([1, 2, 3]),
    format: new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 }),
    dates: new Intl.DateTimeFormat("en-US", { timeZone: "UTC", dateStyle: "medium" }),
    box: new CounterBox(41),
    buffer: Buffer.from("host"),
  };
  const outcome = await harness().run(`
    const { date, map, set, promise, bytes, format, dates, box, buffer } = input;
    return {
      iso: date.toISOString(), json: JSON.stringify({ date }), isDate: date instanceof Date,
      clone: structuredClone(date).getTime(), utc: date.getUTCDate(),
      map: map.get("a"), size: set.size, awaited: await promise, sum: bytes.reduce((a, b) => a + b, 0),
      sub: [...bytes.subarray(1)], formatted: format.format(1234.56), day: dates.format(date),
      counted: box.increment(), isBox: CounterBox.isBox(box), buffer: buffer.toString("hex"),
      isBuffer: Buffer.isBuffer(buffer),
    };`, input);
  assert.ok(outcome.ok, describeOutcome(outcome));
  assert.deepEqual(outcome.value, {
    iso: "2024-02-29T00:00:00.000Z", json: `{"date":"2024-02-29T00:00:00.000Z"}`, isDate: true,
    clone: Date.UTC(2024, 1, 29), utc: 29, map: 1, size: 2, awaited: "resolved", sum: 6, sub: [2, 3],
    formatted: "1,234.6", day: "Feb 29, 2024", counted: 42,
    // CounterBox is instantiated per run: the run's class does not brand the host's instance.
    isBox: false,
    buffer: Buffer.from("host").toString("hex"), isBuffer: true,
  });
  assert.deepEqual(outcome.warnings, []);
});

test("values made in the workflow work on the host: Date, Map, Promise, Uint8Array, Intl, #private, Buffer", async () => {
  const outcome = await harness().run(`
    const box = new CounterBox(1);
    box.increment();
    return {
      date: new Date(Date.UTC(2020, 0, 2)), map: new Map([[1, "one"]]), set: new Set(["x"]),
      promise: Promise.resolve(7), bytes: new Uint8Array([9, 8]), view: new DataView(new ArrayBuffer(2)),
      format: new Intl.NumberFormat("de-DE"), box, boxClass: CounterBox, buffer: Buffer.from("run"),
      regexp: /a+/g, error: new TypeError("boom"),
    };`);
  assert.ok(outcome.ok, describeOutcome(outcome));
  const value = outcome.value as Record<string, any>;
  assert.ok(value.date instanceof Date);
  assert.equal(value.date.toISOString(), "2020-01-02T00:00:00.000Z");
  assert.equal(Date.prototype.getTime.call(value.date), Date.UTC(2020, 0, 2));
  assert.equal(JSON.stringify(value.date), `"2020-01-02T00:00:00.000Z"`);
  assert.equal(structuredClone(value.date).getTime(), Date.UTC(2020, 0, 2));
  assert.equal(Map.prototype.get.call(value.map, 1), "one");
  assert.deepEqual(structuredClone(value.map), new Map([[1, "one"]]));
  assert.ok(value.set instanceof Set && value.set.has("x"));
  assert.equal(await value.promise, 7);
  assert.ok(value.bytes instanceof Uint8Array);
  assert.deepEqual([...value.bytes], [9, 8]);
  assert.equal(value.view.getInt16(0), 0);
  assert.equal(value.format.format(1234.5), "1.234,5");
  assert.equal(Intl.NumberFormat.prototype.resolvedOptions.call(value.format).locale, "de-DE");
  assert.equal(value.box.increment(), 3);
  assert.equal(value.boxClass.isBox(value.box), true);
  assert.equal(CounterBox.isBox(value.box), false); // the host's class is another class
  assert.ok(Buffer.isBuffer(value.buffer));
  assert.equal(value.buffer.toString(), "run");
  assert.equal(value.regexp.test("aa"), true);
  assert.ok(value.error instanceof TypeError);
  assert.deepEqual(outcome.warnings, []);
});

test("zod z.date() parses dates across the boundary, per run and passed through", async () => {
  const code = `const { z } = await importModule("zod");
    const schema = z.object({ at: z.date(), tags: z.map(z.string(), z.number()) });
    const parsed = schema.parse({ at: input, tags: new Map([["a", 1]]) });
    const own = z.date().parse(new Date(0));
    return { at: parsed.at, own, rejects: z.date().safeParse("2020-01-01").success };`;
  const input = new Date(Date.UTC(2023, 6, 1));
  for (const probe of [
    policyHarness(Policy.SILENT), // zod instantiated per run
    new Harness(HARNESS_RESTRICTIONS.withPassthroughModules("zod")), // the host's zod
  ]) {
    const outcome = await probe.run(code, input);
    assert.ok(outcome.ok, describeOutcome(outcome));
    const value = outcome.value as { at: Date; own: Date; rejects: boolean };
    assert.equal(value.at, input);
    assert.equal(value.own.getTime(), 0);
    assert.equal(value.rejects, false);
    assert.deepEqual(outcome.warnings, []);
  }
  // The host's own zod accepts a date the workflow made.
  const made = await harness().run("return new Date(Date.UTC(1999, 11, 31));");
  assert.ok(made.ok);
  assert.equal(z.date().parse(made.value).toISOString(), "1999-12-31T00:00:00.000Z");
});

test("a restricted Date keeps instanceof, subclassing and its statics", async () => {
  const outcome = await harness().run(`
    class Stamp extends Date { label() { return "stamp:" + this.toISOString(); } }
    const stamp = new Stamp(0);
    return [stamp instanceof Date, stamp instanceof Stamp, stamp.label(), Date.UTC(1970, 0, 2),
      Object.prototype.toString.call(new Date(0)), typeof Date.parse("2024-01-01T00:00:00Z")];`);
  assert.ok(outcome.ok, describeOutcome(outcome));
  assert.deepEqual(outcome.value, [true, true, "stamp:1970-01-01T00:00:00.000Z", 86400000, "[object Date]", "number"]);
  assert.deepEqual(outcome.warnings, []);
});

// ---------------------------------------------------------------------------------------------------
// sandboxUnrestricted: sync and async callbacks, and its scope never reaching another run.

test("sandboxUnrestricted runs a sync callback unrestricted and restores the restrictions after it", async () => {
  const outcome = await harness().run(`
    const inside = workflow.unsafe.sandboxUnrestricted(() => [typeof Date.now(), workflow.unsafe.isSandboxUnrestricted()]);
    let after;
    try { Date.now(); after = "escaped"; } catch (error) { after = error.qualifiedName; }
    return [inside, workflow.unsafe.isSandboxUnrestricted(), after];`);
  assert.ok(outcome.ok, describeOutcome(outcome));
  assert.deepEqual(outcome.value, [["number", true], false, "globalThis.Date.now.__call__"]);
});

test("sandboxUnrestricted covers an async callback's continuations within its own run's activations", async () => {
  const outcome = await harness().run(`
    const result = await workflow.unsafe.sandboxUnrestricted(async () => {
      await null;
      const first = [typeof Date.now(), workflow.unsafe.isSandboxUnrestricted()];
      await Promise.resolve();
      const second = await new Promise((resolve) => queueMicrotask(() => resolve(typeof Math.random())));
      return [first, second];
    });
    let after;
    try { Date.now(); after = "escaped"; } catch (error) { after = error.qualifiedName; }
    return [result, workflow.unsafe.isSandboxUnrestricted(), after];`);
  assert.ok(outcome.ok, describeOutcome(outcome));
  assert.deepEqual(outcome.value, [[["number", true], "number"], false, "globalThis.Date.now.__call__"]);
  // Only the call after the callback is reported.
  assert.deepEqual(outcome.warnings.map((w) => w.rule), ["globalThis.Date.now.__call__"]);
});

test("a second run stays restricted while the first awaits inside sandboxUnrestricted, even interleaved at microtask level", async () => {
  // How the runs interleave. Activations are exclusive (activation_queue.ts), so the first run's
  // callback is left awaiting a host promise (`gate`) when its activation ends. The second run then
  // activates twice: once while the first only waits, and once where its own job resolves `gate`.
  // From that point the first run's continuation (inside sandboxUnrestricted) and the second run's
  // continuations run as microtasks of the same activation, alternating; `log` records the order, so
  // the interleaving is asserted, not assumed. Finally the first run resolves a second gate in its
  // own activation: continuations in the callback's own run are unrestricted there (the documented
  // scope: "while they run in this same run's activation").
  const probe = new Harness();
  const log: string[] = [];
  const deferred = () => {
    let resolve!: (value?: unknown) => void;
    const promise = new Promise((done) => (resolve = done));
    return { promise, resolve };
  };
  const gate = deferred();
  const ownGate = deferred();
  const input = { log: (entry: string) => log.push(entry), gate, ownGate };
  const probeNow = `(() => { try { return typeof Date.now(); } catch (error) { return error.qualifiedName; } })()`;
  const first = await probe.instance();
  const second = await probe.instance();

  const firstStarted = await probe.runIn(first.instance, first.name, `
    globalThis.pending = workflow.unsafe.sandboxUnrestricted(async () => {
      input.log("first:entered unrestricted=" + workflow.unsafe.isSandboxUnrestricted() + " now=" + ${probeNow});
      await input.gate.promise;
      input.log("first:resumed in second's activation unrestricted=" + workflow.unsafe.isSandboxUnrestricted() + " now=" + ${probeNow});
      await input.ownGate.promise;
      input.log("first:resumed in own activation unrestricted=" + workflow.unsafe.isSandboxUnrestricted() + " now=" + ${probeNow});
    });
    return "waiting";`, input);
  assert.ok(firstStarted.ok, describeOutcome(firstStarted));

  const secondWhileWaiting = await probe.runIn(second.instance, second.name, `
    input.log("second:while first waits unrestricted=" + workflow.unsafe.isSandboxUnrestricted() + " now=" + ${probeNow});`, input);
  assert.ok(secondWhileWaiting.ok, describeOutcome(secondWhileWaiting));

  const secondInterleaved = await probe.runIn(second.instance, second.name, `
    input.log("second:before resolving now=" + ${probeNow});
    input.gate.resolve();
    for (let i = 0; i < 3; i++) {
      await null;
      input.log("second:tick " + i + " unrestricted=" + workflow.unsafe.isSandboxUnrestricted() + " now=" + ${probeNow});
    }`, input);
  assert.ok(secondInterleaved.ok, describeOutcome(secondInterleaved));

  const firstFinished = await probe.runIn(first.instance, first.name, `
    input.ownGate.resolve();
    await globalThis.pending;
    input.log("first:after callback unrestricted=" + workflow.unsafe.isSandboxUnrestricted() + " now=" + ${probeNow});`, input);
  assert.ok(firstFinished.ok, describeOutcome(firstFinished));

  const restricted = "now=globalThis.Date.now.__call__";
  assert.deepEqual(log.slice(0, 3), [
    "first:entered unrestricted=true now=number",
    `second:while first waits unrestricted=false ${restricted}`,
    `second:before resolving ${restricted}`,
  ]);
  // The second run's interleaved activation: its own microtasks and the first run's continuation,
  // in an engine-dependent order, with the first run's continuation before the second's last
  // microtask. The second run is current, so the callback's scope does not apply to either.
  const interleaved = log.slice(3, 7);
  assert.deepEqual([...interleaved].sort(), [
    `first:resumed in second's activation unrestricted=false ${restricted}`,
    `second:tick 0 unrestricted=false ${restricted}`,
    `second:tick 1 unrestricted=false ${restricted}`,
    `second:tick 2 unrestricted=false ${restricted}`,
  ]);
  assert.ok(interleaved.indexOf(`second:tick 2 unrestricted=false ${restricted}`) === 3, interleaved.join("\n"));
  assert.deepEqual(log.slice(7), [
    "first:resumed in own activation unrestricted=true now=number",
    `first:after callback unrestricted=false ${restricted}`,
  ]);
});

test("sandboxUnrestricted on the host just runs the callback", () => {
  assert.equal(workflow.unsafe.sandboxUnrestricted(() => 5), 5);
  assert.equal(workflow.unsafe.isSandboxUnrestricted(), false);
});

// ---------------------------------------------------------------------------------------------------
// Run-only rules at import time (Python: `_ = os.name` at import is allowed).

test("a run-only rule does not apply while modules are imported, and applies in the same workflow at run time", async () => {
  const code = "void process.env.HOME; void mods.os.platform(); void mods.fs.existsSync;";
  const imported = await harness().runAtImport(code);
  assert.ok(imported.ok, describeOutcome(imported));
  assert.deepEqual(imported.warnings, []);
  const ran = restrictedError(await harness().run(code));
  assert.equal(ran?.qualifiedName, "globalThis.process.env.HOME");
});

// ---------------------------------------------------------------------------------------------------
// Core bugs found by this suite: each test asserts the correct behaviour and fails until the core is
// fixed (the patch is in the report that added the test).

test("core bug: a workflow importing process from node:process (default or namespace) can be prepared", async () => {
  // Today `prepare` throws RestrictedWorkflowAccessError 'process._linkedBinding' at the import:
  // esbuild's __toESM copies the namespace with Object.getOwnPropertyDescriptor for every key, and
  // the restricted view's getOwnPropertyDescriptor trap enforces "access" rules (process.binding,
  // _linkedBinding, dlopen, getBuiltinModule) as if the value had been read.
  const [definition] = await discoverWorkflows(new URL("./fixtures/restrictions/process_import.ts", import.meta.url));
  const runner = new SandboxedWorkflowRunner({ onWarning: () => {} });
  await runner.prepare(definition);
  const instance = await runner.createInstance({ definition });
  const { results } = await instance.activate([(wf) => (wf as () => Promise<string[]>)()]);
  assert.deepEqual(await results[0], ["function", "function"]);
});

test.run();
