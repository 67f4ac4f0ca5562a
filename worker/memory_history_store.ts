/**
 * The in-memory history store, for tests; also the state machine under `FileHistoryStore`, which
 * journals each validated change to disk before it is applied here, so both stores validate and
 * answer with the same code.
 *
 * @module
 */

import {
  alreadyRunning,
  checkAfterEventId,
  checkBatch,
  checkBatchHead,
  checkEvents,
  checkListFilter,
  checkNewRun,
  checkRef,
  checkRequestId,
  checkRunIdFree,
  checkRunning,
  compare,
  compareKeys,
  describeId,
  jsonCopy,
  matchesListFilter,
  requestKey,
  runNotFound,
  settle,
  storeClosed,
} from "./_history_store_checks.ts";
import {
  type ActivityTask,
  type ActivityTaskInput,
  type AppendBatch,
  type DurableTimer,
  type ExecutionInfo,
  type ExecutionKey,
  type ExecutionRef,
  type HistoryEvent,
  type HistoryStore,
  HistoryStoreError,
  type ListActivityTasksFilter,
  type ListExecutionsFilter,
  type ListTimersFilter,
  type ListWorkflowTasksFilter,
  type NewExecution,
  type ReadEventsOptions,
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
  /** The run each request id of a workflow id applied to (`requestKey`), kept as long as the runs. */
  #requests = new Map<string, string>();
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
      const earlier = this.#requested(copy.workflowId, copy.requestId);
      if (earlier !== undefined) return copyInfo(earlier.info);
      const latest = runs.at(-1);
      if (latest?.info.status === "running") throw alreadyRunning(what, latest.info.runId);
      checkRunIdFree(runs.some((run) => run.info.runId === copy.runId), copy.runId, what);
      this.#journal?.({ op: "create", execution: copy });
      const run = newRun(copy);
      runs.push(run);
      this.#runs.set(copy.workflowId, runs);
      if (copy.requestId !== undefined) this.#requests.set(requestKey(copy.workflowId, copy.requestId), copy.runId);
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
      const requestId = (batch as { requestId?: unknown } | undefined)?.requestId;
      checkRequestId(requestId, what);
      if (this.#requested(key.workflowId, requestId) !== undefined) return copyInfo(info);
      checkRunning(info, what);
      const copy = jsonCopy(batch, what);
      checkBatchHead(copy, batch, info, what);
      const events = copy.events ?? [];
      checkEvents(events, info.lastEventId, what);
      const runs = this.#runs.get(key.workflowId) ?? [];
      checkBatch({
        workflowId: info.workflowId,
        timers: run.timers,
        activities: run.activities,
        runIdUsed: (runId) => runs.some((r) => r.info.runId === runId),
      }, copy, events, what);
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
      if (requestId !== undefined) this.#requests.set(requestKey(key.workflowId, requestId), key.runId);
      return copyInfo(info);
    });
  }

  /** See {@linkcode HistoryStore.readEvents}. */
  readEvents(ref: ExecutionRef, options: ReadEventsOptions = {}): Promise<HistoryEvent[]> {
    return settle(() => {
      this.#checkOpen();
      const run = this.#findRun(ref, `Cannot read the history of workflow '${ref?.workflowId}'`, false);
      const after = options.afterEventId ?? 0;
      checkAfterEventId(ref.workflowId, after);
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
      checkListFilter(filter);
      const runs = filter.workflowId === undefined ? [...this.#runs.values()].flat() : this.#runs.get(filter.workflowId) ?? [];
      const order = (a: ListOrderKey, b: ListOrderKey) => compare(a.startTime, b.startTime) || compareKeys(a, b);
      const after = filter.after;
      const found = runs
        .filter((run) => matchesListFilter(run.info, filter) && (after === undefined || order(run.info, after) > 0))
        .map((run) => copyInfo(run.info))
        .sort(order);
      return filter.limit === undefined ? found : found.slice(0, filter.limit);
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

  /** The run a request id of `workflowId` applied to, if any. */
  #requested(workflowId: string, requestId: string | undefined): RunState | undefined {
    if (requestId === undefined) return undefined;
    const runId = this.#requests.get(requestKey(workflowId, requestId));
    return runId === undefined ? undefined : this.#runs.get(workflowId)?.find((run) => run.info.runId === runId);
  }

  #checkOpen(): void {
    if (this.#closed) throw storeClosed();
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
    checkRef(ref, what, needRunId);
    const runs = this.#runs.get(ref.workflowId);
    const run = ref.runId === undefined ? runs?.at(-1) : runs?.find((r) => r.info.runId === ref.runId);
    if (run === undefined) throw runNotFound(ref, what, runs?.map((r) => r.info.runId), needRunId);
    return run;
  }
}

/** The fields that order a list of runs. */
type ListOrderKey = Pick<ExecutionInfo, "startTime" | "workflowId" | "runId">;

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
