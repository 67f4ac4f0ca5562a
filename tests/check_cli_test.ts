// `workflow-sandbox check` (cli/): the command run end to end through bin/workflow-sandbox.mjs in
// a child process of this suite's runtime (Node with no flag; Deno with -A), on the fixtures of
// tests/fixtures/check (see its README), plus unit tests of the pieces that need no process.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CheckUsageError, parseCheckArguments } from "../cli/check_arguments.ts";
import { exportState } from "../cli/export_state.ts";
import { readHistories } from "../cli/history_replay.ts";
import { createProgress } from "../cli/progress.ts";
import type { CheckReport } from "../cli/check_report.ts";
import { isDeno } from "../loader/runtime.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixtures = "tests/fixtures/check";

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const argv = isDeno ? ["run", "-A", "bin/workflow-sandbox.mjs", ...args] : ["bin/workflow-sandbox.mjs", ...args];
  const env = { ...process.env };
  delete env.CHECK_FIXTURE_REGION;
  delete env.NODE_OPTIONS;
  const result = spawnSync(process.execPath, argv, { cwd: root, encoding: "utf8", timeout: 120_000, env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function checkJson(...args: string[]): { status: number | null; report: CheckReport; stderr: string } {
  const result = cli("check", "--json", ...args);
  let report: CheckReport;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    throw new Error(`check --json printed no JSON (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return { status: result.status, report, stderr: result.stderr };
}

const endsWith = (suffix: string) => (path: string) => path.replaceAll("\\", "/").endsWith(suffix);

test("a clean workflow passes: exit 0, its module graph split and measured, nothing on stderr", () => {
  const result = cli("check", `${fixtures}/clean/workflows.ts`, "--samples", "3");
  assert.equal(result.stderr, "", "no progress bar and no warning when stderr is not a terminal");
  assert.equal(result.status, 0, result.stdout);
  assert.match(result.stdout, /clean\/workflows\.ts: ok/);
  assert.match(result.stdout, /sandboxed modules \(2\)/);
  assert.match(result.stdout, /\d+\.\d{3} ms {2}tests\/fixtures\/check\/clean\/greeting\.ts/);
  assert.match(result.stdout, /restricted calls at import time: none/);
  assert.match(result.stdout, /check passed: 1 file checked/);

  const { status, report } = checkJson(`${fixtures}/clean/workflows.ts`, "--samples", "3");
  assert.equal(status, 0);
  assert.equal(report.ok, true);
  const [file] = report.files;
  assert.deepEqual(file.workflows, [{ name: "greet", sandboxed: true }]);
  const sandboxed = file.modules.sandboxed.map((m) => m.path);
  assert.ok(sandboxed.some(endsWith("clean/greeting.ts")) && sandboxed.some(endsWith("clean/workflows.ts")), String(sandboxed));
  for (const m of file.modules.sandboxed) assert.ok(typeof m.costMs === "number" && m.costMs >= 0, `${m.path}: ${m.costMs}`);
  // The workflow imports workflow-sandbox: the host's instance, never a per-run copy.
  assert.ok(file.modules.passedThrough.some((m) => m.reason === "this package"), JSON.stringify(file.modules.passedThrough));
  assert.ok(!sandboxed.some((p) => /\/(sandbox|worker|loader)\//.test(p)), "the package itself is not sandboxed");
  assert.deepEqual(file.importTimeRestrictedCalls, []);
  assert.deepEqual(file.mutations, []);
});

test("packages given deterministic values are listed once each, and pass the check", () => {
  const result = cli("check", "tests/fixtures/determinism_units/workflows.ts", "--samples", "2");
  assert.equal(result.status, 0, result.stdout);
  // check imports the modules (it runs no workflow): what they read while they load.
  assert.match(result.stdout, /packages given deterministic values \(docs\/determinism\.md\): 2/);
  assert.match(result.stdout, /fake-lib read the clock at index\.js:5 and got workflow time/);
  const { report } = checkJson("tests/fixtures/determinism_units/workflows.ts", "--samples", "2");
  const [file] = report.files;
  assert.deepEqual(
    file.substitutedValues.map((s) => `${s.package}:${s.source}`).sort(),
    ["fake-lib:clock", "fake-lib:environment"],
  );
  assert.ok(file.substitutedValues.every((s) => s.location?.includes("determinism_units/")), JSON.stringify(file.substitutedValues));
  assert.deepEqual(file.importTimeRestrictedCalls, []);
});

test("a restricted call at import time fails the check (exit 1) with its file:line, caught ones too", () => {
  const result = cli("check", `${fixtures}/import_time/workflows.ts`, "--samples", "2");
  assert.equal(result.status, 1, result.stdout);
  assert.equal(result.stderr, "");
  assert.match(result.stdout, /import_time\/workflows\.ts:11:\d+ {2}globalThis\.Date\.now\.__call__/);
  assert.match(result.stdout, /check FAILED/);

  const { report } = checkJson(`${fixtures}/import_time/workflows.ts`, "--samples", "2");
  const [file] = report.files;
  assert.equal(file.ok, false);
  const calls = file.importTimeRestrictedCalls.map((c) => [c.rule, c.location?.replace(/^.*\/(import_time\/)/, "$1")]);
  assert.deepEqual(calls.map(([rule]) => rule).sort(), ["globalThis.Date.now.__call__", "globalThis.Math.random.__call__"]);
  assert.ok(calls.some(([rule, at]) => rule === "globalThis.Date.now.__call__" && /^import_time\/workflows\.ts:11:\d+$/.test(at!)), JSON.stringify(calls));
  // The caught Math.random() (line 7) is reported too: the sandbox reports restricted accesses even when caught.
  assert.ok(calls.some(([rule, at]) => rule === "globalThis.Math.random.__call__" && /^import_time\/workflows\.ts:7:\d+$/.test(at!)), JSON.stringify(calls));
  assert.equal(file.workflows[0].error?.code, "WFS_RESTRICTED");
});

test("a static import of an invalid module is reported with its file:line (--restrictions)", () => {
  const { status, report } = checkJson(
    `${fixtures}/invalid_module/workflows.ts`,
    "--restrictions",
    `${fixtures}/invalid_module/restrictions.ts`,
    "--samples",
    "2",
  );
  assert.equal(status, 1);
  const [file] = report.files;
  assert.equal(file.invalidImports.length, 1);
  assert.equal(file.invalidImports[0].module, "child_process");
  assert.equal(file.invalidImports[0].specifier, "node:child_process");
  assert.match(file.invalidImports[0].location, /invalid_module\/workflows\.ts:4:\d+$/);
  assert.ok(file.modules.passedThrough.some((m) => m.url === "node:child_process" && m.reason === "built-in"));

  // Without the restrictions, the same file is clean: invalid modules come from the worker's configuration.
  const plain = checkJson(`${fixtures}/invalid_module/workflows.ts`, "--samples", "2");
  assert.equal(plain.status, 0);
  assert.deepEqual(plain.report.files[0].invalidImports, []);
});

test("a heavy stateless module is a pass-through candidate; a heavy stateful one is not", () => {
  const { status, report } = checkJson(`${fixtures}/heavy/workflows.ts`, "--threshold", "1", "--samples", "3");
  assert.equal(status, 0);
  const [file] = report.files;
  const cost = (suffix: string) => file.modules.sandboxed.find((m) => endsWith(suffix)(m.path))!.costMs!;
  assert.ok(cost("heavy/country_table.ts") >= 1, `country_table costs ${cost("heavy/country_table.ts")} ms`);
  assert.ok(cost("heavy/rate_cache.ts") >= 1, `rate_cache costs ${cost("heavy/rate_cache.ts")} ms`);
  assert.deepEqual(file.candidates.map((c) => [c.url.replace(/^.*\//, ""), c.basis]), [["country_table.ts", "frozen"]]);
  const rejected = file.notCandidates.find((r) => r.url.endsWith("/rate_cache.ts"));
  assert.ok(rejected, JSON.stringify(file.notCandidates));
  assert.match(rejected.reason, /rates: a Map/);
});

test("with recorded runs, candidates are decided by what the runs did to the exports", () => {
  const { status, report } = checkJson(`${fixtures}/heavy/workflows.ts`, "--histories", `${fixtures}/heavy/histories`, "--samples", "2");
  assert.equal(status, 0, JSON.stringify(report.files[0].problems));
  assert.deepEqual(report.histories!.outcomes.map((o) => o.ok), [true, true]);
  const [file] = report.files;
  assert.deepEqual(file.candidates.map((c) => [c.url.replace(/^.*\//, ""), c.basis]), [["country_table.ts", "runs"]]);
  const rejected = file.notCandidates.find((r) => r.url.endsWith("/rate_cache.ts"));
  assert.match(rejected!.reason, /changed during a run of 'quote'/);
  assert.deepEqual(file.mutations, [], "the sandbox's own slots are not reported as writes");
});

test("--histories: exit 1 on a folder holding a nondeterministic history, 0 on a deterministic one", () => {
  const mixed = checkJson(`${fixtures}/replay/workflows.ts`, "--histories", `${fixtures}/replay/mixed`, "--samples", "2");
  assert.equal(mixed.status, 1);
  const outcomes = mixed.report.histories!.outcomes.map((o) => [o.path.replace(/^.*\//, ""), o.ok, o.error?.code]);
  assert.deepEqual(outcomes, [["region_route.json", false, "WFS_NONDETERMINISM"], ["shipment.json", true, undefined]]);
  assert.match(mixed.report.histories!.outcomes[0].error!.message, /replay\/workflows\.ts:\d+:\d+/);
  assert.equal(mixed.report.files[0].ok, true, "the file itself is fine: the history is what fails");

  const clean = cli("check", `${fixtures}/replay/workflows.ts`, "--histories", `${fixtures}/replay/deterministic`, "--samples", "2");
  assert.equal(clean.status, 0, clean.stdout);
  assert.equal(clean.stderr, "");
  assert.match(clean.stdout, /ok {6}tests\/fixtures\/check\/replay\/deterministic\/shipment\.json {2}shipment \(shipment-1\), 3 workflow tasks/);
});

test("usage errors exit 2 and name the option or file and the fix", () => {
  const unknown = cli("check", `${fixtures}/clean/workflows.ts`, "--jsn");
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stdout, "");
  assert.match(unknown.stderr, /Unknown option '--jsn'\. Did you mean '--json'\? Run 'workflow-sandbox check --help' for the options \(WFS_CLI_USAGE\)\n/);

  const missing = cli("check", `${fixtures}/clean/nope.ts`);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /Cannot check 'tests\/fixtures\/check\/clean\/nope\.ts': the file does not exist/);

  const help = cli("check", "--help");
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: workflow-sandbox check \[options\] <workflow-file>\.\.\./);
  assert.match(help.stdout, /Exit codes:\n {2}0 .*\n {2}1 [^]*\n {2}2 {2}usage error/);
  assert.match(help.stdout, /or Temporal's \(proto3 JSON\):\s+those replay through workflow-sandbox\/temporal/);
});

test("argument parsing validates values with zod and names the flag", () => {
  const args = parseCheckArguments(["tests/fixtures/check/clean/workflows.ts", "--threshold=0.5", "--samples", "4", "--json"], root);
  assert.equal(args.thresholdMs, 0.5);
  assert.equal(args.samples, 4);
  assert.equal(args.json, true);
  assert.ok(endsWith("tests/fixtures/check/clean/workflows.ts")(args.files[0]));
  const usage = (argv: string[]) => {
    try {
      parseCheckArguments(argv, root);
    } catch (error) {
      assert.ok(error instanceof CheckUsageError);
      assert.equal(error.code, "WFS_CLI_USAGE");
      assert.ok(error.message.endsWith(`. ${error.hint.replace(/\.$/, "")} (WFS_CLI_USAGE)`), error.message);
      assert.ok(error.docs.endsWith("/docs/errors/WFS_CLI_USAGE.md"), error.docs);
      return error.message;
    }
    assert.fail(`no usage error for ${argv.join(" ")}`);
  };
  assert.match(usage(["x.ts", "--samples", "1"]), /Invalid value for '--samples': expected at least 2 runs/);
  assert.match(usage(["x.ts", "--threshold", "-1"]), /Invalid value for '--threshold': expected a number of milliseconds that is 0 or more/);
  assert.match(usage(["x.ts", "--histories"]), /Option '--histories' needs a value\. Write '--histories <value>' or '--histories=<value>'/);
  assert.match(usage(["x.ts", "--json=yes"]), /Option '--json' takes no value/);
  assert.match(usage([]), /No workflow file given/);
  assert.match(usage(["tests/fixtures/check/clean"]), /it is a folder/);

  // Built by the package with codedError(), or by hand: the same brand, code, hint and option.
  const byHand = new CheckUsageError("Unknown option '--jsn'", { option: "--jsn", hint: "Did you mean '--json'?" });
  assert.equal(byHand.message, "Unknown option '--jsn'. Did you mean '--json'? (WFS_CLI_USAGE)");
  assert.equal(byHand.name, "CheckUsageError");
  assert.equal(byHand.option, "--jsn");
  assert.equal(new CheckUsageError("No workflow file given", "<workflow-file>").hint, CheckUsageError.HINT);
  try {
    parseCheckArguments(["x.ts", "--threshold", "1", "--threshold", "2"], root);
    assert.fail("no usage error for a repeated option");
  } catch (error) {
    assert.ok(error instanceof CheckUsageError);
    assert.equal(error.name, "CheckUsageError");
    assert.equal(error.option, "--threshold");
    assert.equal(error.message, "Option '--threshold' is given twice. Give it once (WFS_CLI_USAGE)");
  }
});

test("histories in Temporal's format are read as Temporal's, not misread", () => {
  const dir = mkdtempSync(join(tmpdir(), "wfs-check-"));
  try {
    writeFileSync(join(dir, "temporal.json"), JSON.stringify({ events: [{ eventId: "1", eventType: "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
      workflowExecutionStartedEventAttributes: { workflowType: { name: "greet" } } }] }));
    writeFileSync(join(dir, "broken.json"), "{");
    const [broken, temporal] = readHistories(dir);
    assert.equal(temporal.problem, undefined);
    assert.equal(temporal.temporal?.workflowType, "greet");
    assert.match(broken.problem!.message, /Cannot read history/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Temporal's native core loads in Node only; on Deno such a history fails with the reason.
if (!isDeno) {
  test("Temporal histories replay through the adapter: the samples pass, a different ending fails with DeterminismViolationError", async () => {
    const { readHistory, withDifferentEnding } = await import("./fixtures/temporal/_histories.ts");
    const samples = "tests/fixtures/temporal";
    const good = mkdtempSync(join(tmpdir(), "wfs-check-temporal-"));
    const bad = mkdtempSync(join(tmpdir(), "wfs-check-temporal-bad-"));
    try {
      for (const name of ["history-greet-sample.json", "history-greetCounted-sample.json"]) {
        writeFileSync(join(good, name), JSON.stringify(readHistory(join(root, samples, name))));
      }
      writeFileSync(join(bad, "ended-otherwise.json"), JSON.stringify(withDifferentEnding(readHistory(join(root, samples, "history-greet-sample.json")))));
      const passed = checkJson(`${samples}/workflows.ts`, "--histories", good);
      assert.equal(passed.status, 0, JSON.stringify(passed.report.histories));
      assert.deepEqual(passed.report.histories!.outcomes.map((o) => [o.workflowType, o.ok]).sort(), [["greet", true], ["greetCounted", true]]);
      const failed = checkJson(`${samples}/workflows.ts`, "--histories", bad);
      assert.equal(failed.status, 1);
      const [outcome] = failed.report.histories!.outcomes;
      assert.equal(outcome.ok, false);
      assert.equal(outcome.error?.code, "WFS_NONDETERMINISM");
      assert.match(outcome.error!.message, /DeterminismViolationError/);
    } finally {
      rmSync(good, { recursive: true, force: true });
      rmSync(bad, { recursive: true, force: true });
    }
  });
}

test("export state: frozen tables are immutable and compare by value; Maps and plain objects can change", () => {
  const table = () => ({ codes: Object.freeze({ a: Object.freeze({ w: 1 }) }), weight: (code: string) => code.length });
  assert.equal(exportState(table()).fingerprint, exportState(table()).fingerprint);
  assert.equal(exportState(table()).immutable, true);
  const cache = new Map([["k", 1]]);
  const before = exportState({ cache });
  cache.set("k2", 2);
  assert.notEqual(exportState({ cache }).fingerprint, before.fingerprint);
  assert.equal(before.mutableAt, "cache: a Map");
  assert.equal(exportState({ stats: { n: 0 } }).mutableAt, "stats: not frozen");
});

test("the progress bar draws on a terminal only", () => {
  const written: string[] = [];
  const tty = createProgress({ isTTY: true, columns: 80, write: (text: string) => written.push(text) });
  tty.plan(2);
  tty.step("one");
  tty.finish();
  assert.match(written.join(""), /\[#+-+\] 1\/2 one/);
  const piped: string[] = [];
  const quiet = createProgress({ isTTY: false, write: (text: string) => piped.push(text) });
  quiet.plan(1);
  quiet.step("one");
  quiet.finish();
  assert.deepEqual(piped, []);
});

test.run();
