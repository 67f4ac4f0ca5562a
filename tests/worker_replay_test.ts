// Replay: recorded histories pass against unchanged code, fail with NondeterminismError when an
// activity and a timer are reordered, and pass again when the change is guarded by
// workflow.patched(); a worker restarted on incompatible code fails the workflow task, not the
// workflow, and completes it once patched code is deployed.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MemoryHistoryStore, Replayer, UnsandboxedWorkflowRunner, Worker, type WorkflowHistory, WorkflowEnvironment } from "../mod.ts";
import { NondeterminismError } from "../sandbox/errors.ts";
import { capturingLogger, eventually } from "./fixtures/worker/harness.ts";

const replay = (name: string) => new URL(`./fixtures/worker/replay/${name}`, import.meta.url);
const recorded: WorkflowHistory = JSON.parse(readFileSync(replay("histories/shipment_v1.json"), "utf8"));
const activities = { compose: (item: string) => `label for ${item}` };

async function record(version: string, id: string): Promise<WorkflowHistory> {
  const env = await WorkflowEnvironment.startTimeSkipping();
  const worker = await Worker.create(env, { taskQueue: "replay", workflowsPath: replay(version), activities, logger: capturingLogger() });
  const history = await worker.runUntil(async () => {
    const handle = await env.client.startWorkflow("shipment", { id, taskQueue: "replay", args: ["book"] });
    await handle.result();
    return handle.fetchHistory();
  });
  await env.teardown();
  return history;
}

test("a recorded history replays against unchanged code, sandboxed and unsandboxed", async () => {
  const result = await Replayer.replayWorkflow(recorded, { workflowsPath: replay("v1.ts") });
  assert.deepEqual(result, { workflowId: "shipment-v1", runId: recorded.runId, workflowType: "shipment", workflowTasks: 3 });
  const unsandboxed = await Replayer.replayWorkflow(recorded.events, {
    workflowsPath: replay("v1.ts"),
    workflowRunner: new UnsandboxedWorkflowRunner(),
  });
  assert.equal(unsandboxed.workflowTasks, 3);
});

test("reordering an activity and a timer raises NondeterminismError naming the event, the command and the file:line", async () => {
  const error = await Replayer.replayWorkflow(recorded, { workflowsPath: replay("v2_reordered.ts") }).catch((e: unknown) => e);
  assert.ok(NondeterminismError.is(error), String(error));
  assert.equal((error as NondeterminismError).code, "WFS_NONDETERMINISM");
  assert.match(
    (error as Error).message,
    /history has ActivityTaskScheduled \(activity 'compose', id 1\) at event 3 but the code now produces TimerStarted \(timer 1, 1000 ms\)/,
  );
  assert.match((error as unknown as { location: string }).location, /replay\/v2_reordered\.ts:\d+:\d+$/);
  assert.match((error as Error).message, /workflow\.patched\(/);
});

test("the same change guarded by workflow.patched() replays old histories and runs the new order for new runs", async () => {
  await Replayer.replayWorkflow(recorded, { workflowsPath: replay("v3_patched.ts") });
  const patched = await record("v3_patched.ts", "shipment-v3");
  const types = patched.events.map((e) => e.type);
  assert.ok(types.indexOf("TimerStarted") < types.indexOf("ActivityTaskScheduled"), "new runs take the new branch");
  assert.equal(patched.events.find((e) => e.type === "MarkerRecorded")?.patchId, "timer-first");
  // A patched run replays against the patched and the deprecated versions, not against version 1.
  await Replayer.replayWorkflow(patched, { workflowsPath: replay("v3_patched.ts") });
  await Replayer.replayWorkflow(patched, { workflowsPath: replay("v4_deprecated.ts") });
  await assert.rejects(Replayer.replayWorkflow(patched, { workflowsPath: replay("v1.ts") }), (e: unknown) => NondeterminismError.is(e));
});

test("replayWorkflows collects failures by run id when asked not to raise", async () => {
  const fresh = await record("v1.ts", "shipment-fresh");
  const { results, replayFailures } = await Replayer.replayWorkflows([recorded, fresh], {
    workflowsPath: replay("v2_reordered.ts"),
    raiseOnReplayFailure: false,
  });
  assert.equal(results.length, 0);
  assert.deepEqual([...replayFailures.keys()].sort(), [recorded.runId, fresh.runId].sort());
  const ok = await Replayer.replayWorkflows([recorded, fresh], { workflowsPath: replay("v1.ts") });
  assert.equal(ok.replayFailures.size, 0);
  assert.equal(ok.results.length, 2);
});

test("a worker restarted on reordered code fails the workflow task with NondeterminismError; patched code completes it", async () => {
  const store = new MemoryHistoryStore();
  const env = await WorkflowEnvironment.startTimeSkipping({ store, workflowTaskRetry: { initialInterval: 20, maximumInterval: 100 } });
  const handle = await env.client.startWorkflow("shipment", { id: "shipment-live", taskQueue: "replay", args: ["lamp"] });
  const v1 = await Worker.create(env, { taskQueue: "replay", workflowsPath: replay("v1.ts"), activities, logger: capturingLogger() });
  await v1.runUntil(eventually(async () => (await handle.fetchHistory()).events.some((e) => e.type === "TimerStarted")));

  const logger = capturingLogger();
  const v2 = await Worker.create(env, { taskQueue: "replay", workflowsPath: replay("v2_reordered.ts"), activities, logger });
  const stuck = await v2.runUntil(async () => {
    await env.sleep("2s"); // the timer fires; the next task replays on version 2
    return eventually(async () => (await handle.describe()).taskFailure);
  });
  assert.equal(stuck.type, "NondeterminismError");
  assert.match(stuck.location!, /replay\/v2_reordered\.ts:\d+:\d+$/);
  assert.equal((await handle.describe()).status.name, "RUNNING");
  assert.ok(logger.messages("ERROR").some((m) => m.includes("NondeterminismError") && m.includes("v2_reordered.ts")));

  const v3 = await Worker.create(env, { taskQueue: "replay", workflowsPath: replay("v3_patched.ts"), activities, logger: capturingLogger() });
  assert.equal(await v3.runUntil(handle.result()), "shipped: label for lamp");
  await env.teardown();
});

test.run();
