/**
 * The argument checks every history store makes, and the errors they raise, shared so that the
 * memory, file and SQLite stores reject the same calls with the same messages
 * (tests/_history_store_contract.ts holds them to it). A store supplies what it knows about the
 * run (its pending timer and activity ids, whether a run id is taken) and gets the verdict.
 * @module
 */

import { codedError } from "../sandbox/coded_error.ts";
import { PERSISTENCE_STEPS } from "./crash_injection.ts";
import {
  type ActivityTaskInput,
  type AppendBatch,
  type ExecutionInfo,
  type ExecutionKey,
  type ExecutionRef,
  type ExecutionStatus,
  type HistoryEvent,
  HistoryStoreError,
  type ListExecutionsFilter,
  type NewExecution,
  type TaskFailure,
  type TimerInput,
} from "./history_store.ts";

/** The statuses that close a run. */
export const CLOSED_STATUSES: ReadonlySet<string> = new Set<ExecutionStatus>([
  "completed",
  "failed",
  "continued-as-new",
  "terminated",
]);

/** Every status, for checking a list filter. */
const STATUSES: ReadonlySet<string> = new Set<string>(["running", ...CLOSED_STATUSES]);

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
  requestId: true,
};

/**
 * The ids of a run's pending timers or activities, as far as a check needs them (a `Map` or a
 * `Set` is one; a database store loads them only when a batch removes some).
 */
export interface PendingIds {
  has(id: string): boolean;
  keys(): Iterable<string>;
}

/** What {@linkcode checkBatch} needs to know about the run a batch is for. */
export interface BatchContext {
  readonly workflowId: string;
  readonly timers: PendingIds;
  readonly activities: PendingIds;
  /** Whether a run of this workflow id already has `runId`. */
  runIdUsed(runId: string): boolean;
}

/** Runs `fn` and turns its result or throw into a promise, so no method throws synchronously. */
export function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The error of every call on a closed store. */
export function storeClosed(): HistoryStoreError {
  return codedError(HistoryStoreError, {
    code: "WFS_STORE_UNAVAILABLE",
    message: "Cannot use the history store: it is closed",
    hint: "Open a new store (or stop using this one after close())",
  });
}

/**
 * Copies `value` through JSON, the form a durable store keeps, so later mutation by the caller
 * cannot reach the store and every store sees the same values.
 */
export function jsonCopy<T>(value: T, what: string): T {
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

/** Checks that `ref` names a workflow id (and a run id when `needRunId`). */
export function checkRef(ref: ExecutionRef, what: string, needRunId: boolean): void {
  if (!isObject(ref) || typeof ref.workflowId !== "string" || ((needRunId || ref.runId !== undefined) && typeof ref.runId !== "string")) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: the key must be { workflowId: string, runId${needRunId ? "" : "?"}: string }, got ${show(ref)}`,
      hint: needRunId
        ? "Pass the run's workflow id and run id as strings (an ExecutionInfo has both)"
        : "Pass the workflow id as a string, and the run id as a string or not at all (for the latest run)",
    });
  }
}

/**
 * The error for a run that does not exist: `runIds` are the workflow id's runs, oldest first, or
 * `undefined` when no workflow has the id.
 */
export function runNotFound(ref: ExecutionRef, what: string, runIds: readonly string[] | undefined, needRunId: boolean): HistoryStoreError {
  return codedError(HistoryStoreError, runIds === undefined
    ? {
      code: "WFS_STORE_NOT_FOUND",
      message: `${what}: no workflow has this id`,
      hint: "Check the id, or start the workflow first",
    }
    : {
      code: "WFS_STORE_NOT_FOUND",
      message: `${what}: workflow '${ref.workflowId}' has no run '${ref.runId}' (its runs: ${runIds.map((id) => `'${id}'`).join(", ")})`,
      hint: needRunId ? "Use one of them" : "Use one of them, or omit runId for the latest",
    });
}

/** The error for starting a workflow id whose latest run `runId` still runs. */
export function alreadyRunning(what: string, runId: string): HistoryStoreError {
  return codedError(HistoryStoreError, {
    code: "WFS_STORE_ALREADY_RUNNING",
    message: `${what}: its run '${runId}' is still running`,
    hint: "Wait for it to close or terminate it, or start the workflow under another id",
  });
}

/** Checks that the run accepts writes. */
export function checkRunning(info: ExecutionInfo, what: string): void {
  if (info.status === "running") return;
  throw codedError(HistoryStoreError, {
    code: "WFS_STORE_CLOSED_RUN",
    message: `${what}: the run is ${info.status} and accepts no more events`,
    hint: info.nextRunId === undefined
      ? "Start a new run instead"
      : `Write to its next run '${info.nextRunId}' instead, or start a new run`,
  });
}

/**
 * Checks that `copy` (the JSON copy of `batch`) is an object whose `expectedLastEventId` is the
 * run's last event id: else `WFS_STORE_INVALID` or `WFS_STORE_CONFLICT`.
 */
export function checkBatchHead(copy: AppendBatch, batch: AppendBatch, info: ExecutionInfo, what: string): void {
  if (!isObject(copy)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: the batch must be an object, got ${typeof copy}`,
      hint: "Pass an AppendBatch object, at least { expectedLastEventId }",
    });
  }
  if (copy.expectedLastEventId === info.lastEventId) return;
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

/** Checks `readEvents`'s `afterEventId`. */
export function checkAfterEventId(workflowId: string, after: unknown): asserts after is number {
  if (Number.isInteger(after) && (after as number) >= 0) return;
  throw codedError(HistoryStoreError, {
    code: "WFS_STORE_INVALID",
    message: `Cannot read the history of workflow '${workflowId}': 'afterEventId' must be an integer of 0 or more, ` +
      `got ${show(after)}`,
    hint: "Pass the id of the last event already read, or leave it out for the whole history",
  });
}

/** Checks a run to create (`withWorkflowId`: a new execution, else the next run of continue-as-new). */
export function checkNewRun(execution: NewExecution, what: string, withWorkflowId: boolean): void {
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
  if (withWorkflowId) checkRequestId(execution.requestId, what);
  if (!Array.isArray(execution.events) || execution.events.length === 0) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `${what}: 'events' must hold at least the start event, got ${show(execution.events)}`,
      hint: "Pass the run's first events, from eventId 1 (WorkflowExecutionStarted)",
    });
  }
  checkEvents(execution.events, 0, what);
}

/**
 * Checks a request id (`NewExecution.requestId`, `AppendBatch.requestId`): `undefined` or a
 * non-empty string of at most 255 characters.
 */
export function checkRequestId(requestId: unknown, what: string): asserts requestId is string | undefined {
  if (requestId === undefined || (typeof requestId === "string" && requestId !== "" && requestId.length <= 255)) return;
  throw codedError(HistoryStoreError, {
    code: "WFS_STORE_INVALID",
    message: `${what}: 'requestId' must be a non-empty string of at most 255 characters, got ${show(requestId)}`,
    hint: "Pass the id the caller keeps for the call (crypto.randomUUID()), the same on every retry of it, or leave it out",
  });
}

/** The key a store files a request id under: the workflow id and the request id. */
export function requestKey(workflowId: string, requestId: string): string {
  return `${workflowId}\u0000${requestId}`;
}

/** Checks that no run of the workflow id has `runId` yet. */
export function checkRunIdFree(used: boolean, runId: string, what: string): void {
  if (!used) return;
  throw codedError(HistoryStoreError, {
    code: "WFS_STORE_INVALID",
    message: `${what}: run id '${runId}' is already used by this workflow id`,
    hint: "Give every run a new id (crypto.randomUUID())",
  });
}

/** Checks that `events` are events numbered from `lastEventId + 1` without gaps. */
export function checkEvents(events: unknown, lastEventId: number, what: string): asserts events is HistoryEvent[] {
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

/**
 * Checks the rest of a batch (after {@linkcode checkBatchHead} and {@linkcode checkEvents}): its
 * fields, task failure, timers, activities, status and next run.
 */
export function checkBatch(context: BatchContext, batch: AppendBatch, events: HistoryEvent[], what: string): void {
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
  checkPutRemove(batch.timers, "timers", "timerId", context.timers, checkTimer, what);
  checkPutRemove(batch.activities, "activities", "activityId", context.activities, checkActivity, what);
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
    const next = { ...batch.continueAsNew, workflowId: context.workflowId };
    const nextWhat = `${what}: its next run`;
    checkNewRun(next, nextWhat, false);
    checkRunIdFree(context.runIdUsed(next.runId), next.runId, nextWhat);
  }
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
  pending: PendingIds,
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

/** Checks a `listExecutions` filter, so a misspelt field or a wrong value is not read as "all". */
export function checkListFilter(filter: ListExecutionsFilter): void {
  const what = "Cannot list workflow executions";
  const invalid = (problem: string, hint: string) =>
    codedError(HistoryStoreError, { code: "WFS_STORE_INVALID", message: `${what}: ${problem}`, hint });
  if (!isObject(filter)) throw invalid(`the filter must be an object, got ${show(filter)}`, "Pass { status?, workflowType?, startTime?, ... } or nothing");
  const fields = ["workflowId", "status", "workflowType", "startTime", "closeTime", "limit", "after"];
  for (const field of Object.keys(filter)) {
    if (!fields.includes(field)) throw invalid(`unknown filter field '${field}'`, `Correct or remove it; the fields are ${fields.map((f) => `'${f}'`).join(", ")}`);
  }
  for (const field of ["workflowId", "workflowType"] as const) {
    if (filter[field] !== undefined && typeof filter[field] !== "string") {
      throw invalid(`'${field}' must be a string, got ${show(filter[field])}`, `Pass the ${field === "workflowId" ? "workflow id" : "workflow type's name"}, or leave it out`);
    }
  }
  if (filter.status !== undefined && !STATUSES.has(filter.status)) {
    throw invalid(`'status' is ${show(filter.status)}, not an execution status`, `Pass one of ${[...STATUSES].map((s) => `'${s}'`).join(", ")}`);
  }
  for (const field of ["startTime", "closeTime"] as const) {
    const range = filter[field];
    if (range === undefined) continue;
    const bad = !isObject(range) || Object.keys(range).some((k) => k !== "from" && k !== "to") ||
      [range.from, range.to].some((t) => t !== undefined && (typeof t !== "number" || Number.isNaN(t)));
    if (bad) throw invalid(`'${field}' must be { from?: number, to?: number } (ms since epoch), got ${show(range)}`, "Pass the range's bounds in ms since the epoch: 'from' inclusive, 'to' exclusive");
  }
  if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 1)) {
    throw invalid(`'limit' must be an integer of 1 or more, got ${show(filter.limit)}`, "Pass the page size, or leave it out for every match");
  }
  const after = filter.after;
  if (after !== undefined && (!isObject(after) || typeof after.startTime !== "number" || typeof after.workflowId !== "string" || typeof after.runId !== "string")) {
    throw invalid(`'after' must be { startTime, workflowId, runId } (the last run of the previous page), got ${show(after)}`, "Pass the last ExecutionInfo of the previous page");
  }
}

/** Whether `info` passes `filter` (checked) other than its `workflowId`, `limit` and `after`. */
export function matchesListFilter(info: ExecutionInfo, filter: ListExecutionsFilter): boolean {
  const inRange = (time: number | undefined, range: { from?: number; to?: number } | undefined) =>
    range === undefined ||
    (time !== undefined && (range.from === undefined || time >= range.from) && (range.to === undefined || time < range.to));
  return (filter.status === undefined || info.status === filter.status) &&
    (filter.workflowType === undefined || info.workflowType === filter.workflowType) &&
    inRange(info.startTime, filter.startTime) &&
    inRange(info.closeTime, filter.closeTime);
}

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describeId(execution: NewExecution): string {
  return isObject(execution) ? String(execution.workflowId) : "?";
}

/** A value as an error message quotes it: strings in quotes, the rest as short JSON. */
export function show(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (value === undefined || typeof value === "bigint" || typeof value === "function") return String(value);
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function compare(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareKeys(a: ExecutionKey, b: ExecutionKey): number {
  return compare(a.workflowId, b.workflowId) || compare(a.runId, b.runId);
}
