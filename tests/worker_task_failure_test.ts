// Task-failure semantics (python-sandbox.md §2.7): a restricted access fails the workflow *task*:
// the workflow stays running, each failed attempt is logged and described with the workflow
// file:line, history is unchanged; once the code is fixed and the worker restarted, the same
// workflow completes. `sandboxed: false` runs the same call; failure types escalate it.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FileHistoryStore, Worker, WorkflowEnvironment, WorkflowFailedError, type ApplicationFailure } from "../mod.ts";
import { capturingLogger, eventually } from "./fixtures/worker/harness.ts";

const broken = new URL("./fixtures/worker/date_now/workflows.ts", import.meta.url);
const retry = { initialInterval: 20, maximumInterval: 100 };

/** The fixed workflow module: the marked line replaced, imports made absolute. */
function writeFix(folder: string): URL {
  const mod = pathToFileURL(fileURLToPath(new URL("../mod.ts", import.meta.url))).href;
  const source = readFileSync(broken, "utf8")
    .split("\n")
    .map((line) => (line.includes("// FIX: ") ? `  ${line.slice(line.indexOf("// FIX: ") + 8)}` : line))
    .join("\n")
    .replace(`from "workflow-sandbox"`, `from ${JSON.stringify(mod)}`);
  const path = join(folder, "workflows_fixed.ts");
  writeFileSync(path, source);
  return pathToFileURL(path);
}

test("Date.now() in a workflow: tasks fail naming file:line, the workflow stays running, and completes after the fix and a restart", async () => {
  const folder = mkdtempSync(join(tmpdir(), "wfs-date-now-"));
  try {
    const directory = join(folder, "store");
    // First worker process: the broken code.
    const env = await WorkflowEnvironment.startLocal({ store: await FileHistoryStore.open({ directory }), workflowTaskRetry: retry });
    const logger = capturingLogger();
    const worker = await Worker.create(env, { taskQueue: "clock", workflowsPath: broken, logger });
    const handle = await env.client.startWorkflow("stamp", { id: "stamp-1", taskQueue: "clock", args: ["order"] });
    const description = await worker.runUntil(eventually(async () => {
      const d = await handle.describe();
      return (d.taskFailure?.attempt ?? 0) >= 2 && d;
    }));
    assert.equal(description.status.name, "RUNNING");
    assert.equal(description.taskFailure!.type, "RestrictedWorkflowAccessError");
    const line = readFileSync(broken, "utf8").split("\n").findIndex((l) => l.includes("// FIX: ")) + 1;
    assert.match(description.taskFailure!.location!, new RegExp(`fixtures/worker/date_now/workflows\\.ts:${line}:\\d+$`));
    assert.match(description.taskFailure!.message, /globalThis\.Date\.now\.__call__.*Use workflow\.now\(\) instead/);
    const failures = logger.messages("ERROR").filter((m) => m.startsWith("Workflow task failed") && m.includes("stamp-1"));
    assert.ok(failures.length >= 2, "every failed attempt is logged");
    assert.match(failures[0]!, new RegExp(`date_now/workflows\\.ts:${line}:\\d+`));
    assert.deepEqual((await handle.fetchHistory()).events.map((e) => e.type), ["WorkflowExecutionStarted"], "history is unchanged");
    await env.teardown();

    // Restart with the fixed code: a new process would open the same folder.
    const fixed = writeFix(folder);
    const env2 = await WorkflowEnvironment.startLocal({ store: await FileHistoryStore.open({ directory }), workflowTaskRetry: retry });
    const worker2 = await Worker.create(env2, { taskQueue: "clock", workflowsPath: fixed, logger: capturingLogger() });
    const handle2 = env2.client.getHandle("stamp-1");
    assert.equal(await worker2.runUntil(handle2.result()), "order started at number");
    const after = await handle2.describe();
    assert.equal(after.status.name, "COMPLETED");
    assert.equal(after.taskFailure, undefined);
    await env2.teardown();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("a definition with sandboxed: false runs Date.now() without error", async () => {
  const env = await WorkflowEnvironment.startTimeSkipping();
  const worker = await Worker.create(env, { taskQueue: "clock", workflowsPath: broken, logger: capturingLogger() });
  const value = await worker.runUntil(env.client.executeWorkflow("hostStamp", { id: "host-1", taskQueue: "clock", args: ["order"] }));
  assert.equal(value, "order started at number");
  await env.teardown();
});

test("workflowFailureErrorTypes including NondeterminismError (a base class, by name) fails the workflow instead", async () => {
  const env = await WorkflowEnvironment.startTimeSkipping();
  const worker = await Worker.create(env, {
    taskQueue: "clock",
    workflowsPath: broken,
    logger: capturingLogger(),
    workflowFailureErrorTypes: ["NondeterminismError"],
  });
  const error = await worker.runUntil(
    env.client.executeWorkflow("stamp", { id: "stamp-2", taskQueue: "clock", args: ["x"] }).catch((e: unknown) => e),
  );
  assert.ok(error instanceof WorkflowFailedError);
  assert.equal((error.cause as ApplicationFailure).type, "RestrictedWorkflowAccessError");
  await env.teardown();
});

test("a Symbol.for brand in workflowFailureErrorTypes matches errors from any copy of the package", async () => {
  const env = await WorkflowEnvironment.startTimeSkipping();
  const worker = await Worker.create(env, {
    taskQueue: "clock",
    workflowsPath: broken,
    logger: capturingLogger(),
    workflowFailureErrorTypes: [Symbol.for("workflow-sandbox.error.RestrictedWorkflowAccessError")],
  });
  const error = await worker.runUntil(
    env.client.executeWorkflow("stamp", { id: "stamp-3", taskQueue: "clock", args: ["x"] }).catch((e: unknown) => e),
  );
  assert.ok(error instanceof WorkflowFailedError);
  await env.teardown();
});

test.run();
