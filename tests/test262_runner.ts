// The test262 runner: test262's module tests (../shared/data/test262, see its README.md and
// INTERPRETING.md), each run natively and in a fresh sandboxed run, compared case by case.
// tests/test262_test.ts drives it on every runtime of the matrix and checks the differences against
// tests/test262_known_differences.ts; scripts/generate_conformance.mjs writes docs/conformance.md
// from the results it saves in .test262/.
//
// How a test becomes a case (INTERPRETING.md):
// - Scenarios: a `module` test runs once as an ES module; a `raw` test once, unmodified; `noStrict`
//   once sloppy; `onlyStrict` once strict; any other script test twice, sloppy then strict (its
//   text starting with `"use strict";`). A script runs as CommonJS, natively and in the sandbox: its
//   file is `<name>.cjs` (the way the sandbox loads a script, as a CommonJS file), and when its
//   name appears in its text or a fixture's (it may be imported), `<name>.js` beside it holds the
//   same text, for the import to load as a module.
// - Files: every case gets a folder of its own (in /dev/shm where it exists, else the temporary
//   directory; under a `package.json` of `"type": "module"`), holding the test and the files it
//   names (`_FIXTURE` files, JSON, and what those name in turn), so every case has fresh module
//   instances natively too (a runtime never evicts a module, and test262 wants a new realm per
//   test). ../shared is only read.
// - Harness: assert.js and sta.js, doneprintHandle.js for `async` tests, then the `includes`, are
//   put in front of the test's text (nothing for `raw`): the test's own scope sees them, as the
//   realm's global scope would, and the same text runs natively and sandboxed. `print` is a
//   binding of that prelude that reports to this runner by the case's number; `async` tests also
//   get `$DONE` on `globalThis` (asyncHelpers.js looks for it there).
// - Outcome: a test passes when it completes without an exception (an `async` one by printing
//   `Test262:AsyncTestComplete`), a negative one when it throws an error whose constructor has the
//   expected name; `$DONOTEVALUATE()` at the top of a parse or resolution test throws a string,
//   which fails it when its evaluation started. Parse and resolution errors are both errors of the
//   import, natively as in the sandbox, so the phase is checked that far.
// - Sandboxed: a new `SandboxedWorkflowRunner` with no restrictions (built-ins and this package
//   passed through, nothing restricted, no warnings), one `createInstance` of the case's file as
//   the entry and a first activation (which instantiates the run's modules, if createInstance did
//   not, and settles its dynamic imports), as a new user would run a module; an `async` test's run
//   is activated again until it prints, or stays idle. Native: `import()` of the same file, or
//   `require()` for a script.
//   The sandboxed run goes first; the host's global object and the ECMAScript built-ins are put
//   back as they were after each side, and unhandled rejections are absorbed.
//
// Processes (runSuite): the cases run in child processes of the runtime under test
// (tests/test262_child.ts), not in the test runner's own process, which keeps its state: when a
// runtime aborts (V8 check failures and Deno panics were seen natively), the case it was running
// runs once more, first in a new process (unless it was the first), then fails on the side that
// did not report if it aborts again there, and a new process goes on with the next case. The tests are split between JOBS
// processes running side by side (many tests each), except that:
// - on Deno, a process runs at most DENO_CASES_PER_PROCESS cases: Deno's cost of loading a module
//   grows with the modules the process loaded (measured: 14 ms per case at first, 400 ms after
//   1,900 cases), and each case loads several (its files natively, their functors in the sandbox);
// - tests that reach the host's global object itself (`Function("return this")()`, fnGlobalObject.js:
//   the documented known limit) or write a member of a shared built-in run apart, in a small batch
//   of child processes (ISOLATED_PER_PROCESS tests each), so what they leave there never meets
//   another test.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createLoaderServices, type LoaderServices } from "../loader/loader_services.ts";
import { ensureRegistered } from "../loader/register.ts";
import { denoVersion, isDeno, nodeVersion } from "../loader/runtime.ts";
import { ECMASCRIPT_GLOBALS } from "../sandbox/ecmascript_globals.ts";
import { detectCommonJsNamespaceShape } from "../sandbox/esm_interop.ts";
import { DEFAULT_PASSTHROUGH, SandboxedWorkflowRunner } from "../sandbox/sandboxed_workflow_runner.ts";
import type { WorkflowDefinition } from "../sandbox/workflow_definition.ts";
import type { WorkflowInstance } from "../sandbox/workflow_runner.ts";
import { MATRIX } from "../scripts/runtimes.mjs";

// What the runner itself uses, taken before any test can replace it on the global object.
const HostPromise = Promise;
const hostSetTimeout = setTimeout;
const hostClearTimeout = clearTimeout;
const hostNow = performance.now.bind(performance);
const hostStringify = JSON.stringify;

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/** Where CI and every clone keep test262's module tests: shared/ beside the repository. */
export const TEST262_DIR: string = resolve(ROOT, "..", "shared", "data", "test262");

/** The folders of test262 that test module semantics (relative to the test262 root). */
export const TEST262_FOLDERS: readonly string[] = Object.freeze([
  "test/language/module-code",
  "test/language/import",
  "test/language/export",
  "test/language/expressions/dynamic-import",
  "test/language/expressions/import.meta",
]);

/** How long an `async` test may take to print its result, and an import to settle. */
export const DEADLINE_MS = 5000;

/** Activations in a row that leave a sandboxed `async` test idle, without a result, before it fails. */
const IDLE_ROUNDS = 4;

/** Cases per child process on Deno (see the top of this file). */
export const DENO_CASES_PER_PROCESS = 400;

/**
 * Child processes at once (env WFS_TEST262_JOBS, default 2). A child waits on I/O and on its
 * runtime's module loader about a third of the time (measured: 72 s of CPU in 147 s on Deno), so
 * two of them use those gaps, also while `npm test` runs another runtime beside this one.
 */
export const JOBS: number = Number(process.env.WFS_TEST262_JOBS) > 0 ? Number(process.env.WFS_TEST262_JOBS) : 2;

/** Tests per child process for those that reach the host's global object. */
export const ISOLATED_PER_PROCESS = 24;

/** A child process that prints nothing for this long is stuck: it is ended, its test fails. */
const SILENT_CHILD_MS = 60_000;

/** A test's front matter (the keys this runner reads). */
export interface FrontMatter {
  readonly flags: readonly string[];
  readonly includes: readonly string[];
  readonly features: readonly string[];
  readonly negative?: { readonly phase: string; readonly type: string };
}

/** How one case runs a test. */
export type Scenario = "module" | "sloppy" | "strict" | "raw";

/** A test262 test file. */
export interface Test262Test {
  /** Its path below the test262 root, with `/`: `test/language/import/...`. */
  readonly path: string;
  readonly meta: FrontMatter;
  readonly scenarios: readonly Scenario[];
  /**
   * It reaches the host's global object (fnGlobalObject.js, `Function("return this")`) or writes a
   * member of a shared built-in (`Object.prototype.toString = ...`).
   */
  readonly isolated: boolean;
  /** The test file and the files of its folder it names, transitively (absolute paths). */
  readonly files: readonly string[];
  /** Its own name appears in one of them: it may be imported, as a module (from a script test too). */
  readonly imported: boolean;
}

/** What one side (native or sandboxed) made of a case. */
export interface Outcome {
  readonly pass: boolean;
  /** Why it failed (or what it threw when it passed a negative test): `Type: message [CODE]`. */
  readonly error?: string;
  /**
   * Where the error came from: loading (the import or `createInstance`), the result an `async` test
   * printed, nothing thrown by a negative test, a deadline, or the process ending mid-case.
   */
  readonly stage?: "load" | "async" | "no-error" | "timeout" | "crash";
  /** How long the side took, in milliseconds. */
  readonly ms?: number;
}

/** One case: a test in one scenario, on both sides. */
export interface CaseResult {
  readonly path: string;
  readonly scenario: Scenario;
  readonly native: Outcome;
  readonly sandbox: Outcome;
  readonly isolated: boolean;
}

/**
 * The runtime running this process: its kind, version and name in the matrix (scripts/runtimes.mjs):
 * the entry of its version, else of its minor version (22.15.1 is node22.15), else of its major.
 */
export const RUNTIME: { readonly kind: "node" | "deno"; readonly version: string; readonly name: string } = (() => {
  const kind = isDeno ? "deno" as const : "node" as const;
  const version = isDeno ? denoVersion! : nodeVersion;
  const [major, minor] = version.split(".");
  const rows = (MATRIX as ReadonlyArray<{ name: string; kind: string; version: string }>).filter((row) => row.kind === kind);
  const entry = rows.find((row) => row.version === version) ??
    rows.find((row) => row.version.startsWith(`${major}.${minor}.`)) ??
    rows.find((row) => row.version.startsWith(`${major}.`) && !/\d$/.test(row.name.replace(/^\D+\d+/, "")));
  return Object.freeze({ kind, version, name: entry?.name ?? `${kind}-${version}` });
})();

/**
 * The test262 root, or an error that says where it was looked for.
 *
 * @example
 * ```ts
 * import { test262Root } from "./test262_runner.ts";
 * const root = test262Root(); // ../shared/data/test262, beside the repository
 * ```
 */
export function test262Root(dir: string = TEST262_DIR): string {
  if (!existsSync(join(dir, "harness", "assert.js")) || !existsSync(join(dir, "test", "language"))) {
    throw new Error(
      `test262's module tests are missing: expected them in '${dir}' (shared/data/test262 beside the ` +
        `repository, '${relative(ROOT, dir)}' from its root), with harness/ and test/language/. Put a copy of ` +
        "shared/ beside the clone, as CI has it",
    );
  }
  return dir;
}

/**
 * Reads the front matter (`/*---` ... `---*\/`) of a test: flags, includes, features, negative.
 * A small reader for the YAML test262 writes (inline `[a, b]` lists or `- a` items, one level of
 * `negative:`), not a YAML parser.
 *
 * @example
 * ```ts
 * import { parseFrontMatter } from "./test262_runner.ts";
 * parseFrontMatter("/*---\nflags: [module]\nnegative:\n  phase: parse\n  type: SyntaxError\n---*\/").negative;
 * // { phase: "parse", type: "SyntaxError" }
 * ```
 */
export function parseFrontMatter(source: string): FrontMatter {
  const start = source.indexOf("/*---");
  const end = source.indexOf("---*/", start);
  const text = start >= 0 && end > start ? source.slice(start + 5, end) : "";
  const lists: Record<string, string[]> = { flags: [], includes: [], features: [] };
  let negative: { phase: string; type: string } | undefined;
  let current: string | undefined; // the key whose block follows
  for (const line of text.split(/\r?\n/)) {
    const top = /^([A-Za-z_]+):\s*(.*)$/.exec(line);
    if (top) {
      const [, key, rest] = top;
      current = key;
      if (key in lists && rest.startsWith("[")) {
        lists[key] = rest.replace(/^\[|\]\s*$/g, "").split(",").map((item) => item.trim()).filter(Boolean);
      }
      if (key === "negative") negative = { phase: "", type: "" };
      continue;
    }
    const item = /^\s+-\s+(\S+)\s*$/.exec(line);
    if (item && current && current in lists) {
      lists[current].push(item[1]);
      continue;
    }
    const field = /^\s+(phase|type):\s*(\S+)\s*$/.exec(line);
    if (field && current === "negative" && negative) negative[field[1] as "phase" | "type"] = field[2];
  }
  return { flags: lists.flags, includes: lists.includes, features: lists.features, ...(negative ? { negative } : {}) };
}

/** The scenarios a test runs in (INTERPRETING.md, "Strict Mode" and `flags`). */
export function scenariosOf(meta: FrontMatter): Scenario[] {
  if (meta.flags.includes("module")) return ["module"];
  if (meta.flags.includes("raw")) return ["raw"];
  if (meta.flags.includes("noStrict")) return ["sloppy"];
  if (meta.flags.includes("onlyStrict")) return ["strict"];
  return ["sloppy", "strict"];
}

// Code that reaches the host's global object, or writes a member of a built-in that every test and
// the runner share (object-literal.js replaces Object.prototype.toString).
const REACHES_HOST_GLOBAL =
  /fnGlobalObject|Function\(\s*['"]return this|\b(?:Object|Function|Array|Promise|String|Symbol)\.prototype(?:\.\w+|\[[^\]]+\])\s*=(?!=)/;

/**
 * Every test of the module folders (or the given paths), sorted by path; `_FIXTURE` files are not
 * tests.
 *
 * @example
 * ```ts
 * import { discoverTests, test262Root } from "./test262_runner.ts";
 * const tests = discoverTests(test262Root());
 * tests.filter((t) => t.meta.flags.includes("module")).length;
 * ```
 */
export function discoverTests(root: string = test262Root(), paths?: readonly string[]): Test262Test[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".js") && !entry.name.includes("_FIXTURE")) found.push(relative(root, path).split(sep).join("/"));
    }
  };
  if (paths) found.push(...paths);
  else for (const folder of TEST262_FOLDERS) walk(join(root, folder));
  return found.sort().map((path) => loadTest(root, path));
}

/** One test, by its path below the test262 root. */
export function loadTest(root: string, path: string): Test262Test {
  const file = join(root, path);
  const meta = parseFrontMatter(readFileSync(file, "utf8"));
  const files = closure(file);
  const texts = files.map((other) => readFileSync(other, "utf8"));
  const isolated = meta.includes.includes("fnGlobalObject.js") || texts.some((text) => REACHES_HOST_GLOBAL.test(text));
  const imported = texts.some((text) => text.includes(basename(file)));
  return { path, meta, scenarios: scenariosOf(meta), isolated, imported, files };
}

// The files of a folder, read once.
const folderFiles = new Map<string, string[]>();

function filesOf(dir: string): string[] {
  let names = folderFiles.get(dir);
  if (!names) {
    names = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
    folderFiles.set(dir, names);
  }
  return names;
}

/**
 * A test file and every file of its folder whose name appears in its text, transitively
 * (test262's specifiers are all `./name`, in the test's own folder). A name that is part of a
 * longer one (`a.js` in `aa.js`) only costs a file copied for nothing.
 */
export function closure(file: string): string[] {
  const dir = dirname(file);
  const names = filesOf(dir);
  const found = new Set([basename(file)]);
  const queue = [basename(file)];
  while (queue.length > 0) {
    const text = readFileSync(join(dir, queue.pop()!), "utf8");
    for (const other of names) {
      if (!found.has(other) && text.includes(other)) {
        found.add(other);
        queue.push(other);
      }
    }
  }
  return [...found].map((name) => join(dir, name));
}

// --- one process: the cases themselves ------------------------------------------------------------

const PRINT_KEY = Symbol.for("test262.print");
const DONOTEVALUATE = "Test262: This statement should not be evaluated.";

interface PrintSlot {
  message: string | undefined;
  wake: (() => void) | undefined;
}

const printSlots = new Map<number, PrintSlot>();

// `print` of every case's prelude reaches this through `Object` (the host's, in the sandbox too: an
// ECMAScript constructor), by a registered symbol: names added to the host global after the sandbox
// read it are not visible to sandboxed modules.
function installPrint(): void {
  if (Object.hasOwn(Object, PRINT_KEY)) return;
  Object.defineProperty(Object, PRINT_KEY, {
    value(id: number, message: unknown) {
      const slot = printSlots.get(id);
      if (!slot || slot.message !== undefined) return;
      slot.message = String(message);
      slot.wake?.();
    },
  });
}

/** Options of {@link Test262Runner}. */
export interface Test262RunnerOptions {
  /** The test262 root. @default test262Root() */
  readonly root?: string;
  /**
   * The folder for the cases' files (created; left for the caller to remove). @default a new folder
   * in scratchDir(), removed by close()
   */
  readonly work?: string;
  /** Called before each test. */
  readonly onStart?: (test: Test262Test) => void;
  /** Called with each side's outcome as soon as it is known. */
  readonly onOutcome?: (test: Test262Test, scenario: Scenario, side: "native" | "sandbox", outcome: Outcome) => void;
}

/**
 * Runs test262 tests natively and sandboxed, in this process (tests/test262_child.ts uses it;
 * {@link runSuite} runs the children).
 *
 * @example
 * ```ts
 * import { discoverTests, Test262Runner } from "./test262_runner.ts";
 * const runner = new Test262Runner();
 * try {
 *   const results = await runner.run(discoverTests().slice(0, 10));
 * } finally {
 *   runner.close();
 * }
 * ```
 */
export class Test262Runner {
  readonly #root: string;
  readonly #onStart: Test262RunnerOptions["onStart"];
  readonly #onOutcome: Test262RunnerOptions["onOutcome"];
  readonly #work: string;
  readonly #ownsWork: boolean;
  readonly #services: LoaderServices;
  readonly #harness = new Map<string, string>();
  readonly #realm: RealmState;
  #cases = 0;

  constructor(options: Test262RunnerOptions = {}) {
    this.#root = test262Root(options.root);
    this.#onStart = options.onStart;
    this.#onOutcome = options.onOutcome;
    this.#ownsWork = options.work === undefined;
    this.#work = options.work ?? mkdtempSync(join(scratchDir(), "wfs-test262-"));
    mkdirSync(this.#work, { recursive: true });
    // One package scope for every case folder: `.js` files are ES modules, `.cjs` files scripts.
    writeFileSync(join(this.#work, "package.json"), '{ "type": "module" }\n');
    // The sandbox's compiled functors go to a cache of this run (removed by close()): the case
    // folders' names are new in every run, so a shared cache would only grow.
    this.#services = createLoaderServices({ cacheDir: join(this.#work, ".cache") });
    installPrint();
    this.#realm = realmState();
  }

  /** Removes the cases' folder, when the runner made it. */
  close(): void {
    if (this.#ownsWork) rmSync(this.#work, { recursive: true, force: true });
  }

  /** Runs the tests in this process and returns a result per case, in test order. */
  async run(tests: readonly Test262Test[]): Promise<CaseResult[]> {
    // What a runner's prepare() does first (registration, the shape of a CommonJS namespace on
    // this runtime): createInstance() alone, as a case uses it, leaves that to prepare().
    const { root } = ensureRegistered();
    await detectCommonJsNamespaceShape(pathToFileURL(join(root, "sandbox", "_cjs_namespace_probe.cjs")).href);
    const results: CaseResult[] = [];
    const absorb = () => {};
    process.on("unhandledRejection", absorb);
    try {
      for (const test of tests) {
        this.#onStart?.(test);
        for (const scenario of test.scenarios) results.push(await this.#runCase(test, scenario));
      }
    } finally {
      // Late rejections of the last cases land after a macrotask.
      await new HostPromise((resolve) => hostSetTimeout(resolve, 10));
      process.off("unhandledRejection", absorb);
    }
    return results;
  }

  async #runCase(test: Test262Test, scenario: Scenario): Promise<CaseResult> {
    const id = ++this.#cases;
    const entry = this.#writeCase(test, scenario, id);
    let started = hostNow();
    const sandbox = { ...await this.#sandboxed(test, entry, id), ms: Math.round(hostNow() - started) };
    this.#onOutcome?.(test, scenario, "sandbox", sandbox);
    started = hostNow();
    const native = { ...await this.#native(test, entry, id), ms: Math.round(hostNow() - started) };
    this.#onOutcome?.(test, scenario, "native", native);
    return { path: test.path, scenario, native, sandbox, isolated: test.isolated };
  }

  /** Writes the case's folder and returns its entry file. */
  #writeCase(test: Test262Test, scenario: Scenario, id: number): string {
    const source = join(this.#root, test.path);
    const dir = join(this.#work, `c${id}`);
    mkdirSync(dir);
    for (const file of test.files) {
      if (file !== source) writeFileSync(join(dir, basename(file)), readFileSync(file));
    }
    const text = readFileSync(source, "utf8");
    const name = basename(source);
    if (scenario === "raw") {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    }
    const prelude = this.#prelude(test, id, text);
    // A script test that is imported (by itself or a fixture) is imported as a module: the same text.
    if (scenario === "module" || test.imported) writeFileSync(join(dir, name), prelude + text);
    if (scenario === "module") return join(dir, name);
    const script = join(dir, name.replace(/\.js$/, ".cjs"));
    writeFileSync(script, (scenario === "strict" ? '"use strict";\n' : "") + prelude + text);
    return script;
  }

  #prelude(test: Test262Test, id: number, text: string): string {
    const async = test.meta.flags.includes("async");
    const files = ["assert.js", "sta.js", ...(async ? ["doneprintHandle.js"] : []), ...test.meta.includes];
    const lines = [`var print = function (message) { Object[Symbol.for("test262.print")](${id}, message); };`];
    if (text.includes("$262")) lines.push(HOST_262);
    for (const file of files) lines.push(this.#harnessFile(file));
    if (async) lines.push("globalThis.$DONE = $DONE;");
    return lines.join("\n") + "\n";
  }

  #harnessFile(name: string): string {
    let text = this.#harness.get(name);
    if (text === undefined) {
      text = readFileSync(join(this.#root, "harness", name), "utf8");
      this.#harness.set(name, text);
    }
    return text;
  }

  async #sandboxed(test: Test262Test, entry: string, id: number): Promise<Outcome> {
    const slot: PrintSlot = { message: undefined, wake: undefined };
    printSlots.set(id, slot);
    const before = globalState();
    let instance: WorkflowInstance | undefined;
    try {
      const runner = new SandboxedWorkflowRunner({ restrictions: UNRESTRICTED, onWarning: () => {}, services: this.#services });
      const definition: WorkflowDefinition = {
        name: `test262 case ${id}`,
        exportName: "test262 runner: no such export",
        moduleUrl: pathToFileURL(entry).href,
        sandboxed: true,
        options: { kind: "function" },
        hostExport: undefined,
      };
      try {
        instance = await withDeadline(runner.createInstance({ definition }), "createInstance()");
        // The run's modules are instantiated by createInstance() or, at the latest, by the first
        // activation, which rethrows what their top-level code threw (and settles dynamic imports).
        await withDeadline(instance.activate([]), "activate()");
      } catch (error) {
        return judgeError(test, error);
      }
      const run = instance;
      return await this.#judgeCompletion(test, slot, () => withDeadline(run.activate([]), "activate()"), true);
    } finally {
      instance?.dispose();
      printSlots.delete(id);
      restoreGlobalState(before);
      restoreRealmState(this.#realm);
    }
  }

  async #native(test: Test262Test, entry: string, id: number): Promise<Outcome> {
    const slot: PrintSlot = { message: undefined, wake: undefined };
    printSlots.set(id, slot);
    const before = globalState();
    try {
      try {
        // A script is CommonJS: the runtime's CommonJS loader runs it. (Deno's import() of a
        // CommonJS file reports its syntax error as a TypeError wrapping the SyntaxError, and takes
        // about 5 times as long, measured.)
        if (entry.endsWith(".cjs")) createRequire(entry)(entry);
        else await withDeadline(import(pathToFileURL(entry).href), "import()");
      } catch (error) {
        return judgeError(test, error);
      }
      return await this.#judgeCompletion(test, slot, () => HostPromise.resolve());
    } finally {
      printSlots.delete(id);
      restoreGlobalState(before);
      restoreRealmState(this.#realm);
    }
  }

  /**
   * The outcome of a test whose entry loaded: a negative test failed; a synchronous one passed;
   * an `async` one passes when it prints success before the deadline. `step` moves the run on
   * (the sandbox: an activation, which settles its dynamic imports); `stepsSettle` says a step
   * leaves nothing in flight, so that a run that stays idle fails before the deadline.
   */
  async #judgeCompletion(test: Test262Test, slot: PrintSlot, step: () => Promise<unknown>, stepsSettle = false): Promise<Outcome> {
    const negative = test.meta.negative;
    if (!test.meta.flags.includes("async")) {
      return negative
        ? { pass: false, stage: "no-error", error: `expected ${negative.type} (${negative.phase}), nothing was thrown` }
        : { pass: true };
    }
    const deadline = hostNow() + DEADLINE_MS;
    let idle = 0;
    while (slot.message === undefined && hostNow() < deadline) {
      try {
        await step();
      } catch (error) {
        return { pass: false, stage: "async", error: describe(error) };
      }
      if (slot.message !== undefined) break;
      await new HostPromise<void>((resolve) => {
        slot.wake = resolve;
        hostSetTimeout(resolve, 5);
      });
      slot.wake = undefined;
      // A sandboxed run whose activations end with nothing pending and no result has nothing left
      // that could print it (these tests use no timers): it fails after a few such rounds.
      if (stepsSettle && ++idle >= IDLE_ROUNDS && slot.message === undefined) {
        return { pass: false, stage: "timeout", error: `no result printed: the run was idle after ${IDLE_ROUNDS} activations` };
      }
    }
    const message = slot.message;
    if (message === undefined) return { pass: false, stage: "timeout", error: `no result printed within ${DEADLINE_MS} ms` };
    if (message === "Test262:AsyncTestComplete") {
      return negative ? { pass: false, stage: "no-error", error: `expected ${negative.type}, the test completed` } : { pass: true };
    }
    return { pass: false, stage: "async", error: message.replace(/^Test262:AsyncTestFailure:/, "") };
  }
}

/**
 * Where the cases' files go: a memory file system where there is one (Linux's /dev/shm; the cases
 * write and remove thousands of small files), else the temporary directory.
 */
export function scratchDir(): string {
  try {
    const shm = "/dev/shm";
    if (statSync(shm).isDirectory()) {
      accessSync(shm, constants.W_OK);
      return shm;
    }
  } catch {
    // not there, or not writable
  }
  return tmpdir();
}

/** No restrictions: built-ins and this package passed through, nothing restricted or reported. */
const UNRESTRICTED = { passthroughModules: DEFAULT_PASSTHROUGH, passthroughAllModules: false };

// The host-defined `$262` of INTERPRETING.md, as far as these tests use it (AbstractModuleSource,
// for source phase imports: the prototype of WebAssembly.Module where the runtime has one).
const HOST_262 = `var $262 = { global: globalThis, AbstractModuleSource: (function () {
  try { var p = Object.getPrototypeOf(WebAssembly.Module); return p === Function.prototype ? undefined : p; } catch (e) { return undefined; }
})() };`;

class DeadlineError extends Error {}

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new HostPromise<never>((_, reject) => {
    timer = hostSetTimeout(() => reject(new DeadlineError(`${what} did not settle within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  return HostPromise.race([promise, late]).finally(() => hostClearTimeout(timer));
}

function judgeError(test: Test262Test, error: unknown): Outcome {
  if (error instanceof DeadlineError) return { pass: false, stage: "timeout", error: error.message };
  const negative = test.meta.negative;
  if (error === DONOTEVALUATE) return { pass: false, stage: "load", error: "evaluation started ($DONOTEVALUATE() ran)" };
  if (negative && constructorName(error) === negative.type) return { pass: true, stage: "load", error: describe(error) };
  return { pass: false, stage: "load", error: describe(error) };
}

function constructorName(value: unknown): string | undefined {
  try {
    if (typeof value === "object" && value !== null) return (value as { constructor?: { name?: string } }).constructor?.name;
  } catch {
    // a Proxy or a getter that throws
  }
  return undefined;
}

/**
 * A thrown value in one line: `Type: first line of the message [CODE]`, at most 400 characters.
 *
 * @example
 * ```ts
 * import { describe } from "./test262_runner.ts";
 * describe(new SyntaxError("Unexpected token")); // "SyntaxError: Unexpected token"
 * ```
 */
export function describe(value: unknown): string {
  let text: string;
  try {
    if (typeof value === "object" && value !== null) {
      const { message, code } = value as { message?: unknown; code?: unknown };
      const name = constructorName(value) ?? "Object";
      text = `${name}: ${String(message ?? "").split("\n")[0]}${typeof code === "string" ? ` [${code}]` : ""}`;
    } else {
      text = `thrown ${typeof value}: ${String(value)}`;
    }
  } catch {
    text = "(a thrown value that cannot be described)";
  }
  return text.length > 400 ? `${text.slice(0, 397)}...` : text;
}

// --- the host global and the built-ins ------------------------------------------------------------

type GlobalState = Map<PropertyKey, PropertyDescriptor>;

function globalState(): GlobalState {
  const state: GlobalState = new Map();
  for (const key of Reflect.ownKeys(globalThis)) state.set(key, Reflect.getOwnPropertyDescriptor(globalThis, key)!);
  return state;
}

// The package keeps its process-wide state (its registration, the current-run slot, the activation
// queue) on the global object under its own registered symbols, some made on first use.
function isPackageState(key: PropertyKey): boolean {
  return typeof key === "symbol" && Symbol.keyFor(key)?.startsWith("workflow-sandbox.") === true;
}

/** Puts back what a run added to, removed from or replaced on the host's global object. */
function restoreGlobalState(before: GlobalState): void {
  const host = globalThis as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(globalThis)) {
    const previous = before.get(key);
    if (previous === undefined) {
      if (!isPackageState(key)) Reflect.deleteProperty(host, key);
      continue;
    }
    const now = Reflect.getOwnPropertyDescriptor(globalThis, key)!;
    // Accessors may turn into data properties: runtimes define some globals lazily.
    if ("value" in previous && "value" in now && !Object.is(previous.value, now.value)) Reflect.defineProperty(host, key, previous);
  }
  for (const [key, descriptor] of before) {
    if (!Object.hasOwn(globalThis, key)) Reflect.defineProperty(host, key, descriptor);
  }
}

// The ECMAScript built-ins (constructors, namespaces and their prototypes) as they were when the
// runner started: a test that changes one of their members would otherwise change later tests.
type RealmState = Map<object, { proto: object | null; keys: Map<PropertyKey, PropertyDescriptor> }>;

function realmState(): RealmState {
  const state: RealmState = new Map();
  const add = (value: unknown) => {
    if ((typeof value !== "object" && typeof value !== "function") || value === null || state.has(value)) return;
    const keys = new Map<PropertyKey, PropertyDescriptor>();
    for (const key of Reflect.ownKeys(value)) keys.set(key, Reflect.getOwnPropertyDescriptor(value, key)!);
    state.set(value, { proto: Reflect.getPrototypeOf(value), keys });
  };
  for (const name of ECMASCRIPT_GLOBALS) {
    if (name === "globalThis") continue;
    const value = (globalThis as Record<string, unknown>)[name];
    add(value);
    if (typeof value === "function") add((value as { prototype?: unknown }).prototype);
  }
  return state;
}

function sameDescriptor(a: PropertyDescriptor, b: PropertyDescriptor): boolean {
  return Object.is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable &&
    a.enumerable === b.enumerable && a.configurable === b.configurable;
}

function restoreRealmState(state: RealmState): void {
  for (const [object, { proto, keys }] of state) {
    for (const key of Reflect.ownKeys(object)) {
      const before = keys.get(key);
      if (before === undefined) Reflect.deleteProperty(object, key);
      else if (!sameDescriptor(before, Reflect.getOwnPropertyDescriptor(object, key)!)) Reflect.defineProperty(object, key, before);
    }
    for (const [key, descriptor] of keys) if (!Object.hasOwn(object, key)) Reflect.defineProperty(object, key, descriptor);
    if (Reflect.getPrototypeOf(object) !== proto) Reflect.setPrototypeOf(object, proto);
  }
}

// --- the child processes --------------------------------------------------------------------------

const SIDES = ["sandbox", "native"] as const;

/** The prefix of the lines tests/test262_child.ts prints: one per test started, one per outcome. */
export const CHILD_LINE = "test262: ";

/** What tests/test262_child.ts prints after CHILD_LINE. */
export type ChildMessage =
  | { readonly start: string }
  | { readonly path: string; readonly scenario: Scenario; readonly side: "native" | "sandbox"; readonly outcome: Outcome }
  | { readonly done: number };

/** Options of {@link runSuite}. */
export interface SuiteOptions {
  /** The test262 root. @default test262Root() */
  readonly root?: string;
  /** Only these tests. @default every test of the module folders */
  readonly tests?: readonly Test262Test[];
  /** Child processes at once. @default JOBS */
  readonly jobs?: number;
  /** Called when a child process ends, with what it ran. */
  readonly onProcess?: (report: { readonly tests: number; readonly seconds: number; readonly ended: string }) => void;
}

/** What {@link runSuite} returns. */
export interface SuiteResult {
  readonly runtime: typeof RUNTIME;
  readonly cases: readonly CaseResult[];
  readonly seconds: number;
  readonly processes: number;
}

/**
 * Runs the tests in child processes of this runtime (see the top of this file) and returns a
 * result per case, in test order.
 *
 * @example
 * ```ts
 * import { runSuite } from "./test262_runner.ts";
 * const { cases, seconds } = await runSuite();
 * cases.filter((c) => c.native.pass && !c.sandbox.pass).length; // regressions
 * ```
 */
export async function runSuite(options: SuiteOptions = {}): Promise<SuiteResult> {
  const root = test262Root(options.root);
  const tests = options.tests ?? discoverTests(root);
  const jobs = Math.max(1, options.jobs ?? JOBS);
  const started = hostNow();
  const shared = tests.filter((test) => !test.isolated);
  const sharedCases = shared.reduce((total, test) => total + test.scenarios.length, 0);
  // At least one process per job, and on Deno at most DENO_CASES_PER_PROCESS cases in each.
  const perProcess = Math.min(Math.ceil(sharedCases / jobs), isDeno ? DENO_CASES_PER_PROCESS : Infinity);
  const groups: Test262Test[][] = [];
  let group: Test262Test[] = [];
  let cases = 0;
  for (const test of shared) {
    if (group.length > 0 && cases + test.scenarios.length > perProcess) {
      groups.push(group);
      group = [];
      cases = 0;
    }
    group.push(test);
    cases += test.scenarios.length;
  }
  if (group.length > 0) groups.push(group);
  const isolated = tests.filter((test) => test.isolated);
  for (let index = 0; index < isolated.length; index += ISOLATED_PER_PROCESS) groups.push(isolated.slice(index, index + ISOLATED_PER_PROCESS));

  const byPath = new Map<string, Map<string, Outcome>>(); // path → "scenario side" → outcome
  let processes = 0;
  // Every child's cases and list go below one folder, removed at the end (also after a crash).
  const work = mkdtempSync(join(scratchDir(), "wfs-test262-"));
  const record = (path: string, key: string, outcome: Outcome) => {
    let outcomes = byPath.get(path);
    if (!outcomes) byPath.set(path, outcomes = new Map());
    if (!outcomes.has(key)) outcomes.set(key, outcome);
  };
  const retried = new Set<string>(); // "path scenario" of cases run again after an abort
  const runGroup = async (planned: Test262Test[]) => {
    let remaining = planned;
    let failedStarts = 0;
    while (remaining.length > 0) {
      const number = ++processes;
      const file = join(work, `${number}.json`);
      writeFileSync(file, hostStringify(remaining));
      const child = await runChild(root, file, join(work, String(number)), byPath);
      options.onProcess?.({ tests: child.started.length, seconds: child.seconds, ended: child.ended });
      if (child.done) return;
      const last = child.started.at(-1);
      if (last === undefined) {
        // The process ended before its first test: it did not start (a runtime or a build in a
        // bad state). Once more, then every remaining case fails with what it said.
        if (++failedStarts < 2) continue;
        const failed: Outcome = { pass: false, stage: "crash", error: `the process ${child.ended} before its first test: ${child.last}`.slice(0, 400) };
        for (const test of remaining) {
          for (const scenario of test.scenarios) for (const side of SIDES) record(test.path, `${scenario} ${side}`, failed);
        }
        return;
      }
      // The process ended in the middle of a case: that case's missing outcomes are the crash, and
      // a new process goes on with the next case.
      const crash: Outcome = { pass: false, stage: "crash", error: `the process ${child.ended} during this case: ${child.last}`.slice(0, 400) };
      const index = remaining.findIndex((test) => test.path === last);
      const culprit = remaining[index];
      const done = byPath.get(culprit.path);
      const crashed = culprit.scenarios.findIndex((scenario) => SIDES.some((side) => !done?.has(`${scenario} ${side}`)));
      const key = `${culprit.path} ${culprit.scenarios[crashed]}`;
      // The abort may come from what an earlier case of the process left running (Deno panicked
      // in the case after an import() that waits on top-level await): unless it was the process's
      // first case, the case runs once more, first in a new process, and its outcomes there are
      // the ones kept.
      const first = child.started.length === 1 && crashed === 0; // nothing ran before it in that process
      if (!first && !retried.has(key)) {
        retried.add(key);
        for (const side of SIDES) done?.delete(`${culprit.scenarios[crashed]} ${side}`);
        remaining = [{ ...culprit, scenarios: culprit.scenarios.slice(crashed) }, ...remaining.slice(index + 1)];
        continue;
      }
      for (const side of SIDES) record(culprit.path, `${culprit.scenarios[crashed]} ${side}`, crash);
      const rest = culprit.scenarios.slice(crashed + 1);
      remaining = [...(rest.length > 0 ? [{ ...culprit, scenarios: rest }] : []), ...remaining.slice(index + 1)];
    }
  };
  try {
    let next = 0;
    await HostPromise.all(Array.from({ length: Math.min(jobs, groups.length) }, async () => {
      while (next < groups.length) await runGroup(groups[next++]);
    }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const missing: Outcome = { pass: false, stage: "crash", error: "no outcome was reported" };
  const results: CaseResult[] = [];
  for (const test of tests) {
    const outcomes = byPath.get(test.path);
    for (const scenario of test.scenarios) {
      results.push({
        path: test.path,
        scenario,
        native: outcomes?.get(`${scenario} native`) ?? missing,
        sandbox: outcomes?.get(`${scenario} sandbox`) ?? missing,
        isolated: test.isolated,
      });
    }
  }
  return { runtime: RUNTIME, cases: results, seconds: (hostNow() - started) / 1000, processes };
}

interface ChildRun {
  readonly started: string[];
  readonly done: boolean;
  readonly ended: string;
  readonly last: string;
  readonly seconds: number;
}

/**
 * Runs tests/test262_child.ts on the tests in `listFile` (a JSON array of Test262Test), with its
 * cases' files in `work`, recording outcomes as they come.
 */
function runChild(root: string, listFile: string, work: string, byPath: Map<string, Map<string, Outcome>>): Promise<ChildRun> {
  const entry = fileURLToPath(new URL("./test262_child.ts", import.meta.url));
  const [bin, ...args] = selfCommand(entry, [root, `--list=${listFile}`, `--work=${work}`]);
  const begin = hostNow();
  return new HostPromise((resolvePromise) => {
    const child = spawn(bin, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const started: string[] = [];
    let done = false;
    let pending = "";
    let stderr = "";
    let silent: ReturnType<typeof setTimeout> | undefined;
    let killed = false;
    const watch = () => {
      hostClearTimeout(silent);
      silent = hostSetTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, SILENT_CHILD_MS);
    };
    watch();
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      watch();
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith(CHILD_LINE)) continue;
        const message = JSON.parse(line.slice(CHILD_LINE.length)) as ChildMessage;
        if ("start" in message) started.push(message.start);
        else if ("done" in message) done = true;
        else {
          let outcomes = byPath.get(message.path);
          if (!outcomes) byPath.set(message.path, outcomes = new Map());
          outcomes.set(`${message.scenario} ${message.side}`, message.outcome);
        }
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
    child.on("close", (code, signal) => {
      hostClearTimeout(silent);
      // The last lines that say something (not a native stack's addresses).
      const last = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((text) => text.trim())
        .filter((text) => text && !NOISE.test(text)).slice(-3).join(" / ");
      const ended = killed
        ? `printed nothing for ${SILENT_CHILD_MS / 1000} s and was ended`
        : signal
        ? `was killed by ${signal}`
        : `exited with code ${code}`;
      resolvePromise({ started, done, ended, last, seconds: (hostNow() - begin) / 1000 });
    });
  });
}

// Lines of a runtime's abort report that say nothing about it: addresses, banners, links.
const NOISE = /^\d+: 0x|^#\s*$|^#\s*FailureMessage|^-+ Native stack|^stack backtrace|^note: |^=+$|^View stack trace|^https?:\/\/|^Deno has panicked|^at https|^If you can reliably|^reproduction steps|^Platform: |^Version: |^Args: /;

/** The argv that runs `file` on this process's runtime, as scripts/runtimes.mjs commandFor() does. */
function selfCommand(file: string, args: readonly string[]): string[] {
  if (isDeno) return [process.execPath, "run", "-A", file, ...args];
  return [process.execPath, "--conditions=workflow-sandbox-source", "--import", join(ROOT, "dist", "register.js"), file, ...args];
}

// --- the comparison -------------------------------------------------------------------------------

/** A case whose outcome differs between the two sides. */
export interface Difference {
  readonly path: string;
  readonly scenario: Scenario;
  /** A regression passes natively and fails sandboxed; a false pass the reverse. */
  readonly kind: "regression" | "false pass";
  readonly native: Outcome;
  readonly sandbox: Outcome;
}

/** The cases that differ. */
export function differencesOf(cases: readonly CaseResult[]): Difference[] {
  const found: Difference[] = [];
  for (const { path, scenario, native, sandbox } of cases) {
    if (native.pass === sandbox.pass) continue;
    found.push({ path, scenario, kind: native.pass ? "regression" : "false pass", native, sandbox });
  }
  return found;
}

/** A row of the known differences, as tests/test262_known_differences.ts writes it. */
export interface KnownDifferenceRow {
  readonly id: string;
  readonly runtimes: readonly string[];
  readonly paths: ReadonlyArray<{ readonly path: string; readonly runtimes?: readonly string[] }>;
}

/** What {@link compareWithKnown} finds. */
export interface Comparison {
  /** Differences no row applying to this runtime names. */
  readonly unexpected: readonly Difference[];
  /** Paths of rows applying to this runtime that do not differ on it. */
  readonly stale: ReadonlyArray<{ readonly id: string; readonly path: string }>;
  /** Per row: the differing cases (by kind) and the paths it names on this runtime. */
  readonly rows: Readonly<Record<string, { readonly regressions: number; readonly falsePasses: number; readonly paths: number }>>;
}

/** Whether a row's runtimes include `runtime` ("node" is every Node). */
export function appliesTo(runtimes: readonly string[], runtime: { readonly kind: string; readonly name: string }): boolean {
  return runtimes.some((entry) => entry === runtime.kind || entry === runtime.name);
}

/** A path pattern of the table as a regular expression: `*` within a name, `**` across folders. */
export function pathPattern(glob: string): RegExp {
  let source = "";
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === "*" && glob[index + 1] === "*") {
      source += ".*";
      index++;
    } else if (char === "*") source += "[^/]*";
    else source += char.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Compares the differences of a run with the table: every difference must be named by a row that
 * applies to the runtime, and every path of such a row must still differ.
 *
 * @example
 * ```ts
 * import { compareWithKnown, RUNTIME } from "./test262_runner.ts";
 * const { unexpected, stale } = compareWithKnown([], [], RUNTIME);
 * unexpected.length + stale.length; // 0
 * ```
 */
export function compareWithKnown(
  cases: readonly CaseResult[],
  table: readonly KnownDifferenceRow[],
  runtime: { readonly kind: string; readonly name: string } = RUNTIME,
): Comparison {
  const entries = table.flatMap((row) =>
    row.paths
      .filter((entry) => appliesTo(entry.runtimes ?? row.runtimes, runtime))
      .map((entry) => ({ id: row.id, path: entry.path, pattern: pathPattern(entry.path), differs: new Set<string>() }))
  );
  const unexpected: Difference[] = [];
  const rows: Record<string, { regressions: number; falsePasses: number; paths: number }> = {};
  for (const row of table) rows[row.id] = { regressions: 0, falsePasses: 0, paths: 0 };
  for (const difference of differencesOf(cases)) {
    const named = entries.filter((entry) => entry.pattern.test(difference.path));
    if (named.length === 0) unexpected.push(difference);
    for (const id of new Set(named.map((entry) => entry.id))) rows[id][difference.kind === "regression" ? "regressions" : "falsePasses"]++;
    for (const entry of named) entry.differs.add(difference.path);
  }
  const stale = entries.filter((entry) => entry.differs.size === 0).map(({ id, path }) => ({ id, path }));
  for (const entry of entries) rows[entry.id].paths += entry.differs.size > 0 ? 1 : 0;
  return { unexpected, stale, rows };
}
