/**
 * The embedded engine's server side (what Temporal's history service does): it turns client
 * requests and workflow-task commands into history events and store writes, fires durable
 * timers, claims activity tasks, and wakes workers and result waiters after each write. Every write
 * to a workflow runs under that workflow's lock, so `expectedLastEventId` always holds in-process.
 *
 * With a store several processes share (`store.coordination`, SqliteHistoryStore), it also: lists
 * only the work no other live process holds and takes a run's lease before running its workflow
 * task; claims each activity attempt in the database and records its outcome only while it still
 * holds the claim; retries a write another process's write beat (`WFS_STORE_CONFLICT`); wakes on
 * other processes' commits (the store's change feed); and posts queries to the process that holds
 * the run, answering those posted for its own workers.
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
  type StoreCoordination,
  type TimerInput,
} from "./history_store.ts";
import type { FailureData } from "./failure.ts";
import { errorToFailure, failureToError } from "./failure_converter.ts";
import type { Logger } from "./logger.ts";
import type { Payload, PayloadConverter } from "./payload_converter.ts";
import { QueryFailedError, QueryNotRegisteredError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from "./client_errors.ts";

/** Backoff of failed workflow tasks. */
export interface WorkflowTaskRetry {
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maximumIntervalMs: number;
}

/** What a running worker offers the service. */
export interface WorkerEndpoint {
  readonly taskQueue: string;
  /** Where the service reports what concerns the worker (a workflow refused as damaged). */
  readonly logger?: Logger;
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
  /** Whether the attempt holds a claim in a shared store's database. */
  claimed?: boolean;
  /** Whether its outcome was recorded (or need not be): else a shared store's claim is given back. */
  settled?: boolean;
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
  /**
   * How long a query posted for a worker of another process waits for its answer.
   * @default 10_000
   */
  readonly queryTimeoutMs?: number;
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
/** Tries of a write that another process's write keeps beating (`WFS_STORE_CONFLICT`). */
const CONFLICT_TRIES = 100;
/** Leases a worker takes in one listing of workflow tasks: a burst of new runs is shared by the workers. */
const CLAIM_BATCH = 64;
/** Workflow tasks a worker lists at a time from a shared store. */
const LIST_PAGE = 128;
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
  readonly queryTimeoutMs: number;
  /** The shared store's coordination, when the store is shared by processes. */
  readonly #coordination: StoreCoordination | undefined;
  /** Runs whose lease this process holds (valid for the coordination's `epoch` it was filled in). */
  readonly #owned = new Set<string>();
  #ownedEpoch = 0;
  /** Activity attempts claimed in the database by a list, before the worker asks for them. */
  readonly #preclaimed = new Set<string>();
  /** Who needs the change feed (a worker, a result or query waiter), and how to stop it. */
  #watchDemand = 0;
  #unwatch: (() => void) | undefined;
  /** Runs refused as damaged (`WFS_STORE_CORRUPT` naming them): skipped until the process restarts. */
  readonly #refused = new Map<string, HistoryStoreError>();
  #pumping = false;
  #pumpAgain = false;

  constructor(options: HistoryServiceOptions) {
    this.store = options.store;
    this.converter = options.converter;
    this.clock = options.clock;
    this.timeSkipping = options.timeSkipping;
    this.workflowTaskRetry = options.workflowTaskRetry;
    this.queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
    this.#coordination = options.store.coordination;
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
    const release = this.#acquireWatch();
    this.#serveTaskQueues();
    this.#pumpQueries();
    return () => {
      if (!this.#workers.delete(worker)) return;
      release();
      this.#serveTaskQueues();
    };
  }

  // ---- several processes ----

  /** Whether the store is shared by several processes. */
  get shared(): boolean {
    return this.#coordination !== undefined;
  }

  /**
   * Keeps the shared store's change feed on until the returned function is called: other
   * processes' commits then wake workers, result waiters and query waiters, and bring queries.
   */
  #acquireWatch(): () => void {
    const coordination = this.#coordination;
    if (coordination === undefined) return () => {};
    if (this.#watchDemand++ === 0) this.#unwatch = coordination.watch(() => this.#externalChange());
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#watchDemand === 0) {
        this.#unwatch?.();
        this.#unwatch = undefined;
      }
    };
  }

  #externalChange(): void {
    this.notify();
    for (const waiters of this.#closeWaiters.values()) for (const wake of [...waiters]) wake();
    this.#pumpQueries();
  }

  #serveTaskQueues(): void {
    if (this.#coordination === undefined || this.#closed) return;
    this.#coordination.serveTaskQueues([...this.#workers].map((worker) => worker.taskQueue)).catch(() => {});
  }

  /**
   * The workflow tasks `taskQueue` may run now: no other live process holds them, none refused.
   * With a shared store, the leases of the runs not held yet are taken here, at most
   * `CLAIM_BATCH` in one write (so several workers share a burst of new runs), and only the runs
   * this process holds are returned.
   */
  async listWorkflowTasks(taskQueue: string, readyBy: number): Promise<ExecutionInfo[]> {
    const coordination = this.#coordination;
    // A shared store lists a page (the earliest first): each row is read and checked, so listing
    // a thousand pending runs to run a few would cost more than the runs.
    let tasks = coordination === undefined
      ? await this.store.listWorkflowTasks({ taskQueue, readyBy })
      : await coordination.listWorkflowTasks({ taskQueue, readyBy }, LIST_PAGE);
    if (this.#refused.size > 0) tasks = tasks.filter((info) => !this.#refused.has(runKey(info)));
    if (coordination === undefined) return tasks;
    this.#checkEpoch(coordination);
    const free = tasks.filter((info) => !this.#owned.has(runKey(info))).slice(0, CLAIM_BATCH);
    if (free.length > 0) {
      for (const key of await coordination.claimRuns(free.map((info) => ({ workflowId: info.workflowId, runId: info.runId })))) {
        this.#owned.add(runKey(key));
      }
    }
    return tasks.filter((info) => this.#owned.has(runKey(info)));
  }

  #checkEpoch(coordination: StoreCoordination): void {
    if (coordination.epoch === this.#ownedEpoch) return;
    this.#owned.clear();
    this.#preclaimed.clear();
    this.#ownedEpoch = coordination.epoch;
  }

  /**
   * Takes the run's lease for this process before its workflow task runs: `false` when another
   * live process holds it (it runs the task) or the run is no longer running.
   */
  async claimRun(key: ExecutionKey): Promise<boolean> {
    const coordination = this.#coordination;
    if (coordination === undefined) return true;
    this.#checkEpoch(coordination);
    if (this.#owned.has(runKey(key))) return true;
    const outcome = await coordination.claimRun({ workflowId: key.workflowId, runId: key.runId });
    if (outcome !== "mine" && outcome !== "claimed") return false;
    this.#owned.add(runKey(key));
    return true;
  }

  /**
   * Refuses a run whose stored data is damaged (`WFS_STORE_CORRUPT` naming it): its tasks, timers
   * and activities are skipped until the process restarts (after the database is restored), and
   * the other workflows run. Returns whether it was newly refused (to log it once).
   */
  refuse(key: ExecutionKey, error: HistoryStoreError): boolean {
    const id = runKey(key);
    if (this.#refused.has(id)) return false;
    this.#refused.set(id, error);
    return true;
  }

  /** Whether `error` is damage to one workflow (to refuse it), rather than to the whole store. */
  static damagesOneWorkflow(error: unknown): error is HistoryStoreError & { workflowId: string } {
    return error instanceof HistoryStoreError && error.code === "WFS_STORE_CORRUPT" && typeof error.workflowId === "string";
  }

  #refuseAndLog(key: ExecutionKey, error: HistoryStoreError): void {
    if (!this.refuse(key, error)) return;
    const logger = [...this.#workers].find((worker) => worker.logger !== undefined)?.logger;
    const message = `Workflow '${key.workflowId}' (run '${key.runId}') is refused: ${error.message}`;
    if (logger !== undefined) logger.error(message, { workflowId: key.workflowId, runId: key.runId, code: error.code });
    else console.error(message);
  }

  /** Runs `write` again while another process's write beats it (`WFS_STORE_CONFLICT`). */
  async #retryOnConflict<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!(error instanceof HistoryStoreError && error.code === "WFS_STORE_CONFLICT") || attempt >= CONFLICT_TRIES) throw error;
        // Several processes writing one workflow: a short random pause spreads their next tries.
        if (attempt > 2) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 20)));
      }
    }
  }

  /** Answers the queries other processes posted for this process's workers (one pass at a time). */
  #pumpQueries(): void {
    const coordination = this.#coordination;
    if (coordination === undefined || this.#workers.size === 0 || this.#closed) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void (async () => {
      try {
        do {
          this.#pumpAgain = false;
          for (const posted of await coordination.takeQueries()) {
            const answer = await this.#answerPosted(posted.workflowId, posted.runId, posted.taskQueue, posted.name, posted.args as unknown as Payload[]);
            await coordination.answerQuery(posted.id, answer);
            this.notify(); // a waiter of this process
          }
        } while (this.#pumpAgain && !this.#closed);
      } catch {
        // The store is closing or failing: the worker sees it on its own calls.
      } finally {
        this.#pumping = false;
      }
    })();
  }

  /** A posted query's answer, as JSON: the payload, or the error to rebuild in the asking process. */
  async #answerPosted(workflowId: string, runId: string, taskQueue: string, name: string, args: Payload[]): Promise<JsonValue> {
    try {
      const worker = [...this.#workers].find((w) => w.taskQueue === taskQueue);
      const info = await this.store.getExecution({ workflowId, runId });
      if (info === undefined) throw notFound({ workflowId, runId });
      if (worker === undefined) {
        throw codedError(Error, {
          code: "WFS_NO_WORKER",
          message: `Cannot query workflow '${workflowId}': the process that took the query has no worker of task queue '${taskQueue}' any more`,
          hint: "Query again: a worker of the task queue takes it",
        });
      }
      return { ok: true, payload: await worker.query(info, name, args) as unknown as JsonValue };
    } catch (error) {
      const fields = error as { name?: unknown; code?: unknown; message?: unknown; hint?: unknown; cause?: unknown };
      return {
        ok: false,
        name: String(fields.name ?? "Error"),
        code: typeof fields.code === "string" ? fields.code : null,
        message: bareMessage(error),
        hint: typeof fields.hint === "string" ? fields.hint : null,
        cause: fields.cause === undefined ? null : errorToFailure(fields.cause, this.converter) as unknown as JsonValue,
      };
    }
  }

  /** Posts a query for the process that holds the run (or any worker of its task queue) and waits for the answer. */
  async #postQuery(info: ExecutionInfo, name: string, args: Payload[]): Promise<Payload> {
    const coordination = this.#coordination!;
    const release = this.#acquireWatch();
    let id: string | undefined;
    try {
      id = await coordination.postQuery({ workflowId: info.workflowId, runId: info.runId, taskQueue: info.taskQueue, name, args: args as unknown as JsonValue });
      this.#pumpQueries(); // a worker of this process may be the one to answer
      const deadline = Date.now() + this.queryTimeoutMs;
      const stop = new AbortController();
      for (;;) {
        const generation = this.generation;
        const answer = await coordination.readAnswer(id) as AnswerData | undefined;
        if (answer !== undefined) return this.#answerToResult(info, name, answer);
        const left = deadline - Date.now();
        if (left <= 0 || this.#closed) break;
        await this.waitForChange(generation, left, stop.signal);
      }
      throw codedError(Error, {
        code: "WFS_NO_WORKER",
        message: `Cannot query workflow '${info.workflowId}': no worker answered query '${name}' within ${this.queryTimeoutMs} ms ` +
          `(task queue '${info.taskQueue}'; the run's process is busy or gone, and no other worker of the task queue took it)`,
        hint: `Start a worker of task queue '${info.taskQueue}' on this database, or query again once one runs`,
      });
    } finally {
      release();
      if (id !== undefined) await coordination.withdrawQuery(id).catch(() => {});
    }
  }

  #answerToResult(info: ExecutionInfo, name: string, answer: AnswerData): Payload {
    if (answer.ok) return answer.payload;
    const cause = answer.cause === null ? undefined : failureToError(answer.cause, this.converter);
    if (answer.code === "WFS_QUERY_NOT_REGISTERED") {
      throw codedError(QueryNotRegisteredError, { code: "WFS_QUERY_NOT_REGISTERED", message: answer.message, hint: answer.hint ?? "Correct the query name" });
    }
    if (answer.code === "WFS_QUERY_FAILED") {
      throw codedError(QueryFailedError, { code: "WFS_QUERY_FAILED", message: answer.message, hint: answer.hint ?? "See error.cause", ...(cause === undefined ? {} : { cause }) });
    }
    throw codedError(QueryFailedError, {
      code: "WFS_QUERY_FAILED",
      message: `Query '${name}' of workflow '${info.workflowId}' failed in the worker that took it: ${answer.name}: ${answer.message}` +
        `${answer.code === null ? "" : ` (${answer.code})`}`,
      hint: answer.hint ?? "Fix what the message reports; queries change nothing, so the workflow is unaffected",
      ...(cause === undefined ? {} : { cause }),
    });
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

  async startWorkflow(request: { workflowId: string; workflowType: string; taskQueue: string; args: Payload[]; requestId?: string }): Promise<ExecutionInfo> {
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
          ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
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

  /**
   * Records a signal. With `requestId`, a retry of the same call (after an unclear outcome, even
   * from another process) is recorded once: once the run has it, a retry succeeds without
   * recording it again, even when the run has closed since.
   */
  async signalWorkflow(ref: ExecutionRef, signalName: string, args: Payload[], requestId?: string): Promise<void> {
    await this.withLock(ref.workflowId, () =>
      this.#retryOnConflict(async () => {
        const info = requestId === undefined ? await this.#requireRunning(ref, `signal '${signalName}'`) : await this.#requireExisting(ref);
        await this.#append(info, {
          expectedLastEventId: info.lastEventId,
          events: [this.#event(info, "WorkflowExecutionSignaled", { signalName, args: args as unknown as JsonValue })],
          workflowTaskPending: true,
          step: "signal",
          ...(requestId === undefined ? {} : { requestId }),
        }, requestId === undefined ? undefined : `signal '${signalName}'`);
      })
    );
  }

  /** Records a cancellation request (once: a second request changes nothing); `requestId` as for signals. */
  async requestCancel(ref: ExecutionRef, requestId?: string): Promise<void> {
    await this.withLock(ref.workflowId, () =>
      this.#retryOnConflict(async () => {
        const info = requestId === undefined ? await this.#requireRunning(ref, "cancel") : await this.#requireExisting(ref);
        if (info.status === "running") {
          const events = await this.store.readEvents(info);
          if (events.some((event) => event.type === "WorkflowExecutionCancelRequested")) return; // asked already
        }
        await this.#append(info, {
          expectedLastEventId: info.lastEventId,
          events: [this.#event(info, "WorkflowExecutionCancelRequested", {})],
          workflowTaskPending: true,
          step: "cancel-request",
          ...(requestId === undefined ? {} : { requestId }),
        }, requestId === undefined ? undefined : "cancel");
      })
    );
  }

  async terminate(ref: ExecutionRef, reason: string): Promise<void> {
    await this.withLock(ref.workflowId, async () => {
      const info = await this.#retryOnConflict(async () => {
        const current = await this.#requireRunning(ref, "terminate");
        await this.#append(current, {
          expectedLastEventId: current.lastEventId,
          events: [this.#event(current, "WorkflowExecutionTerminated", { reason })],
          status: "terminated",
          step: "terminate",
        });
        return current;
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
    // Shared store: the process that holds the run answers (or, when none does, any worker of its
    // task queue, which replays it): through the database, unless it is this one.
    if (this.#coordination !== undefined && (worker === undefined || !this.#owned.has(runKey(info)))) {
      return this.#postQuery(info, name, args);
    }
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
    // A worker of another process closes it: its commit comes through the change feed.
    const release = this.#acquireWatch();
    try {
      return await this.#waitForClose(ref);
    } finally {
      release();
    }
  }

  #waitForClose(ref: ExecutionRef): Promise<ExecutionInfo> {
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
    const due = await (this.#coordination ?? this.store).listTimers({ dueBy: this.clock.now() });
    let fired = 0;
    for (const timer of due) {
      if (this.#refused.has(runKey(timer))) continue;
      await this.withLock(timer.workflowId, async () => {
        try {
          await this.#retryOnConflict(async () => {
            const info = await this.store.getExecution(timer);
            if (info?.status !== "running" || info.runId !== timer.runId) return;
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
          });
        } catch (error) {
          if (HistoryService.damagesOneWorkflow(error)) return this.#refuseAndLog(timer, error);
          // Another worker fired it first, or a workflow task cancelled it.
          if (!(error instanceof HistoryStoreError && error.code === "WFS_STORE_INVALID")) throw error;
        }
      });
    }
    return fired;
  }

  // ---- activities ----

  /**
   * The activity tasks `taskQueue` may run now: not claimed by a process, their run not refused;
   * at most `limit` (the worker's free slots). With a shared store, they are claimed here in one
   * write, and only those claimed are returned.
   */
  async listActivityTasks(taskQueue: string, readyBy: number, limit?: number): Promise<ActivityTask[]> {
    const coordination = this.#coordination;
    if (coordination === undefined) {
      const tasks = await this.store.listActivityTasks({ taskQueue, readyBy });
      return this.#refused.size === 0 ? tasks : tasks.filter((task) => !this.#refused.has(runKey(task)));
    }
    if (limit !== undefined && limit <= 0) return [];
    const listed = (await coordination.listActivityTasks({ taskQueue, readyBy }, limit === undefined ? undefined : limit + this.#refused.size))
      .filter((task) => !this.#refused.has(runKey(task)) && !this.#running.has(activityKey(task)))
      .slice(0, limit);
    if (listed.length === 0) return [];
    this.#checkEpoch(coordination);
    const claimed = await coordination.claimActivities(listed);
    for (const task of claimed) this.#preclaimed.add(activityKey(task));
    return claimed;
  }

  /**
   * Claims an activity attempt for this process (in the database too, with a shared store), or
   * resolves `undefined` when it already runs here or another process claimed it first.
   */
  async claimActivity(task: ActivityTask): Promise<RunningActivity | undefined> {
    const key = activityKey(task);
    if (this.#running.has(key)) return undefined;
    const running: RunningActivity = {
      task,
      controller: new AbortController(),
      cancelRequested: (task.data as unknown as ActivityTaskData | undefined)?.cancelRequested === true,
    };
    this.#running.set(key, running);
    this.busy++;
    if (this.#coordination !== undefined) {
      let claimed = false;
      try {
        claimed = this.#preclaimed.delete(key) || await this.#coordination.claimActivity(task);
      } finally {
        if (!claimed) {
          running.settled = true;
          this.releaseActivity(running);
        }
      }
      if (!claimed) return undefined;
      running.claimed = true;
    }
    return running;
  }

  releaseActivity(running: RunningActivity): void {
    if (this.#running.get(activityKey(running.task)) === running) {
      this.#running.delete(activityKey(running.task));
      this.busy--;
      this.notify();
    }
    // No outcome recorded (a shutdown interrupted it): another process may run the attempt now.
    if (running.claimed && !running.settled && this.#coordination !== undefined && !this.#closed) {
      running.settled = true;
      this.#coordination.releaseActivity(running.task).catch(() => {});
    }
  }

  isClaimed(task: ActivityTask): boolean {
    return this.#running.has(activityKey(task));
  }

  /** Records an attempt's outcome, unless the activity is no longer pending (run closed, cancelled). */
  async finishActivity(task: ActivityTask, outcome: ActivityOutcome): Promise<void> {
    const running = this.#running.get(activityKey(task));
    const claimed = running?.claimed === true && running.task === task;
    if (running !== undefined && running.task === task) running.settled = true;
    await this.withLock(task.workflowId, () => this.#retryOnConflict(() => this.#finishActivity(task, outcome, claimed)));
  }

  async #finishActivity(task: ActivityTask, outcome: ActivityOutcome, claimed: boolean): Promise<void> {
    {
      const info = await this.store.getExecution(task);
      if (info?.status !== "running" || info.runId !== task.runId) return;
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
        if (claimed) {
          await this.#coordination!.appendClaimed(task, batch, task.activityId);
          this.#afterAppend(task, batch, undefined);
        } else {
          await this.#append(info, batch);
        }
      } catch (error) {
        if (HistoryService.damagesOneWorkflow(error)) return this.#refuseAndLog(task, error);
        // Not pending any more (a workflow task cancelled it and recorded the cancellation), or
        // another process took the attempt over: the outcome that counts is recorded elsewhere.
        if (!(error instanceof HistoryStoreError && error.code === "WFS_STORE_INVALID")) throw error;
      }
    }
  }

  /** The earliest future time at which `taskQueue` has work, and whether time may skip to it. */
  async nextDeadline(taskQueue: string, activitiesFull: boolean): Promise<{ at: number; skippable: boolean }> {
    let at = Infinity;
    let skippable = false;
    // Only the first of each list counts: with a shared store, one row each (LIMIT), not the whole list.
    const few = this.#refused.size + 1;
    const coordination = this.#coordination;
    const lists = {
      listTimers: () => coordination ? coordination.listTimers({}, few) : this.store.listTimers(),
      listActivityTasks: (filter: { taskQueue: string }) => coordination ? coordination.listActivityTasks(filter, few) : this.store.listActivityTasks(filter),
      listWorkflowTasks: (filter: { taskQueue: string }) => coordination ? coordination.listWorkflowTasks(filter, few) : this.store.listWorkflowTasks(filter),
    };
    const [timer] = (await lists.listTimers()).filter((t) => !this.#refused.has(runKey(t)));
    if (timer !== undefined) {
      at = timer.firesAt;
      skippable = true;
    }
    if (!activitiesFull) {
      for (const task of await lists.listActivityTasks({ taskQueue })) {
        if (this.isClaimed(task) || this.#refused.has(runKey(task))) continue;
        if (task.readyAt < at) {
          at = task.readyAt;
          skippable = true;
        }
        break;
      }
    }
    for (const info of await lists.listWorkflowTasks({ taskQueue })) {
      if (this.#refused.has(runKey(info))) continue;
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

  /** The run `ref` names, whatever its status (a retried call with a request id). */
  async #requireExisting(ref: ExecutionRef): Promise<ExecutionInfo> {
    const info = await this.store.getExecution(ref);
    if (info === undefined) throw notFound(ref);
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

  /**
   * Appends `batch`. With `retried` (a call with a request id that found the run closed): a run
   * that closed is refused as before unless the store finds the request id applied already.
   */
  async #append(key: ExecutionKey, batch: AppendBatch, retried?: string): Promise<ExecutionInfo> {
    let info: ExecutionInfo;
    try {
      info = await this.store.append({ workflowId: key.workflowId, runId: key.runId }, batch);
    } catch (error) {
      if (retried !== undefined && error instanceof HistoryStoreError && error.code === "WFS_STORE_CLOSED_RUN") {
        const current = await this.store.getExecution(key);
        throw codedError(
          WorkflowNotFoundError,
          {
            code: "WFS_WORKFLOW_NOT_FOUND",
            message: `Cannot ${retried} workflow '${key.workflowId}': its run '${key.runId}' is already ${current?.status ?? "closed"}, ` +
              `and only running workflows accept it`,
            hint: "Read its outcome with handle.result() or handle.describe() instead",
          },
          { workflowId: key.workflowId, runId: key.runId },
        );
      }
      throw error;
    }
    this.#afterAppend(key, batch, info);
    return info;
  }

  /** Wakes what waits for a write to `key`'s run. */
  #afterAppend(key: ExecutionKey, batch: AppendBatch, info: ExecutionInfo | undefined): void {
    this.notify();
    if (batch.status !== undefined || (info !== undefined && info.status !== "running")) {
      this.#owned.delete(runKey(key));
      const waiters = this.#closeWaiters.get(key.workflowId);
      if (waiters) for (const wake of [...waiters]) wake();
    }
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

/** A posted query's answer as the answering process wrote it. */
type AnswerData =
  | { ok: true; payload: Payload }
  | { ok: false; name: string; code: string | null; message: string; hint: string | null; cause: FailureData | null };

/** An error's message without the hint and code a coded error appends (`"<message>. <hint> (<code>)"`). */
function bareMessage(error: unknown): string {
  const { message, hint, code } = error as { message?: unknown; hint?: unknown; code?: unknown };
  let text = typeof message === "string" ? message : String(error);
  if (typeof code === "string" && text.endsWith(` (${code})`)) text = text.slice(0, -` (${code})`.length);
  if (typeof hint === "string" && hint !== "" && text.endsWith(`. ${hint}`)) text = text.slice(0, -`. ${hint}`.length);
  return text;
}

/** Names an activity attempt in messages: its type, id and workflow. */
function describeActivity(task: ActivityTask): string {
  return `Activity '${task.activityType}' (id ${task.activityId}) of workflow '${task.workflowId}'`;
}
