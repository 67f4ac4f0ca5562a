/**
 * The worker: polls its task queue for workflow tasks and activity tasks and runs them. Workflow
 * runs go to the definition's runner (sandboxed, or unsandboxed for `sandboxed: false`), are cached
 * between tasks (`maxCachedWorkflows`), and are rebuilt by replaying their history in a fresh
 * sandbox after an eviction or a restart.
 *
 * A workflow task fails (not the workflow) on a restricted access, a nondeterministic replay, a
 * deadlock, or any error that is not a deliberate failure: the failure is recorded beside history
 * (history itself is unchanged), logged with its cause and workflow file:line, shown by
 * `describe()`, and the task is retried with backoff until the code is fixed (python-sandbox.md
 * §2.7). `workflowFailureErrorTypes` turns chosen error types into workflow failures instead.
 * @module
 */
import { codedError, composeMessage } from "../sandbox/coded_error.ts";
import { DeadlockError } from "../sandbox/deadlock_error.ts";
import { startDeadlockGuard } from "../sandbox/deadlock_guard.ts";
import { SandboxedWorkflowRunner } from "../sandbox/sandboxed_workflow_runner.ts";
import { UnsandboxedWorkflowRunner } from "../sandbox/unsandboxed_workflow_runner.ts";
import type { SandboxWarning } from "../sandbox/sandbox_warning.ts";
import type { WorkflowDefinition } from "../sandbox/workflow_definition.ts";
import type { WorkflowRunner } from "../sandbox/workflow_runner.ts";
import { parseDuration } from "./_duration.ts";
import { errorLocation } from "./_error_location.ts";
import { type ErrorTypeEntry, matchesErrorTypes } from "./_error_types.ts";
import { type ActivityOutcome, type ActivityTaskData, HistoryService, type RunningActivity } from "./_history_service.ts";
import { invalidOption, parseOptions } from "./_options.ts";
import { restrictionsFor } from "./_determinism_option.ts";
import { loadWorkflows } from "./_load_workflows.ts";
import { RunExecutor } from "./_run_executor.ts";
import { serviceOf } from "./_service_of.ts";
import { asError } from "./_thrown_value.ts";
import { Context, runInActivityContext } from "./activity_context.ts";
import { QueryFailedError, QueryNotRegisteredError } from "./client_errors.ts";
import { ActivityFailure, ApplicationFailure, CancelledFailure, type FailureData, TimeoutFailure } from "./failure.ts";
import { errorToFailure, failureToError } from "./failure_converter.ts";
import {
  type ActivityTask,
  type ExecutionInfo,
  type ExecutionKey,
  type HistoryEvent,
  HistoryStoreError,
  type JsonValue,
} from "./history_store.ts";
import { DefaultLogger, type Logger } from "./logger.ts";
import { fromPayloads, type Payload } from "./payload_converter.ts";
import { retryDelayMs } from "./retry_policy.ts";
import { processShutdownSignals } from "./_shutdown_signals.ts";
import { DEFAULT_SHUTDOWN_SIGNALS, type ShutdownSignal, type WorkerOptions, workerOptionsSchema } from "./worker_options.ts";
import type { WorkflowEnvironment } from "./workflow_environment.ts";

/**
 * The worker's lifecycle state (Temporal's names): `INITIALIZED` until `run()`; `RUNNING` while it
 * polls; `STOPPING` once shutdown was requested (no new task is taken, the workflow tasks in
 * flight finish); `DRAINING` while running activities get the rest of `shutdownGraceTime`, then
 * their cancellation; `DRAINED` once nothing runs (the environment is torn down here after a
 * shutdown signal); `STOPPED` when `run()` resolves, `FAILED` when it rejects (the store failed,
 * or `shutdownForceTime` elapsed).
 *
 * @example
 * ```ts
 * import type { WorkerState } from "./worker.ts";
 * const done = (state: WorkerState) => state === "STOPPED" || state === "FAILED";
 * ```
 */
export type WorkerState = "INITIALIZED" | "RUNNING" | "STOPPING" | "DRAINING" | "DRAINED" | "STOPPED" | "FAILED";

const DEBUG_ENV = "WORKFLOW_SANDBOX_DEBUG";
/** Workflow tasks of different workflows a worker runs at once. */
const WORKFLOW_TASK_LANES = 16;
const FATAL_STORE_CODES: ReadonlySet<string> = new Set(["WFS_STORE_UNAVAILABLE", "WFS_STORE_IO", "WFS_STORE_CORRUPT", "WFS_STORE_LOCKED"]);
const runKey = (key: ExecutionKey) => `${key.workflowId}\u0000${key.runId}`;
/** setTimeout's longest delay; a longer grace or force time is as good as none. */
const MAX_TIMER_MS = 2_147_483_647;
const FORCED = Symbol("forced");

/**
 * A worker's options after validation, with the defaults filled in (Temporal's compiled options).
 *
 * @example
 * ```ts
 * import type { CompiledWorkerOptions } from "./worker.ts";
 * const cacheOff = (options: CompiledWorkerOptions) => options.maxCachedWorkflows === 0;
 * ```
 */
export interface CompiledWorkerOptions {
  readonly taskQueue: string;
  readonly activities: Readonly<Record<string, (...args: any[]) => unknown>>;
  readonly hasActivities: boolean;
  readonly workflowFailureErrorTypes: readonly ErrorTypeEntry[];
  readonly maxCachedWorkflows: number;
  readonly maxConcurrentActivities: number;
  readonly deadlockTimeoutMs: number;
  readonly logger: Logger;
  readonly shutdownGraceMs: number;
  /** `undefined`: wait for in-flight work however long it takes. */
  readonly shutdownForceMs: number | undefined;
  readonly shutdownSignals: readonly ShutdownSignal[];
}

/**
 * Runs workflows and activities of one task queue.
 *
 * @example
 * ```ts
 * import { Worker, WorkflowEnvironment } from "workflow-sandbox";
 * const env = await WorkflowEnvironment.startLocal();
 * const worker = await Worker.create(env, {
 *   taskQueue: "orders",
 *   workflowsPath: new URL("./workflows.ts", import.meta.url),
 *   activities: { charge: async (orderId: string) => `charged ${orderId}` },
 * });
 * const result = await worker.runUntil(
 *   env.client.executeWorkflow("order", { id: "order-42", taskQueue: "orders", args: ["42"] }),
 * );
 * await env.teardown();
 * ```
 */
export class Worker {
  /** The validated options, defaults filled in. */
  readonly options: CompiledWorkerOptions;
  readonly #service: HistoryService;
  readonly #env: WorkflowEnvironment;
  readonly #definitions: ReadonlyMap<string, WorkflowDefinition>;
  readonly #runners: { readonly sandboxed: WorkflowRunner; readonly unsandboxed: WorkflowRunner };
  readonly #cache = new Map<string, RunExecutor>();
  readonly #activityRuns = new Set<Promise<void>>();
  readonly #runningActivities = new Set<RunningActivity>();
  readonly #stop = new AbortController();
  /** Aborted when `shutdownForceTime` elapses: what still runs is abandoned. */
  readonly #force = new AbortController();
  /** Activity attempts abandoned by a forced shutdown: their outcome is not recorded. */
  readonly #abandoned = new WeakSet<RunningActivity>();
  readonly #warnings: SandboxWarningLog;
  #state: WorkerState = "INITIALIZED";
  #runPromise: Promise<void> | undefined;
  #unregister: (() => void) | undefined;
  #unlisten: (() => void) | undefined;
  /** The signal that shut the worker down, if one did. */
  #signal: ShutdownSignal | undefined;
  /** When running activities are cancelled (`performance.now()` time), set by the shutdown request. */
  #graceDeadline = 0;
  #forceTimer: ReturnType<typeof setTimeout> | undefined;
  #workflowTasksRunning = 0;

  private constructor(
    env: WorkflowEnvironment,
    service: HistoryService,
    options: CompiledWorkerOptions,
    definitions: ReadonlyMap<string, WorkflowDefinition>,
    runners: { sandboxed: WorkflowRunner; unsandboxed: WorkflowRunner },
    warnings: SandboxWarningLog,
  ) {
    this.#env = env;
    this.#service = service;
    this.options = options;
    this.#definitions = definitions;
    this.#runners = runners;
    this.#warnings = warnings;
  }

  /**
   * Validates the options, discovers the workflows of `workflowsPath` and prepares each with its
   * runner (a workflow that cannot load in the sandbox fails here with `WorkflowValidationError`,
   * as Python's worker construction does).
   *
   * @example
   * ```ts
   * import { Worker, WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startLocal();
   * const worker = await Worker.create(env, { taskQueue: "q", workflowsPath: "./workflows.ts", maxCachedWorkflows: 0 });
   * await env.teardown();
   * ```
   */
  static async create(env: WorkflowEnvironment, options: WorkerOptions): Promise<Worker> {
    const service = serviceOf(env, "Worker.create(env, options)");
    const parsed = parseOptions(workerOptionsSchema, options, "Worker.create()");
    if (parsed.workflowsPath === undefined && parsed.activities === undefined) {
      throw invalidOption(
        "Worker.create() needs work to do: it was given neither 'workflowsPath' nor 'activities'",
        "Set 'workflowsPath' (a module exporting workflows), 'activities', or both",
      );
    }
    const debugMode = parsed.debugMode ?? readDebugEnv();
    const restrictions = restrictionsFor(parsed.determinism, parsed.workflowRunner !== undefined, "Worker.create()");
    const deadlockTimeoutMs = debugMode ? 0 : parsed.deadlockTimeoutMs ?? 2000;
    const logger = parsed.logger ?? new DefaultLogger("INFO");
    const warnings = new SandboxWarningLog(logger);
    const runners = {
      // The default runner's warnings (restricted calls, even caught; import notifications) go
      // to the worker's logger, as Python logs each restriction hit.
      sandboxed: parsed.workflowRunner ?? new SandboxedWorkflowRunner({
        onWarning: (warning) => warnings.warn(warning),
        restrictions,
      }),
      unsandboxed: parsed.unsandboxedWorkflowRunner ?? new UnsandboxedWorkflowRunner(),
    };
    // The guard's watchdog thread connects while the workflows load.
    const guard = deadlockTimeoutMs > 0 && parsed.workflowsPath !== undefined ? startDeadlockGuard() : undefined;
    // A module that cannot load (missing, not compiling, exporting no workflow, failing on import)
    // fails here with WorkflowValidationError.
    const definitions = parsed.workflowsPath === undefined
      ? new Map<string, WorkflowDefinition>()
      : await loadWorkflows(parsed.workflowsPath, runners, { deadlockTimeoutMs });
    await guard;
    const shutdownGraceMs = parseDuration(parsed.shutdownGraceTime ?? 0, "shutdownGraceTime");
    const shutdownForceMs = parsed.shutdownForceTime === undefined ? undefined : parseDuration(parsed.shutdownForceTime, "shutdownForceTime");
    if (shutdownForceMs !== undefined && shutdownForceMs <= shutdownGraceMs) {
      throw invalidOption(
        `Invalid option 'shutdownForceTime' of Worker.create(): ${shutdownForceMs} ms is not longer than 'shutdownGraceTime' ` +
          `(${shutdownGraceMs} ms), so running activities would be abandoned before their cancellation could end them`,
        "Make 'shutdownForceTime' longer than 'shutdownGraceTime' (by the time an activity needs to end once cancelled), or leave it out",
        "shutdownForceTime",
      );
    }
    const resolved: CompiledWorkerOptions = {
      taskQueue: parsed.taskQueue,
      activities: { ...(parsed.activities ?? {}) },
      hasActivities: parsed.activities !== undefined && Object.keys(parsed.activities).length > 0,
      workflowFailureErrorTypes: [...(parsed.workflowFailureErrorTypes ?? [])],
      maxCachedWorkflows: parsed.maxCachedWorkflows ?? 1000,
      maxConcurrentActivities: parsed.maxConcurrentActivities ?? 100,
      deadlockTimeoutMs,
      logger,
      shutdownGraceMs,
      shutdownForceMs,
      shutdownSignals: [...new Set(parsed.shutdownSignals ?? DEFAULT_SHUTDOWN_SIGNALS)],
    };
    return new Worker(env, service, resolved, definitions, runners, warnings);
  }

  /** The worker's lifecycle state. */
  getState(): WorkerState {
    return this.#state;
  }

  /** The workflow types this worker runs. */
  get workflowTypes(): string[] {
    return [...this.#definitions.keys()];
  }

  /** Workflow runs held in the cache now. */
  get cachedWorkflows(): number {
    return this.#cache.size;
  }

  /**
   * Polls and runs tasks until `shutdown()` or one of `shutdownSignals`; resolves once in-flight
   * work has finished (after a signal, once the environment is torn down too). Rejects if the
   * store fails, or with `WFS_SHUTDOWN_FORCED` when `shutdownForceTime` elapses first (the
   * worker's state is then `FAILED`).
   *
   * @example
   * ```ts
   * import { Worker, WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startLocal();
   * const worker = await Worker.create(env, { taskQueue: "q", workflowsPath: "./workflows.ts" });
   * await worker.run(); // until SIGINT, SIGTERM, SIGQUIT or SIGUSR2 (a second one exits at once)
   * await env.teardown(); // done already after a signal; needed after worker.shutdown()
   * ```
   */
  run(): Promise<void> {
    if (this.#state !== "INITIALIZED") {
      return Promise.reject(codedError(Error, {
        code: "WFS_WORKER_STATE",
        message: `Worker.run() was already called (the worker is ${this.#state})`,
        hint: "Create a new Worker to run again",
      }));
    }
    this.#state = "RUNNING";
    this.#unregister = this.#service.registerWorker({
      taskQueue: this.options.taskQueue,
      logger: this.options.logger,
      query: (info, name, args) => this.#query(info, name, args),
      evict: (key) => this.#evict(runKey(key)),
      stop: async () => {
        this.shutdown();
        await this.#runPromise?.catch(() => {});
      },
    });
    if (this.options.shutdownSignals.length > 0) {
      this.#unlisten = processShutdownSignals().register({
        signals: this.options.shutdownSignals,
        shutdown: (signal) => this.#shutdownOnSignal(signal),
        exiting: (signal) =>
          this.options.logger.warn(
            `Received ${signal} again while the worker of task queue '${this.options.taskQueue}' was shutting down: exiting at once; ` +
              `the work in flight is abandoned and runs again on the next worker`,
            { signal, taskQueue: this.options.taskQueue },
          ),
      });
    }
    this.#runPromise = this.#run();
    return this.#runPromise;
  }

  /**
   * Runs until `promiseOrFn` (a promise, or a function returning one) settles, then shuts down and
   * returns its value. Rejects if the worker fails first.
   *
   * @example
   * ```ts
   * import { Worker, WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startTimeSkipping();
   * const worker = await Worker.create(env, { taskQueue: "q", workflowsPath: "./workflows.ts" });
   * const result = await worker.runUntil(() => env.client.executeWorkflow("greet", { id: "g", taskQueue: "q", args: ["Ada"] }));
   * await env.teardown();
   * ```
   */
  async runUntil<T>(promiseOrFn: Promise<T> | (() => Promise<T>)): Promise<T> {
    const running = this.run();
    const stopped = running.then(() => {
      throw codedError(Error, {
        code: "WFS_WORKER_STATE",
        message: "The worker stopped before the promise given to runUntil() settled",
        hint: "Look at why the worker stopped (its logger says) and keep it running until the promise settles",
      });
    });
    stopped.catch(() => {});
    try {
      const promise = typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn;
      return await Promise.race([promise, stopped]);
    } finally {
      this.shutdown();
      await running.catch(() => {});
    }
  }

  /**
   * Stops polling; `run()` resolves once the in-flight workflow tasks and activities are done.
   * Running activities see their cancellation signal abort `shutdownGraceTime` after this call;
   * after `shutdownForceTime`, `run()` rejects and what still runs is abandoned. Does nothing
   * unless the worker is `RUNNING`. It does not close the store: `env.teardown()` does.
   *
   * @example
   * ```ts
   * import { Worker, WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startLocal();
   * const worker = await Worker.create(env, { taskQueue: "q", activities: { ping: () => "pong" } });
   * const running = worker.run();
   * worker.shutdown();
   * await running;
   * ```
   */
  shutdown(): void {
    if (this.#state !== "RUNNING") return;
    this.#beginStop();
  }

  #shutdownOnSignal(signal: ShutdownSignal): void {
    // Also while a shutdown() drains: the process is going away, so the environment is torn down after.
    if (this.#state !== "RUNNING" && this.#state !== "STOPPING" && this.#state !== "DRAINING") return;
    this.#signal ??= signal;
    const grace = this.options.shutdownGraceMs;
    this.options.logger.info(
      `Received ${signal}: shutting down the worker of task queue '${this.options.taskQueue}' ` +
        `(running activities are cancelled ${grace === 0 ? "at once" : `in ${grace} ms`}; send the signal again to exit at once)`,
      { signal, taskQueue: this.options.taskQueue },
    );
    this.shutdown();
  }

  /** Stops taking work; from now on the grace and force times run. */
  #beginStop(): void {
    if (this.#stop.signal.aborted) return;
    this.#state = "STOPPING";
    this.#graceDeadline = performance.now() + this.options.shutdownGraceMs;
    this.#stop.abort();
    const force = this.options.shutdownForceMs;
    if (force !== undefined) this.#forceTimer = setTimeout(() => this.#force.abort(), Math.min(force, MAX_TIMER_MS));
  }

  async #run(): Promise<void> {
    const stopped = this.#drain().then((failure) => this.#finish(failure));
    const forced = new Promise<typeof FORCED>((resolve) => this.#force.signal.addEventListener("abort", () => resolve(FORCED), { once: true }));
    const outcome = await Promise.race([stopped, forced]);
    clearTimeout(this.#forceTimer);
    // Kept until here, so a second signal exits even while the environment is torn down.
    this.#unlisten?.();
    if (outcome === FORCED) {
      stopped.catch(() => {}); // what was abandoned ends as it may: nobody waits for it
      this.#state = "FAILED";
      throw this.#abandon();
    }
    this.#state = outcome.failure === undefined ? "STOPPED" : "FAILED";
    if (outcome.failure !== undefined) throw outcome.failure;
  }

  /**
   * Polls until shutdown (or a store failure), then lets running activities go on until the grace
   * time ends and cancels them, and waits for them. Resolves with the loop's failure, if any.
   */
  async #drain(): Promise<unknown> {
    let failure: unknown;
    try {
      await this.#loop();
    } catch (error) {
      failure = error;
      if (!this.#force.signal.aborted) {
        this.options.logger.error(`Worker for task queue '${this.options.taskQueue}' failed: ${describeError(error)}`, { error });
      }
      this.#beginStop();
    }
    if (this.#force.signal.aborted) return failure;
    this.#state = "DRAINING";
    const left = this.#graceDeadline - performance.now();
    if (this.#runningActivities.size > 0 && left > 0) {
      await settleWithin(Promise.all([...this.#activityRuns]), Math.min(left, MAX_TIMER_MS));
    }
    // An attempt that ends by this cancellation is not recorded (#runActivity): it runs again.
    for (const running of this.#runningActivities) running.controller.abort(new CancelledFailure("Worker shutting down"));
    await Promise.all([...this.#activityRuns]);
    return failure;
  }

  /** Nothing runs any more: drops the cache, leaves the service and, after a signal, tears the environment down. */
  async #finish(failure: unknown): Promise<{ failure: unknown }> {
    if (this.#force.signal.aborted) return { failure };
    this.#state = "DRAINED";
    for (const key of [...this.#cache.keys()]) this.#evict(key);
    // Before the teardown, which stops the environment's registered workers and waits for them.
    this.#unregister?.();
    if (this.#signal !== undefined) {
      // The process is going away: close the store now (a SqliteHistoryStore gives its leases
      // back, so other processes take over at once, and is marked cleanly closed).
      try {
        await this.#env.teardown();
      } catch (error) {
        this.options.logger.error(`Could not tear the environment down after ${this.#signal}: ${describeError(error)}`, { error });
      }
    }
    return { failure };
  }

  /** `shutdownForceTime` elapsed: gives up on what still runs, and returns the error `run()` rejects with. */
  #abandon(): Error {
    const activities = [...this.#runningActivities];
    for (const running of activities) {
      this.#abandoned.add(running);
      // Gives a shared store's claim back now, so another worker runs the attempt again.
      this.#service.releaseActivity(running);
    }
    for (const key of [...this.#cache.keys()]) this.#evict(key);
    this.#unregister?.();
    const tasks = this.#workflowTasksRunning;
    const what = [
      ...(tasks > 0 ? [`${tasks} workflow task${tasks === 1 ? "" : "s"}`] : []),
      ...(activities.length > 0 ? [`${activities.length} activity attempt${activities.length === 1 ? "" : "s"}`] : []),
    ].join(" and ") || "work that was ending";
    const error = codedError(Error, {
      code: "WFS_SHUTDOWN_FORCED",
      message: `The worker of task queue '${this.options.taskQueue}' did not stop within 'shutdownForceTime' ` +
        `(${this.options.shutdownForceMs} ms): it abandoned ${what}, which the next worker runs again`,
      hint: "Exit the process (or call env.teardown(), which gives the store's leases back); to wait longer, raise 'shutdownForceTime', " +
        "and make activities end when their cancellation signal aborts",
    }, { name: "GracefulShutdownPeriodExpiredError" });
    this.options.logger.error(error.message, { code: error.code, taskQueue: this.options.taskQueue });
    return error;
  }

  async #loop(): Promise<void> {
    const service = this.#service;
    const store = service.store;
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      const generation = service.generation;
      await service.fireDueTimers();
      if (this.options.hasActivities) await this.#dispatchActivities();
      let progressed = false;
      if (this.#definitions.size > 0) {
        const now = service.clock.now();
        // With a store shared by processes, only the runs no other live process holds.
        const tasks = await service.listWorkflowTasks(this.options.taskQueue, now);
        // A task whose earlier attempts failed (a deadlock, a crash: a poison pill) waits until no
        // first attempt is ready, one retry per poll, so it never holds up the other workflows,
        // before or after a restart. One overdue by more than the longest backoff runs anyway.
        const overdue = now - service.workflowTaskRetry.maximumIntervalMs;
        const first = tasks.filter((info) => info.taskFailure === undefined || info.taskFailure.nextAttemptAt < overdue);
        const retries = first.length === 0 ? tasks.filter((info) => info.taskFailure !== undefined).slice(0, 1) : [];
        const batch = first.length > 0 ? first : retries;
        // Tasks of different workflows run side by side, as Temporal's worker runs several workflow
        // tasks at once: their store round trips overlap, and their activations reach the deadlock
        // guard together (on Deno, one vm call guards the stretches queued at once).
        let next = 0;
        const lane = async () => {
          while (next < batch.length && !stop.aborted) {
            const info = batch[next++]!;
            // A task still waiting for the lock when shutdown begins has not started: it is left for later.
            await service.withLock(info.workflowId, () => stop.aborted ? Promise.resolve() : this.#workflowTask(info));
          }
        };
        const lanes = await Promise.allSettled(Array.from({ length: Math.min(WORKFLOW_TASK_LANES, batch.length) }, lane));
        const failed = lanes.find((lane): lane is PromiseRejectedResult => lane.status === "rejected");
        if (failed !== undefined) throw failed.reason;
        progressed = batch.length > 0;
      }
      if (progressed || stop.aborted) continue;
      const full = !this.options.hasActivities || this.#runningActivities.size >= this.options.maxConcurrentActivities;
      const { at, skippable } = await service.nextDeadline(this.options.taskQueue, full);
      if (generation !== service.generation) continue;
      const now = service.clock.now();
      if (at <= now) continue;
      if (skippable && service.maySkipTime) {
        service.clock.skipTo(at);
        continue;
      }
      await service.waitForChange(generation, at - now, stop);
    }
  }

  // ---- workflow tasks ----

  /** Runs the pending workflow task of `ref`'s run, if it is still pending and due. Holds the lock. */
  async #workflowTask(ref: ExecutionKey): Promise<void> {
    const service = this.#service;
    const info = await service.store.getExecution({ workflowId: ref.workflowId, runId: ref.runId });
    if (info === undefined || info.status !== "running" || !info.workflowTaskPending) return;
    if (info.taskFailure !== undefined && info.taskFailure.nextAttemptAt > service.clock.now()) return;
    // A store shared by processes: take the run's lease first; another live process may hold it.
    if (!(await service.claimRun(info))) return;
    const key = runKey(info);
    let executor = this.#take(key);
    const startedTime = service.clock.now();
    service.busy++;
    this.#workflowTasksRunning++;
    this.#warnings.begin();
    try {
      const definition = this.#definition(info);
      const events = await service.store.readEvents(info, { afterEventId: executor?.processedEventId ?? 0 });
      executor ??= await this.#createExecutor(definition, info, events[0]!);
      const commands = (await executor.advance(events, { now: startedTime }))!;
      const after = await service.completeWorkflowTask(info, startedTime, commands);
      executor.processedEventId = after.taskLastEventId;
      if (after.info.status === "running") this.#put(key, executor);
      else executor.dispose();
    } catch (error) {
      executor?.dispose();
      try {
        await this.#failWorkflowTask(info, startedTime, error);
      } catch (recording) {
        if (HistoryService.damagesOneWorkflow(recording)) {
          this.#refuse(info, recording);
          return;
        }
        if (recording instanceof HistoryStoreError && FATAL_STORE_CODES.has(recording.code)) throw recording;
        // The next poll sees the task still pending and runs it again.
        this.options.logger.warn(`Could not record the failure of a workflow task of '${info.workflowId}': ${describeError(recording)}`);
      }
    } finally {
      service.busy--;
      this.#workflowTasksRunning--;
      this.#warnings.end();
    }
  }

  async #failWorkflowTask(info: ExecutionInfo, startedTime: number, thrown: unknown): Promise<void> {
    if (thrown instanceof HistoryStoreError) {
      // Damage to this workflow's rows refuses it alone; the others run (docs/deploying.md, "Threat model").
      if (HistoryService.damagesOneWorkflow(thrown)) return this.#refuse(info, thrown);
      if (FATAL_STORE_CODES.has(thrown.code)) throw thrown;
      // A write landed first (WFS_STORE_CONFLICT) or the run closed: the next poll sees the new state.
      this.options.logger.warn(`Workflow task of '${info.workflowId}' was not recorded: ${thrown.message}; it will run again`);
      return;
    }
    // `throw undefined` (or a string, a plain object, ...) fails the task like an error does.
    const error = asError(thrown, `The workflow task of '${info.workflowId}' (type '${info.workflowType}', run '${info.runId}')`);
    const definition = this.#definitions.get(info.workflowType);
    const types = [...this.options.workflowFailureErrorTypes, ...(definition?.options.failureErrorTypes ?? []) as ErrorTypeEntry[]];
    const location = errorLocation(error);
    const name = errorName(error);
    const code = (error as { code?: unknown }).code;
    if (!DeadlockError.is(error) && matchesErrorTypes(error, types)) {
      // Listed in workflowFailureErrorTypes: the workflow fails instead of the task (Python's semantics).
      const failure = errorToFailure(error, this.#service.converter);
      if (location !== undefined) failure.message = `${failure.message} (at ${location})`;
      await this.#service.completeWorkflowTask(info, startedTime, [{ type: "FailWorkflow", failure }]);
      this.#warnings.settled(error);
      this.options.logger.warn(
        `Workflow '${info.workflowId}' (type '${info.workflowType}') failed: ${describeError(error)}`,
        definedFields({ workflowId: info.workflowId, runId: info.runId, workflowType: info.workflowType, code, errorType: name, location }),
      );
      return;
    }
    const text = errorMessage(error);
    const message = `${name}: ${text}${location !== undefined && !text.includes(location) ? ` (at ${location})` : ""}`;
    const details: Record<string, JsonValue> = { type: name };
    if (location !== undefined) details.location = location;
    if (typeof code === "string") details.code = code;
    const stack = (error as { stack?: unknown }).stack;
    if (typeof stack === "string") details.stack = stack;
    const { attempt, nextAttemptAt } = await this.#service.failWorkflowTask(info, message, details);
    this.#warnings.settled(error);
    const nextAttemptTime = new Date(nextAttemptAt).toISOString();
    // One line per failed attempt: the error's message once, in the text; the stack (its frames
    // only, the message is not repeated) and the fields as attributes. Plain strings, not the
    // error object: it may belong to the workflow's sandbox.
    this.options.logger.error(
      `Workflow task failed: workflow '${info.workflowId}' (type '${info.workflowType}', run '${info.runId}'), attempt ${attempt}; ` +
        `the workflow keeps running and the task is retried at ${nextAttemptTime} until the code is fixed. Cause: ${message}`,
      definedFields({
        workflowId: info.workflowId,
        runId: info.runId,
        workflowType: info.workflowType,
        attempt,
        nextAttemptTime,
        code: typeof code === "string" ? code : undefined,
        errorType: name,
        location,
        stack: stackFrames(stack),
      }),
    );
  }

  /** Refuses a workflow whose stored data is damaged, logging it once; the worker goes on. */
  #refuse(info: ExecutionInfo, error: HistoryStoreError): void {
    if (!this.#service.refuse(info, error)) return;
    this.options.logger.error(
      `Workflow '${info.workflowId}' (type '${info.workflowType}', run '${info.runId}') is refused until the database is restored: ${error.message}`,
      definedFields({ workflowId: info.workflowId, runId: info.runId, workflowType: info.workflowType, code: error.code, eventId: error.eventId }),
    );
  }

  #definition(info: ExecutionInfo): WorkflowDefinition {
    const definition = this.#definitions.get(info.workflowType);
    if (definition !== undefined) return definition;
    const known = [...this.#definitions.keys()].map((n) => `'${n}'`).join(", ") || "none";
    throw codedError(Error, {
      code: "WFS_UNKNOWN_WORKFLOW_TYPE",
      message: `Workflow type '${info.workflowType}' is not registered on the worker of task queue '${this.options.taskQueue}' ` +
        `(registered: ${known})`,
      hint: "Export it with workflow.defn from the workflowsPath module, or start the workflow on the right task queue",
    }, { name: "WorkflowTypeNotFoundError" });
  }

  #createExecutor(definition: WorkflowDefinition, key: ExecutionKey, started: HistoryEvent): Promise<RunExecutor> {
    const logger = this.options.logger;
    return RunExecutor.create({
      definition,
      runner: definition.sandboxed ? this.#runners.sandboxed : this.#runners.unsandboxed,
      key: { workflowId: key.workflowId, runId: key.runId },
      started,
      converter: this.#service.converter,
      failureTypes: [...this.options.workflowFailureErrorTypes, ...(definition.options.failureErrorTypes ?? []) as ErrorTypeEntry[]],
      deadlockTimeoutMs: this.options.deadlockTimeoutMs,
      log: (level, message, attributes) => logger.log(level, message, attributes),
      locate: errorLocation,
    });
  }

  // ---- cache ----

  #take(key: string): RunExecutor | undefined {
    const executor = this.#cache.get(key);
    if (executor !== undefined) this.#cache.delete(key);
    return executor;
  }

  #put(key: string, executor: RunExecutor): void {
    if (this.options.maxCachedWorkflows === 0 || this.#stop.signal.aborted) {
      executor.dispose();
      return;
    }
    this.#cache.set(key, executor);
    while (this.#cache.size > this.options.maxCachedWorkflows) {
      const oldest = this.#cache.keys().next().value as string;
      this.#evict(oldest);
    }
  }

  #evict(key: string): void {
    const executor = this.#cache.get(key);
    if (executor === undefined) return;
    this.#cache.delete(key);
    executor.dispose();
  }

  // ---- queries ----

  #query(info: ExecutionInfo, name: string, args: Payload[]): Promise<Payload> {
    const service = this.#service;
    return service.withLock(info.workflowId, async () => {
      // A due workflow task runs first, so the answer reflects what has arrived (a signal, say);
      // not once the worker is stopping: it answers from the last task's state.
      if (!this.#stop.signal.aborted) await this.#workflowTask(info);
      const current = await service.store.getExecution(info);
      if (current === undefined) {
        throw codedError(QueryFailedError, {
          code: "WFS_QUERY_FAILED",
          message: `Cannot query workflow '${info.workflowId}': its run '${info.runId}' is gone`,
          hint: "Query again through client.getHandle(workflowId), which follows the latest run",
        });
      }
      const key = runKey(current);
      let executor = this.#take(key);
      try {
        const definition = this.#definition(current);
        const events = await service.store.readEvents(current, { afterEventId: executor?.processedEventId ?? 0 });
        executor ??= await this.#createExecutor(definition, current, events[0]!);
        await executor.advance(events);
        const result = await executor.query(name, args);
        if (current.status === "running") this.#put(key, executor);
        else executor.dispose();
        return result;
      } catch (error) {
        executor?.dispose();
        // Built by the run state on the host side, so it is the client's error already.
        if (error instanceof QueryNotRegisteredError) throw error;
        const copy = failureToError(errorToFailure(error, service.converter), service.converter);
        const location = errorLocation(error);
        const code = (error as { code?: unknown })?.code;
        throw codedError(QueryFailedError, {
          code: "WFS_QUERY_FAILED",
          message: `Query '${name}' of workflow '${info.workflowId}' failed: ${errorName(error)}: ${errorMessage(error)}` +
            `${location ? ` (at ${location})` : ""}`,
          // An error of the package carries its own fix in its message; a handler's error needs the handler fixed.
          hint: typeof code === "string" && code.startsWith("WFS_")
            ? "Follow the fix the cause gives; queries change nothing, so the workflow is unaffected"
            : "Fix the query handler: it runs against the workflow's current state, which may be earlier than expected",
          cause: copy,
        });
      }
    });
  }

  // ---- activities ----

  async #dispatchActivities(): Promise<void> {
    const free = this.options.maxConcurrentActivities - this.#runningActivities.size;
    if (free <= 0) return;
    const service = this.#service;
    const ready = await service.listActivityTasks(this.options.taskQueue, service.clock.now(), free);
    let started = 0;
    for (const task of ready) {
      if (started >= free) break;
      const running = await service.claimActivity(task);
      if (running === undefined) continue;
      started++;
      this.#runningActivities.add(running);
      const run = this.#runActivity(running).finally(() => {
        this.#runningActivities.delete(running);
        service.releaseActivity(running);
        this.#activityRuns.delete(run);
      });
      this.#activityRuns.add(run);
    }
  }

  async #runActivity(running: RunningActivity): Promise<void> {
    const { task } = running;
    const service = this.#service;
    const data = task.data as unknown as ActivityTaskData;
    if (running.cancelRequested) {
      await this.#finishActivity(task, { kind: "cancelled" });
      return;
    }
    const fn = this.options.activities[task.activityType];
    const attemptStarted = service.clock.now();
    let outcome: ActivityOutcome;
    try {
      if (fn === undefined) {
        const known = Object.keys(this.options.activities).map((n) => `'${n}'`).join(", ") || "none";
        // A failure (Temporal's shape), not a package error: its message is composed as the others.
        throw ApplicationFailure.retryable(
          composeMessage({
            code: "WFS_UNKNOWN_ACTIVITY",
            message: `Activity '${task.activityType}' is not registered on the worker of task queue '${task.taskQueue}' (registered: ${known})`,
            hint: "Add it to Worker.create({ activities })",
          }),
          "NotFoundError",
        );
      }
      const args = fromPayloads(service.converter, data.args);
      const context = new Context({
        activityId: task.activityId,
        activityType: task.activityType,
        taskQueue: task.taskQueue,
        attempt: task.attempt,
        workflowId: task.workflowId,
        runId: task.runId,
        workflowType: data.workflowType,
        scheduledTime: new Date(data.scheduledTime),
        ...(data.options.startToCloseTimeoutMs === undefined ? {} : { startToCloseTimeoutMs: data.options.startToCloseTimeoutMs }),
        ...(data.options.scheduleToCloseTimeoutMs === undefined ? {} : { scheduleToCloseTimeoutMs: data.options.scheduleToCloseTimeoutMs }),
      }, running.controller.signal);
      const result = await withTimeout(
        () => runInActivityContext(context, function (this: Context) {
          return fn.apply(this, args);
        }),
        this.#attemptTimeout(data, attemptStarted),
        running.controller,
      );
      outcome = { kind: "completed", result: service.converter.toPayload(result) };
    } catch (error) {
      if (running.cancelRequested) {
        outcome = { kind: "cancelled" };
      } else if (this.#stop.signal.aborted && running.controller.signal.aborted && !(error instanceof TimeoutFailure)) {
        return; // interrupted by shutdown: not an attempt; it runs again on the next worker
      } else {
        outcome = this.#failedAttempt(task, data, error);
      }
    }
    if (this.#abandoned.has(running)) {
      // Given back at the forced shutdown: another worker may be running the attempt now.
      this.options.logger.debug(`Activity '${task.activityType}' (id ${task.activityId}) ended after the worker abandoned it: its outcome is not recorded`);
      return;
    }
    await this.#finishActivity(task, outcome);
  }

  async #finishActivity(task: ActivityTask, outcome: ActivityOutcome): Promise<void> {
    try {
      await this.#service.finishActivity(task, outcome);
    } catch (error) {
      this.options.logger.error(`Could not record the outcome of activity '${task.activityType}' (id ${task.activityId}) of workflow '${task.workflowId}': ${describeError(error)}; it will run again`, { error });
    }
  }

  /** The attempt's time limit: start-to-close, and what is left of schedule-to-close. */
  #attemptTimeout(data: ActivityTaskData, now: number): { ms: number; type: "START_TO_CLOSE" | "SCHEDULE_TO_CLOSE" } | undefined {
    const { startToCloseTimeoutMs, scheduleToCloseTimeoutMs } = data.options;
    let limit: { ms: number; type: "START_TO_CLOSE" | "SCHEDULE_TO_CLOSE" } | undefined;
    if (startToCloseTimeoutMs !== undefined) limit = { ms: startToCloseTimeoutMs, type: "START_TO_CLOSE" };
    if (scheduleToCloseTimeoutMs !== undefined) {
      const left = Math.max(0, data.scheduledTime + scheduleToCloseTimeoutMs - now);
      if (limit === undefined || left < limit.ms) limit = { ms: left, type: "SCHEDULE_TO_CLOSE" };
    }
    return limit;
  }

  #failedAttempt(task: ActivityTask, data: ActivityTaskData, error: unknown): ActivityOutcome {
    const service = this.#service;
    const converter = service.converter;
    const cause = errorToFailure(error, converter);
    const retry = data.options.retry;
    const now = service.clock.now();
    const delay = retryDelayMs(retry, task.attempt);
    const deadline = data.options.scheduleToCloseTimeoutMs === undefined ? Infinity : data.scheduledTime + data.options.scheduleToCloseTimeoutMs;
    let retryState: ActivityFailure["retryState"] | undefined;
    if (cause.nonRetryable || retry.nonRetryableErrorTypes.includes(cause.type)) retryState = "NON_RETRYABLE_FAILURE";
    else if (error instanceof TimeoutFailure && error.timeoutType === "SCHEDULE_TO_CLOSE") retryState = "TIMEOUT";
    else if (retry.maximumAttempts > 0 && task.attempt >= retry.maximumAttempts) retryState = "MAXIMUM_ATTEMPTS_REACHED";
    else if (now + delay >= deadline) retryState = "TIMEOUT";
    this.options.logger.warn(
      `Activity '${task.activityType}' (id ${task.activityId}) of workflow '${task.workflowId}' failed attempt ${task.attempt}: ` +
        `${cause.type}: ${cause.message}${retryState === undefined ? `; retrying in ${delay} ms` : `; not retried (${retryState})`}`,
      definedFields({
        workflowId: task.workflowId,
        runId: task.runId,
        activityType: task.activityType,
        activityId: task.activityId,
        attempt: task.attempt,
        code: typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : undefined,
        errorType: cause.type,
        stack: stackFrames(cause.stack),
      }),
    );
    if (retryState === undefined) return { kind: "retry", failure: cause, readyAt: now + delay };
    const failure: FailureData = {
      kind: "activity",
      type: "ActivityFailure",
      message: `Activity task failed`,
      activityType: task.activityType,
      activityId: task.activityId,
      retryState,
      cause,
    };
    return { kind: "failed", failure };
  }
}

/** Runs `fn`, failing with `TimeoutFailure` (and aborting `controller`) after `limit`. */
async function withTimeout<T>(
  fn: () => T | Promise<T>,
  limit: { ms: number; type: "START_TO_CLOSE" | "SCHEDULE_TO_CLOSE" } | undefined,
  controller: AbortController,
): Promise<T> {
  if (limit === undefined) return await fn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TimeoutFailure(`Activity attempt timed out after ${limit.ms} ms (${limit.type})`, limit.type);
      controller.abort(error);
      reject(error);
    }, limit.ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function errorName(error: unknown): string {
  const name = (error as { name?: unknown })?.name;
  return typeof name === "string" && name !== "" ? name : "Error";
}

function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown })?.message;
  return typeof message === "string" ? message : String(error);
}

function describeError(error: unknown): string {
  return `${errorName(error)}: ${errorMessage(error)}`;
}

/**
 * The frames of a stack, without its first lines (`<name>: <message>`, which a log line already
 * says).
 */
function stackFrames(stack: unknown): string | undefined {
  if (typeof stack !== "string") return undefined;
  const lines = stack.split("\n");
  const first = lines.findIndex((line) => /^\s*at\s/.test(line));
  return first < 0 ? undefined : lines.slice(first).join("\n");
}

/** `fields` without its undefined entries (log attributes). */
function definedFields(fields: Record<string, unknown>): Record<string, unknown> {
  const defined: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) defined[key] = value;
  return defined;
}

/**
 * The sandbox's warnings, through the worker's logger. A restricted access reported during a
 * workflow task waits for the task to end: when that access is what failed the task, the failure's
 * line says it (one line per failed attempt, the message once); when the workflow caught it, it is
 * logged then. Every other warning is logged at once.
 */
class SandboxWarningLog {
  readonly #logger: Logger;
  #pending: SandboxWarning[] = [];
  #tasks = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  warn(warning: SandboxWarning): void {
    if (this.#tasks > 0 && warning.kind === "restricted-access") this.#pending.push(warning);
    else this.#log(warning);
  }

  /** A workflow task starts. */
  begin(): void {
    this.#tasks++;
  }

  /** The error that ended a task (failed it or its workflow) was logged: its own warning is dropped. */
  settled(error: unknown): void {
    const message = errorMessage(error);
    this.#pending = this.#pending.filter((warning) => warning.message !== message);
  }

  /** A workflow task ended: the warnings it kept are logged once no task runs. */
  end(): void {
    this.#tasks--;
    if (this.#tasks > 0) return;
    const pending = this.#pending;
    this.#pending = [];
    for (const warning of pending) this.#log(warning);
  }

  #log(warning: SandboxWarning): void {
    const { message, ...fields } = warning;
    // A package given deterministic values is information, not a problem (docs/determinism.md).
    const level = warning.kind === "substituted-value" ? "info" : "warn";
    this.#logger[level](`Sandbox: [${warning.workflow}] ${message}`, { ...fields });
  }
}

/** Waits for `promise`, at most `ms`. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function readDebugEnv(): boolean {
  try {
    const value = process.env[DEBUG_ENV];
    return value !== undefined && value !== "" && value !== "0" && value !== "false";
  } catch {
    return false; // Deno without --allow-env
  }
}
