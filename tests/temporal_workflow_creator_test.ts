// SandboxedWorkflowCreator driven directly, as Temporal's worker drives a WorkflowCreator, without
// core: results, sink calls, per-run state, interleaved executions, unhandled rejections, stacks,
// the execution timeout and the Temporal-mode restrictions.
//
// Node only: the Temporal SDK's native core bridge does not load in Deno, so on Deno this file
// registers no tests.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadsTemporalCore } from "../loader/runtime.ts";

if (loadsTemporalCore) {
  const { SandboxedWorkflowCreator, TEMPORAL_RESTRICTIONS } = await import("../temporal/mod.ts");
  const { WorkflowRuntime } = await import("../temporal/_workflow_runtime.ts");
  const { commandKinds, createOptions, initActivation, jobsActivation, resultOf } = await import(
    "./fixtures/temporal/_direct.ts"
  );

  // deno-lint-ignore no-explicit-any
  type Any = any;
  const workflowsPath = fileURLToPath(new URL("./fixtures/temporal/scenarios.ts", import.meta.url));
  const creators: Array<{ destroy(): Promise<void> }> = [];
  const temporaryFolders: string[] = [];
  test.after(async () => {
    for (const creator of creators) await creator.destroy();
    for (const folder of temporaryFolders) rmSync(folder, { recursive: true, force: true });
  });

  async function creator(options: Record<string, unknown> = {}): ReturnType<typeof SandboxedWorkflowCreator.create> {
    const created = await SandboxedWorkflowCreator.create({ workflowsPath, isolateExecutionTimeoutMs: 5000, ...options });
    creators.push(created);
    return created;
  }

  let ids = 0;
  /** Creates an execution of `type` and runs its first activation. */
  async function start(on: Any, type: string, args: unknown[] = [], atMs?: number) {
    const id = `${type}-${++ids}`;
    const runId = `run-${id}`;
    const workflow = await on.createWorkflow(createOptions(type, id, runId, atMs));
    const completion = await workflow.activate(initActivation(type, id, runId, args, atMs));
    return { workflow, completion, id, runId };
  }

  const shared = await creator();

  test("an execution completes with its workflow's result", async () => {
    const { completion } = await start(shared, "callsSink", ["hello"]);
    assert.deepEqual(commandKinds(completion), ["completeWorkflowExecution"]);
    assert.equal(resultOf(completion), "hello");
  });

  test("sink calls of an activation are returned once, with the workflow's info", async () => {
    const { workflow, id } = await start(shared, "callsSink", ["recorded"]);
    const probes = (await workflow.getAndResetSinkCalls()).filter((call: Any) => call.ifaceName === "probe");
    assert.deepEqual(probes.map((call: Any) => [call.fnName, call.args]), [["record", ["recorded"]]]);
    assert.equal(probes[0].workflowInfo.workflowId, id);
    const again = (await workflow.getAndResetSinkCalls()).filter((call: Any) => call.ifaceName === "probe");
    assert.deepEqual(again, []);
  });

  test("module state and globals are fresh in every execution; Temporal's overrides apply", async () => {
    const at = Date.UTC(2026, 4, 1, 12);
    const first = JSON.parse(resultOf((await start(shared, "reportsState", [], at)).completion) as string);
    const second = JSON.parse(resultOf((await start(shared, "reportsState", [], at)).completion) as string);
    for (const state of [first, second]) {
      assert.equal(state.counter, 1, "the module-level counter starts from zero in each execution");
      assert.equal(state.seenBefore, null, "a global written by another execution is not seen");
      assert.equal(state.now, at, "Date.now() is the activation's time");
      assert.equal(state.newDate, at, "new Date() is the activation's time");
      assert.equal(state.weakRef, "DeterminismViolationError");
      assert.equal(state.setInterval, "undefined", "no timers but setTimeout, as in a Temporal context");
    }
    assert.equal(first.random, second.random, "Math.random() is seeded by the execution's randomness seed");
    assert.notEqual(first.workflowId, second.workflowId);
    assert.equal((globalThis as Record<string, unknown>).leftByAnotherRun, undefined, "the host global is untouched");
  });

  test("executions interleave and run concurrently without sharing module state", async () => {
    const a = await start(shared, "countsTwice");
    const b = await start(shared, "countsTwice");
    assert.deepEqual(commandKinds(a.completion), ["startTimer"]);
    assert.deepEqual(commandKinds(b.completion), ["startTimer"]);
    const later = Date.UTC(2026, 0, 1, 0, 0, 1);
    // The worker may activate several executions at once: the adapter runs them one at a time.
    const [doneA, doneB] = await Promise.all([
      a.workflow.activate(jobsActivation(a.runId, [{ fireTimer: { seq: 1 } }], later)),
      b.workflow.activate(jobsActivation(b.runId, [{ fireTimer: { seq: 1 } }], later)),
    ]);
    assert.deepEqual(JSON.parse(resultOf(doneA) as string), { first: 1, second: 2 });
    assert.deepEqual(JSON.parse(resultOf(doneB) as string), { first: 1, second: 2 });
  });

  test("an unhandled rejection fails its own workflow's activation, not another's", async () => {
    const [rejecting, fine] = await Promise.all([start(shared, "leavesRejection"), start(shared, "callsSink", ["fine"])]);
    assert.equal(rejecting.completion.successful, undefined);
    assert.match(rejecting.completion.failed.failure.message, /^Unhandled Promise rejection: Error: nobody catches this/);
    assert.equal(resultOf(fine.completion), "fine");
  });

  test("the failure of a thrown error has a stack that points at the TypeScript source", async () => {
    const { completion } = await start(shared, "throwsError");
    const line = readFileSync(workflowsPath, "utf8").split("\n").findIndex((text) => text.includes("thrown on purpose")) + 1;
    assert.equal(completion.failed.failure.message, "thrown on purpose");
    assert.match(completion.failed.failure.stackTrace, new RegExp(`scenarios\\.ts:${line}:\\d+`));
  });

  test("isolateExecutionTimeoutMs interrupts a synchronous loop and the creator keeps working", async () => {
    // 1 s, not less: the call after the loop must finish within it too, on a loaded CI machine.
    const strict = await creator({ isolateExecutionTimeoutMs: 1000 });
    const started = Date.now();
    const { completion } = await start(strict, "loopsForever");
    assert.ok(Date.now() - started < 5000);
    assert.match(completion.failed.failure.message, /WFS_DEADLOCK/);
    assert.equal(resultOf((await start(strict, "callsSink", ["after"])).completion), "after");
  });

  test("isolateExecutionTimeoutMs interrupts an import that never ends", async () => {
    const hanging = await creator({
      workflowsPath: fileURLToPath(new URL("./fixtures/temporal/hangs_on_import.ts", import.meta.url)),
      isolateExecutionTimeoutMs: 300,
    });
    await assert.rejects(hanging.createWorkflow(createOptions("never", "hangs", "run-hangs")), /WFS_DEADLOCK/);
  });

  test("without restrictions a workflow reads the environment constants; Temporal mode refuses other names and keeps Date and Math.random", async () => {
    // NODE_ENV is "development", as in Temporal's webpack bundle; the host's HOME is not there.
    assert.equal(resultOf((await start(shared, "readsProcessEnv")).completion), "undefined");
    assert.deepEqual(JSON.parse(resultOf((await start(shared, "readsConstants")).completion) as string), {
      nodeEnv: "development",
      region: null,
      logTokens: null,
    });
    const declared = await creator({ sandbox: { determinism: { nodeEnv: "production", environment: { REGION: "eu" } } } });
    assert.deepEqual(JSON.parse(resultOf((await start(declared, "readsConstants")).completion) as string), {
      nodeEnv: "production",
      region: "eu",
      logTokens: null,
    });
    const restricted = await creator({ sandbox: { restrictions: TEMPORAL_RESTRICTIONS, onWarning: () => {} } });
    const denied = await start(restricted, "readsProcessEnv");
    assert.match(denied.completion.failed.failure.message, /process\.env/);
    const state = JSON.parse(resultOf((await start(restricted, "reportsState")).completion) as string);
    assert.equal(state.counter, 1);
    assert.equal(typeof state.random, "number");
  });

  test("the SDK's runtime is shared by the executions of a worker, the workflow's modules are not", () => {
    const files = [...shared.runtime.sharedModules].map((url) => fileURLToPath(url));
    assert.ok(files.some((file) => file.endsWith(join("@temporalio", "workflow", "lib", "worker-interface.js"))));
    assert.ok(files.some((file) => file.endsWith(join("@temporalio", "workflow", "lib", "index.js"))));
    assert.ok(files.some((file) => file.includes(join("@temporalio", "common", "lib"))));
    assert.ok(!files.some((file) => file.includes("fixtures")), "no module of the workflow's own is shared");
  });

  test("the synthetic bundle's hash follows the workflow sources", async () => {
    const folder = mkdtempSync(join(fileURLToPath(new URL("./fixtures/temporal/", import.meta.url)), ".hash-"));
    temporaryFolders.push(folder);
    writeFileSync(join(folder, "counter.ts"), "let n = 0;\nexport const bump = () => ++n;\n");
    writeFileSync(join(folder, "workflows.ts"), "import { bump } from './counter.ts';\nexport async function w() { return bump(); }\n");
    const hash = async () => (await WorkflowRuntime.prepare({ workflowsPath: join(folder, "workflows.ts") })).sourcesHash;
    const first = await hash();
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.equal(await hash(), first, "same sources, same hash");
    writeFileSync(join(folder, "counter.ts"), "let n = 1;\nexport const bump = () => ++n;\n");
    assert.notEqual(await hash(), first, "an imported module changed");
  });

  test("createWorkflow after destroy fails with a clear error", async () => {
    const doomed = await SandboxedWorkflowCreator.create({ workflowsPath });
    await doomed.destroy();
    await assert.rejects(
      doomed.createWorkflow(createOptions("callsSink", "late", "run-late")),
      {
        code: "WFS_WORKER_STATE",
        message: "Cannot create a workflow (run 'run-late') as this SandboxedWorkflowCreator was destroyed. " +
          "Create workflows before destroy(), or create a new SandboxedWorkflowCreator (WFS_WORKER_STATE)",
      },
    );
  });
}

test.run();
