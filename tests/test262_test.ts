// test262's module tests, natively and sandboxed, on this runtime (tests/test262_runner.ts runs
// them in child processes of it): a difference must be a row of the reviewed table
// (tests/test262_known_differences.ts), and every path of a row that applies here must still
// differ, so a fix forces its rows out of the table. The results are saved in
// .test262/<runtime>.json, from which `node scripts/generate_conformance.mjs` writes
// docs/conformance.md.
//
// Needs ../shared/data/test262 (shared/ beside the clone). WFS_SKIP_TEST262=1 skips the suite
// (its tests count as skipped), for quick local runs.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { rowRuntimes, TEST262_KNOWN_DIFFERENCES } from "./test262_known_differences.ts";
import {
  type Comparison,
  compareWithKnown,
  type Difference,
  discoverTests,
  ROOT,
  runSuite,
  type SuiteResult,
  TEST262_FOLDERS,
  test262Root,
} from "./test262_runner.ts";

/** Where each runtime's last results go (gitignored), for scripts/generate_conformance.mjs. */
const RESULTS_DIR = join(ROOT, ".test262");

const skip = process.env.WFS_SKIP_TEST262 === "1";
const it = skip ? test.skip : test;

let run: { suite: SuiteResult; comparison: Comparison } | undefined;
let failure: unknown;

test.before(async () => {
  if (skip) return;
  try {
    const root = test262Root();
    const load = loadavg()[0];
    const suite = await runSuite({ root, tests: discoverTests(root) });
    const comparison = compareWithKnown(suite.cases, TEST262_KNOWN_DIFFERENCES);
    run = { suite, comparison };
    save(suite, comparison, [load, loadavg()[0]]);
    console.log(summary(suite, comparison));
  } catch (error) {
    failure = error;
  }
});

function current(): { suite: SuiteResult; comparison: Comparison } {
  if (!run) throw failure ?? new Error("the test262 run did not happen");
  return run;
}

it("every test runs natively and sandboxed, and no sandboxed side ends its process", () => {
  const { suite } = current();
  assert.ok(suite.cases.length > 2000, `only ${suite.cases.length} cases ran: is ../shared/data/test262 complete?`);
  // A runtime that aborts on a case's native run (its own bug: the case fails natively) ends the
  // child after the sandboxed side reported; a sandboxed side that did not report ended it itself,
  // or the child did not start.
  const lost = suite.cases.filter((c) => c.sandbox.stage === "crash");
  assert.ok(
    lost.length === 0,
    `the sandboxed side of ${lost.length} cases reported nothing:\n` +
      lost.slice(0, 10).map((c) => `  ${c.path} (${c.scenario}): ${c.sandbox.error}`).join("\n"),
  );
});

for (const folder of TEST262_FOLDERS) {
  const name = folder.replace(/^test\/language\//, "");
  it(`${name}: every difference from native is a known one`, () => {
    const unexpected = current().comparison.unexpected.filter((d) => d.path.startsWith(`${folder}/`));
    assert.ok(
      unexpected.length === 0,
      `${unexpected.length} differences of ${name} are not in tests/test262_known_differences.ts (fix them, or ` +
        `add them to the row of their cause with its reason):\n${unexpected.slice(0, 40).map(show).join("\n")}` +
        (unexpected.length > 40 ? `\n... and ${unexpected.length - 40} more (.test262/ has them all)` : ""),
    );
  });
}

it("every path of the known differences still differs", () => {
  const { stale } = current().comparison;
  assert.ok(
    stale.length === 0,
    `${stale.length} paths of tests/test262_known_differences.ts no longer differ on this runtime: remove them ` +
      `from their rows (or narrow the rows' runtimes), and regenerate docs/conformance.md:\n` +
      stale.slice(0, 40).map((entry) => `  ${entry.id}: ${entry.path}`).join("\n") +
      (stale.length > 40 ? `\n  ... and ${stale.length - 40} more` : ""),
  );
});

test.run();

function show(difference: Difference): string {
  const { path, scenario, kind, native, sandbox } = difference;
  const failed = kind === "regression" ? `sandbox: ${sandbox.error}` : `native: ${native.error}`;
  return `  ${kind}: ${path} (${scenario}); ${failed}`;
}

function summary(suite: SuiteResult, comparison: Comparison): string {
  const count = (predicate: (c: SuiteResult["cases"][number]) => boolean) => suite.cases.filter(predicate).length;
  const regressions = count((c) => c.native.pass && !c.sandbox.pass);
  const falsePasses = count((c) => !c.native.pass && c.sandbox.pass);
  return `test262 on ${suite.runtime.name} (${suite.runtime.version}): ${suite.cases.length} cases in ` +
    `${suite.seconds.toFixed(1)} s (${suite.processes} processes); native pass ${count((c) => c.native.pass)}, ` +
    `sandbox pass ${count((c) => c.sandbox.pass)}, regressions ${regressions}, false passes ${falsePasses}; ` +
    `not in the table ${comparison.unexpected.length}, table paths that no longer differ ${comparison.stale.length}`;
}

/** Saves the run for scripts/generate_conformance.mjs (`load`: the machine's load average before and after). */
function save(suite: SuiteResult, comparison: Comparison, load: readonly number[]): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${suite.runtime.name}.json`);
  const data = {
    runtime: suite.runtime,
    date: new Date().toISOString(),
    seconds: Math.round(suite.seconds * 10) / 10,
    processes: suite.processes,
    load: load.map((value) => Math.round(value * 10) / 10),
    folders: TEST262_FOLDERS,
    table: TEST262_KNOWN_DIFFERENCES.map((row) => ({
      id: row.id,
      cause: row.cause,
      reason: row.reason,
      runtimes: rowRuntimes(row),
      paths: row.paths.length,
    })),
    rows: comparison.rows,
    unexpected: comparison.unexpected.length,
    stale: comparison.stale,
    cases: suite.cases.map(({ path, scenario, native, sandbox, isolated }) => ({
      path,
      scenario,
      isolated,
      native: compact(native),
      sandbox: compact(sandbox),
    })),
  };
  writeFileSync(file, JSON.stringify(data));
}

function compact(outcome: SuiteResult["cases"][number]["native"]) {
  return outcome.pass && outcome.error === undefined ? { pass: true, ms: outcome.ms } : outcome;
}
