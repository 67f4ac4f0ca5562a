/**
 * The embedded engine's server side (what Temporal's history service does): it turns client
 * requests and workflow-task commands into history events and store writes, fires durable
 * timers, claims activity tasks, and wakes workers and result waiters after each write. Every write
 * to a workflow runs under that workflow's lock, so `expectedLastEventId` always holds in-process.
 * @module
 */
import { randomBytes, randomUUID } from "node:crypto";
import { codedError } from "../sandbox/coded_error.ts";
import type { ActivityOptionsData, Command } from "./_commands.ts";
import type { Clock } from "./_clock.ts";
import { KeyedLock } from "./_keyed_lock.ts";
import {
  type ActivityTask,
  type ActivityTaskInput,
  type AppendBatch,
  type ExecutionInfo,
  type ExecutionKey,
  type ExecutionRef,
  type HistoryEvent,
  type HistoryStore,
  HistoryStoreError,
  type JsonValue,
  type NextRun,
  type TimerInput,
} from "./history_store.ts";
import type { FailureData } from "./failure.ts";
import type { Payload, PayloadConverter } from "./payload_converter.ts";
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from "./client_errors.ts";

/** Backoff of failed workflow tasks. */
export interface WorkflowTaskRetry {
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
}

/** What a running worker offers the service. */
export interface WorkerEndpoint {
  readonly taskQueue: string;
  query(info: ExecutionInfo, name: string, args: Payload[]): Promise<Payload>;
  evict(key: ExecutionKey): void;
  /** Shuts the worker down and resolves once its `run()` has ended. */
  stop(): Promise<void>;
}

/** An activity attempt being executed by a worker of this process. */
export interface RunningActivity {
  readonly task: ActivityTask;
  readonly controller: AbortController;
  cancelRequested: boolean;
}

/** How an activity attempt ended. */
export type ActivityOutcome =
  | { readonly kind: "completed"; readonly result: Payload }
  | { readonly kind: "failed"; readonly failure: FailureData }
  | { readonly kind: "cancelled" }
  | { readonly kind: "retry"; readonly failure: FailureData; readonly readyAt: number };

/** Options of {@linkcode HistoryService}. */
export interface HistoryServiceOptions {
  readonly store: HistoryStore;
  readonly converter: PayloadConverter;
  readonly clock: Clock;
  readonly timeSkipping: boolean;
  readonly workflowTaskRetry: WorkflowTaskRetry;
}

/** Data of an activity task as the service writes it. */
export interface ActivityTaskData {
  workflowType: string;
  scheduledEventId: number;
  scheduledTime: number;
  args: Payload[];
  options: ActivityOptionsData;
  cancelRequested?: boolean;
  lastFailure?: FailureData;
}

const runKey = (key: ExecutionKey) => `${key.workflowId}\u0000${key.runId}`;
const activityKey = (task: ExecutionKey & { activityId: string }) => `${runKey(task)}\u0000${task.activityId}`;

/** The embedded engine's server side. */
export class HistoryService {
  readonly store: HistoryStore;
  readonly converter: PayloadConverter;
  readonly clock: Clock;
  readonly timeSkipping: boolean;
  readonly workflowTaskRetry: WorkflowTaskRetry;
  /** Workflow tasks and activity attempts in progress in this process. */
  busy = 0;
  readonly #lock = new KeyedLock();
  #generation = 0;
  readonly #waiters = new Set<() => void>();
  readonly #closeWaiters = new Map<string, Set<() => void>>();
  readonly #workers = new Set<WorkerEndpoint>();
  readonly #running = new Map<string, RunningActivity>();
  /** Callers waiting for a result in a time-skipping environment: time skips only while > 0. */
  #skipDemand = 0;
  #closed = false;

  constructor(options: HistoryServiceOptions) {
    this.store = options.store;
    this.converter = options.converter;
    this.clock = options.clock;
    this.timeSkipping = options.timeSkipping;
    this.workflowTaskRetry = options.workflowTaskRetry;
  }

  // ---- coordination ----

  withLock<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
    return this.#lock.run(workflowId, fn);
  }

  /** Increases on every write; a worker compares it before and after listing work. */
  get generation(): number {
    return this.#generation;
  }

  /** Wakes workers (after a write, a clock skip, or a new result waiter). */
  notify(): void {
    this.#generation++;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves at the next write after `generation`, after `timeoutMs`, or when `stop` aborts. */
  waitForChange(generation: number, timeoutMs: number, stop: AbortSignal): Promise<void> {
    if (generation !== this.#generation || stop.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        this.#waiters.delete(done);
        stop.removeEventListener("abort", done);
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      this.#waiters.add(done);
      stop.addEventListener("abort", done, { once: true });
      // setTimeout takes at most 2^31-1 ms; a longer wait just loops once more.
      if (Number.isFinite(timeoutMs)) timer = setTimeout(done, Math.min(Math.max(0, timeoutMs), 2_147_483_647));
    });
  }

  /** Whether a time-skipping environment may jump to the next deadline now. */
  get maySkipTime(): boolean {
    return this.timeSkipping && this.#skipDemand > 0 && this.busy === 0;
  }

  /** Runs `fn` while letting time skip (a client awaits a result, or `env.sleep()`). */
  async withTimeSkipping<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.timeSkipping) return fn();
    this.#skipDemand++;
    this.notify();
    try {
      return await fn();
    } finally {
      this.#skipDemand--;
    }
  }

  registerWorker(worker: WorkerEndpoint): () => void {
    this.#workers.add(worker);
    return () => this.#workers.delete(worker);
  }

  get workerCount(): number {
    return this.#workers.size;
  }

  /** Stops every running worker of this environment. */
  async stopWorkers(): Promise<void> {
    await Promise.all([...this.#workers].map((worker) => worker.stop()));
  }

  close(): void {
    this.#closed = true;
    this.notify();
    for (const waiters of this.#closeWaiters.values()) for (const wake of waiters) wake();
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- client operations ----

  async startWorkflow(request: { workflowId: string; workflowType: string; taskQueue: string; args: Payload[] }): Promise<ExecutionInfo> {
    const runId = randomUUID();
    const now = this.clock.now();
    const started = this.#startedEvent({ ...request, runId, firstExecutionRunId: runId, now });
    try {
      const info = await this.withLock(request.workflowId, () =>
        this.store.createExecution({
          workflowId: request.workflowId,
          runId,
          workflowType: request.workflowType,
          taskQueue: request.taskQueue,
          events: [started],
        })
      );
      this.notify();
      return info;
    } catch (error) {
      if (error instanceof HistoryStoreError && error.code === "WFS_STORE_ALREADY_RUNNING") {
        throw codedError(
          WorkflowExecutionAlreadyStartedError,
          {
            code: "WFS_ALREADY_STARTED",
            message: WorkflowExecutionAlreadyStartedError.what(request.workflowId, request.workflowType),
            hint: WorkflowExecutionAlreadyStartedError.HINT,
            cause: error,
          },
          { workflowId: request.workflowId, workflowType: request.workflowType },
        );
      }
      throw error;
    }
  }

  async signalWorkflow(ref: ExecutionRef, signalName: string, args: Payload[]): Promise<void> {
    await this.withLock(ref.workflowId, async () => {
      const info = await this.#requireRunning(ref, `signal '${signalName}'`);
      await this.#append(info, {
        expectedLastEventId: info.lastEventId,
        events: [this.#event(info, "WorkflowExecutionSignaled", { signalName, args: args as unknown as JsonValue })],
        workflowTaskPending: true,
        step: "signal",
      });
    });
  }

  async requestCancel(ref: ExecutionRef): Promise<void> {
    await this.withLock(ref.workflowId, async () => {
      const info = await this.#requireRunning(ref, "cancel");
      const events = await this.store.readEvents(info);
      if (events.some((event) => event.type === "WorkflowExecutionCancelRequested")) return; // asked already
      await this.#append(info, {
        expectedLastEventId: info.lastEventId,
        events: [this.#event(info, "WorkflowExecutionCancelRequested", {})],
        workflowTaskPending: true,
        step: "cancel-request",
      });
    });
  }

  async terminate(ref: ExecutionRef, reason: string): Promise<void> {
    await this.withLock(ref.workflowId, async () => {
      const info = await this.#requireRunning(ref, "terminate");
      await this.#append(info, {
        expectedLastEventId: info.lastEventId,
        events: [this.#event(info, "WorkflowExecutionTerminated", { reason })],
        status: "terminated",
        step: "terminate",
      });
      for (const worker of this.#workers) worker.evict(info);
      for (const running of this.#running.values()) {
        if (runKey(running.task) !== runKey(info)) continue;
        running.controller.abort(codedError(Error, {
          code: "WFS_ACTIVITY_CANCELLED",
          message: `${describeActivity(running.task)} was interrupted: the workflow was terminated`,
          hint: "Let the error end the activity (clean up in a finally block); its outcome is not recorded, since the workflow is closed",
        }));
      }
    });
  }

  async query(ref: ExecutionRef, name: string, args: Payload[]): Promise<Payload> {
    const info = await this.store.getExecution(ref);
    if (info === undefined) throw notFound(ref);
    const worker = [...this.#workers].find((w) => w.taskQueue === info.taskQueue);
    if (worker === undefined) {
      throw codedError(Error, {
        code: "WFS_NO_WORKER",
        message: `Cannot query workflow '${ref.workflowId}': no worker of this environment polls task queue '${info.taskQueue}'`,
        hint: `Start one with Worker.create(env, { taskQueue: '${info.taskQueue}', ... }).run()`,
      });
    }
    return worker.query(info, name, args);
  }

  /** Resolves with the run's info once it is closed (the latest run without `runId`). */
  async waitForClose(ref: ExecutionRef): Promise<ExecutionInfo> {
    return this.withTimeSkipping(async () => {
      for (;;) {
        let wake!: () => void;
        const woken = new Promise<void>((resolve) => (wake = resolve));
        const waiters = this.#closeWaiters.get(ref.workflowId) ?? new Set();
        waiters.add(wake);
        this.#closeWaiters.set(ref.workflowId, waiters);
        try {
          const info = await this.store.getExecution(ref);
          if (info === undefined) throw notFound(ref);
          if (info.status !== "running") return info;
          if (this.#closed) {
            throw codedError(Error, {
              code: "WFS_ENV_CLOSED",
              message: `Cannot wait for workflow '${ref.workflowId}': the environment was torn down`,
              hint: "Await the workflow's result before env.teardown(), or start a new environment to go on",
            });
          }
          await woken;
        } finally {
          waiters.delete(wake);
          if (waiters.size === 0) this.#closeWaiters.delete(ref.workflowId);
        }
      }
    });
  }

  // ---- workflow tasks ----

  /** Records a workflow task's commands (one atomic write) and acts on them. */
  async completeWorkflowTask(
    info: ExecutionInfo,
    startedTime: number,
    commands: readonly Command[],
  ): Promise<{ info: ExecutionInfo; taskLastEventId: number }> {
    const now = this.clock.now();
    const events: HistoryEvent[] = [];
    let nextId = info.lastEventId + 1;
    const add = (type: string, attributes: Record<string, unknown>) => {
      const event = { eventId: nextId++, type, timestamp: now, ...attributes } as HistoryEvent;
      events.push(event);
      return event;
    };
    add("WorkflowTaskCompleted", { startedTime });
    const timersPut = new Map<string, TimerInput>();
    const timersRemove: string[] = [];
    const activitiesPut = new Map<string, ActivityTaskInput>();
    const cancelActivities: string[] = [];
    let status: AppendBatch["status"];
    let continueAsNew: NextRun | undefined;
    let pendingTimers: Set<string> | undefined;
    let pendingActivities: Map<string, ActivityTask> | undefined;

    for (const command of commands) {
      if (status !== undefined) break;
      switch (command.type) {
        case "ScheduleActivity": {
          const activityId = String(command.seq);
          const event = add("ActivityTaskScheduled", {
            activityId,
            activityType: command.activityType,
            taskQueue: command.options.taskQueue,
            args: command.args,
            options: command.options,
          });
          const data: ActivityTaskData = { workflowType: info.workflowType, scheduledEventId: event.eventId, scheduledTime: now, args: command.args, options: command.options };
          activitiesPut.set(activityId, {
            activityId,
            activityType: command.activityType,
            taskQueue: command.options.taskQueue,
            attempt: 1,
            readyAt: now,
            data: data as unknown as JsonValue,
          });
          break;
        }
        case "RequestCancelActivity": {
          const activityId = String(command.seq);
          add("ActivityTaskCancelRequested", { activityId });
          const scheduledNow = activitiesPut.get(activityId);
          pendingActivities ??= await this.#pendingActivities(info);
          const task = scheduledNow ?? pendingActivities.get(activityId);
          if (task === undefined) break; // it finished meanwhile: its outcome is already recorded
          activitiesPut.set(activityId, { ...task, data: { ...(task.data as object), cancelRequested: true } as JsonValue });
          cancelActivities.push(activityId);
          break;
        }
        case "StartTimer": {
          const timerId = String(command.seq);
          const firesAt = now + command.durationMs;
          const event = add("TimerStarted", { timerId, durationMs: command.durationMs, firesAt });
          timersPut.set(timerId, { timerId, firesAt, data: { startedEventId: event.eventId } });
          break;
        }
        case "CancelTimer": {
          const timerId = String(command.seq);
          add("TimerCanceled", { timerId });
          if (timersPut.delete(timerId)) break;
          pendingTimers ??= await this.#pendingTimers(info);
          if (pendingTimers.has(timerId)) timersRemove.push(timerId);
          break;
        }
        case "SetPatchMarker":
          add("MarkerRecorded", { markerName: "patch", patchId: command.patchId, deprecated: command.deprecated });
          break;
        case "CompleteWorkflow":
          add("WorkflowExecutionCompleted", { result: command.result });
          status = "completed";
          break;
        case "FailWorkflow":
          add("WorkflowExecutionFailed", { failure: command.failure });
          status = "failed";
          break;
        case "CancelWorkflow":
          // The store has no "canceled" status: the run closes as failed and its closing event,
          // WorkflowExecutionCanceled, tells the two apart (describe() reports CANCELLED).
          add("WorkflowExecutionCanceled", {});
          status = "failed";
          break;
        case "ContinueAsNew": {
          const runId = randomUUID();
          add("WorkflowExecutionContinuedAsNew", {
            newExecutionRunId: runId,
            workflowType: command.workflowType,
            taskQueue: command.taskQueue,
            args: command.args,
          });
          status = "continued-as-new";
          const first = await this.store.readEvents(info, { afterEventId: 0 }).then((e) => e[0]!);
          continueAsNew = {
            runId,
            workflowType: command.workflowType,
            taskQueue: command.taskQueue,
            events: [this.#startedEvent({
              workflowId: info.workflowId,
              runId,
              workflowType: command.workflowType,
              taskQueue: command.taskQueue,
              args: command.args,
              firstExecutionRunId: String(first.firstExecutionRunId ?? info.runId),
              continuedFromExecutionRunId: info.runId,
              originalStartTime: typeof first.originalStartTime === "number" ? first.originalStartTime : first.timestamp,
              now,
            })],
          };
          break;
        }
      }
    }
    const batch: AppendBatch = {
      expectedLastEventId: info.lastEventId,
      events,
      workflowTaskPending: false,
      step: status === "continued-as-new" ? "continue-as-new" : "workflow-task-complete",
    };
    if (info.taskFailure !== undefined) batch.taskFailure = null;
    if (timersPut.size > 0 || timersRemove.length > 0) batch.timers = { put: [...timersPut.values()], remove: timersRemove };
    if (activitiesPut.size > 0) batch.activities = { put: [...activitiesPut.values()] };
    if (status !== undefined) batch.status = status;
    if (continueAsNew !== undefined) batch.continueAsNew = continueAsNew;
    let result = await this.#append(info, batch);
    const taskLastEventId = result.lastEventId;
    if (result.status !== "running") {
      for (const running of this.#running.values()) {
        if (runKey(running.task) !== runKey(info)) continue;
        running.controller.abort(codedError(Error, {
          code: "WFS_ACTIVITY_CANCELLED",
          message: `${describeActivity(running.task)} was interrupted: the workflow run is ${result.status}`,
          hint: "Let the error end the activity (clean up in a finally block); its outcome is not recorded, since the workflow is closed",
        }));
      }
      return { info: result, taskLastEventId };
    }
    // Cancellation of an activity: a running attempt is told through its AbortSignal and reports
    // its outcome itself; one not running is cancelled right here.
    for (const activityId of cancelActivities) {
      const running = this.#running.get(activityKey({ ...info, activityId }));
      if (running !== undefined) {
        running.cancelRequested = true;
        running.controller.abort(codedError(Error, {
          code: "WFS_ACTIVITY_CANCELLED",
          message: `${describeActivity(running.task)} was cancelled: the workflow requested its cancellation`,
          hint: "Let the error end the activity (clean up in a finally block); the workflow is told it was cancelled",
        }));
        continue;
      }
      const task = activitiesPut.get(activityId)!;
      result = await this.#append(result, {
        expectedLastEventId: result.lastEventId,
        events: [{
          eventId: result.lastEventId + 1,
          type: "ActivityTaskCanceled",
          timestamp: now,
          activityId,
          scheduledEventId: (task.data as unknown as ActivityTaskData).scheduledEventId,
        }],
        activities: { remove: [activityId] },
        workflowTaskPending: true,
        step: "activity-complete",
      });
    }
    return { info: result, taskLastEventId };
  }

  /** Records a failed workflow task (history unchanged) with its retry time. */
  async failWorkflowTask(info: ExecutionInfo, message: string, details: JsonValue): Promise<{ attempt: number; nextAttemptAt: number }> {
    const attempt = (info.taskFailure?.attempt ?? 0) + 1;
    const retry = this.workflowTaskRetry;
    const delay = Math.min(retry.initialIntervalMs * retry.backoffCoefficient ** (attempt - 1), retry.maximumIntervalMs);
    const nextAttemptAt = this.clock.now() + delay;
    await this.#append(info, {
      expectedLastEventId: info.lastEventId,
      taskFailure: { attempt, message, nextAttemptAt, details },
      step: "workflow-task-fail",
    });
    return { attempt, nextAttemptAt };
  }

  // ---- timers ----

  /** Fires every due timer: `TimerFired`, the timer removed, a workflow task requested, atomically. */
  async fireDueTimers(): Promise<number> {
    const due = await this.store.listTimers({ dueBy: this.clock.now() });
    let fired = 0;
    for (const timer of due) {
      await this.withLock(timer.workflowId, async () => {
        const info = await this.store.getExecution(timer);
        if (info?.status !== "running") return;
        try {
          await this.#append(info, {
            expectedLastEventId: info.lastEventId,
            events: [this.#event(info, "TimerFired", {
              timerId: timer.timerId,
              startedEventId: (timer.data as { startedEventId?: number } | undefined)?.startedEventId ?? null,
            })],
            timers: { remove: [timer.timerId] },
            workflowTaskPending: true,
            step: "timer-fire",
          });
          fired++;
        } catch (error) {
          // Another worker of this environment fired it first, or a workflow task cancelled it.
          if (!(error instanceof HistoryStoreError && error.code === "WFS_STORE_INVALID")) throw error;
        }
      });
    }
    return fired;
  }

  // ---- activities ----

  /** Claims an activity task for this process, or undefined when it already runs here. */
  claimActivity(task: ActivityTask): RunningActivity | undefined {
    const key = activityKey(task);
    if (this.#running.has(key)) return undefined;
    const running: RunningActivity = {
      task,
      controller: new AbortController(),
      cancelRequested: (task.data as unknown as ActivityTaskData | undefined)?.cancelRequested === true,
    };
    this.#running.set(key, running);
    this.busy++;
    return running;
  }

  releaseActivity(running: RunningActivity): void {
    if (this.#running.get(activityKey(running.task)) === running) {
      this.#running.delete(activityKey(running.task));
      this.busy--;
      this.notify();
    }
  }

  isClaimed(task: ActivityTask): boolean {
    return this.#running.has(activityKey(task));
  }

  /** Records an attempt's outcome, unless the activity is no longer pending (run closed, cancelled). */
  async finishActivity(task: ActivityTask, outcome: ActivityOutcome): Promise<void> {
    await this.withLock(task.workflowId, async () => {
      const info = await this.store.getExecution(task);
      if (info?.status !== "running") return;
      const data = task.data as unknown as ActivityTaskData;
      const base = { activityId: task.activityId, scheduledEventId: data.scheduledEventId, attempt: task.attempt };
      let batch: AppendBatch;
      if (outcome.kind === "retry") {
        batch = {
          expectedLastEventId: info.lastEventId,
          activities: {
            remove: [task.activityId],
            put: [{
              activityId: task.activityId,
              activityType: task.activityType,
              taskQueue: task.taskQueue,
              attempt: task.attempt + 1,
              readyAt: outcome.readyAt,
              data: { ...data, lastFailure: outcome.failure } as unknown as JsonValue,
            }],
          },
          step: "activity-retry",
        };
      } else {
        const event = outcome.kind === "completed"
          ? this.#event(info, "ActivityTaskCompleted", { ...base, result: outcome.result })
          : outcome.kind === "failed"
          ? this.#event(info, "ActivityTaskFailed", { ...base, failure: outcome.failure })
          : this.#event(info, "ActivityTaskCanceled", base);
        batch = {
          expectedLastEventId: info.lastEventId,
          events: [event],
          activities: { remove: [task.activityId] },
          workflowTaskPending: true,
          step: "activity-complete",
        };
      }
      try {
        await this.#append(info, batch);
      } catch (error) {
        // Not pending any more: a workflow task cancelled it and recorded the cancellation.
        if (!(error instanceof HistoryStoreError && error.code === "WFS_STORE_INVALID")) throw error;
      }
    });
  }

  /** The earliest future time at which `taskQueue` has work, and whether time may skip to it. */
  async nextDeadline(taskQueue: string, activitiesFull: boolean): Promise<{ at: number; skippable: boolean }> {
    let at = Infinity;
    let skippable = false;
    const [timer] = await this.store.listTimers();
    if (timer !== undefined) {
      at = timer.firesAt;
      skippable = true;
    }
    if (!activitiesFull) {
      for (const task of await this.store.listActivityTasks({ taskQueue })) {
        if (this.isClaimed(task)) continue;
        if (task.readyAt < at) {
          at = task.readyAt;
          skippable = true;
        }
        break;
      }
    }
    for (const info of await this.store.listWorkflowTasks({ taskQueue })) {
      const readyAt = info.taskFailure?.nextAttemptAt;
      if (readyAt !== undefined && readyAt < at) {
        // A failed task waits in real time: skipping would spin through its retries.
        at = readyAt;
        skippable = false;
      }
      break;
    }
    return { at, skippable };
  }

  // ---- helpers ----

  #startedEvent(request: {
    workflowId: string;
    runId: string;
    workflowType: string;
    taskQueue: string;
    args: Payload[];
    firstExecutionRunId: string;
    continuedFromExecutionRunId?: string;
    originalStartTime?: number;
    now: number;
  }): HistoryEvent {
    return {
      eventId: 1,
      type: "WorkflowExecutionStarted",
      timestamp: request.now,
      workflowId: request.workflowId,
      runId: request.runId,
      workflowType: request.workflowType,
      taskQueue: request.taskQueue,
      args: request.args,
      attempt: 1,
      firstExecutionRunId: request.firstExecutionRunId,
      ...(request.continuedFromExecutionRunId === undefined ? {} : { continuedFromExecutionRunId: request.continuedFromExecutionRunId }),
      originalStartTime: request.originalStartTime ?? request.now,
      // The seed of workflow.random(): drawn once here, then read from history on every replay.
      randomnessSeed: randomBytes(16).toString("hex"),
    };
  }

  #event(info: ExecutionInfo, type: string, attributes: Record<string, unknown>): HistoryEvent {
    return { eventId: info.lastEventId + 1, type, timestamp: this.clock.now(), ...attributes };
  }

  async #requireRunning(ref: ExecutionRef, action: string): Promise<ExecutionInfo> {
    const info = await this.store.getExecution(ref);
    if (info === undefined) throw notFound(ref);
    if (info.status !== "running") {
      throw codedError(
        WorkflowNotFoundError,
        {
          code: "WFS_WORKFLOW_NOT_FOUND",
          message: `Cannot ${action} workflow '${ref.workflowId}': its ${ref.runId ? `run '${ref.runId}'` : "latest run"} is ` +
            `already ${info.status}, and only running workflows accept it`,
          hint: "Read its outcome with handle.result() or handle.describe() instead",
        },
        { workflowId: ref.workflowId, runId: info.runId },
      );
    }
    return info;
  }

  async #pendingTimers(key: ExecutionKey): Promise<Set<string>> {
    const timers = await this.store.listTimers();
    return new Set(timers.filter((t) => t.workflowId === key.workflowId && t.runId === key.runId).map((t) => t.timerId));
  }

  async #pendingActivities(key: ExecutionKey): Promise<Map<string, ActivityTask>> {
    const tasks = await this.store.listActivityTasks();
    return new Map(tasks.filter((t) => t.workflowId === key.workflowId && t.runId === key.runId).map((t) => [t.activityId, t]));
  }

  async #append(key: ExecutionKey, batch: AppendBatch): Promise<ExecutionInfo> {
    const info = await this.store.append({ workflowId: key.workflowId, runId: key.runId }, batch);
    this.notify();
    if (batch.status !== undefined) {
      const waiters = this.#closeWaiters.get(key.workflowId);
      if (waiters) for (const wake of [...waiters]) wake();
    }
    return info;
  }
}

function notFound(ref: ExecutionRef): WorkflowNotFoundError {
  return codedError(
    WorkflowNotFoundError,
    {
      code: "WFS_WORKFLOW_NOT_FOUND",
      message: `No workflow '${ref.workflowId}'${ref.runId ? ` with run '${ref.runId}'` : ""} exists in this environment's store`,
      hint: "Check the id, or start it with client.startWorkflow()",
    },
    { workflowId: ref.workflowId, runId: ref.runId },
  );
}

/** Names an activity attempt in messages: its type, id and workflow. */
function describeActivity(task: ActivityTask): string {
  return `Activity '${task.activityType}' (id ${task.activityId}) of workflow '${task.workflowId}'`;
}
