// The npm compatibility corpus (tests/compat/): every package of tests/compat/corpus.ts, used by a
// workflow written as `.ts`, `.js`, `.mjs` and `.cjs` files (tests/compat/generate.ts), runs three
// times in one SandboxedWorkflowRunner per file kind, and each run is compared with the native
// result: the same imports and body run by tests/compat/native_reference.mjs in a child process of
// this runtime without the sandbox's hooks. The workflow as this process imported it (hooks
// registered, as a worker does) must give that result too.
//
// Expected outcomes are data of the corpus: a package that touches a restricted API fails with
// RestrictedWorkflowAccessError at the recorded API and file:line; a recorded sandbox bug must still
// show; anything else that differs from native fails. The results are written to
// tests/compat/results/<runtime>.json and docs/compatibility.md (tests/compat/report.ts).
//
// The corpus has its own package.json and lockfile; scripts/test.mjs installs it
// (`npm ci --prefix tests/compat`) when its node_modules is missing or older than the lockfile.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEFAULT_PASSTHROUGH, SandboxedWorkflowRunner } from "../sandbox/sandboxed_workflow_runner.ts";
import { discoverWorkflows, type WorkflowDefinition } from "../sandbox/workflow_definition.ts";
import type { SandboxWarning } from "../sandbox/sandbox_warning.ts";
import { denoVersion, isDeno, nodeVersion } from "../loader/runtime.ts";
import { MATRIX } from "../scripts/runtimes.mjs";
import { CORPUS, type CorpusPackage, EVERY_PACKAGE_BUGS, type Format, type Kind, type KnownBug, KINDS } from "./compat/corpus.ts";
import {
  COMPAT_DIR,
  COMPAT_MODULES,
  generate,
  GENERATED_DIR,
  slug,
  workflowFile,
  workflowName,
  workflowPosition,
} from "./compat/generate.ts";
import { canonical } from "./compat/canonical.mjs";
import { type KindResult, type PackageResult, writeRunResults } from "./compat/report.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNS = 3;
/** A prepare or run that has not settled after this long is a failure (a hung run would otherwise stall the suite; a cold prepare compiles the whole package). */
const RUN_TIMEOUT_MS = 300_000;
/** The deadlock timeout of prepare's validation run (the modules' top-level code). */
const PREPARE_DEADLOCK_MS = 60_000;

// WFS_COMPAT_ONLY=ms,zod runs only those packages (while working on an entry); such a run writes no results.
const only = process.env.WFS_COMPAT_ONLY?.split(",").map((name) => name.trim()).filter(Boolean);
const selected = only?.length ? CORPUS.filter((pkg) => only.includes(pkg.name)) : CORPUS;

const runtime = isDeno ? "deno" : "node";
const version = isDeno ? denoVersion! : nodeVersion;
/** The matrix name of this runtime (`node24`), when it is one of the matrix. */
const matrixName = (MATRIX as ReadonlyArray<{ name: string; kind: string; version: string }>)
  .find((entry) => entry.kind === runtime && entry.version === version)?.name;

// ------------------------------------------------------------------ outcomes

/** A run's result as canonical text (tests/compat/canonical.mjs), or its error. */
type Outcome =
  | { readonly text: string }
  | { readonly error: { readonly name: string; readonly message: string; readonly api?: string; readonly at?: string } };

function show(outcome: Outcome | undefined): string {
  if (!outcome) return "nothing";
  if ("text" in outcome) return outcome.text.length > 300 ? `${outcome.text.slice(0, 300)}...` : outcome.text;
  const { name, message, api, at } = outcome.error;
  return api ? `RestrictedWorkflowAccessError ${api} at ${at}` : `${name}: ${message.split("\n")[0]!.slice(0, 300)}`;
}

function same(a: Outcome | undefined, b: Outcome | undefined): boolean {
  if (!a || !b) return false;
  if ("text" in a && "text" in b) return a.text === b.text;
  if ("error" in a && "error" in b) return a.error.name === b.error.name && a.error.message === b.error.message;
  return false;
}

/** `file:line` of a location, below tests/compat/node_modules when it is there, else below the repository. */
function shortLocation(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const match = /^(.*?):(\d+)(?::\d+)?$/.exec(location);
  let path = match ? match[1]! : location;
  if (path.startsWith("file://")) path = fileURLToPath(path);
  const line = match ? `:${match[2]}` : "";
  // In a generated workflow file: the position in the corpus entry, the same for the four kinds.
  const workflow = /^(.+)\.(ts|js|mjs|cjs)$/.exec(relative(GENERATED_DIR, path));
  const pkg = workflow && !workflow[1]!.includes(sep) ? CORPUS.find((entry) => slug(entry.name) === workflow[1]) : undefined;
  if (pkg && match) return workflowPosition(pkg, workflow![2] as Kind, Number(match[2]));
  const modules = COMPAT_MODULES + sep;
  if (path.startsWith(modules)) return path.slice(modules.length).split(sep).join("/") + line;
  if (path.startsWith(ROOT)) return relative(ROOT, path).split(sep).join("/") + line;
  return path + line;
}

/** The first stack frame in the corpus's packages or workflow files, for an error that names no location. */
function locationInStack(stack: string | undefined): string | undefined {
  for (const line of (stack ?? "").split("\n")) {
    const frame = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!frame) continue;
    const path = frame[1]!.startsWith("file://") ? fileURLToPath(frame[1]!) : frame[1]!;
    if (path.startsWith(COMPAT_DIR)) return shortLocation(`${path}:${frame[2]}:${frame[3]}`);
  }
  return undefined;
}

function errorOutcome(error: unknown): Outcome {
  // The restricted access may be the error itself or the cause of a WorkflowValidationError (prepare).
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const candidate = current as { code?: string; qualifiedName?: string; location?: string; message?: string; stack?: string };
    if (candidate.code !== "WFS_RESTRICTED") continue;
    const message = String(candidate.message);
    // A refused write (`Cannot modify 'globalThis.process.env.DEBUG' ...`) is a coded TypeError without a rule path.
    const written = /^Cannot modify '([^']+)'/.exec(message)?.[1];
    return {
      error: {
        name: "RestrictedWorkflowAccessError",
        message,
        api: candidate.qualifiedName ?? (written ? `${written} (write)` : message.split(":")[0]),
        at: candidate.location ? shortLocation(candidate.location) : locationInStack(candidate.stack),
      },
    };
  }
  const cause = (error as { code?: string })?.code === "WFS_VALIDATION" && (error as { cause?: unknown }).cause !== undefined
    ? (error as { cause: unknown }).cause
    : error;
  if (cause instanceof Error) return { error: { name: cause.name, message: cause.message } };
  return { error: { name: typeof cause, message: String(cause) } };
}

async function settle(fn: () => unknown): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not settle within ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS);
    });
    return { text: canonical(await Promise.race([Promise.resolve().then(fn), timeout])) };
  } catch (error) {
    return errorOutcome(error);
  } finally {
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------ setup: install, freeze, generate, native reference

interface Reference {
  /** file name (`ms.cjs`) -> the native outcome */
  readonly runs: Map<string, Outcome>;
  /** package -> where `import` and `require` resolve it */
  readonly resolved: Map<string, { import: string; require: string }>;
}

/** The native reference, started by the first test; the package tests compare with it once it is there. */
let referencePromise: Promise<Reference> | undefined;
let reference: Reference | undefined;
let setupError: unknown;

/** Checks that tests/compat is installed and frozen: package.json, lockfile and installed versions match the corpus. */
function checkInstalled(): void {
  const manifest = JSON.parse(readFileSync(join(COMPAT_DIR, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  const wanted = Object.fromEntries(CORPUS.map((pkg) => [pkg.name, pkg.version]));
  assert.deepEqual(
    manifest.dependencies,
    wanted,
    "tests/compat/package.json must list exactly the corpus's packages at its exact versions: edit both together, " +
      "then `npm install --prefix tests/compat` to update the lockfile",
  );
  if (!existsSync(COMPAT_MODULES)) {
    assert.fail("tests/compat/node_modules is missing: run `npm ci --prefix tests/compat` (scripts/test.mjs does it)");
  }
  const names = new Set<string>();
  for (const pkg of CORPUS) {
    assert.ok(!names.has(pkg.name), `${pkg.name} is in the corpus twice`);
    names.add(pkg.name);
    const file = join(COMPAT_MODULES, pkg.name, "package.json");
    const installed = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version : "nothing";
    assert.equal(installed, pkg.version, `${pkg.name}: tests/compat/node_modules has ${installed}: run \`npm ci --prefix tests/compat\``);
  }
}

/**
 * Runs tests/compat/native_reference.mjs on this runtime, without the sandbox's hooks. It runs
 * beside the sandboxed runs of the first packages (a child process), which only wait for it to
 * compare.
 */
function runReference(packages: readonly CorpusPackage[]): Promise<Reference> {
  const script = join(COMPAT_DIR, "native_reference.mjs");
  const flags = isDeno
    ? ["run", "-A", script]
    // TypeScript files run with the runtime's own type stripping (off by default before Node 22.18).
    : [...((process as { features?: { typescript?: unknown } }).features?.typescript ? [] : ["--experimental-strip-types"]), script];
  const args = [`--only=${packages.map((pkg) => slug(pkg.name)).join(",")}`, ...packages.map((pkg) => pkg.name)];
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...flags, ...args], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      timings.reference = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`tests/compat/native_reference.mjs failed (${code ?? signal}):\n${stderr.slice(-3000)}`));
        return;
      }
      const runs = new Map<string, Outcome>();
      const resolved = new Map<string, { import: string; require: string }>();
      for (const line of stdout.split("\n")) {
        if (!line.startsWith("@@compat ")) continue;
        const record = JSON.parse(line.slice("@@compat ".length));
        if (record.package) resolved.set(record.package, { import: record.import, require: record.require });
        else if ("value" in record) runs.set(record.file, { text: record.value });
        else runs.set(record.file, { error: record.error });
      }
      resolvePromise({ runs, resolved });
    });
  });
}

async function awaitReference(): Promise<Reference> {
  if (setupError || !referencePromise) throw new Error("the corpus could not be set up: see the first test");
  reference ??= await referencePromise;
  return reference;
}

test("the corpus is installed, frozen and generated", () => {
  try {
    checkInstalled();
    generate(CORPUS);
    referencePromise = runReference(selected);
    referencePromise.catch(() => {}); // reported by the tests that wait for it
  } catch (error) {
    setupError = error;
    throw error;
  }
});

// ------------------------------------------------------------------ format check

/** The module format of a resolved file: by extension, else by the nearest package.json `type`. */
function formatOfFile(target: string): "esm" | "cjs" | string {
  if (target.startsWith("error:")) return target;
  const path = target.startsWith("file:") ? fileURLToPath(target) : target;
  if (path.endsWith(".mjs")) return "esm";
  if (path.endsWith(".cjs")) return "cjs";
  if (path.endsWith(".json")) return "json";
  for (let dir = dirname(path); dir.startsWith(COMPAT_MODULES); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const { type } = JSON.parse(readFileSync(manifest, "utf8")) as { type?: string };
    if (type !== undefined) return type === "module" ? "esm" : "cjs";
  }
  return "cjs";
}

const EXPECTED_FORMATS: Record<Format, { import: string; require: string }> = {
  "esm-only": { import: "esm", require: "esm" },
  "cjs-only": { import: "cjs", require: "cjs" },
  dual: { import: "esm", require: "cjs" },
};

function checkFormat(pkg: CorpusPackage): string | undefined {
  const resolved = reference?.resolved.get(pkg.name);
  if (!resolved) return `the native reference did not resolve ${pkg.name}`;
  const actual = { import: formatOfFile(resolved.import), require: formatOfFile(resolved.require) };
  const expected = EXPECTED_FORMATS[pkg.format];
  if (actual.import === expected.import && actual.require === expected.require) return undefined;
  return `corpus says ${pkg.format}, but import resolves to ${actual.import} (${shortLocation(resolved.import)}) ` +
    `and require to ${actual.require} (${shortLocation(resolved.require)})`;
}

// ------------------------------------------------------------------ the packages

const warnings = new Map<string, Set<string>>(); // workflow name -> warnings
const runners = new Map<string, SandboxedWorkflowRunner>();
const results: PackageResult[] = [];
const timings: { reference?: number; packages: Map<string, number>; phases: Map<string, number> } = {
  packages: new Map(),
  phases: new Map(),
};

/** Runs `fn`, adding its wall time to a phase of the summary the suite prints at the end. */
async function timed<T>(phase: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    timings.phases.set(phase, (timings.phases.get(phase) ?? 0) + performance.now() - started);
  }
}

/**
 * The runner of a file kind: the default restrictions, or (`isolation`) none at all, which shows
 * whether a package the default runner stops gives the native result once nothing is refused
 * (fresh module instances and a global of its own are all that is left of the sandbox).
 */
function runnerFor(kind: Kind, isolation = false): SandboxedWorkflowRunner {
  const key = `${kind}${isolation ? " isolation" : ""}`;
  let runner = runners.get(key);
  if (!runner) {
    runner = new SandboxedWorkflowRunner({
      restrictions: isolation ? { passthroughModules: DEFAULT_PASSTHROUGH, passthroughAllModules: false } : undefined,
      onWarning: (warning: SandboxWarning) => {
        if (isolation || (warning.kind !== "restricted-access" && warning.kind !== "nondeterminism-warning")) return;
        const set = warnings.get(warning.workflow) ?? new Set<string>();
        set.add(`${warning.kind === "restricted-access" ? "restricted" : "warning"} ${warning.rule}` +
          (warning.location ? ` at ${shortLocation(warning.location)}` : ""));
        warnings.set(warning.workflow, set);
      },
    });
    runners.set(key, runner);
  }
  return runner;
}

/** The definition the worker would get, or one built by hand when the host could not import the file. */
async function definitionFor(pkg: CorpusPackage, kind: Kind): Promise<{ definition: WorkflowDefinition; hostImport?: Outcome }> {
  const name = workflowName(pkg, kind);
  const moduleUrl = pathToFileURL(workflowFile(pkg, kind)).href;
  try {
    const found = (await discoverWorkflows(moduleUrl)).find((definition) => definition.exportName === name);
    if (found) return { definition: found };
    return { definition: handMade(name, moduleUrl), hostImport: { error: { name: "Error", message: `no workflow '${name}' exported` } } };
  } catch (error) {
    return { definition: handMade(name, moduleUrl), hostImport: errorOutcome(error) };
  }
}

function handMade(name: string, moduleUrl: string): WorkflowDefinition {
  return { name, exportName: name, moduleUrl, sandboxed: true, options: { name, kind: "function" }, hostExport: undefined };
}

/** prepare, then `count` runs, each in a fresh instance (an error of prepare stands for all). */
async function sandboxedRuns(runner: SandboxedWorkflowRunner, definition: WorkflowDefinition, count = RUNS): Promise<Outcome[]> {
  // The modules' top-level code of a large package (mathjs: 700 modules) can take longer than the
  // default 2 s deadlock timeout on a loaded 2-core machine: a worker would raise it likewise.
  const prepared = await timed("(of which prepare)", () => settle(() => runner.prepare(definition, { deadlockTimeoutMs: PREPARE_DEADLOCK_MS })));
  if ("error" in prepared) return [prepared];
  const outcomes: Outcome[] = [];
  for (let run = 0; run < count; run++) {
    outcomes.push(
      await settle(async () => {
        const instance = await runner.createInstance({ definition });
        try {
          const { results } = await instance.activate([(wf) => (wf as () => Promise<unknown>)()]);
          return await results[0];
        } finally {
          instance.dispose();
        }
      }),
    );
  }
  return outcomes;
}

const reproductions = new Map<string, true | string>();

/**
 * Runs a known bug's reproduction (`repro` as repro.mjs beside `breaksHost.files`) in a child
 * process of this runtime: `true` when its output still shows the bug, else what it printed.
 */
function reproduces(bug: KnownBug): true | string {
  const check = bug.breaksHost!;
  const key = createHash("sha256").update(JSON.stringify([bug.repro, check])).digest("hex").slice(0, 16);
  const known = reproductions.get(key);
  if (known !== undefined) return known;
  const dir = join(GENERATED_DIR, "repro", key);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries({ ...check.files, "repro.mjs": bug.repro })) writeFileSync(join(dir, file), `${text.trim()}\n`);
  const child = spawnSync(process.execPath, [...(isDeno ? ["run", "-A"] : []), join(dir, "repro.mjs")], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  const output = `${child.stdout}${child.stderr}`;
  const result = output.includes(check.output) ? true : output.trim().slice(0, 300) || `exit ${child.status}`;
  reproductions.set(key, result);
  return result;
}

/** Problems of runs that must all give the native result. */
function nativeProblems(runs: readonly Outcome[], native: Outcome | undefined, label: string): string[] {
  const problems: string[] = [];
  for (let run = 1; run < runs.length; run++) {
    if (!same(runs[run], runs[0])) problems.push(`${label}run ${run + 1} gave ${show(runs[run])}, run 1 ${show(runs[0])}`);
  }
  if (!same(runs[0], native)) problems.push(`${label}sandboxed ${show(runs[0])}, native ${show(native)}`);
  return problems;
}

/** Runs one file kind of one package and judges it against the corpus's expectation. */
async function runKind(pkg: CorpusPackage, kind: Kind): Promise<KindResult> {
  const name = workflowName(pkg, kind);
  const bug = [...(pkg.knownBugs ?? []), ...EVERY_PACKAGE_BUGS].find((b) =>
    b.kinds.includes(kind) && (!b.runtimes || b.runtimes.includes(runtime) || (matrixName !== undefined && b.runtimes.includes(matrixName)))
  );
  const problems: string[] = [];
  let definition: WorkflowDefinition;
  let host: Outcome | undefined;
  if (bug?.breaksHost) {
    // The host's import would break this process's module loader: the bug is checked in a child.
    definition = handMade(name, pathToFileURL(workflowFile(pkg, kind)).href);
    const still = reproduces(bug);
    problems.push(still === true ? `${bug.actual} (not imported: checked with its reproduction in a child process)` : `the known bug's reproduction no longer shows it: ${still}`);
  } else {
    const found = await timed("host import", () => definitionFor(pkg, kind));
    definition = found.definition;
    host = found.hostImport ?? (await timed("host run", () => settle(() => (definition.hostExport as () => unknown)())));
  }
  const runs = await timed("sandboxed", () => sandboxedRuns(runnerFor(kind), definition));
  const native = (await timed("waiting for the native reference", awaitReference)).runs.get(`${slug(pkg.name)}.${kind}`);

  if (!native || "error" in native) problems.push(`the native run failed (${show(native)}): fix the corpus entry`);
  if (host && !same(host, native)) problems.push(`the host's own import (hooks registered) gave ${show(host)}, native ${show(native)}`);
  let result: KindResult;
  const expected = pkg.restricted;
  if (expected) {
    const at = isDeno && expected.deno ? expected.deno : expected.at;
    const where = kind === "cjs" ? at.require : at.import;
    const first = runs[0]!;
    for (let run = 1; run < runs.length; run++) {
      if (!same(runs[run], first)) problems.push(`run ${run + 1} gave ${show(runs[run])}, run 1 ${show(first)}`);
    }
    if ("error" in first && first.error.api) {
      if (first.error.api !== expected.api || first.error.at !== where) {
        problems.push(`restricted at ${first.error.api} ${first.error.at}, the corpus records ${expected.api} ${where}`);
      }
    } else if (same(first, native)) {
      problems.push(`the sandboxed run now gives the native result: remove 'restricted' from the corpus entry`);
    } else {
      problems.push(`the sandboxed run gave ${show(first)}, the corpus records RestrictedWorkflowAccessError ${expected.api} ${where}`);
    }
    // Without restrictions (isolation only), the package must give the native result (one run:
    // the three runs above already showed that runs agree).
    const isolated = nativeProblems(
      await timed("sandboxed without restrictions", () => sandboxedRuns(runnerFor(kind, true), definition, 1)),
      native,
      "without restrictions: ",
    );
    problems.push(...isolated);
    result = {
      status: "restricted",
      api: "error" in first ? first.error.api : undefined,
      at: "error" in first ? first.error.at : undefined,
      isolation: isolated.length === 0 ? "native" : "failed",
    };
  } else {
    problems.push(...nativeProblems(runs, native, ""));
    result = { status: "native" };
  }
  // Warnings of a run that gave the native result: what the package caught or was only warned about.
  const seen = [...(warnings.get(name) ?? [])].sort();
  if (seen.length && result.status === "native") result = { ...result, warnings: seen };

  if (bug) {
    const text = problems.join("\n");
    if (problems.length === 0) {
      return { status: "failed", detail: `the known bug (${bug.actual}) no longer happens: remove it from the corpus entry` };
    }
    // Every difference must be the bug's: a recorded bug must not hide another one.
    if (!problems.every((problem) => problem.includes(bug.actual))) {
      return { status: "failed", detail: `beyond the known bug (${bug.actual}): ${text}` };
    }
    return { ...result, status: "known-bug" }; // the corpus holds what it is
  }
  if (problems.length > 0) return { ...result, status: "failed", detail: problems.join("\n") };
  return result;
}

// The packages of many modules first: their sandboxed runs overlap the native reference, which
// the first comparison has to wait for.
const order = [...selected.filter((pkg) => pkg.features.includes("many-modules")), ...selected.filter((pkg) => !pkg.features.includes("many-modules"))];

for (const pkg of order) {
  test(`${pkg.name}@${pkg.version}`, async () => {
    if (setupError || !referencePromise) throw new Error("the corpus could not be set up: see the first test");
    const started = performance.now();
    const kinds = {} as Record<Kind, KindResult>;
    for (const kind of KINDS) {
      try {
        kinds[kind] = await runKind(pkg, kind);
      } catch (error) {
        kinds[kind] = { status: "failed", detail: `the test itself threw: ${(error as Error)?.stack ?? error}` };
      }
    }
    const formatProblem = checkFormat(pkg);
    for (const kind of KINDS) {
      if (formatProblem && kinds[kind].status !== "failed") kinds[kind] = { status: "failed", detail: formatProblem };
    }
    timings.packages.set(pkg.name, performance.now() - started);
    results.push({ name: pkg.name, version: pkg.version, kinds });
    const failures = KINDS.filter((kind) => kinds[kind].status === "failed").map((kind) => `.${kind}: ${kinds[kind].detail}`);
    if (failures.length > 0) assert.fail(`${pkg.name}@${pkg.version} differs from native:\n${failures.join("\n")}`);
  });
}

test.after(() => {
  const total = [...timings.packages.values()].reduce((sum, ms) => sum + ms, 0);
  const slowest = [...timings.packages].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)}s`);
  console.log(
    `\ncompat: ${results.length} packages x ${KINDS.length} kinds x ${RUNS} runs on ${runtime} ${version}: ` +
      `native reference ${((timings.reference ?? 0) / 1000).toFixed(1)}s, sandboxed and host ${(total / 1000).toFixed(1)}s ` +
      `(${[...timings.phases].map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)}s`).join(", ")}; slowest: ${slowest.join(", ")})`,
  );
  if (results.length !== CORPUS.length) return; // an aborted or filtered run writes nothing
  if (!matrixName) {
    console.log(`compat: ${runtime} ${version} is not a runtime of the matrix: docs/compatibility.md is left as it is`);
    return;
  }
  writeRunResults({ runtime: matrixName, version, packages: results });
});

test.run();
