/**
 * The behaviour every `HistoryStore` shares, as uvu tests added to a caller's suite, so the memory
 * and file stores (and any new backend) are held to one contract.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Test } from "uvu";
import {
  type AppendBatch,
  type ExecutionKey,
  type HistoryEvent,
  type HistoryStore,
  HistoryStoreError,
  type HistoryStoreErrorCode,
  type NewExecution,
} from "../worker/history_store.ts";

/**
 * How the contract gets stores.
 *
 * @example
 * ```ts
 * import { MemoryHistoryStore } from "../worker/memory_history_store.ts";
 * import type { HistoryStoreContractOptions } from "./_history_store_contract.ts";
 *
 * const options: HistoryStoreContractOptions = {
 *   open: () => Promise.resolve(new MemoryHistoryStore()),
 *   reopen: (store) => Promise.resolve(store),
 * };
 * ```
 */
export interface HistoryStoreContractOptions {
  /** Opens an empty store. */
  open(): Promise<HistoryStore>;
  /** Closes `store` and opens its data again; a store without durability returns it unchanged. */
  reopen(store: HistoryStore): Promise<HistoryStore>;
}

/**
 * Adds the shared contract tests to `test`, each named `contract: ...`.
 *
 * @example
 * ```ts
 * import { test } from "uvu";
 * import { MemoryHistoryStore } from "../worker/memory_history_store.ts";
 * import { addHistoryStoreContract } from "./_history_store_contract.ts";
 *
 * addHistoryStoreContract(test, { open: async () => new MemoryHistoryStore(), reopen: async (store) => store });
 * test.run();
 * ```
 */
export function addHistoryStoreContract(test: Test, options: HistoryStoreContractOptions): void {
  const it = (name: string, body: (store: HistoryStore) => Promise<HistoryStore | void>) => {
    test(`contract: ${name}`, async () => {
      const store = await options.open();
      const last = (await body(store)) ?? store;
      await last.close();
    });
  };

  it("createExecution then readEvents round-trips events and describes the run", async (store) => {
    const info = await store.createExecution(start("wf-1", "r1", 1_000, { args: ["world", { n: 1 }] }));
    assert.deepEqual(info, {
      workflowId: "wf-1",
      runId: "r1",
      workflowType: "greet",
      taskQueue: "q",
      status: "running",
      startTime: 1_000,
      lastEventId: 1,
      workflowTaskPending: true,
    });
    assert.deepEqual(await store.readEvents({ workflowId: "wf-1" }), [
      { eventId: 1, type: "WorkflowExecutionStarted", timestamp: 1_000, args: ["world", { n: 1 }] },
    ]);
    assert.deepEqual(await store.getExecution({ workflowId: "wf-1", runId: "r1" }), info);
    assert.equal(await store.getExecution({ workflowId: "wf-1", runId: "nope" }), undefined);
    assert.equal(await store.getExecution({ workflowId: "nope" }), undefined);
  });

  it("values are JSON copies: neither the caller's objects nor returned ones alias stored history", async (store) => {
    const input = start("wf-1", "r1", 1_000, { payload: { items: [1, 2] }, when: new Date(5), gone: undefined });
    await store.createExecution(input);
    (input.events[0]!.payload as { items: number[] }).items.push(3);
    const [read] = await store.readEvents({ workflowId: "wf-1" });
    assert.deepEqual(read, {
      eventId: 1,
      type: "WorkflowExecutionStarted",
      timestamp: 1_000,
      payload: { items: [1, 2] },
      when: new Date(5).toISOString(),
    });
    (read!.payload as { items: number[] }).items.push(4);
    assert.deepEqual((await store.readEvents({ workflowId: "wf-1" }))[0]!.payload, { items: [1, 2] });
  });

  it("a value that is not JSON is rejected and nothing is written", async (store) => {
    await expectCode(store.createExecution(start("wf-1", "r1", 1_000, { big: 1n })), "WFS_STORE_INVALID", /not JSON-serialisable/);
    assert.equal(await store.getExecution({ workflowId: "wf-1" }), undefined);
  });

  it("createExecution fails while the id's latest run runs, and allows a new run once it closed", async (store) => {
    await store.createExecution(start("wf-1", "r1", 1_000));
    await expectCode(store.createExecution(start("wf-1", "r2", 2_000)), "WFS_STORE_ALREADY_RUNNING", /'wf-1'.*'r1'.*still running/);
    await store.append(key("wf-1", "r1"), { expectedLastEventId: 1, events: [event(2, "WorkflowExecutionTerminated", 3_000)], status: "terminated" });
    await expectCode(store.createExecution(start("wf-1", "r1", 4_000)), "WFS_STORE_INVALID", /run id 'r1' is already used/);
    const second = await store.createExecution(start("wf-1", "r2", 4_000));
    assert.equal(second.status, "running");
    assert.equal((await store.getExecution({ workflowId: "wf-1" }))?.runId, "r2", "without runId: the latest run");
    assert.deepEqual((await store.listExecutions({ workflowId: "wf-1" })).map((i) => [i.runId, i.status]), [
      ["r1", "terminated"],
      ["r2", "running"],
    ]);
  });

  it("append adds consecutive events and returns the new state", async (store) => {
    await store.createExecution(start("wf-1", "r1", 1_000));
    const info = await store.append(key("wf-1", "r1"), {
      expectedLastEventId: 1,
      events: [event(2, "WorkflowTaskCompleted", 1_010), event(3, "MarkerRecorded", 1_010, { patch: "p1" })],
      workflowTaskPending: false,
    });
    assert.equal(info.lastEventId, 3);
    assert.equal(info.workflowTaskPending, false);
    assert.deepEqual((await store.readEvents({ workflowId: "wf-1" })).map((e) => e.eventId), [1, 2, 3]);
    assert.deepEqual((await store.readEvents({ workflowId: "wf-1", runId: "r1" }, { afterEventId: 2 })).map((e) => e.type), ["MarkerRecorded"]);
    assert.deepEqual(await store.readEvents({ workflowId: "wf-1" }, { afterEventId: 3 }), []);
  });

  it("a stale expectedLastEventId is a conflict and writes nothing", async (store) => {
    await store.createExecution(start("wf-1", "r1", 1_000));
    await store.append(key("wf-1", "r1"), { expectedLastEventId: 1, events: [event(2, "SignalReceived", 1_100)], workflowTaskPending: true });
    const stale: AppendBatch = {
      expectedLastEventId: 1,
      events: [event(2, "WorkflowTaskCompleted", 1_200)],
      workflowTaskPending: false,
      timers: { put: [{ timerId: "1", firesAt: 9_000 }] },
    };
    await expectCode(store.append(key("wf-1", "r1"), stale), "WFS_STORE_CONFLICT", /expected last event id 1 but it is 2, another write landed first\. Read the history again and retry/);
    assert.deepEqual((await store.readEvents({ workflowId: "wf-1" })).map((e) => e.type), ["WorkflowExecutionStarted", "SignalReceived"]);
    assert.deepEqual(await store.listTimers(), []);
    assert.equal((await store.getExecution({ workflowId: "wf-1" }))?.workflowTaskPending, true);
  });

  it("malformed batches are rejected whole, naming the problem", async (store) => {
    await store.createExecution(start("wf-1", "r1", 1_000));
    const k = key("wf-1", "r1");
    await expectCode(store.append(k, { expectedLastEventId: 1, events: [event(3, "X", 1)] }), "WFS_STORE_INVALID", /eventId 3 instead of 2/);
    await expectCode(store.append(k, { expectedLastEventId: 1, events: [{ eventId: 2, timestamp: 1 } as unknown as HistoryEvent] }), "WFS_STORE_INVALID", /'type'/);
    await expectCode(store.append(k, { expectedLastEventId: 1, events: [event(2, "X", Number.NaN)] }), "WFS_STORE_INVALID", /'timestamp'/);
    await expectCode(store.append(k, { expectedLastEventId: 1, timers: { remove: ["7"] } }), "WFS_STORE_INVALID", /cannot remove timers '7'/);
    await expectCode(store.append(k, { expectedLastEventId: 1, timers: { put: [{ timerId: "1", firesAt: "soon" as unknown as number }] } }), "WFS_STORE_INVALID", /'firesAt'/);
    await expectCode(store.append(k, { expectedLastEventId: 1, status: "completed" }), "WFS_STORE_INVALID", /closing event/);
    await expectCode(store.append(k, { expectedLastEventId: 1, status: "running" as "completed", events: [event(2, "X", 1)] }), "WFS_STORE_INVALID", /can only close/);
    await expectCode(store.append(k, { expectedLastEventId: 1, evnts: [] } as unknown as AppendBatch), "WFS_STORE_INVALID", /unknown batch field 'evnts'/);
    await expectCode(store.append(k, { expectedLastEventId: 1, step: "apend" as "append" }), "WFS_STORE_INVALID", /not a persistence step/);
    await expectCode(
      store.append(k, {
        expectedLastEventId: 1,
        events: [event(2, "ActivityTaskScheduled", 1)],
        activities: { put: [{ activityId: "1", activityType: "a", taskQueue: "q", attempt: 0, readyAt: 1 }] },
      }),
      "WFS_STORE_INVALID",
      /'attempt'/,
    );
    assert.equal((await store.getExecution({ workflowId: "wf-1" }))?.lastEventId, 1);
    assert.deepEqual(await store.listActivityTasks(), []);
  });

  it("unknown runs are not found and closed runs accept no writes", async (store) => {
    await expectCode(store.append(key("nope", "r1"), { expectedLastEventId: 0 }), "WFS_STORE_NOT_FOUND", /'nope'/);
    await expectCode(store.readEvents({ workflowId: "nope" }), "WFS_STORE_NOT_FOUND", /'nope'/);
    await store.createExecution(start("wf-1", "r1", 1_000));
    await expectCode(store.append(key("wf-1", "r9"), { expectedLastEventId: 1 }), "WFS_STORE_NOT_FOUND", /no run 'r9'.*'r1'/);
    await store.append(key("wf-1", "r1"), { expectedLastEventId: 1, events: [event(2, "WorkflowExecutionCompleted", 2_000)], status: "completed" });
    await expectCode(
      store.append(key("wf-1", "r1"), { expectedLastEventId: 2, events: [event(3, "SignalReceived", 3_000)] }),
      "WFS_STORE_CLOSED_RUN",
      /the run is completed/,
    );
  });

  it("closing a run records its close time and drops its timers, activities and pending task", async (store) => {
    await store.createExecution(start("wf-1", "r1", 1_000));
    const k = key("wf-1", "r1");
    await store.append(k, scheduleTimerAndActivity(1, 1_010));
    await store.append(k, { expectedLastEventId: 3, taskFailure: { attempt: 1, message: "boom", nextAttemptAt: 5_000 }, workflowTaskPending: true });
    const info = await store.append(k, { expectedLastEventId: 3, events: [event(4, "WorkflowExecutionFailed", 2_000)], status: "failed" });
    assert.deepEqual(info, {
      workflowId: "wf-1",
      runId: "r1",
      workflowType: "greet",
      taskQueue: "q",
      status: "failed",
      startTime: 1_000,
      closeTime: 2_000,
      lastEventId: 4,
      workflowTaskPending: false,
    });
    assert.deepEqual(await store.listTimers(), []);
    assert.deepEqual(await store.listActivityTasks(), []);
    assert.deepEqual(await store.listWorkflowTasks(), []);
  });

  it("listExecutions filters by status and sorts by start time, workflow id, run id", async (store) => {
    await store.createExecution(start("b", "r1", 2_000));
    await store.createExecution(start("a", "r1", 2_000));
    await store.createExecution(start("c", "r1", 1_000));
    await store.append(key("a", "r1"), { expectedLastEventId: 1, events: [event(2, "WorkflowExecutionCompleted", 3_000)], status: "completed" });
    assert.deepEqual((await store.listExecutions()).map((i) => i.workflowId), ["c", "a", "b"]);
    assert.deepEqual((await store.listExecutions({ status: "completed" })).map((i) => i.workflowId), ["a"]);
    assert.deepEqual((await store.listExecutions({ status: "running" })).map((i) => i.workflowId), ["c", "b"]);
  });

  it("listExecutions filters by workflow type, start time and close time, and pages with limit and after", async (store) => {
    await store.createExecution(start("a", "r1", 1_000));
    await store.createExecution({ ...start("b", "r1", 2_000), workflowType: "ship" });
    await store.createExecution(start("c", "r1", 3_000));
    await store.createExecution({ ...start("d", "r1", 3_000), workflowType: "ship" });
    await store.append(key("b", "r1"), { expectedLastEventId: 1, events: [event(2, "WorkflowExecutionCompleted", 5_000)], status: "completed" });
    await store.append(key("c", "r1"), { expectedLastEventId: 1, events: [event(2, "WorkflowExecutionFailed", 6_000)], status: "failed" });
    const ids = (infos: { workflowId: string }[]) => infos.map((i) => i.workflowId);
    assert.deepEqual(ids(await store.listExecutions({ workflowType: "ship" })), ["b", "d"]);
    assert.deepEqual(ids(await store.listExecutions({ workflowType: "ship", status: "running" })), ["d"]);
    assert.deepEqual(ids(await store.listExecutions({ startTime: { from: 2_000, to: 3_000 } })), ["b"], "'from' inclusive, 'to' exclusive");
    assert.deepEqual(ids(await store.listExecutions({ startTime: { from: 3_000 } })), ["c", "d"]);
    assert.deepEqual(ids(await store.listExecutions({ closeTime: {} })), ["b", "c"], "any close time: closed runs only");
    assert.deepEqual(ids(await store.listExecutions({ closeTime: { to: 6_000 } })), ["b"]);
    const first = await store.listExecutions({ limit: 3 });
    assert.deepEqual(ids(first), ["a", "b", "c"]);
    assert.deepEqual(ids(await store.listExecutions({ limit: 3, after: first[2] })), ["d"], "the next page starts after the last run of the previous one");
    assert.deepEqual(await store.listExecutions({ after: { startTime: 3_000, workflowId: "d", runId: "r1" } }), []);
    await expectCode(store.listExecutions({ status: "done" as "completed" }), "WFS_STORE_INVALID", /'status' is 'done'/);
    await expectCode(store.listExecutions({ type: "ship" } as never), "WFS_STORE_INVALID", /unknown filter field 'type'/);
    await expectCode(store.listExecutions({ limit: 0 }), "WFS_STORE_INVALID", /'limit'/);
    await expectCode(store.listExecutions({ startTime: { after: 1 } } as never), "WFS_STORE_INVALID", /'startTime'/);
  });

  it("listWorkflowTasks finds runs that need a task, honours the task queue and the retry time", async (store) => {
    await store.createExecution(start("a", "r1", 1_000));
    await store.createExecution({ ...start("b", "r1", 1_100), taskQueue: "other" });
    await store.createExecution({ ...start("c", "r1", 1_200), workflowTaskPending: false });
    assert.deepEqual((await store.listWorkflowTasks()).map((i) => i.workflowId), ["a", "b"]);
    assert.deepEqual((await store.listWorkflowTasks({ taskQueue: "other" })).map((i) => i.workflowId), ["b"]);

    const failure = { attempt: 2, message: "Date.now() is not allowed (workflows/a.ts:3:7)", nextAttemptAt: 9_000, details: { stack: "at a.ts:3" } };
    const info = await store.append(key("a", "r1"), { expectedLastEventId: 1, taskFailure: failure, step: "workflow-task-fail" });
    assert.deepEqual(info.taskFailure, failure);
    assert.equal(info.lastEventId, 1, "a task failure leaves history unchanged");
    assert.deepEqual((await store.listWorkflowTasks({ readyBy: 8_999 })).map((i) => i.workflowId), ["b"]);
    assert.deepEqual((await store.listWorkflowTasks({ readyBy: 9_000 })).map((i) => i.workflowId), ["b", "a"], "sorted by when they may run");
    assert.deepEqual((await store.getExecution({ workflowId: "a" }))?.taskFailure, failure);

    const cleared = await store.append(key("a", "r1"), {
      expectedLastEventId: 1,
      events: [event(2, "WorkflowTaskCompleted", 9_100)],
      workflowTaskPending: false,
      taskFailure: null,
    });
    assert.equal(cleared.taskFailure, undefined);
    assert.deepEqual((await store.listWorkflowTasks()).map((i) => i.workflowId), ["b"]);
  });

  it("timers keep absolute deadlines, list by due time, and are replaced or removed by id", async (store) => {
    await store.createExecution(start("a", "r1", 1_000));
    await store.createExecution(start("b", "r1", 1_000));
    await store.append(key("a", "r1"), {
      expectedLastEventId: 1,
      events: [event(2, "TimerStarted", 1_000), event(3, "TimerStarted", 1_000)],
      timers: { put: [{ timerId: "2", firesAt: 61_000, data: { startedEventId: 3 } }, { timerId: "1", firesAt: 5_000, data: { startedEventId: 2 } }] },
    });
    await store.append(key("b", "r1"), { expectedLastEventId: 1, events: [event(2, "TimerStarted", 1_000)], timers: { put: [{ timerId: "1", firesAt: 5_000 }] } });
    assert.deepEqual(await store.listTimers({ dueBy: 5_000 }), [
      { workflowId: "a", runId: "r1", timerId: "1", firesAt: 5_000, data: { startedEventId: 2 } },
      { workflowId: "b", runId: "r1", timerId: "1", firesAt: 5_000 },
    ]);
    assert.deepEqual((await store.listTimers()).map((t) => `${t.workflowId}/${t.timerId}@${t.firesAt}`), ["a/1@5000", "b/1@5000", "a/2@61000"]);
    await store.append(key("a", "r1"), {
      expectedLastEventId: 3,
      events: [event(4, "TimerFired", 5_000, { timerId: "1" })],
      timers: { remove: ["1"], put: [{ timerId: "2", firesAt: 7_000 }] },
      workflowTaskPending: true,
      step: "timer-fire",
    });
    assert.deepEqual((await store.listTimers()).map((t) => `${t.workflowId}/${t.timerId}@${t.firesAt}`), ["b/1@5000", "a/2@7000"]);
  });

  it("activity tasks are listed by queue and readiness, retried in place, removed on completion", async (store) => {
    await store.createExecution(start("a", "r1", 1_000));
    const k = key("a", "r1");
    await store.append(k, {
      expectedLastEventId: 1,
      events: [event(2, "ActivityTaskScheduled", 1_000), event(3, "ActivityTaskScheduled", 1_000)],
      activities: {
        put: [
          { activityId: "1", activityType: "charge", taskQueue: "q", attempt: 1, readyAt: 1_000, data: { args: [10] } },
          { activityId: "2", activityType: "mail", taskQueue: "mail-q", attempt: 1, readyAt: 1_000 },
        ],
      },
      workflowTaskPending: false,
    });
    assert.deepEqual(await store.listActivityTasks({ taskQueue: "q" }), [
      { workflowId: "a", runId: "r1", activityId: "1", activityType: "charge", taskQueue: "q", attempt: 1, readyAt: 1_000, data: { args: [10] } },
    ]);
    await store.append(k, {
      expectedLastEventId: 3,
      activities: { put: [{ activityId: "1", activityType: "charge", taskQueue: "q", attempt: 2, readyAt: 3_000, data: { args: [10], lastFailure: "declined" } }] },
      step: "activity-retry",
    });
    assert.deepEqual((await store.listActivityTasks({ readyBy: 2_000 })).map((t) => t.activityId), ["2"]);
    assert.deepEqual((await store.listActivityTasks()).map((t) => `${t.activityId}#${t.attempt}`), ["2#1", "1#2"]);
    const info = await store.append(k, {
      expectedLastEventId: 3,
      events: [event(4, "ActivityTaskCompleted", 3_100, { activityId: "1", result: "ok" })],
      activities: { remove: ["1"] },
      workflowTaskPending: true,
      step: "activity-complete",
    });
    assert.equal(info.workflowTaskPending, true);
    assert.deepEqual((await store.listActivityTasks()).map((t) => t.activityId), ["2"]);
  });

  it("continue-as-new closes the run and starts the next one in the same write", async (store) => {
    await store.createExecution(start("a", "r1", 1_000));
    await store.append(key("a", "r1"), scheduleTimerAndActivity(1, 1_000));
    await expectCode(
      store.append(key("a", "r1"), { expectedLastEventId: 3, events: [event(4, "WorkflowExecutionContinuedAsNew", 2_000)], status: "continued-as-new" }),
      "WFS_STORE_INVALID",
      /go together/,
    );
    await expectCode(
      store.append(key("a", "r1"), {
        expectedLastEventId: 3,
        events: [event(4, "WorkflowExecutionContinuedAsNew", 2_000)],
        status: "continued-as-new",
        continueAsNew: { runId: "r1", workflowType: "greet", taskQueue: "q", events: [event(1, "WorkflowExecutionStarted", 2_000)] },
      }),
      "WFS_STORE_INVALID",
      /run id 'r1' is already used/,
    );
    const closed = await store.append(key("a", "r1"), {
      expectedLastEventId: 3,
      events: [event(4, "WorkflowExecutionContinuedAsNew", 2_000, { newRunId: "r2" })],
      status: "continued-as-new",
      continueAsNew: { runId: "r2", workflowType: "greet", taskQueue: "q", events: [event(1, "WorkflowExecutionStarted", 2_000, { args: [2] })] },
      step: "continue-as-new",
    });
    assert.equal(closed.status, "continued-as-new");
    assert.equal(closed.nextRunId, "r2");
    const next = await store.getExecution({ workflowId: "a" });
    assert.deepEqual(next, {
      workflowId: "a",
      runId: "r2",
      workflowType: "greet",
      taskQueue: "q",
      status: "running",
      startTime: 2_000,
      lastEventId: 1,
      workflowTaskPending: true,
    });
    assert.deepEqual(await store.readEvents({ workflowId: "a" }), [event(1, "WorkflowExecutionStarted", 2_000, { args: [2] })]);
    assert.deepEqual(await store.listTimers(), [], "the old run's timer went with it");
  });

  it("everything survives a reopen", async (store) => {
    await store.createExecution(start("a", "r1", 1_000));
    await store.append(key("a", "r1"), scheduleTimerAndActivity(1, 1_010));
    await store.append(key("a", "r1"), { expectedLastEventId: 3, taskFailure: { attempt: 1, message: "boom", nextAttemptAt: 2_000 }, workflowTaskPending: true });
    await store.createExecution(start("b", "r1", 1_100));
    await store.append(key("b", "r1"), {
      expectedLastEventId: 1,
      events: [event(2, "WorkflowExecutionContinuedAsNew", 1_200)],
      status: "continued-as-new",
      continueAsNew: { runId: "r2", workflowType: "greet", taskQueue: "q", events: [event(1, "WorkflowExecutionStarted", 1_200)] },
    });
    await store.createExecution(start("c/é 😀 with spaces", "r1", 1_300));
    const before = await snapshot(store);
    const reopened = await options.reopen(store);
    assert.deepEqual(await snapshot(reopened), before);
    // And it keeps working from where it was.
    await reopened.append(key("a", "r1"), { expectedLastEventId: 3, events: [event(4, "WorkflowExecutionCompleted", 3_000)], status: "completed" });
    assert.equal((await reopened.getExecution({ workflowId: "a" }))?.status, "completed");
    return reopened;
  });

  it("a start retried with its request id takes effect once: the same run, no error, even after it closed", async (store) => {
    const first = await store.createExecution({ ...start("a", "r1", 1_000), requestId: "req-start" });
    const retried = await store.createExecution({ ...start("a", "r-retry", 1_500), requestId: "req-start" });
    assert.deepEqual(retried, first, "the retry resolves with the run the first call created");
    assert.deepEqual((await store.listExecutions({ workflowId: "a" })).map((i) => i.runId), ["r1"]);
    await expectCode(store.createExecution({ ...start("a", "r2", 1_600), requestId: "req-other" }), "WFS_STORE_ALREADY_RUNNING", /still running/);
    await store.append(key("a", "r1"), { expectedLastEventId: 1, events: [event(2, "WorkflowExecutionCompleted", 2_000)], status: "completed" });
    const afterClose = await store.createExecution({ ...start("a", "r3", 3_000), requestId: "req-start" });
    assert.equal(afterClose.runId, "r1", "still the first run, now completed");
    assert.equal(afterClose.status, "completed");
    // Request ids belong to their workflow id: the same one starts another workflow.
    assert.equal((await store.createExecution({ ...start("b", "r1", 4_000), requestId: "req-start" })).workflowId, "b");
    await expectCode(store.createExecution({ ...start("c", "r1", 4_000), requestId: "" }), "WFS_STORE_INVALID", /'requestId' must be a non-empty string/);
  });

  it("a write retried with its request id applies once, whatever expectedLastEventId it carries, even to a closed run", async (store) => {
    await store.createExecution(start("a", "r1", 1_000));
    const signal = (expectedLastEventId: number): AppendBatch => ({
      expectedLastEventId,
      events: [event(expectedLastEventId + 1, "WorkflowExecutionSignaled", 1_100, { signalName: "go" })],
      workflowTaskPending: true,
      requestId: "req-signal",
    });
    assert.equal((await store.append(key("a", "r1"), signal(1))).lastEventId, 2);
    const retried = await store.append(key("a", "r1"), signal(1));
    assert.equal(retried.lastEventId, 2, "nothing applied: the run's state as it is");
    assert.equal((await store.append(key("a", "r1"), signal(2))).lastEventId, 2, "a retry that read the new state first is skipped too");
    await store.append(key("a", "r1"), { expectedLastEventId: 2, events: [event(3, "WorkflowExecutionCompleted", 2_000)], status: "completed" });
    assert.equal((await store.append(key("a", "r1"), signal(1))).status, "completed", "a retry after the run closed is skipped, not refused");
    assert.deepEqual((await store.readEvents({ workflowId: "a" })).map((e) => e.type), ["WorkflowExecutionStarted", "WorkflowExecutionSignaled", "WorkflowExecutionCompleted"]);
    await expectCode(store.append(key("a", "r1"), { ...signal(3), requestId: 7 as never }), "WFS_STORE_INVALID", /'requestId' must be a non-empty string/);
  });

  it("request ids are remembered across a reopen of the store", async (store) => {
    await store.createExecution({ ...start("a", "r1", 1_000), requestId: "req-start" });
    await store.append(key("a", "r1"), { expectedLastEventId: 1, events: [event(2, "WorkflowExecutionSignaled", 1_100)], requestId: "req-signal" });
    const reopened = await options.reopen(store);
    assert.equal((await reopened.createExecution({ ...start("a", "r2", 2_000), requestId: "req-start" })).runId, "r1");
    assert.equal((await reopened.append(key("a", "r1"), { expectedLastEventId: 1, events: [event(2, "WorkflowExecutionSignaled", 1_100)], requestId: "req-signal" })).lastEventId, 2);
    assert.equal((await reopened.readEvents({ workflowId: "a" })).length, 2);
    return reopened;
  });

  it("a closed store refuses calls, and closing twice is harmless", async (store) => {
    await store.createExecution(start("a", "r1", 1_000));
    await store.close();
    await store.close();
    await expectCode(store.listExecutions(), "WFS_STORE_UNAVAILABLE", /closed/);
    await expectCode(store.createExecution(start("b", "r1", 1_000)), "WFS_STORE_UNAVAILABLE", /closed/);
  });
}

function event(eventId: number, type: string, timestamp: number, attributes: Record<string, unknown> = {}): HistoryEvent {
  return { eventId, type, timestamp, ...attributes };
}

function key(workflowId: string, runId: string): ExecutionKey {
  return { workflowId, runId };
}

function start(workflowId: string, runId: string, timestamp: number, attributes: Record<string, unknown> = {}): NewExecution {
  return { workflowId, runId, workflowType: "greet", taskQueue: "q", events: [event(1, "WorkflowExecutionStarted", timestamp, attributes)] };
}

/** The first workflow task of a run: one timer (id "1") and one activity (id "1"). */
function scheduleTimerAndActivity(lastEventId: number, at: number): AppendBatch {
  return {
    expectedLastEventId: lastEventId,
    events: [event(lastEventId + 1, "ActivityTaskScheduled", at), event(lastEventId + 2, "TimerStarted", at)],
    activities: { put: [{ activityId: "1", activityType: "charge", taskQueue: "q", attempt: 1, readyAt: at }] },
    timers: { put: [{ timerId: "1", firesAt: at + 60_000 }] },
    workflowTaskPending: false,
    step: "workflow-task-complete",
  };
}

async function snapshot(store: HistoryStore): Promise<unknown> {
  const executions = await store.listExecutions();
  const histories = await Promise.all(executions.map((i) => store.readEvents(i)));
  return {
    executions,
    histories,
    workflowTasks: await store.listWorkflowTasks(),
    timers: await store.listTimers(),
    activities: await store.listActivityTasks(),
  };
}

async function expectCode(promise: Promise<unknown>, code: HistoryStoreErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HistoryStoreError, `expected a HistoryStoreError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    assert.match(error.message, new RegExp(`\\(${code}\\)$`));
    // The fix is its own field, and the message says it before the code.
    assert.ok(typeof error.hint === "string" && error.hint.length > 0, `a hint: ${error.message}`);
    assert.ok(error.message.endsWith(`${error.hint.replace(/\.$/, "")} (${code})`), `the message ends with the hint: ${error.message}`);
    assert.ok(error.docs.endsWith(`/docs/errors/${code}.md`), error.docs);
    return true;
  });
}
