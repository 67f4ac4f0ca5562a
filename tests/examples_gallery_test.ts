// The example gallery (examples/<name>/readme.md), each example run with exactly the command its
// readme gives: the lines of the readme's first ```sh block, run from the example's folder, with
// `node` or `deno` replaced by the binary of the runtime running this suite. A readme whose
// command changes and no longer works fails here.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { listRuntimes } from "../scripts/runtimes.mjs";
// Which loader import-in-the-middle picks on this Node (a pure version check, no imports).
import { supportsSyncHooks } from "import-in-the-middle/supports-sync-hooks.mjs";

const examples = fileURLToPath(new URL("../examples/", import.meta.url));
import { isDeno } from "../loader/runtime.ts";

/** The binary that stands for `program` in a readme command on this suite's runtime. */
function binaryFor(program: string): string {
  if (program === "node" && !isDeno) return process.execPath;
  if (program === "deno" && isDeno) {
    const deno = listRuntimes().find((runtime: { kind: string }) => runtime.kind === "deno");
    assert.ok(deno, "the deno runtime is not installed: run `npm run runtimes`");
    return deno.bin;
  }
  throw new Error(`Cannot run '${program}' on this runtime`);
}

/**
 * The command of `example`'s readme that starts with `prefix` (the first line of its first ```sh
 * block that does). There is no shell: a line using shell syntax fails the test rather than run
 * differently from what a reader would type.
 */
function readmeCommand(example: string, prefix: string): string[] {
  const readme = readFileSync(join(examples, example, "readme.md"), "utf8");
  const block = /^```sh\n([\s\S]*?)^```/m.exec(readme);
  assert.ok(block, `examples/${example}/readme.md has no \`\`\`sh block`);
  const lines = block[1]!.split("\n").map((line) => line.replace(/(^|\s)#.*$/, "").trim()).filter(Boolean);
  const line = lines.find((candidate) => `${candidate} `.startsWith(`${prefix} `));
  assert.ok(line, `examples/${example}/readme.md's first sh block has no '${prefix}' command: ${JSON.stringify(lines)}`);
  assert.doesNotMatch(line, /[|&;<>$`'"()*?\\]/, `'${line}' needs a shell; keep readme commands to plain words`);
  return line.split(/\s+/);
}

/** Runs `example`'s readme command that starts with `prefix`, in the example's folder. */
function runExample(example: string, prefix: string) {
  const [program, ...args] = readmeCommand(example, prefix);
  const result = spawnSync(binaryFor(program!), args, {
    cwd: join(examples, example),
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: result.status, stdout: result.stdout ?? "", stderr: (result.stderr ?? "").trim(), error: result.error };
}

/** Asserts a clean exit and returns stdout's lines. */
function succeeded(result: ReturnType<typeof runExample>): string[] {
  assert.equal(result.error, undefined);
  assert.equal(result.stderr, "");
  assert.equal(result.status, 0);
  return result.stdout.trimEnd().split("\n");
}

/** The 1-based line of `file` in `example` that contains `text`. */
function lineOf(example: string, file: string, text: string): number {
  const line = readFileSync(join(examples, example, file), "utf8").split("\n").findIndex((l) => l.includes(text)) + 1;
  assert.ok(line > 0, `${file} no longer contains '${text}'`);
  return line;
}

if (!isDeno) {
  // node-loader, library and coexistence are about Node's front doors and Node tools (the flag,
  // a plain .mjs entry, tsx and import-in-the-middle); their readmes give Node commands only.
  test("node-loader: a TypeScript worker started with --import workflow-sandbox/register", () => {
    const lines = succeeded(runExample("node-loader", "node"));
    assert.deepEqual(lines, [
      "hooks: module.registerHooks (in-thread), native resolution",
      "support-Ada -> Ada: ticket #1, high priority, answered",
      "support-Grace -> Grace: ticket #1, low priority, answered",
      "support-Linus -> Linus: ticket #1, high priority, answered",
      "status query: answered",
      "host: ticket #1",
    ]);
  });

  test("library: a plain .mjs worker with no flag registers the hooks on first use", () => {
    const lines = succeeded(runExample("library", "node"));
    assert.deepEqual(lines, [
      "hooks: registered by the library on first use, no flag",
      "Hello, Ada! (names greeted in this run: Ada)",
      "Hello, Grace! (names greeted in this run: Grace)",
    ]);
  });

  test("coexistence: tsx and import-in-the-middle keep working, and runs keep fresh state", () => {
    const lines = succeeded(runExample("coexistence", "node"));
    assert.deepEqual(lines, [
      "tsx: resolved @app/activities.ts through tsconfig paths",
      `import-in-the-middle (${supportsSyncHooks() ? "module.registerHooks" : "module.register"}): Hook fired for ["zod"]`,
      "ada: signup #1 of this run, welcome mail queued for ada@example.com",
      "grace: signup #1 of this run, welcome mail queued for grace@example.com",
      "linus: signup #1 of this run, welcome mail queued for linus@example.com",
      'import-in-the-middle: Hook fired for ["zod"] after three workflow runs',
    ]);
  });

  // Temporal's native core bridge loads in Node only.
  test("temporal: the history replays through Temporal's worker and through the adapter", () => {
    const lines = succeeded(runExample("temporal", "node"));
    assert.equal(lines[0], `history: invoice('Ada') completed with "invoice #1 for Ada at 2026-01-01T00:00:00.005Z: receipt-Ada"`);
    assert.match(lines[1], /^Temporal's Worker: replayed in \d+ ms$/);
    assert.match(lines[2], /^SandboxedTemporalWorker: replayed in \d+ ms$/);
    assert.equal(lines.length, 3);
  });
}

if (isDeno) {
  // The deno example is Deno's front door: deno.json's import map and `deno test`'s sanitizers.
  test("deno: the worker under deno run, with deno.json's import map in the sandbox", () => {
    const lines = succeeded(runExample("deno", "deno run"));
    assert.deepEqual(lines, [
      "A-1: 12.50 EUR, receipt A-1-1250, charge #1 of this run",
      "B-2: 0.99 EUR, receipt B-2-99, charge #1 of this run",
    ]);
  });

  test("deno: deno test passes with the sanitizers on (nothing left running after shutdown)", () => {
    const result = runExample("deno", "deno test");
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /two checkouts complete, each run with its own module state \.\.\. ok/);
    assert.match(result.stdout, /teardown cancels the retry timer of a failing workflow task \.\.\. ok/);
    assert.match(result.stdout, /ok \| 2 passed \| 0 failed/);
  });
}

// violation and passthrough run on every runtime: their readmes give a node and a deno command.
const program = isDeno ? "deno" : "node";

test(`violation: Date.now() fails the workflow task at its file:line, and the fix completes the same workflow (${program})`, () => {
  const out = succeeded(runExample("violation", program)).join("\n");
  const at = `workflows\\.ts:${lineOf("violation", "workflows.ts", "Date.now()")}:\\d+`;
  assert.match(out, new RegExp(`\\[ERROR\\] Workflow task failed: workflow 'invoice-42' \\(type 'invoice', .*attempt 1; the workflow keeps running`));
  assert.match(out, new RegExp(`RestrictedWorkflowAccessError: Cannot access 'globalThis\\.Date\\.now\\.__call__' from workflow code at '${at}'`));
  assert.match(out, /Use workflow\.now\(\) instead/);
  assert.match(out, new RegExp(`describe\\(\\): RUNNING, task attempt [2-9]\\d* failed with RestrictedWorkflowAccessError at ${at}\n`));
  assert.match(out, /history: WorkflowExecutionStarted\n/);
  assert.match(out, /result: invoice for Ada: 30 EUR, issued \d{4}-\d\d-\d\d\n/);
  assert.match(out, /describe\(\): COMPLETED\n/);
  assert.match(out, /history: WorkflowExecutionStarted, WorkflowTaskCompleted, .*WorkflowExecutionCompleted$/);
});

test(`passthrough: zod passed through is the host's by identity, and cheaper per run (${program})`, () => {
  const out = succeeded(runExample("passthrough", program)).join("\n");
  const section = (label: string) => {
    const match = new RegExp(
      `zod and schemas\\.ts ${label}:\n` +
        `  run's Order schema === host's Order: +(\\w+)\n` +
        `  run's z === host's z: +(\\w+)\n` +
        `  run's receipt instanceof host's Receipt: (\\w+)\n` +
        `  run's error instanceof host's ZodError: +(\\w+)\n` +
        `  cost: (\\d+) µs per run \\(200 runs\\)`,
    ).exec(out);
    assert.ok(match, `no '${label}' section in:\n${out}`);
    return { identities: match.slice(1, 5), microseconds: Number(match[5]) };
  };
  const sandboxed = section("sandboxed");
  const passed = section("passed through");
  assert.deepEqual(sandboxed.identities, ["false", "false", "false", "true"]);
  assert.deepEqual(passed.identities, ["true", "true", "true", "true"]);
  assert.ok(passed.microseconds > 0);
  // Measured 20x to 80x: a fresh zod graph per run against none. 3x leaves room for a loaded machine.
  assert.ok(sandboxed.microseconds > 3 * passed.microseconds, `${sandboxed.microseconds} µs vs ${passed.microseconds} µs`);
  assert.match(out, /passing them through makes a run \d+\.\dx cheaper$/);
});

test.run();
