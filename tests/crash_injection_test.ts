import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import { CRASH_AFTER_ENV, createCrashInjector, PERSISTENCE_STEPS, type PersistenceStep } from "../worker/crash_injection.ts";
import { FileHistoryStore } from "../worker/file_history_store.ts";
import type { HistoryStore } from "../worker/history_store.ts";
import { MemoryHistoryStore } from "../worker/memory_history_store.ts";
import { isDeno } from "../loader/runtime.ts";

const key = { workflowId: "order-1", runId: "r1" };

/**
 * One workflow's life, one durable write per step: the child runs it against a file store with
 * crash injection, the parent against a memory store to know what must have survived.
 */
const SCRIPT: ReadonlyArray<(store: HistoryStore) => Promise<unknown>> = [
  (s) =>
    s.createExecution({
      ...key,
      workflowType: "processOrder",
      taskQueue: "orders",
      events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: 1_000, args: [1] }],
    }),
  (s) =>
    s.append(key, {
      expectedLastEventId: 1,
      events: [
        { eventId: 2, type: "WorkflowTaskCompleted", timestamp: 1_010 },
        { eventId: 3, type: "ActivityTaskScheduled", timestamp: 1_010, activityId: "1" },
        { eventId: 4, type: "TimerStarted", timestamp: 1_010, timerId: "1" },
      ],
      workflowTaskPending: false,
      activities: { put: [{ activityId: "1", activityType: "charge", taskQueue: "orders", attempt: 1, readyAt: 1_010 }] },
      timers: { put: [{ timerId: "1", firesAt: 61_010 }] },
      step: "workflow-task-complete",
    }),
  (s) =>
    s.append(key, {
      expectedLastEventId: 4,
      events: [{ eventId: 5, type: "ActivityTaskCompleted", timestamp: 1_500, activityId: "1", result: "charged" }],
      activities: { remove: ["1"] },
      workflowTaskPending: true,
      step: "activity-complete",
    }),
  (s) =>
    s.append(key, {
      expectedLastEventId: 5,
      taskFailure: { attempt: 1, message: "Date.now() is not allowed (workflows/order.ts:9:3)", nextAttemptAt: 2_500 },
      step: "workflow-task-fail",
    }),
  (s) =>
    s.append(key, {
      expectedLastEventId: 5,
      events: [{ eventId: 6, type: "TimerFired", timestamp: 61_010, timerId: "1" }],
      timers: { remove: ["1"] },
      workflowTaskPending: true,
      step: "timer-fire",
    }),
  (s) =>
    s.append(key, {
      expectedLastEventId: 6,
      events: [{ eventId: 7, type: "SignalReceived", timestamp: 61_020, name: "approve" }],
      step: "signal",
    }),
  (s) =>
    s.append(key, {
      expectedLastEventId: 7,
      events: [
        { eventId: 8, type: "WorkflowTaskCompleted", timestamp: 61_030 },
        { eventId: 9, type: "WorkflowExecutionContinuedAsNew", timestamp: 61_030, newRunId: "r2" },
      ],
      status: "continued-as-new",
      continueAsNew: {
        runId: "r2",
        workflowType: "processOrder",
        taskQueue: "orders",
        events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: 61_030, args: [2] }],
      },
      taskFailure: null,
      step: "continue-as-new",
    }),
  (s) =>
    s.append({ workflowId: "order-1", runId: "r2" }, {
      expectedLastEventId: 1,
      events: [
        { eventId: 2, type: "WorkflowTaskCompleted", timestamp: 61_040 },
        { eventId: 3, type: "WorkflowExecutionCompleted", timestamp: 61_040, result: "done" },
      ],
      status: "completed",
      step: "workflow-task-complete",
    }),
];

// Child mode: open the store in argv[3] and run SCRIPT steps from argv[4] to argv[5], reporting
// each acknowledged step on stdout; WORKFLOW_SANDBOX_CRASH_AFTER decides where it dies.
if (process.argv[2] === "--crash-child") {
  const from = Number(process.argv[4]);
  const to = Number(process.argv[5]);
  const store = await FileHistoryStore.open({ directory: process.argv[3], warn: () => {} });
  for (let index = from; index < to; index++) {
    await SCRIPT[index]!(store);
    fs.writeSync(1, `acked ${index}\n`);
  }
  await store.close();
  process.exit(0);
}

const folders: string[] = [];

function newFolder(): string {
  const folder = fs.mkdtempSync(join(tmpdir(), "wfs-crash-"));
  folders.push(folder);
  return join(folder, "store");
}

function runChild(directory: string, crashAfter: string, from = 0, to = SCRIPT.length) {
  const file = fileURLToPath(import.meta.url);
  const args = [file, "--crash-child", directory, String(from), String(to)];
  // Under Deno, process.execPath is the deno binary, which needs `run`.
  const [command, argv] = isDeno ? [process.execPath, ["run", "-A", ...args]] : [process.execPath, [...process.execArgv, ...args]];
  const child = spawnSync(command, argv, { env: { ...process.env, [CRASH_AFTER_ENV]: crashAfter }, encoding: "utf8" });
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr };
}

async function expectedAfter(steps: number): Promise<unknown> {
  const store = new MemoryHistoryStore();
  for (const step of SCRIPT.slice(0, steps)) await step(store);
  return snapshot(store);
}

async function snapshot(store: HistoryStore): Promise<unknown> {
  const executions = await store.listExecutions();
  return {
    executions,
    histories: await Promise.all(executions.map((info) => store.readEvents(info))),
    workflowTasks: await store.listWorkflowTasks(),
    timers: await store.listTimers(),
    activities: await store.listActivityTasks(),
  };
}

function acked(count: number): string {
  return Array.from({ length: count }, (_, index) => `acked ${index}\n`).join("");
}

test.after(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

test("PERSISTENCE_STEPS names kebab-case steps, each with what is durable", () => {
  for (const [step, description] of Object.entries(PERSISTENCE_STEPS)) {
    assert.match(step, /^[a-z]+(-[a-z]+)*$/);
    assert.ok(description.length > 10, step);
  }
});

test("an injector is off without a setting", () => {
  const kills: string[] = [];
  const crash = createCrashInjector({ value: "", kill: (step) => kills.push(step) });
  assert.equal(crash.target, undefined);
  for (const step of Object.keys(PERSISTENCE_STEPS) as PersistenceStep[]) crash.reached(step);
  assert.deepEqual(kills, []);
});

test("'<step>:<n>' dies the n-th time that step is reached, and only then", () => {
  const kills: string[] = [];
  const crash = createCrashInjector({ value: "append:2", kill: (step, n) => kills.push(`${step}:${n}`) });
  assert.deepEqual(crash.target, { step: "append", occurrence: 2 });
  crash.reached("start");
  crash.reached("append");
  crash.reached("timer-fire");
  assert.deepEqual(kills, []);
  crash.reached("append");
  assert.deepEqual(kills, ["append:2"]);
  crash.reached("append");
  assert.deepEqual(kills, ["append:2"]);
});

test("'<step>' alone means its first occurrence, and each injector counts on its own", () => {
  const kills: string[] = [];
  const one = createCrashInjector({ value: " timer-fire ", kill: (step, n) => kills.push(`one ${step}:${n}`) });
  const two = createCrashInjector({ value: "timer-fire", kill: (step, n) => kills.push(`two ${step}:${n}`) });
  one.reached("timer-fire");
  two.reached("timer-fire");
  assert.deepEqual(kills, ["one timer-fire:1", "two timer-fire:1"]);
});

test("a setting naming no step fails at once, listing the steps", () => {
  assert.throws(
    () => createCrashInjector({ value: "apend" }),
    /^Error: Cannot enable crash injection: WORKFLOW_SANDBOX_CRASH_AFTER is 'apend', which does not name a persistence step\. Set it to '<step>' or '<step>:<n>' with a step among 'lock', 'start', 'append',.*\(WFS_INVALID_OPTION\)$/,
  );
  assert.throws(() => createCrashInjector({ value: "append:x" }), /does not name a persistence step/);
  assert.throws(() => createCrashInjector({ value: "apend" }), (error: unknown) => {
    const coded = error as Error & { code?: string; hint?: string; option?: string };
    assert.equal(coded.code, "WFS_INVALID_OPTION");
    assert.equal(coded.option, CRASH_AFTER_ENV);
    assert.match(coded.hint ?? "", /^Set it to '<step>' or '<step>:<n>'/);
    return true;
  });
  assert.throws(() => createCrashInjector({ value: "append:0" }), /whose occurrence must be 1 or more\. Use 'append' or 'append:1' for the first time the step is reached \(WFS_INVALID_OPTION\)$/);
});

test("the setting is read from WORKFLOW_SANDBOX_CRASH_AFTER by default", () => {
  const previous = process.env[CRASH_AFTER_ENV];
  process.env[CRASH_AFTER_ENV] = "signal:3";
  try {
    assert.deepEqual(createCrashInjector({ kill: () => {} }).target, { step: "signal", occurrence: 3 });
  } finally {
    if (previous === undefined) delete process.env[CRASH_AFTER_ENV];
    else process.env[CRASH_AFTER_ENV] = previous;
  }
});

/** Setting, and how many SCRIPT steps are durable when the child dies (the last one unacknowledged). */
const CRASH_POINTS: ReadonlyArray<[string, number]> = [
  ["lock", 0],
  ["start", 1],
  ["append", 2],
  ["workflow-task-complete", 2],
  ["activity-complete", 3],
  ["append:3", 4],
  ["workflow-task-fail", 4],
  ["timer-fire", 5],
  ["signal", 6],
  ["continue-as-new", 7],
  ["workflow-task-complete:2", 8],
  ["append:7", 8],
];

for (const [setting, durable] of CRASH_POINTS) {
  test(`killed after '${setting}': reopening shows exactly the writes flushed before the crash`, async () => {
    const directory = newFolder();
    const child = runChild(directory, setting);
    const [step, occurrence = "1"] = setting.split(":");
    assert.equal(child.signal, "SIGKILL", `the child died by SIGKILL (status ${child.status}, stderr ${child.stderr})`);
    assert.equal(child.stderr, `workflow-sandbox: crash injected after step '${step}' (occurrence ${occurrence}) by ${CRASH_AFTER_ENV}\n`);
    assert.equal(child.stdout, acked(Math.max(0, durable - 1)), "the crashing write was durable but never acknowledged");

    const warnings: string[] = [];
    const store = await FileHistoryStore.open({ directory, warn: (m) => warnings.push(m), crashInjector: createCrashInjector({ value: "" }) });
    assert.deepEqual(await snapshot(store), await expectedAfter(durable));
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /Took over lock file .* which is no longer running/);
    // The restarted store carries on where the dead one stopped.
    for (const step of SCRIPT.slice(durable)) await step(store);
    assert.deepEqual(await snapshot(store), await expectedAfter(SCRIPT.length));
    await store.close();
  });
}

test("killed after 'recover': the torn record stays dropped and nothing else is lost", async () => {
  const directory = newFolder();
  const prepared = runChild(directory, "", 0, 3);
  assert.equal(prepared.status, 0, prepared.stderr);
  const [name] = fs.readdirSync(join(directory, "histories"));
  const file = join(directory, "histories", name!);
  fs.truncateSync(file, fs.statSync(file).size - 4);

  const child = runChild(directory, "recover", 0, 0);
  assert.equal(child.signal, "SIGKILL");
  assert.equal(child.stderr, `workflow-sandbox: crash injected after step 'recover' (occurrence 1) by ${CRASH_AFTER_ENV}\n`);

  const warnings: string[] = [];
  const store = await FileHistoryStore.open({ directory, warn: (m) => warnings.push(m), crashInjector: createCrashInjector({ value: "" }) });
  assert.deepEqual(await snapshot(store), await expectedAfter(2));
  assert.equal(warnings.length, 1, "only the stale lock; the torn record was already cut off durably");
  await store.close();
});

test("a step that is never reached lets the child finish normally", () => {
  const directory = newFolder();
  const child = runChild(directory, "append:99");
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stderr, "");
  assert.equal(child.stdout, acked(SCRIPT.length));
});

test("a misspelt setting makes the store fail to open with the list of steps", () => {
  const child = runChild(newFolder(), "timer");
  assert.equal(child.status, 1);
  assert.match(child.stderr, /Cannot enable crash injection: WORKFLOW_SANDBOX_CRASH_AFTER is 'timer', which does not name a persistence step/);
});

test.run();
