/**
 * The history store: where the reference worker keeps the event histories of workflow executions
 * and the little mutable state an event-sourced engine needs next to them (pending workflow task,
 * task-failure bookkeeping, durable timers, pending activity tasks).
 *
 * Every write is one atomic {@linkcode HistoryStore.append} batch guarded by the last event id the
 * writer saw, so a step such as "an activity completed" (append `ActivityTaskCompleted`, drop the
 * activity task, ask for a workflow task) is either wholly durable or absent after a crash: an
 * activity is never run again after its result is recorded, and a timer never fires twice.
 *
 * How the worker maps onto it (the event types are the worker's; the store never reads them):
 *
 * | worker step | call |
 * |---|---|
 * | client starts a workflow | `createExecution({ ..., events: [started] })` |
 * | poll for work | `listWorkflowTasks({ readyBy: now })` then `readEvents(key)` |
 * | workflow task completes | `append(key, { events: [taskCompleted, activityScheduled, timerStarted], workflowTaskPending: false, activities: { put }, timers: { put }, taskFailure: null })` |
 * | workflow task fails | `append(key, { taskFailure: { attempt, message, nextAttemptAt } })` (history unchanged) |
 * | activity completes | `append(key, { events: [activityCompleted], activities: { remove }, workflowTaskPending: true })` |
 * | timer is due | `listTimers({ dueBy: now })`, then `append(key, { events: [timerFired], timers: { remove }, workflowTaskPending: true })` |
 * | workflow completes | `append(key, { events: [..., completed], status: "completed" })` |
 * | continue-as-new | `append(key, { events: [continuedAsNew], status: "continued-as-new", continueAsNew: { runId, ..., events: [started] } })` |
 *
 * @module
 */

import { composeMessage, errorDocs } from "../sandbox/coded_error.ts";
import { brandClass, hasBrand } from "../sandbox/error_brand.ts";
import type { PersistenceStep } from "./crash_injection.ts";

/**
 * A value that survives `JSON.stringify` / `JSON.parse` unchanged. Stores keep copies made through
 * JSON, so callers can never mutate stored history by reference, and the in-memory and file stores
 * return the same values.
 *
 * @example
 * ```ts
 * import type { JsonValue } from "./history_store.ts";
 *
 * const payload: JsonValue = { name: "world", retries: [1, 2] };
 * ```
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * One history event. The store checks only the three named fields; the worker defines the event
 * types and their attributes, which must be JSON-serialisable (`undefined` fields are dropped and
 * `Date`s become strings, as with `JSON.stringify`).
 *
 * @example
 * ```ts
 * import type { HistoryEvent } from "./history_store.ts";
 *
 * const started: HistoryEvent = { eventId: 1, type: "WorkflowExecutionStarted", timestamp: Date.now(), args: ["world"] };
 * ```
 */
export interface HistoryEvent {
  /** 1 for the first event of a run, then consecutive. */
  eventId: number;
  /** The worker's event type, for example `"TimerFired"`. */
  type: string;
  /** Milliseconds since the Unix epoch when the event was recorded. */
  timestamp: number;
  [attribute: string]: unknown;
}

/**
 * The lifecycle state of an execution. Only `"running"` executions accept appends; the others are
 * final.
 *
 * @example
 * ```ts
 * import type { ExecutionStatus } from "./history_store.ts";
 *
 * const closed: ExecutionStatus[] = ["completed", "failed", "continued-as-new", "terminated"];
 * ```
 */
export type ExecutionStatus = "running" | "completed" | "failed" | "continued-as-new" | "terminated";

/**
 * Names one run exactly. Writes need it, so a writer holding an old run can never touch a newer
 * one.
 *
 * @example
 * ```ts
 * import type { ExecutionKey } from "./history_store.ts";
 *
 * const key: ExecutionKey = { workflowId: "order-42", runId: "3f1c..." };
 * ```
 */
export interface ExecutionKey {
  workflowId: string;
  runId: string;
}

/**
 * Names a run for reading: without `runId`, the latest run of the workflow id (as Temporal's
 * handles do).
 *
 * @example
 * ```ts
 * import type { ExecutionRef } from "./history_store.ts";
 *
 * const latest: ExecutionRef = { workflowId: "order-42" };
 * ```
 */
export interface ExecutionRef {
  workflowId: string;
  runId?: string;
}

/**
 * Why the last workflow task failed and when to try again. History is unchanged by a task
 * failure (the workflow is not failed), so this lives beside it; `describe()` shows it.
 *
 * @example
 * ```ts
 * import type { TaskFailure } from "./history_store.ts";
 *
 * const failure: TaskFailure = {
 *   attempt: 2,
 *   message: "Date.now() is not allowed in a workflow (workflows/order.ts:12:5)",
 *   nextAttemptAt: Date.now() + 2_000,
 * };
 * ```
 */
export interface TaskFailure {
  /** How many attempts failed in a row, from 1. */
  attempt: number;
  /** The last failure, with its cause and workflow file:line. */
  message: string;
  /** Absolute time (ms since epoch) before which the task is not retried. */
  nextAttemptAt: number;
  /** Anything else the worker wants to show, such as a stack. */
  details?: JsonValue;
}

/**
 * A durable timer as the worker writes it. The deadline is absolute, so a worker that restarts
 * after the deadline fires the timer at once instead of waiting the whole duration again.
 *
 * @example
 * ```ts
 * import type { TimerInput } from "./history_store.ts";
 *
 * const timer: TimerInput = { timerId: "3", firesAt: Date.now() + 60_000, data: { startedEventId: 7 } };
 * ```
 */
export interface TimerInput {
  /** Unique among the run's pending timers (the worker's command sequence number, say). */
  timerId: string;
  /** Absolute deadline in ms since the Unix epoch. */
  firesAt: number;
  /** Anything the worker needs to fire it, such as the `TimerStarted` event id. */
  data?: JsonValue;
}

/**
 * A pending durable timer, as listed by {@linkcode HistoryStore.listTimers}.
 *
 * @example
 * ```ts
 * import { MemoryHistoryStore } from "./memory_history_store.ts";
 * import type { DurableTimer } from "./history_store.ts";
 *
 * const store = new MemoryHistoryStore();
 * const due: DurableTimer[] = await store.listTimers({ dueBy: Date.now() });
 * ```
 */
export interface DurableTimer extends TimerInput, ExecutionKey {}

/**
 * A pending activity task as the worker writes it. Retries replace it (same `activityId`, next
 * `attempt` and `readyAt`) without touching history, as Temporal records only the final outcome.
 *
 * @example
 * ```ts
 * import type { ActivityTaskInput } from "./history_store.ts";
 *
 * const task: ActivityTaskInput = {
 *   activityId: "1",
 *   activityType: "sendEmail",
 *   taskQueue: "orders",
 *   attempt: 1,
 *   readyAt: Date.now(),
 *   data: { scheduledEventId: 5, args: ["a@example.com"], startToCloseTimeoutMs: 10_000 },
 * };
 * ```
 */
export interface ActivityTaskInput {
  /** Unique among the run's pending activities. */
  activityId: string;
  activityType: string;
  taskQueue: string;
  /** The attempt about to run, from 1. */
  attempt: number;
  /** Absolute time (ms since epoch) before which the attempt must not start (retry backoff). */
  readyAt: number;
  /** Arguments, timeouts, retry policy, last failure: whatever the worker needs to run it. */
  data?: JsonValue;
}

/**
 * A pending activity task, as listed by {@linkcode HistoryStore.listActivityTasks}.
 *
 * @example
 * ```ts
 * import { MemoryHistoryStore } from "./memory_history_store.ts";
 * import type { ActivityTask } from "./history_store.ts";
 *
 * const store = new MemoryHistoryStore();
 * const ready: ActivityTask[] = await store.listActivityTasks({ taskQueue: "orders", readyBy: Date.now() });
 * ```
 */
export interface ActivityTask extends ActivityTaskInput, ExecutionKey {}

/**
 * A run to create: its identity and its first events (event ids from 1).
 *
 * @example
 * ```ts
 * import type { NewExecution } from "./history_store.ts";
 *
 * const start: NewExecution = {
 *   workflowId: "order-42",
 *   runId: crypto.randomUUID(),
 *   workflowType: "processOrder",
 *   taskQueue: "orders",
 *   events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: Date.now(), args: [42] }],
 * };
 * ```
 */
export interface NewExecution {
  workflowId: string;
  /** Unique among the runs of `workflowId`. */
  runId: string;
  workflowType: string;
  taskQueue: string;
  /** At least one event; the first event's `timestamp` is the start time. */
  events: readonly HistoryEvent[];
  /**
   * Whether the run needs a workflow task right away.
   * @default true
   */
  workflowTaskPending?: boolean;
  /**
   * Makes a retried start take effect once (Temporal's `request_id`): when a run of this workflow
   * id was created with the same request id and the store still holds it, `createExecution`
   * creates nothing and resolves with that run's current state (its `runId` is not this call's).
   * The store remembers a request id as long as it keeps the run it created: across restarts of
   * a durable store, until the run's history is deleted (retention, `deleteClosedRuns`).
   * @default none: every call creates a run
   */
  requestId?: string;
}

/**
 * The next run of a continued-as-new execution: a {@linkcode NewExecution} without the workflow id,
 * which stays the same.
 *
 * @example
 * ```ts
 * import type { NextRun } from "./history_store.ts";
 *
 * const next: NextRun = {
 *   runId: crypto.randomUUID(),
 *   workflowType: "processOrder",
 *   taskQueue: "orders",
 *   events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: Date.now(), args: [43] }],
 * };
 * ```
 */
export type NextRun = Omit<NewExecution, "workflowId" | "requestId">;

/**
 * One atomic write to a running execution. Every field but `expectedLastEventId` is optional; an
 * empty `events` list is fine for bookkeeping-only writes (a task failure, an activity retry).
 *
 * @example
 * ```ts
 * import type { AppendBatch } from "./history_store.ts";
 *
 * // A timer fired: record it, drop the timer, ask for a workflow task, in one step.
 * const batch: AppendBatch = {
 *   expectedLastEventId: 7,
 *   events: [{ eventId: 8, type: "TimerFired", timestamp: Date.now(), timerId: "3" }],
 *   timers: { remove: ["3"] },
 *   workflowTaskPending: true,
 *   step: "timer-fire",
 * };
 * ```
 */
export interface AppendBatch {
  /**
   * The last event id the writer read. If another write landed since, the batch is rejected with
   * `WFS_STORE_CONFLICT` and nothing is written: re-read and retry.
   */
  expectedLastEventId: number;
  /** Events to add, numbered from `expectedLastEventId + 1`. */
  events?: readonly HistoryEvent[];
  /**
   * Closes the run. A closed run drops its pending timers, activity tasks, workflow task and task
   * failure, and accepts no further writes.
   */
  status?: Exclude<ExecutionStatus, "running">;
  /** Sets or clears the need for a workflow task. */
  workflowTaskPending?: boolean;
  /** Records a workflow task failure, or clears it with `null`. */
  taskFailure?: TaskFailure | null;
  /** Adds or replaces (`put`, by `timerId`) and removes durable timers. Removals apply first. */
  timers?: { put?: readonly TimerInput[]; remove?: readonly string[] };
  /** Adds or replaces (`put`, by `activityId`) and removes activity tasks. Removals apply first. */
  activities?: { put?: readonly ActivityTaskInput[]; remove?: readonly string[] };
  /**
   * Creates the next run in the same atomic step; requires `status: "continued-as-new"`, so a
   * crash can never leave the workflow id with no running run.
   */
  continueAsNew?: NextRun;
  /**
   * Names this write for crash injection (`WORKFLOW_SANDBOX_CRASH_AFTER`); every write is also
   * the step `append`.
   */
  step?: PersistenceStep;
  /**
   * Makes a retried write take effect once (Temporal's `request_id` of a signal or a cancellation
   * request): when a write with the same request id was applied to a run of this workflow id and
   * the store still holds that run, this write changes nothing (`expectedLastEventId` is not
   * checked) and resolves with the current state of the run `key` names. Remembered as
   * {@linkcode NewExecution.requestId} is: with the run, across restarts of a durable store.
   * @default none: every call applies
   */
  requestId?: string;
}

/**
 * What the store knows about one run, without its events.
 *
 * @example
 * ```ts
 * import { MemoryHistoryStore } from "./memory_history_store.ts";
 *
 * const store = new MemoryHistoryStore();
 * const info = await store.getExecution({ workflowId: "order-42" });
 * console.log(info?.status, info?.lastEventId, info?.taskFailure?.message);
 * ```
 */
export interface ExecutionInfo {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  status: ExecutionStatus;
  /** The first event's timestamp. */
  startTime: number;
  /** The timestamp of the last event of the closing write, once closed. */
  closeTime?: number;
  /** The id of the last event; the `expectedLastEventId` of the next write. */
  lastEventId: number;
  /** Whether the run waits for a workflow task (always `false` once closed). */
  workflowTaskPending: boolean;
  /** The last workflow task failure, until a write clears it. */
  taskFailure?: TaskFailure;
  /** The run that continued this one, for `continued-as-new` runs. */
  nextRunId?: string;
}

/**
 * The failures callers are expected to handle, as a `code` on {@linkcode HistoryStoreError}.
 *
 * @example
 * ```ts
 * import type { HistoryStoreErrorCode } from "./history_store.ts";
 *
 * const retryable: HistoryStoreErrorCode = "WFS_STORE_CONFLICT";
 * ```
 */
export type HistoryStoreErrorCode =
  /** A write's `expectedLastEventId` is stale: another write landed first. Re-read and retry. */
  | "WFS_STORE_CONFLICT"
  /** `createExecution` for a workflow id whose latest run is still running. */
  | "WFS_STORE_ALREADY_RUNNING"
  /** The workflow id or run does not exist. */
  | "WFS_STORE_NOT_FOUND"
  /** A write to a closed run. */
  | "WFS_STORE_CLOSED_RUN"
  /** A malformed argument (event ids not consecutive, value not JSON, unknown timer id, ...). */
  | "WFS_STORE_INVALID"
  /** Another process (or store object) holds the store's folder, or the database stayed locked. */
  | "WFS_STORE_LOCKED"
  /** The store's files cannot be read or written (permissions, disk full, read-only disk). */
  | "WFS_STORE_IO"
  /**
   * Stored data is damaged (a history file before its last record, a database page, a row whose
   * checksum does not match) or has an unknown format version.
   */
  | "WFS_STORE_CORRUPT"
  /** The store was closed, or a failed write left its state unknown. */
  | "WFS_STORE_UNAVAILABLE";

/**
 * Options of the {@linkcode HistoryStoreError} constructor.
 *
 * @example
 * ```ts
 * import type { HistoryStoreErrorOptions } from "./history_store.ts";
 *
 * const options: HistoryStoreErrorOptions = { hint: "Read the history again and retry" };
 * ```
 */
export interface HistoryStoreErrorOptions {
  /** The error this one was caused by (an I/O error, a record that does not replay). */
  cause?: unknown;
  /**
   * The fix, appended to the message. Without it the message is kept as given (it may already
   * say the fix) and `hint` is the code's general fix.
   * @default the general fix of `code`
   */
  hint?: string;
}

/** The general fix of each code, for an error built without its own `hint`. */
const DEFAULT_HINTS: Readonly<Record<HistoryStoreErrorCode, string>> = {
  WFS_STORE_CONFLICT: "Read the history again and retry from the fresh state",
  WFS_STORE_ALREADY_RUNNING: "Wait for the running run to close or terminate it, or start the workflow under another id",
  WFS_STORE_NOT_FOUND: "Check the workflow id and run id, or start the workflow first",
  WFS_STORE_CLOSED_RUN: "Write to the current run (after continue-as-new, the next run), or start a new run",
  WFS_STORE_INVALID: "Correct the arguments of the call; when the worker itself made it, report it with the message",
  WFS_STORE_LOCKED: "Stop the process that holds the store, or give each worker its own folder with the 'directory' option",
  WFS_STORE_IO: "Fix the cause (disk space, permissions, a folder path), then restart the worker",
  WFS_STORE_CORRUPT: "Restore the history file from a backup, or truncate it before the damaged record",
  WFS_STORE_UNAVAILABLE: "Fix the cause of the first failure, then reopen the store",
};

/**
 * The one error class of history stores; `code` says which condition it is, the message names
 * the execution, file or folder, and `hint` is the fix. Branded (../sandbox/error_brand.ts), so
 * `instanceof` holds across two copies of the package. The stores build it with `codedError()`
 * (../sandbox/coded_error.ts); the constructor is for another backend that builds one itself.
 *
 * @example
 * ```ts
 * import { HistoryStoreError } from "./history_store.ts";
 * import { MemoryHistoryStore } from "./memory_history_store.ts";
 *
 * const store = new MemoryHistoryStore();
 * try {
 *   await store.append({ workflowId: "order-42", runId: "r1" }, { expectedLastEventId: 3 });
 * } catch (error) {
 *   if (error instanceof HistoryStoreError && error.code === "WFS_STORE_NOT_FOUND") console.log(error.hint);
 * }
 * ```
 *
 * @example
 * ```ts
 * import { HistoryStoreError } from "./history_store.ts";
 *
 * const error = new HistoryStoreError("WFS_STORE_IO", "Cannot write to bucket 'histories'", { hint: "Check the credentials" });
 * error.message; // "Cannot write to bucket 'histories'. Check the credentials (WFS_STORE_IO)"
 * ```
 */
export class HistoryStoreError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** The stable code, also at the end of the message. */
  readonly code: HistoryStoreErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page, `docs/errors/<code>.md`. */
  readonly docs: string;
  /** The workflow a `WFS_STORE_CORRUPT` error refuses, when the damage is in one workflow. */
  declare readonly workflowId?: string;
  /** Its run, when known. */
  declare readonly runId?: string;
  /** The first damaged or missing event, when the damage is in its history. */
  declare readonly eventId?: number;

  /**
   * Builds an error of `code`: the message is `message`, then `options.hint` when given, then
   * the code, `"<message>. <hint> (<code>)"` (see the class's example).
   */
  constructor(code: HistoryStoreErrorCode, message: string, options: HistoryStoreErrorOptions = {}) {
    super(
      composeMessage({ code, message, hint: options.hint ?? "" }),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.hint = options.hint ?? DEFAULT_HINTS[code] ?? "";
    this.docs = errorDocs(code);
  }

  /**
   * Whether `value` is a `HistoryStoreError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { HistoryStoreError } from "./history_store.ts";
   *
   * HistoryStoreError.is({ code: "WFS_STORE_IO" }); // false
   * ```
   */
  static is(value: unknown): value is HistoryStoreError {
    return hasBrand(value, HistoryStoreError.brand);
  }
}
brandClass(HistoryStoreError, "error", "HistoryStoreError");

/**
 * Options of {@linkcode HistoryStore.readEvents}.
 *
 * @example
 * ```ts
 * import type { ReadEventsOptions } from "./history_store.ts";
 *
 * const onlyNew: ReadEventsOptions = { afterEventId: 12 };
 * ```
 */
export interface ReadEventsOptions {
  /**
   * Return only events after this id, for a cached workflow that has seen the rest.
   * @default 0
   */
  afterEventId?: number;
}

/**
 * A time range in ms since the Unix epoch: `from` inclusive, `to` exclusive, either left out for
 * no bound.
 *
 * @example
 * ```ts
 * import type { TimeRange } from "./history_store.ts";
 *
 * const lastHour: TimeRange = { from: Date.now() - 3_600_000 };
 * ```
 */
export interface TimeRange {
  from?: number;
  to?: number;
}

/**
 * Filter of {@linkcode HistoryStore.listExecutions}: every field given must match (Temporal's
 * list filter `WorkflowType = 'x' AND ExecutionStatus = 'Running' AND StartTime >= '...'`).
 *
 * @example
 * ```ts
 * import type { ListExecutionsFilter } from "./history_store.ts";
 *
 * const running: ListExecutionsFilter = { status: "running" };
 * const failedToday: ListExecutionsFilter = { workflowType: "processOrder", status: "failed", closeTime: { from: Date.now() - 86_400_000 } };
 * ```
 *
 * @example Paging through every run, 100 at a time
 * ```ts
 * import { MemoryHistoryStore } from "./memory_history_store.ts";
 * import type { ExecutionInfo } from "./history_store.ts";
 *
 * const store = new MemoryHistoryStore();
 * let after: ExecutionInfo | undefined;
 * do {
 *   const page = await store.listExecutions({ limit: 100, after });
 *   for (const run of page) console.log(run.workflowId, run.status);
 *   after = page.length === 100 ? page[99] : undefined;
 * } while (after !== undefined);
 * ```
 */
export interface ListExecutionsFilter {
  /** Only the runs of this workflow id. */
  workflowId?: string;
  /** Only runs in this state. */
  status?: ExecutionStatus;
  /** Only runs of this workflow type. */
  workflowType?: string;
  /** Only runs that started in this range. */
  startTime?: TimeRange;
  /** Only runs that closed in this range (so no running run). */
  closeTime?: TimeRange;
  /**
   * At most this many runs, the first in the list's order.
   * @default no limit
   */
  limit?: number;
  /**
   * Only runs after this one in the list's order (start time, workflow id, run id): the last run
   * of the previous page.
   */
  after?: Pick<ExecutionInfo, "startTime" | "workflowId" | "runId">;
}

/**
 * Filter of {@linkcode HistoryStore.listWorkflowTasks}.
 *
 * @example
 * ```ts
 * import type { ListWorkflowTasksFilter } from "./history_store.ts";
 *
 * const ready: ListWorkflowTasksFilter = { taskQueue: "orders", readyBy: Date.now() };
 * ```
 */
export interface ListWorkflowTasksFilter {
  taskQueue?: string;
  /** Leave out tasks whose `taskFailure.nextAttemptAt` is later than this (ms since epoch). */
  readyBy?: number;
}

/**
 * Filter of {@linkcode HistoryStore.listTimers}.
 *
 * @example
 * ```ts
 * import type { ListTimersFilter } from "./history_store.ts";
 *
 * const due: ListTimersFilter = { dueBy: Date.now() };
 * ```
 */
export interface ListTimersFilter {
  /** Only timers with `firesAt` at or before this (ms since epoch). */
  dueBy?: number;
}

/**
 * Filter of {@linkcode HistoryStore.listActivityTasks}.
 *
 * @example
 * ```ts
 * import type { ListActivityTasksFilter } from "./history_store.ts";
 *
 * const ready: ListActivityTasksFilter = { taskQueue: "orders", readyBy: Date.now() };
 * ```
 */
export interface ListActivityTasksFilter {
  taskQueue?: string;
  /** Only tasks with `readyAt` at or before this (ms since epoch). */
  readyBy?: number;
}

/**
 * A query posted to the database for a worker of another process to answer
 * ({@linkcode StoreCoordination.postQuery}).
 *
 * @example
 * ```ts
 * import type { PostedQuery } from "./history_store.ts";
 *
 * const query: PostedQuery = { id: "q1", workflowId: "order-42", runId: "r1", taskQueue: "orders", name: "status", args: [] };
 * ```
 */
export interface PostedQuery extends ExecutionKey {
  readonly id: string;
  readonly taskQueue: string;
  readonly name: string;
  /** The query's arguments, as payloads. */
  readonly args: JsonValue;
}

/**
 * What a store shared by several processes offers beside the {@linkcode HistoryStore} contract
 * (`SqliteHistoryStore.coordination`): a change feed across processes, leases that give each
 * workflow run and activity attempt to one worker process at a time (a dead process's leases are
 * taken over), and a mailbox for queries. The worker and client use it when their store has it;
 * a store for one process (memory, file) has none.
 *
 * A run's lease (its owner) is the session that runs its workflow tasks, fires its timers and
 * answers its queries; it is kept until the run closes, the session closes or the session dies.
 * An activity claim is held while one session runs one attempt.
 *
 * @example
 * ```ts
 * import { SqliteHistoryStore } from "./sqlite_history_store.ts";
 *
 * const store = await SqliteHistoryStore.open();
 * const stop = store.coordination.watch(() => console.log("another process committed"));
 * stop();
 * await store.close();
 * ```
 */
export interface StoreCoordination {
  /** This store's session: one per open store, so one per process. */
  readonly sessionId: string;
  /** Increases when this session was taken for dead (its heartbeat stalled) and registered again: its leases are gone. */
  readonly epoch: number;
  /**
   * Calls `listener` soon (within the poll interval) after another process commits, and after this
   * store released a dead session's leases; returns the function that stops it. A listener keeps
   * the process alive while it is registered.
   */
  watch(listener: () => void): () => void;
  /** Records the task queues this process's workers poll, so queries of unowned runs reach them. */
  serveTaskQueues(taskQueues: readonly string[]): Promise<void>;
  /** {@linkcode HistoryStore.listWorkflowTasks}, leaving out the runs another live session owns; at most `limit`. */
  listWorkflowTasks(filter?: ListWorkflowTasksFilter, limit?: number): Promise<ExecutionInfo[]>;
  /** {@linkcode HistoryStore.listTimers}, leaving out the timers of runs another live session owns; at most `limit`. */
  listTimers(filter?: ListTimersFilter, limit?: number): Promise<DurableTimer[]>;
  /** {@linkcode HistoryStore.listActivityTasks}, leaving out the attempts a session runs; at most `limit`. */
  listActivityTasks(filter?: ListActivityTasksFilter, limit?: number): Promise<ActivityTask[]>;
  /** {@linkcode claimRun} for several runs in one write: resolves with those this session holds now (`mine` or `claimed`). */
  claimRuns(keys: readonly ExecutionKey[]): Promise<ExecutionKey[]>;
  /** {@linkcode claimActivity} for several attempts in one write: resolves with those claimed. */
  claimActivities(tasks: readonly ActivityTask[]): Promise<ActivityTask[]>;
  /**
   * Takes the lease of a running run for this session: `"mine"` when it held it already,
   * `"claimed"` when it was free, `"taken"` when another live session holds it; `"closed"` when the
   * run is not running.
   */
  claimRun(key: ExecutionKey): Promise<"mine" | "claimed" | "taken" | "closed">;
  /** Claims a pending activity attempt (`task.attempt`) for this session; `false` when another has it or it is gone. */
  claimActivity(task: ActivityTask): Promise<boolean>;
  /** Gives an activity attempt back without an outcome (a shutdown interrupted it), so another session runs it. */
  releaseActivity(task: ActivityTask): Promise<void>;
  /**
   * {@linkcode HistoryStore.append}, applied only while this session still claims the activity
   * `activityId`: else it rejects with `WFS_STORE_INVALID` and writes nothing (the attempt was
   * taken over after this session was taken for dead).
   */
  appendClaimed(key: ExecutionKey, batch: AppendBatch, activityId: string): Promise<ExecutionInfo>;
  /** Posts a query for the run's owner, or any worker of its task queue when it has none; resolves with its id. */
  postQuery(query: Omit<PostedQuery, "id">): Promise<string>;
  /** The answer to a posted query, once a worker gave it. */
  readAnswer(id: string): Promise<JsonValue | undefined>;
  /** Withdraws a posted query (answered, or given up). */
  withdrawQuery(id: string): Promise<void>;
  /** Takes the queries waiting for this session's workers: those of runs it owns, and of unowned runs of its task queues. */
  takeQueries(): Promise<PostedQuery[]>;
  /** Answers a query this session took. */
  answerQuery(id: string, answer: JsonValue): Promise<void>;
}

/**
 * Where the worker keeps histories. Implementations: `SqliteHistoryStore` (durable, one SQLite
 * database that the processes of a host share: the default durable store), `MemoryHistoryStore`
 * (tests) and `FileHistoryStore` (retired); another backend implements this interface.
 *
 * Contract for implementers: a write is validated completely, then made durable, then visible,
 * all or nothing, and its promise resolves only once durable; reads return copies; lists are
 * sorted as documented so every backend answers alike (run `tests/_history_store_contract.ts`
 * against a new backend).
 *
 * @example
 * ```ts
 * import { MemoryHistoryStore } from "./memory_history_store.ts";
 * import type { HistoryStore } from "./history_store.ts";
 *
 * const store: HistoryStore = new MemoryHistoryStore();
 * const key = { workflowId: "order-42", runId: "r1" };
 * await store.createExecution({
 *   ...key, workflowType: "processOrder", taskQueue: "orders",
 *   events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: 1_000 }],
 * });
 * await store.append(key, {
 *   expectedLastEventId: 1,
 *   events: [{ eventId: 2, type: "WorkflowExecutionCompleted", timestamp: 1_005, result: "done" }],
 *   status: "completed",
 * });
 * console.log((await store.readEvents(key)).map((e) => e.type));
 * await store.close();
 * ```
 */
export interface HistoryStore {
  /**
   * Creates a run with its first events. Fails with `WFS_STORE_ALREADY_RUNNING` when the workflow
   * id's latest run is running; once it is closed, a new run (new `runId`) may start.
   *
   * @example
   * ```ts
   * import { MemoryHistoryStore } from "./memory_history_store.ts";
   *
   * const store = new MemoryHistoryStore();
   * const info = await store.createExecution({
   *   workflowId: "order-42", runId: "r1", workflowType: "processOrder", taskQueue: "orders",
   *   events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: Date.now(), args: [42] }],
   * });
   * console.log(info.status, info.workflowTaskPending); // "running" true
   * ```
   */
  createExecution(execution: NewExecution): Promise<ExecutionInfo>;

  /**
   * Applies one batch to a running run atomically, if `batch.expectedLastEventId` is still its
   * last event id; resolves with the run's new state once the batch is durable.
   *
   * @example
   * ```ts
   * import { MemoryHistoryStore } from "./memory_history_store.ts";
   *
   * const store = new MemoryHistoryStore();
   * const key = { workflowId: "order-42", runId: "r1" };
   * await store.createExecution({
   *   ...key, workflowType: "processOrder", taskQueue: "orders",
   *   events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: 1_000 }],
   * });
   * // The first workflow task schedules an activity.
   * const info = await store.append(key, {
   *   expectedLastEventId: 1,
   *   events: [
   *     { eventId: 2, type: "WorkflowTaskCompleted", timestamp: 1_010 },
   *     { eventId: 3, type: "ActivityTaskScheduled", timestamp: 1_010, activityId: "1" },
   *   ],
   *   workflowTaskPending: false,
   *   activities: { put: [{ activityId: "1", activityType: "charge", taskQueue: "orders", attempt: 1, readyAt: 1_010 }] },
   *   step: "workflow-task-complete",
   * });
   * console.log(info.lastEventId); // 3
   * ```
   */
  append(key: ExecutionKey, batch: AppendBatch): Promise<ExecutionInfo>;

  /**
   * Reads a run's events in order (fresh copies). Fails with `WFS_STORE_NOT_FOUND` for an unknown
   * workflow id or run.
   *
   * @example
   * ```ts
   * import { MemoryHistoryStore } from "./memory_history_store.ts";
   *
   * const store = new MemoryHistoryStore();
   * await store.createExecution({
   *   workflowId: "order-42", runId: "r1", workflowType: "processOrder", taskQueue: "orders",
   *   events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: 1_000 }],
   * });
   * const history = await store.readEvents({ workflowId: "order-42" });
   * const newer = await store.readEvents({ workflowId: "order-42", runId: "r1" }, { afterEventId: 1 });
   * console.log(history.length, newer.length); // 1 0
   * ```
   */
  readEvents(ref: ExecutionRef, options?: ReadEventsOptions): Promise<HistoryEvent[]>;

  /**
   * Describes a run, or resolves `undefined` if it does not exist.
   *
   * @example
   * ```ts
   * import { MemoryHistoryStore } from "./memory_history_store.ts";
   *
   * const store = new MemoryHistoryStore();
   * console.log(await store.getExecution({ workflowId: "missing" })); // undefined
   * ```
   */
  getExecution(ref: ExecutionRef): Promise<ExecutionInfo | undefined>;

  /**
   * Lists the runs that match `filter` (every run without one), sorted by start time, then
   * workflow id, then run id; `limit` and `after` page through them. A store that finds a run's
   * stored data damaged leaves it out and reports it (`SqliteHistoryStore`'s `warn`).
   *
   * @example
   * ```ts
   * import { MemoryHistoryStore } from "./memory_history_store.ts";
   *
   * const store = new MemoryHistoryStore();
   * for (const run of await store.listExecutions({ status: "running" })) console.log(run.workflowId, run.runId);
   * ```
   */
  listExecutions(filter?: ListExecutionsFilter): Promise<ExecutionInfo[]>;

  /**
   * Lists running runs that wait for a workflow task, sorted by the time they may run
   * (`taskFailure.nextAttemptAt`, or their start time), then workflow id, then run id.
   *
   * @example
   * ```ts
   * import { MemoryHistoryStore } from "./memory_history_store.ts";
   *
   * const store = new MemoryHistoryStore();
   * for (const run of await store.listWorkflowTasks({ taskQueue: "orders", readyBy: Date.now() })) {
   *   console.log("replay and activate", run.workflowId, "up to event", run.lastEventId);
   * }
   * ```
   */
  listWorkflowTasks(filter?: ListWorkflowTasksFilter): Promise<ExecutionInfo[]>;

  /**
   * Lists pending durable timers of running runs, sorted by deadline, then workflow id, run id and
   * timer id. After a restart, `dueBy: Date.now()` returns every overdue timer.
   *
   * @example
   * ```ts
   * import { MemoryHistoryStore } from "./memory_history_store.ts";
   *
   * const store = new MemoryHistoryStore();
   * const [next] = await store.listTimers();
   * if (next) setTimeout(() => console.log("fire", next.timerId), Math.max(0, next.firesAt - Date.now()));
   * ```
   */
  listTimers(filter?: ListTimersFilter): Promise<DurableTimer[]>;

  /**
   * Lists pending activity tasks of running runs, sorted by `readyAt`, then workflow id, run id
   * and activity id.
   *
   * @example
   * ```ts
   * import { MemoryHistoryStore } from "./memory_history_store.ts";
   *
   * const store = new MemoryHistoryStore();
   * for (const task of await store.listActivityTasks({ taskQueue: "orders", readyBy: Date.now() })) {
   *   console.log("run", task.activityType, "attempt", task.attempt);
   * }
   * ```
   */
  listActivityTasks(filter?: ListActivityTasksFilter): Promise<ActivityTask[]>;

  /**
   * Releases the store (the file store's lock); later calls fail with `WFS_STORE_UNAVAILABLE`.
   * Closing twice is harmless.
   *
   * @example
   * ```ts
   * import { MemoryHistoryStore } from "./memory_history_store.ts";
   *
   * const store = new MemoryHistoryStore();
   * await store.close();
   * ```
   */
  close(): Promise<void>;

  /**
   * Present on a store several processes share (`SqliteHistoryStore`): see
   * {@linkcode StoreCoordination}.
   */
  readonly coordination?: StoreCoordination;
}
