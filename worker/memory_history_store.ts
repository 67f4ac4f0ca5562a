/**
 * The in-memory history store, for tests; also the state machine under `FileHistoryStore`, which
 * journals each validated change to disk before it is applied here, so both stores validate and
 * answer with the same code.
 *
 * @module
 */

import { codedError } from "../sandbox/coded_error.ts";
import { PERSISTENCE_STEPS } from "./crash_injection.ts";
import {
  type ActivityTask,
  type ActivityTaskInput,
  type AppendBatch,
  type DurableTimer,
  type ExecutionInfo,
  type ExecutionKey,
  type ExecutionRef,
  type ExecutionStatus,
  type HistoryEvent,
  type HistoryStore,
  HistoryStoreError,
  type ListActivityTasksFilter,
  type ListExecutionsFilter,
  type ListTimersFilter,
  type ListWorkflowTasksFilter,
  type NewExecution,
  type ReadEventsOptions,
  type TaskFailure,
  type TimerInput,
} from "./history_store.ts";

/**
 * A validated change, as passed to {@linkcode MemoryHistoryStoreOptions.journal}: exactly the
 * arguments of `createExecution` or `append`, as JSON copies.
 *
 * @example
 * ```ts
 * import type { HistoryChange } from "./memory_history_store.ts";
 *
 * const change: HistoryChange = { op: "append", key: { workflowId: "w", runId: "r" }, batch: { expectedLastEventId: 1 } };
 * ```
 */
export type HistoryChange =
  | { op: "create"; execution: NewExecution }
  | { op: "append"; key: ExecutionKey; batch: AppendBatch };

/**
 * Options of {@linkcode MemoryHistoryStore}.
 *
 * @example
 * ```ts
 * import { MemoryHistoryStore, type HistoryChange } from "./memory_history_store.ts";
 *
 * const log: HistoryChange[] = [];
 * const store = new MemoryHistoryStore({ journal: (change) => log.push(change) });
 * ```
 */
export interface MemoryHistoryStoreOptions {
  /**
   * Called with every change once it is validated and before it is applied; if it throws, the
   * change is not applied and the call rejects with that error. It is synchronous so that
   * validating, journaling and applying happen with no other call in between. A durable backend
   * writes the change here and replays the changes into a fresh store on open.
   * @default none
   */
  journal?: (change: HistoryChange) => void;
}

interface RunState {
  info: ExecutionInfo;
  /** Each event as JSON, so every read returns a fresh copy. */
  events: string[];
  timers: Map<string, TimerInput>;
  activities: Map<string, ActivityTaskInput>;
}

const CLOSED_STATUSES: ReadonlySet<string> = new Set<ExecutionStatus>([
  "completed",
  "failed",
  "continued-as-new",
  "terminated",
]);

/**
 * A {@linkcode HistoryStore} in memory: fast, isolated per instance, gone with the process.
 * Values go in and out as JSON copies, as they would through a file.
 *
 * @example
 * ```ts
 * import { MemoryHistoryStore } from "./memory_history_store.ts";
 *
 * const store = new MemoryHistoryStore();
 * await store.createExecution({
 *   workflowId: "greet-1", runId: "r1", workflowType: "greet", taskQueue: "tests",
 *   events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: 0, args: ["world"] }],
 * });
 * console.log(await store.listWorkflowTasks()); // [{ workflowId: "greet-1", ... }]
 * ```
 */
export class MemoryHistoryStore implements HistoryStore {
  /** Runs of each workflow id, oldest first; the last one is the latest. */
  #runs = new Map<string, RunState[]>();
  #journal: ((change: HistoryChange) => void) | undefined;
  #closed = false;

  constructor(options: MemoryHistoryStoreOptions = {}) {
    this.#journal = options.journal;
  }

  /** See {@linkcode HistoryStore.createExecution}. */
  createExecution(execution: NewExecution): Promise<ExecutionInfo> {
    return settle(() => {
      this.#checkOpen();
      const copy = jsonCopy(execution, `Cannot start workflow '${describeId(execution)}'`);
      const what = `Cannot start workflow '${copy?.workflowId}'`;
      checkNewRun(copy, what, true);
      const runs = this.#runs.get(copy.workflowId) ?? [];
      const latest = runs.at(-1);
      if (latest?.info.status === "running") {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_ALREADY_RUNNING",
          message: `${what}: its run '${latest.info.runId}' is still running`,
          hint: "Wait for it to close or terminate it, or start the workflow under another id",
        });
      }
      checkRunIdFree(runs, copy.runId, what);
      this.#journal?.({ op: "create", execution: copy });
      const run = newRun(copy);
      runs.push(run);
      this.#runs.set(copy.workflowId, runs);
      return copyInfo(run.info);
    });
  }

  /** See {@linkcode HistoryStore.append}. */
  append(key: ExecutionKey, batch: AppendBatch): Promise<ExecutionInfo> {
    return settle(() => {
      this.#checkOpen();
      const what = `Cannot append to workflow '${key?.workflowId}' run '${key?.runId}'`;
      const run = this.#findRun(key, what, true);
      const info = run.info;
      if (info.status !== "running") {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_CLOSED_RUN",
          message: `${what}: the run is ${info.status} and accepts no more events`,
          hint: info.nextRunId === undefined
            ? "Start a new run instead"
            : `Write to its next run '${info.nextRunId}' instead, or start a new run`,
        });
      }
      const copy = jsonCopy(batch, what);
      if (!isObject(copy)) {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_INVALID",
          message: `${what}: the batch must be an object, got ${typeof copy}`,
          hint: "Pass an AppendBatch object, at least { expectedLastEventId }",
        });
      }
      if (copy.expectedLastEventId !== info.lastEventId) {
        if (!Number.isInteger(copy.expectedLastEventId)) {
          throw codedError(HistoryStoreError, {
            code: "WFS_STORE_INVALID",
            message: `${what}: 'expectedLastEventId' must be an integer, got ${show(batch.expectedLastEventId)}`,
            hint: "Pass the last event id the writer read (the run's 'lastEventId')",
          });
        }
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_CONFLICT",
          message: `${what}: expected last event id ${copy.expectedLastEventId} but it is ${info.lastEventId}, ` +
            `another write landed first`,
          hint: "Read the history again and retry",
        });
      }
      const events = copy.events ?? [];
      checkEvents(events, info.lastEventId, what);
      this.#checkBatch(run, copy, events, what);
      const runs = this.#runs.get(key.workflowId) ?? [];
      this.#journal?.({ op: "append", key: { workflowId: key.workflowId, runId: key.runId }, batch: copy });

      for (const event of events) run.events.push(JSON.stringify(event));
      info.lastEventId += events.length;
      for (const id of copy.timers?.remove ?? []) run.timers.delete(id);
      for (const timer of copy.timers?.put ?? []) run.timers.set(timer.timerId, timer);
      for (const id of copy.activities?.remove ?? []) run.activities.delete(id);
      for (const task of copy.activities?.put ?? []) run.activities.set(task.activityId, task);
      if (copy.workflowTaskPending !== undefined) info.workflowTaskPending = copy.workflowTaskPending;
      if (copy.taskFailure === null) delete info.taskFailure;
      else if (copy.taskFailure !== undefined) info.taskFailure = copy.taskFailure;
      if (copy.status !== undefined) {
        // A closed run does no more work: nothing of it may be picked up again after a restart.
        info.status = copy.status;
        info.closeTime = events[events.length - 1]!.timestamp;
        info.workflowTaskPending = false;
        delete info.taskFailure;
        run.timers.clear();
        run.activities.clear();
      }
      if (copy.continueAsNew !== undefined) {
        info.nextRunId = copy.continueAsNew.runId;
        runs.push(newRun({ ...copy.continueAsNew, workflowId: key.workflowId }));
      }
      return copyInfo(info);
    });
  }

  /** See {@linkcode HistoryStore.readEvents}. */
  readEvents(ref: ExecutionRef, options: ReadEventsOptions = {}): Promise<HistoryEvent[]> {
    return settle(() => {
      this.#checkOpen();
      const run = this.#findRun(ref, `Cannot read the history of workflow '${ref?.workflowId}'`, false);
      const after = options.afterEventId ?? 0;
      if (!Number.isInteger(after) || after < 0) {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_INVALID",
          message: `Cannot read the history of workflow '${ref.workflowId}': 'afterEventId' must be an integer of 0 or more, ` +
            `got ${show(after)}`,
          hint: "Pass the id of the last event already read, or leave it out for the whole history",
        });
      }
      return run.events.slice(after).map((json) => JSON.parse(json) as HistoryEvent);
    });
  }

  /** See {@linkcode HistoryStore.getExecution}. */
  getExecution(ref: ExecutionRef): Promise<ExecutionInfo | undefined> {
    return settle(() => {
      this.#checkOpen();
      try {
        return copyInfo(this.#findRun(ref, `Cannot describe workflow '${ref?.workflowId}'`, false).info);
      } catch (error) {
        if (error instanceof HistoryStoreError && error.code === "WFS_STORE_NOT_FOUND") return undefined;
        throw error;
      }
    });
  }

  /** See {@linkcode HistoryStore.listExecutions}. */
  listExecutions(filter: ListExecutionsFilter = {}): Promise<ExecutionInfo[]> {
    return settle(() => {
      this.#checkOpen();
      const runs = filter.workflowId === undefined ? [...this.#runs.values()].flat() : this.#runs.get(filter.workflowId) ?? [];
      return runs
        .filter((run) => filter.status === undefined || run.info.status === filter.status)
        .map((run) => copyInfo(run.info))
        .sort((a, b) => compare(a.startTime, b.startTime) || compareKeys(a, b));
    });
  }

  /** See {@linkcode HistoryStore.listWorkflowTasks}. */
  listWorkflowTasks(filter: ListWorkflowTasksFilter = {}): Promise<ExecutionInfo[]> {
    return settle(() => {
      this.#checkOpen();
      const readyAt = (info: ExecutionInfo) => info.taskFailure?.nextAttemptAt ?? info.startTime;
      return this.#running()
        .map((run) => run.info)
        .filter((info) =>
          info.workflowTaskPending &&
          (filter.taskQueue === undefined || info.taskQueue === filter.taskQueue) &&
          (filter.readyBy === undefined || (info.taskFailure?.nextAttemptAt ?? -Infinity) <= filter.readyBy)
        )
        .map(copyInfo)
        .sort((a, b) => compare(readyAt(a), readyAt(b)) || compareKeys(a, b));
    });
  }

  /** See {@linkcode HistoryStore.listTimers}. */
  listTimers(filter: ListTimersFilter = {}): Promise<DurableTimer[]> {
    return settle(() => {
      this.#checkOpen();
      const timers: DurableTimer[] = [];
      for (const run of this.#running()) {
        for (const timer of run.timers.values()) {
          if (filter.dueBy === undefined || timer.firesAt <= filter.dueBy) {
            timers.push({ workflowId: run.info.workflowId, runId: run.info.runId, ...structuredClone(timer) });
          }
        }
      }
      return timers.sort((a, b) =>
        compare(a.firesAt, b.firesAt) || compareKeys(a, b) || compare(a.timerId, b.timerId)
      );
    });
  }

  /** See {@linkcode HistoryStore.listActivityTasks}. */
  listActivityTasks(filter: ListActivityTasksFilter = {}): Promise<ActivityTask[]> {
    return settle(() => {
      this.#checkOpen();
      const tasks: ActivityTask[] = [];
      for (const run of this.#running()) {
        for (const task of run.activities.values()) {
          if (
            (filter.taskQueue === undefined || task.taskQueue === filter.taskQueue) &&
            (filter.readyBy === undefined || task.readyAt <= filter.readyBy)
          ) {
            tasks.push({ workflowId: run.info.workflowId, runId: run.info.runId, ...structuredClone(task) });
          }
        }
      }
      return tasks.sort((a, b) =>
        compare(a.readyAt, b.readyAt) || compareKeys(a, b) || compare(a.activityId, b.activityId)
      );
    });
  }

  /** See {@linkcode HistoryStore.close}. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_UNAVAILABLE",
        message: "Cannot use the history store: it is closed",
        hint: "Open a new store (or stop using this one after close())",
      });
    }
  }

  #running(): RunState[] {
    const running: RunState[] = [];
    for (const runs of this.#runs.values()) {
      const latest = runs.at(-1);
      if (latest?.info.status === "running") running.push(latest);
    }
    return running;
  }

  #findRun(ref: ExecutionRef, what: string, needRunId: boolean): RunState {
    if (!isObject(ref) || typeof ref.workflowId !== "string" || ((needRunId || ref.runId !== undefined) && typeof ref.runId !== "string")) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: the key must be { workflowId: string, runId${needRunId ? "" : "?"}: string }, got ${show(ref)}`,
        hint: needRunId
          ? "Pass the run's workflow id and run id as strings (an ExecutionInfo has both)"
          : "Pass the workflow id as a string, and the run id as a string or not at all (for the latest run)",
      });
    }
    const runs = this.#runs.get(ref.workflowId);
    const run = ref.runId === undefined ? runs?.at(-1) : runs?.find((r) => r.info.runId === ref.runId);
    if (run === undefined) {
      throw codedError(HistoryStoreError, runs === undefined
        ? {
          code: "WFS_STORE_NOT_FOUND",
          message: `${what}: no workflow has this id`,
          hint: "Check the id, or start the workflow first",
        }
        : {
          code: "WFS_STORE_NOT_FOUND",
          message: `${what}: workflow '${ref.workflowId}' has no run '${ref.runId}' (its runs: ${
            runs.map((r) => `'${r.info.runId}'`).join(", ")
          })`,
          hint: needRunId ? "Use one of them" : "Use one of them, or omit runId for the latest",
        });
    }
    return run;
  }

  #checkBatch(run: RunState, batch: AppendBatch, events: HistoryEvent[], what: string): void {
    const known = new Set(Object.keys(BATCH_FIELDS));
    for (const field of Object.keys(batch)) {
      if (!known.has(field)) {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_INVALID",
          message: `${what}: unknown batch field '${field}'`,
          hint: `Correct or remove it; the fields are ${[...known].map((f) => `'${f}'`).join(", ")}`,
        });
      }
    }
    if (batch.workflowTaskPending !== undefined && typeof batch.workflowTaskPending !== "boolean") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: 'workflowTaskPending' must be a boolean, got ${show(batch.workflowTaskPending)}`,
        hint: "Pass true or false, or leave it out to keep the current value",
      });
    }
    if (batch.taskFailure !== undefined && batch.taskFailure !== null) checkTaskFailure(batch.taskFailure, what);
    if (batch.step !== undefined && !Object.hasOwn(PERSISTENCE_STEPS, batch.step)) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: 'step' is ${show(batch.step)}, not a persistence step`,
        hint: `Use one of ${Object.keys(PERSISTENCE_STEPS).map((s) => `'${s}'`).join(", ")}`,
      });
    }
    checkPutRemove(batch.timers, "timers", "timerId", run.timers, checkTimer, what);
    checkPutRemove(batch.activities, "activities", "activityId", run.activities, checkActivity, what);
    if (batch.status !== undefined) {
      if (!CLOSED_STATUSES.has(batch.status)) {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_INVALID",
          message: `${what}: 'status' is ${show(batch.status)}, but a write can only close a run`,
          hint: `Pass one of ${[...CLOSED_STATUSES].map((s) => `'${s}'`).join(", ")}, or leave 'status' out`,
        });
      }
      if (events.length === 0) {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_INVALID",
          message: `${what}: the write closes the run (status '${batch.status}') but records no events`,
          hint: "Record its closing event (such as WorkflowExecutionCompleted) in the same write",
        });
      }
    }
    if ((batch.status === "continued-as-new") !== (batch.continueAsNew !== undefined)) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: ${
          batch.continueAsNew === undefined
            ? `'status: "continued-as-new"' is given without 'continueAsNew'`
            : `'continueAsNew' is given without 'status: "continued-as-new"'`
        }, but the two go together, so the next run starts in the same step`,
        hint: "Pass both in the same write",
      });
    }
    if (batch.continueAsNew !== undefined) {
      const next = { ...batch.continueAsNew, workflowId: run.info.workflowId };
      const nextWhat = `${what}: its next run`;
      checkNewRun(next, nextWhat, false);
      checkRunIdFree(this.#runs.get(run.info.workflowId) ?? [], next.runId, nextWhat);
    }
  }
}

/** The fields of an `AppendBatch`, to reject a misspelt one instead of ignoring it. */
const BATCH_FIELDS: Record<keyof AppendBatch, true> = {
  expectedLastEventId: true,
  events: true,
  status: true,
  workflowTaskPending: true,
  taskFailure: true,
  timers: true,
  activities: true,
  continueAsNew: true,
  step: true,
};

/** Runs `fn` and turns its result or throw into a promise, so no method throws synchronously. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

function newRun(execution: NewExecution): RunState {
  const events = execution.events;
  return {
    info: {
      workflowId: execution.workflowId,
      runId: execution.runId,
      workflowType: execution.workflowType,
      taskQueue: execution.taskQueue,
      status: "running",
      startTime: events[0]!.timestamp,
      lastEventId: events.length,
      workflowTaskPending: execution.workflowTaskPending ?? true,
    },
    events: events.map((event) => JSON.stringify(event)),
    timers: new Map(),
    activities: new Map(),
  };
}

function copyInfo(info: ExecutionInfo): ExecutionInfo {
  const copy = { ...info };
  if (info.taskFailure !== undefined) copy.taskFailure = structuredClone(info.taskFailure);
  return copy;
}

/**
 * Copies `value` through JSON, the form a durable store keeps, so later mutation by the caller
 * cannot reach the store and both stores see the same values.
 */
function jsonCopy<T>(value: T, what: string): T {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: the value is not JSON-serialisable (${(error as Error).message})`,
      hint: "Convert it with the payload converter first",
      cause: error,
    });
  }
  if (json === undefined) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: the value is ${show(value)}, not an object`,
      hint: "Pass an object",
    });
  }
  return JSON.parse(json) as T;
}

function checkNewRun(execution: NewExecution, what: string, withWorkflowId: boolean): void {
  if (!isObject(execution)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: the execution must be an object, got ${show(execution)}`,
      hint: "Pass { workflowId, runId, workflowType, taskQueue, events }",
    });
  }
  const fields = withWorkflowId ? ["workflowId", "runId", "workflowType", "taskQueue"] as const : ["runId", "workflowType", "taskQueue"] as const;
  for (const field of fields) {
    if (typeof execution[field] !== "string" || execution[field] === "") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: '${field}' must be a non-empty string, got ${show(execution[field])}`,
        hint: `Set '${field}'`,
      });
    }
  }
  if (execution.workflowTaskPending !== undefined && typeof execution.workflowTaskPending !== "boolean") {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: 'workflowTaskPending' must be a boolean, got ${show(execution.workflowTaskPending)}`,
      hint: "Pass true or false, or leave it out (the run then needs a workflow task)",
    });
  }
  if (!Array.isArray(execution.events) || execution.events.length === 0) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: 'events' must hold at least the start event, got ${show(execution.events)}`,
      hint: "Pass the run's first events, from eventId 1 (WorkflowExecutionStarted)",
    });
  }
  checkEvents(execution.events, 0, what);
}

function checkRunIdFree(runs: RunState[], runId: string, what: string): void {
  if (runs.some((run) => run.info.runId === runId)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: run id '${runId}' is already used by this workflow id`,
      hint: "Give every run a new id (crypto.randomUUID())",
    });
  }
}

function checkEvents(events: unknown, lastEventId: number, what: string): asserts events is HistoryEvent[] {
  if (!Array.isArray(events)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: 'events' must be an array, got ${show(events)}`,
      hint: "Pass the events as an array, or leave 'events' out",
    });
  }
  events.forEach((event: unknown, index) => {
    const expected = lastEventId + index + 1;
    if (!isObject(event)) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: event ${expected} must be an object, got ${show(event)}`,
        hint: "Pass each event as { eventId, type, timestamp, ... }",
      });
    }
    if (event.eventId !== expected) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: event ids must continue from ${lastEventId} without gaps, ` +
          `but event #${index + 1} of the batch has eventId ${show(event.eventId)} instead of ${expected}`,
        hint: "Number the events from the last event id read plus one",
      });
    }
    if (typeof event.type !== "string" || event.type === "") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: event ${expected} needs a non-empty string 'type', got ${show(event.type)}`,
        hint: "Set the event's 'type', such as 'TimerFired'",
      });
    }
    if (typeof event.timestamp !== "number" || !Number.isFinite(event.timestamp)) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: event ${expected} needs a finite number 'timestamp' (ms since epoch), got ${show(event.timestamp)}`,
        hint: "Set 'timestamp' to the time the event was recorded, such as Date.now()",
      });
    }
  });
}

function checkTaskFailure(failure: TaskFailure, what: string): void {
  if (!isObject(failure)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: 'taskFailure' must be an object or null, got ${show(failure)}`,
      hint: "Pass { attempt, message, nextAttemptAt } to record a failure, or null to clear it",
    });
  }
  if (!Number.isInteger(failure.attempt) || failure.attempt < 1) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: 'taskFailure.attempt' must be an integer of 1 or more, got ${show(failure.attempt)}`,
      hint: "Count the failed attempts in a row from 1",
    });
  }
  if (typeof failure.message !== "string") {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: 'taskFailure.message' must be a string, got ${show(failure.message)}`,
      hint: "Pass the failure's message as a string",
    });
  }
  if (typeof failure.nextAttemptAt !== "number" || !Number.isFinite(failure.nextAttemptAt)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: 'taskFailure.nextAttemptAt' must be a finite number (ms since epoch), got ${show(failure.nextAttemptAt)}`,
      hint: "Pass the absolute time of the next attempt, such as Date.now() + delay",
    });
  }
}

function checkTimer(timer: TimerInput, what: string): void {
  if (typeof timer.firesAt !== "number" || !Number.isFinite(timer.firesAt)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: timer '${timer.timerId}' needs a finite absolute 'firesAt' (ms since epoch), got ${show(timer.firesAt)}`,
      hint: "Pass the absolute deadline, such as Date.now() + durationMs",
    });
  }
}

function checkActivity(task: ActivityTaskInput, what: string): void {
  for (const field of ["activityType", "taskQueue"] as const) {
    if (typeof task[field] !== "string" || task[field] === "") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: activity '${task.activityId}' needs a non-empty string '${field}', got ${show(task[field])}`,
        hint: `Set the activity's '${field}'`,
      });
    }
  }
  if (!Number.isInteger(task.attempt) || task.attempt < 1) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: activity '${task.activityId}' needs an integer 'attempt' of 1 or more, got ${show(task.attempt)}`,
      hint: "Number the attempt about to run from 1",
    });
  }
  if (typeof task.readyAt !== "number" || !Number.isFinite(task.readyAt)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: activity '${task.activityId}' needs a finite absolute 'readyAt' (ms since epoch), got ${show(task.readyAt)}`,
      hint: "Pass the absolute time the attempt may start, such as Date.now()",
    });
  }
}

function checkPutRemove<T, K extends keyof T & string>(
  change: { put?: readonly T[]; remove?: readonly string[] } | undefined,
  field: string,
  idField: K,
  pending: Map<string, T>,
  checkItem: (item: T, what: string) => void,
  what: string,
): void {
  if (change === undefined) return;
  if (!isObject(change)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: '${field}' must be { put?, remove? }, got ${show(change)}`,
      hint: `Pass '${field}' as an object with a 'put' array, a 'remove' array, or both`,
    });
  }
  const remove = change.remove ?? [];
  const put = change.put ?? [];
  if (!Array.isArray(remove) || !Array.isArray(put)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: '${field}.put' and '${field}.remove' must be arrays, got ${show(put)} and ${show(remove)}`,
      hint: "Pass arrays, or leave them out",
    });
  }
  for (const id of remove) {
    if (!pending.has(id)) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: cannot remove ${field} ${show(id)}, which is not pending (pending: ${
          [...pending.keys()].map((k) => `'${k}'`).join(", ") || "none"
        })`,
        hint: "Remove only what this run put",
      });
    }
  }
  const seen = new Set<string>();
  for (const item of put) {
    const id = isObject(item) ? item[idField] : undefined;
    if (typeof id !== "string" || id === "") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: every item of '${field}.put' needs a non-empty string '${idField}', got ${show(item)}`,
        hint: `Set '${idField}' on every item`,
      });
    }
    if (seen.has(id)) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `${what}: '${field}.put' holds ${idField} '${id}' twice`,
        hint: "Put each once",
      });
    }
    seen.add(id);
    checkItem(item, what);
  }
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeId(execution: NewExecution): string {
  return isObject(execution) ? String(execution.workflowId) : "?";
}

function show(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (value === undefined || typeof value === "bigint" || typeof value === "function") return String(value);
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function compare(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeys(a: ExecutionKey, b: ExecutionKey): number {
  return compare(a.workflowId, b.workflowId) || compare(a.runId, b.runId);
}
