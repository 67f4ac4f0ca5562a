// Replay: recorded histories pass against unchanged code, fail with NondeterminismError when an
// activity and a timer are reordered, and pass again when the change is guarded by
// workflow.patched(); a worker restarted on incompatible code fails the workflow task, not the
// workflow, and completes it once patched code is deployed. An invalid history (not an object,
// events missing, repeated, out of order, of an unknown type) is WFS_HISTORY_INVALID naming the
// event, in the replayer and in the engine, never a NondeterminismError nor a bare TypeError.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  type ExecutionRef,
  type HistoryEvent,
  MemoryHistoryStore,
  type ReadEventsOptions,
  Replayer,
  UnsandboxedWorkflowRunner,
  Worker,
  type WorkflowHistory,
  WorkflowEnvironment,
} from "../mod.ts";
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

/** The recorded history with its events changed by `edit` (ids: 1 started, 4 activity completed, 6 timer started, 7 timer fired). */
const edited = (edit: (events: HistoryEvent[]) => unknown[]) =>
  ({ ...recorded, events: edit(recorded.events.map((e) => ({ ...e }))) }) as unknown as WorkflowHistory;

const INVALID: [string, unknown, RegExp, { eventId?: number; eventType?: string }?][] = [
  ["null", null, /^Cannot replay: the history is null, not what handle\.fetchHistory\(\) returns/],
  ["a number", 42, /the history is number 42, not what handle\.fetchHistory\(\) returns/],
  ["a string", "history.json", /the history is the string "history\.json"/],
  ["events not an array", { workflowId: "w", runId: "r", events: "none" }, /^Cannot replay workflow 'w' run 'r': the history's 'events' is the string "none", not an array/],
  ["no events", { events: [] }, /the history has no events: its first event, 'WorkflowExecutionStarted', is missing/],
  [
    "a deleted event",
    edited((events) => events.filter((e) => e.eventId !== 4)),
    /event 5 \('WorkflowTaskCompleted'\) comes after event 3 \('ActivityTaskScheduled'\): event 4 is missing/,
    { eventId: 5, eventType: "WorkflowTaskCompleted" },
  ],
  [
    "an unknown event type",
    edited((events) => events.map((e) => e.eventId === 6 ? { ...e, type: "TimerBegan" } : e)),
    /event 6 has the unknown type 'TimerBegan' \(this worker writes 'WorkflowExecutionStarted', /,
    { eventId: 6, eventType: "TimerBegan" },
  ],
  [
    "a repeated event",
    edited((events) => events.flatMap((e) => e.eventId === 4 ? [e, e] : [e])),
    /event 4 \('ActivityTaskCompleted'\) repeats the id of the event before it/,
    { eventId: 4, eventType: "ActivityTaskCompleted" },
  ],
  [
    "events out of order",
    edited(([a, b, c, d, e, f, g, ...rest]) => [a, b, c, d, e, g, f, ...rest]),
    /event 7 \('TimerFired'\) comes after event 5 \('WorkflowTaskCompleted'\), before event 6: out of order/,
    { eventId: 7, eventType: "TimerFired" },
  ],
  [
    "an event without an id",
    edited((events) => events.map((e) => e.eventId === 3 ? { ...e, eventId: undefined } : e)),
    /the event at index 2 \('ActivityTaskScheduled', after event 2 \('WorkflowTaskCompleted'\)\): its 'eventId' is missing, not a positive integer/,
    { eventType: "ActivityTaskScheduled" },
  ],
  ["an event that is not an object", edited((events) => [...events.slice(0, 3), null, ...events.slice(3)]), /the event at index 3 \(after event 3 \('ActivityTaskScheduled'\)\) is null, not an event object/],
  [
    "a second start event",
    edited((events) => events.map((e) => e.eventId === 7 ? { ...events[0], eventId: 7 } : e)),
    /event 7 is a second 'WorkflowExecutionStarted'/,
    { eventId: 7, eventType: "WorkflowExecutionStarted" },
  ],
];

test("an invalid history is WFS_HISTORY_INVALID naming the event, not a NondeterminismError nor a bare TypeError", async () => {
  for (const [what, history, message, event] of INVALID) {
    const error = await Replayer.replayWorkflow(history as WorkflowHistory, { workflowsPath: replay("v1.ts") }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof Error, `${what}: rejects`);
    assert.ok(!NondeterminismError.is(error), `${what}: not a NondeterminismError: ${error.message}`);
    assert.equal((error as Error & { code?: string }).code, "WFS_HISTORY_INVALID", `${what}: ${error.message}`);
    assert.match(error.message, message, what);
    assert.match(error.message, /\. Check where it came from: replay exactly what handle\.fetchHistory\(\) returned, saved without changes \(WFS_HISTORY_INVALID\)$/, what);
    if (event?.eventId !== undefined) assert.equal((error as { eventId?: number }).eventId, event.eventId, what);
    if (event?.eventType !== undefined) assert.equal((error as { eventType?: string }).eventType, event.eventType, what);
  }
  const { replayFailures } = await Replayer.replayWorkflows([null as never, recorded], { workflowsPath: replay("v1.ts"), raiseOnReplayFailure: false });
  assert.equal((replayFailures.get("unknown") as Error & { code?: string }).code, "WFS_HISTORY_INVALID");
});

test("the engine reports a damaged stored history as WFS_HISTORY_INVALID naming the event, and keeps the workflow running", async () => {
  /** A store whose reads of one workflow's history come back damaged. */
  class DamagedStore extends MemoryHistoryStore {
    readonly damage = new Map<string, (events: HistoryEvent[]) => HistoryEvent[]>();
    override async readEvents(ref: ExecutionRef, options?: ReadEventsOptions): Promise<HistoryEvent[]> {
      const events = await super.readEvents(ref, options);
      return this.damage.get(ref.workflowId)?.(events) ?? events;
    }
  }
  const store = new DamagedStore();
  const env = await WorkflowEnvironment.startTimeSkipping({ store, workflowTaskRetry: { initialInterval: 20, maximumInterval: 100 } });
  const logger = capturingLogger();
  const worker = await Worker.create(env, { taskQueue: "replay", workflowsPath: replay("v1.ts"), activities, logger, maxCachedWorkflows: 0 });
  const damages: Record<string, (events: HistoryEvent[]) => HistoryEvent[]> = {
    renamed: (events) => events.map((e) => e.type === "TimerStarted" ? { ...e, type: "TimerBegan" } : e),
    deleted: (events) => events.filter((e) => e.type !== "ActivityTaskCompleted"),
  };
  const failures = await worker.runUntil(async () => {
    const out: Record<string, { message: string; type?: string; code?: string }> = {};
    for (const [id, damage] of Object.entries(damages)) {
      const handle = await env.client.startWorkflow("shipment", { id, taskQueue: "replay", args: ["lamp"] });
      await eventually(async () => (await handle.fetchHistory()).events.some((e) => e.type === "TimerStarted"));
      store.damage.set(id, damage);
      await env.sleep("2s"); // the timer fires; the next task replays the damaged history (no cache)
      out[id] = await eventually(async () => (await handle.describe()).taskFailure);
      assert.equal((await handle.describe()).status.name, "RUNNING");
      await handle.terminate();
    }
    return out;
  });
  assert.equal(failures.renamed!.code, "WFS_HISTORY_INVALID", failures.renamed!.message);
  assert.match(failures.renamed!.message, /Cannot replay workflow 'renamed' run '[^']+': event 6 has the unknown type 'TimerBegan'/);
  assert.equal(failures.deleted!.code, "WFS_HISTORY_INVALID", failures.deleted!.message);
  assert.match(failures.deleted!.message, /Cannot replay workflow 'deleted' run '[^']+': event 5 \('WorkflowTaskCompleted'\) comes after event 3 \('ActivityTaskScheduled'\): event 4 is missing/);
  assert.ok(!logger.messages("ERROR").some((m) => m.includes("NondeterminismError")), "not reported as nondeterminism");
  await env.teardown();
});

test.run();
